//! UTC calendar time for the whole workspace: Unix seconds to and from civil dates (Howard Hinnant's
//! `days_from_civil`), the ISO 8601 text the clouds write and parse (`2026-11-23T06:00:00Z`), whole-day ages, and
//! [`UtcTime`] for the signers. No clock and no date library (the browser bundle stays small): "now" is always an
//! argument.

use std::fmt;

/// Seconds in a day.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// 9999-12-31T23:59:59Z, the last instant a four-digit year can write.
pub const MAX_UNIX_SECONDS: i64 = 253_402_300_799;

/// Days since 1970-01-01 of a civil date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date (year, month, day) of a count of days since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Formats Unix seconds as the UTC date `YYYY-MM-DD`.
pub fn format_date(unix_seconds: i64) -> String {
    let (year, month, day) = civil_from_days(unix_seconds.div_euclid(SECONDS_PER_DAY));
    format!("{year:04}-{month:02}-{day:02}")
}

/// Parses `YYYY-MM-DD` into Unix seconds at 00:00 UTC; `None` for anything else (including 2024-02-30).
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let (year, month, day): (i64, u32, u32) = (year.parse().ok()?, month.parse().ok()?, day.parse().ok()?);
    let days = days_from_civil(year, month, day);
    (civil_from_days(days) == (year, month, day)).then_some(days * SECONDS_PER_DAY)
}

/// Whole days from `then` to `now` (both Unix seconds); negative when `then` is in the future.
pub fn age_in_days(then: i64, now: i64) -> i64 {
    (now - then).div_euclid(SECONDS_PER_DAY)
}

/// Formats Unix seconds as `yyyy-MM-ddTHH:mm:ssZ` (UTC), the form Alibaba's `StartTime`/`EndTime` take.
///
/// Times outside 0 ..= [`MAX_UNIX_SECONDS`] are clamped to that range so the text keeps its shape.
pub fn format_iso8601(unix_seconds: i64) -> String {
    let clamped = unix_seconds.clamp(0, MAX_UNIX_SECONDS);
    let days = clamped.div_euclid(SECONDS_PER_DAY);
    let second_of_day = clamped.rem_euclid(SECONDS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (second_of_day / 3600, second_of_day % 3600 / 60, second_of_day % 60);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}

/// Parses `yyyy-MM-ddTHH:mm:ssZ`, `yyyy-MM-ddTHH:mmZ` (Alibaba's shorter form) or either with fractional seconds
/// (`…:05.123Z`, truncated to the second) into Unix seconds; `None` for anything else, including impossible dates
/// and times before 1970.
pub fn parse_iso8601(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if !text.is_ascii() || bytes.len() < 17 || bytes.last() != Some(&b'Z') {
        return None;
    }
    if bytes[4] != b'-' || bytes[7] != b'-' || bytes[10] != b'T' || bytes[13] != b':' {
        return None;
    }
    let year = digits(&bytes[0..4])?;
    let month = digits(&bytes[5..7])?;
    let day = digits(&bytes[8..10])?;
    let hour = digits(&bytes[11..13])?;
    let minute = digits(&bytes[14..16])?;
    let rest = &bytes[16..bytes.len() - 1];
    let second = match rest {
        [] => 0,
        [b':', s1, s2, fraction @ ..] => {
            let valid_fraction = match fraction {
                [] => true,
                [b'.', more @ ..] => !more.is_empty() && more.iter().all(u8::is_ascii_digit),
                _ => false,
            };
            if !valid_fraction {
                return None;
            }
            digits(&[*s1, *s2])?
        }
        _ => return None,
    };
    if !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let (month, day) = (u32::try_from(month).ok()?, u32::try_from(day).ok()?);
    let days = days_from_civil(year, month, day);
    if civil_from_days(days) != (year, month, day) {
        return None;
    }
    let seconds = days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
    (seconds >= 0).then_some(seconds)
}

/// The number written by ASCII digits (at most four here, so no overflow).
fn digits(bytes: &[u8]) -> Option<i64> {
    bytes.iter().try_fold(0_i64, |number, byte| {
        byte.is_ascii_digit().then(|| number * 10 + i64::from(byte - b'0'))
    })
}

/// Parses exactly `yyyy-MM-ddTHH:mm:ssZ` — the only form an order's time fields take (Alibaba
/// `AutoReleaseTime`) — into Unix seconds; `None` for anything else.
pub fn parse_exact_utc(text: &str) -> Option<i64> {
    (text.len() == 20 && text.as_bytes().get(16) == Some(&b':')).then(|| parse_iso8601(text))?
}

/// An instant's time of day was outside what a signature can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{unix_seconds} Unix seconds is after 9999-12-31T23:59:59Z")]
pub struct OutOfRange {
    /// The instant asked for.
    pub unix_seconds: u64,
}

/// A UTC instant to the second, from 1970 to 9999, formatted the way the clouds' signatures want it.
///
/// `Display` prints `YYYY-MM-DDTHH:MM:SSZ` (Alibaba `Timestamp`/`x-acs-date`, Baidu `x-bce-date`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTime {
    unix_seconds: u64,
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
}

impl UtcTime {
    /// The instant `unix_seconds` after 1970-01-01T00:00:00Z (leap seconds ignored, as Unix time does).
    pub fn from_unix_seconds(unix_seconds: u64) -> Result<Self, OutOfRange> {
        if unix_seconds > MAX_UNIX_SECONDS as u64 {
            return Err(OutOfRange { unix_seconds });
        }
        let days = unix_seconds / 86_400;
        let seconds_of_day = unix_seconds % 86_400;
        let (year, month, day) = civil_from_days(days as i64);
        Ok(UtcTime {
            unix_seconds,
            year: u16::try_from(year).unwrap_or(u16::MAX),
            month: narrow(month),
            day: narrow(day),
            hour: narrow(seconds_of_day / 3_600),
            minute: narrow(seconds_of_day / 60 % 60),
            second: narrow(seconds_of_day % 60),
        })
    }

    /// The Unix seconds this instant was made from.
    pub fn unix_seconds(&self) -> u64 {
        self.unix_seconds
    }

    /// The calendar date, whose `Display` prints `YYYY-MM-DD` (Tencent's credential scope).
    pub fn date(&self) -> UtcDate {
        UtcDate {
            year: self.year,
            month: self.month,
            day: self.day,
        }
    }
}

impl fmt::Display for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}T{:02}:{:02}:{:02}Z",
            self.date(),
            self.hour,
            self.minute,
            self.second
        )
    }
}

/// A UTC calendar date; `Display` prints `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcDate {
    year: u16,
    month: u8,
    day: u8,
}

impl fmt::Display for UtcDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Narrows a value already known to be below 256 (hours, minutes, seconds, months, days).
fn narrow(value: impl TryInto<u8>) -> u8 {
    value.try_into().unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates_round_trip() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2024-10-09"), Some(1_728_432_000));
        assert_eq!(format_date(1_728_432_000 + 6 * 3600), "2024-10-09");
        assert_eq!(format_date(parse_date("2000-02-29").unwrap()), "2000-02-29");
    }

    #[test]
    fn rejects_impossible_dates() {
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date("24-10-09"), None);
    }

    #[test]
    fn every_day_for_a_century_round_trips() {
        for days in -20_000..60_000 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn age_counts_whole_days() {
        let then = parse_date("2024-10-09").unwrap();
        assert_eq!(age_in_days(then, parse_date("2026-11-23").unwrap()), 775);
    }

    #[test]
    fn formats_known_times() {
        assert_eq!(format_iso8601(0), "1970-01-01T00:00:00Z");
        // 2024-10-09 00:00 UTC is 1_728_432_000 (see `date`); plus 06:07:08.
        assert_eq!(
            format_iso8601(1_728_432_000 + 6 * 3600 + 7 * 60 + 8),
            "2024-10-09T06:07:08Z"
        );
        assert_eq!(format_iso8601(MAX_UNIX_SECONDS), "9999-12-31T23:59:59Z");
        assert_eq!(format_iso8601(-5), "1970-01-01T00:00:00Z", "clamped");
    }

    #[test]
    fn parses_the_forms_alibaba_writes() {
        assert_eq!(parse_iso8601("2024-10-09T06:07:08Z"), Some(1_728_432_000 + 22_028));
        assert_eq!(parse_iso8601("2024-10-09T06:07Z"), Some(1_728_432_000 + 22_020));
        assert_eq!(parse_iso8601("2024-10-09T06:07:08.250Z"), Some(1_728_432_000 + 22_028));
    }

    #[test]
    fn rejects_what_is_not_a_utc_time() {
        for bad in [
            "",
            "2024-10-09",
            "2024-10-09T06:07:08",
            "2024-10-09T06:07:08+08:00",
            "2024-02-30T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-10-09T24:00:00Z",
            "2024-10-09T06:60:00Z",
            "2024-10-09T06:07:60Z",
            "2024-10-09T06:07:08.Z",
            "2024-10-09T06:07:0xZ",
            "1969-12-31T23:59:59Z",
            "２０２４-10-09T06:07:08Z",
            "2024-10-09T06:07:08ZZ",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }

    #[test]
    fn round_trips_every_hour_of_a_leap_year() {
        let start = 1_704_067_200; // 2024-01-01T00:00:00Z
        for hour in 0..(366 * 24) {
            let time = start + hour * 3600 + 59;
            assert_eq!(parse_iso8601(&format_iso8601(time)), Some(time));
        }
    }

    fn format(unix_seconds: u64) -> String {
        UtcTime::from_unix_seconds(unix_seconds).unwrap().to_string()
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(format(0), "1970-01-01T00:00:00Z");
        assert_eq!(format(1_430_123_029), "2015-04-27T08:23:49Z");
        assert_eq!(format(1_456_231_584), "2016-02-23T12:46:24Z");
        assert_eq!(format(1_551_113_065), "2019-02-25T16:44:25Z");
        assert_eq!(format(1_698_315_752), "2023-10-26T10:22:32Z");
        assert_eq!(format(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format(4_107_542_399), "2100-02-28T23:59:59Z");
        assert_eq!(format(4_107_542_400), "2100-03-01T00:00:00Z");
        assert_eq!(format(MAX_UNIX_SECONDS as u64), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn date_drops_the_time_of_day() {
        let time = UtcTime::from_unix_seconds(1_551_113_065).unwrap();
        assert_eq!(time.date().to_string(), "2019-02-25");
        assert_eq!(time.unix_seconds(), 1_551_113_065);
    }

    #[test]
    fn rejects_five_digit_years() {
        assert_eq!(
            UtcTime::from_unix_seconds(MAX_UNIX_SECONDS as u64 + 1),
            Err(OutOfRange {
                unix_seconds: MAX_UNIX_SECONDS as u64 + 1
            })
        );
    }

    /// Walks every day from 1970 to 2400 and checks it follows the previous one on the calendar.
    #[test]
    fn consecutive_days_follow_the_calendar() {
        let mut previous = civil_from_days(0);
        for days in 1..=157_000_i64 {
            let current = civil_from_days(days);
            let (year, month, day) = previous;
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            let month_length = match month {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            let expected = if day < month_length {
                (year, month, day + 1)
            } else if month < 12 {
                (year, month + 1, 1)
            } else {
                (year + 1, 1, 1)
            };
            assert_eq!(current, expected, "day {days}");
            previous = current;
        }
    }

    #[test]
    fn order_times_take_one_form_only() {
        assert_eq!(parse_exact_utc("1970-01-02T00:00:01Z"), Some(86_401));
        assert_eq!(parse_exact_utc("2026-11-23 10:00:00"), None);
        assert_eq!(parse_exact_utc("2026-11-23T24:00:00Z"), None);
        assert_eq!(parse_exact_utc("2026-11-23T10:00Z"), None);
        assert_eq!(parse_exact_utc("2026-11-23T10:00:00.5Z"), None);
    }
}

//! A pure UTC calendar formatter: Unix seconds to `YYYY-MM-DDTHH:MM:SSZ` and `YYYY-MM-DD`, no clock, no time crate.

use std::fmt;

use crate::error::SigningError;

/// The last second with a four-digit year, 9999-12-31T23:59:59Z.
const MAX_UNIX_SECONDS: u64 = 253_402_300_799;

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
    pub fn from_unix_seconds(unix_seconds: u64) -> Result<Self, SigningError> {
        if unix_seconds > MAX_UNIX_SECONDS {
            return Err(SigningError::TimestampOutOfRange { unix_seconds });
        }
        let days = unix_seconds / 86_400;
        let seconds_of_day = unix_seconds % 86_400;
        let (year, month, day) = civil_from_days(days);
        Ok(UtcTime {
            unix_seconds,
            year,
            month,
            day,
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

/// Converts days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
///
/// Howard Hinnant's `civil_from_days`, restricted to non-negative days: eras are 400-year cycles starting on
/// 0000-03-01, so February (with the leap day) ends each computed year.
fn civil_from_days(days: u64) -> (u16, u8, u8) {
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (narrow_year(year), narrow(month), narrow(day))
}

/// Narrows a value already known to be below 256 (hours, minutes, seconds, months, days).
fn narrow(value: u64) -> u8 {
    u8::try_from(value).unwrap_or(u8::MAX)
}

/// Narrows a year already known to be at most 9999 (the caller checked `MAX_UNIX_SECONDS`).
fn narrow_year(value: u64) -> u16 {
    u16::try_from(value).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(format(MAX_UNIX_SECONDS), "9999-12-31T23:59:59Z");
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
            UtcTime::from_unix_seconds(MAX_UNIX_SECONDS + 1),
            Err(SigningError::TimestampOutOfRange {
                unix_seconds: MAX_UNIX_SECONDS + 1
            })
        );
    }

    /// Walks every day from 1970 to 2400 and checks it follows the previous one on the calendar.
    #[test]
    fn consecutive_days_follow_the_calendar() {
        let mut previous = civil_from_days(0);
        for days in 1..=157_000 {
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
}

//! ISO-8601 UTC times as the clouds' price APIs write them (`2026-11-23T06:00:00Z`), to and from Unix seconds.
//!
//! Pure day arithmetic on top of [`crate::date`]; no date library in the wasm bundle.

use crate::date::{SECONDS_PER_DAY, civil_from_days, days_from_civil};

/// 9999-12-31T23:59:59Z, the last time a four-digit year can write.
pub const MAX_UNIX_SECONDS: i64 = 253_402_300_799;

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

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

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
}

//! Calendar dates for price observations: Unix seconds ↔ `YYYY-MM-DD` (UTC), and ages in days.
//!
//! Only the proleptic Gregorian day arithmetic the catalog needs (Howard Hinnant's `days_from_civil`), so the core
//! carries no date library into the wasm bundle. "Today" is always an argument.

/// Seconds in a day.
pub const SECONDS_PER_DAY: i64 = 86_400;

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

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

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
}

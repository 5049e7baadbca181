//! The decimal flags' parsers: plain decimals only (digits and one point — the parser underneath would also take
//! "1_0" as 10), each held to its range, so a value outside it is refused naming the flag and the value rather
//! than clamped or taken as it comes (a rate of 0 made every USD offer free).

use rust_decimal::Decimal;

/// A plain decimal: digits with at most one point.
fn plain(text: &str) -> Result<Decimal, String> {
    let text = text.trim();
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if !digits {
        return Err(format!(
            "`{text}` is not a plain decimal number (digits and one point, such as 7.2)"
        ));
    }
    // Exact or refused: a decimal holds 28 places, and the parser underneath would round past them unsaid.
    Decimal::from_str_exact(text).map_err(|_| {
        if text.matches('.').count() <= 1 && text.bytes().any(|b| b.is_ascii_digit()) {
            format!("`{text}` has more digits than a decimal holds exactly (more than 28 decimal places, or 29 digits)")
        } else {
            format!("`{text}` is not a plain decimal number (digits and one point, such as 7.2)")
        }
    })
}

/// Above 0: a rate, a price, a ceiling.
pub(crate) fn positive(text: &str) -> Result<Decimal, String> {
    let value = plain(text)?;
    if value > Decimal::ZERO {
        Ok(value)
    } else {
        Err(format!("`{}` must be above 0", text.trim()))
    }
}

/// Yuan per US dollar: from 1 to 100, as the proxy takes it.
pub(crate) fn cny_per_usd(text: &str) -> Result<Decimal, String> {
    spotplan_core::fx::check_cny_per_usd(plain(text)?).map_err(|implausible| implausible.to_string())
}

/// 0 or more: a size.
pub(crate) fn non_negative(text: &str) -> Result<Decimal, String> {
    plain(text)
}

/// From 0 to 1: a probability.
pub(crate) fn fraction(text: &str) -> Result<Decimal, String> {
    let value = plain(text)?;
    if value <= Decimal::ONE {
        Ok(value)
    } else {
        Err(format!("`{}` must be from 0 to 1 (0.1 is 10 %)", text.trim()))
    }
}

/// A job's hours: above 0, at most [`spotplan_core::plan::MAX_JOB_HOURS`].
pub(crate) fn hours(text: &str) -> Result<Decimal, String> {
    let max = spotplan_core::plan::MAX_JOB_HOURS;
    plain(text)
        .ok()
        .filter(|hours| *hours > Decimal::ZERO && *hours <= Decimal::from(max))
        .ok_or_else(|| format!("`{text}` is not a number of hours above 0 and at most {max} (ten years)"))
}

/// An idempotency key as the proxy takes it (8–48 letters, digits, `-`, `_`): refused here, naming the value,
/// rather than sent — a key the HTTP client cannot put in a header would otherwise read as "no answer, retry".
pub(crate) fn idempotency_key(text: &str) -> Result<String, String> {
    spotplan_core::order::idempotency::check_idempotency_key(text)
        .map(|()| text.to_owned())
        .map_err(|invalid| invalid.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_flag_takes_its_range_of_plain_decimals_only() {
        assert_eq!(positive("7.2"), Ok(Decimal::new(72, 1)));
        for refused in ["0", "-1", "1_0", "1e3", "", "+2", "7,2"] {
            assert!(positive(refused).is_err(), "{refused}");
        }
        assert_eq!(cny_per_usd("7.2"), Ok(Decimal::new(72, 1)));
        assert!(cny_per_usd("0.14").is_err() && cny_per_usd("100.01").is_err());
        assert_eq!(
            positive("0.00000000000000000000000000001"),
            Err(
                "`0.00000000000000000000000000001` has more digits than a decimal holds exactly (more than 28 decimal \
                 places, or 29 digits)"
                    .to_owned()
            )
        );
        assert_eq!(non_negative("0"), Ok(Decimal::ZERO));
        assert!(non_negative("-8").is_err());
        assert_eq!(fraction("0.1"), Ok(Decimal::new(1, 1)));
        assert_eq!(fraction("10"), Err("`10` must be from 0 to 1 (0.1 is 10 %)".to_owned()));
        assert_eq!(hours("48"), Ok(Decimal::from(48)));
        assert!(hours("0").is_err() && hours("87601").is_err() && hours("4_8").is_err());
    }
}

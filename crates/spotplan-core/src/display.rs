//! Display formatting of money for people (web table, CLI), with the one rounding rule (half away from zero) —
//! and maxima rounded up, never shown below themselves.

use crate::money::{Money, PriceRate};

/// A total, rounded to exactly 2 decimals: `¥1,234.57`, `¥2.00`.
pub fn money2(money: Money) -> String {
    format!(
        "{}{}",
        money.currency.symbol(),
        group_thousands(&format!("{:.2}", money.rounded(2)))
    )
}

/// A maximum (what an order may cost at most), to exactly 2 decimals rounded up, so it is never shown below the
/// true maximum: `¥0.25002` is `¥0.26`.
pub fn max_money2(money: Money) -> String {
    let up = money
        .amount
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToPositiveInfinity);
    format!("{}{}", money.currency.symbol(), group_thousands(&format!("{up:.2}")))
}

/// A percentage to one decimal by the one rounding rule (half away from zero, never to even): `12.25` is `12.3`.
pub fn percent1(percent: rust_decimal::Decimal) -> rust_decimal::Decimal {
    percent
        .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// A maximum per unit (a bid's hourly bound, a cost so far that is an upper bound), to exactly 4 decimals rounded
/// up: `¥0.25002` is `¥0.2501`.
pub fn max_money4(money: Money) -> String {
    let up = money
        .amount
        .round_dp_with_strategy(4, rust_decimal::RoundingStrategy::ToPositiveInfinity);
    format!("{}{up:.4}", money.currency.symbol())
}

/// A unit price, rounded to 4 decimals per hour or longer and to 6 per minute or second (a per-minute price has
/// its digits further right: ¥0.02 an hour is ¥0.000333 a minute, not ¥0.0003): `¥0.4568`.
pub fn unit_price(rate: PriceRate) -> String {
    // Every figure to the same places, so a column of prices lines up (¥0.0600 beside ¥0.1782, not ¥0.06).
    let decimals = unit_decimals(rate.per);
    format!(
        "{}{:.*}",
        rate.money.currency.symbol(),
        decimals as usize,
        rate.money.rounded(decimals)
    )
}

/// The decimals a price per `unit` is shown to: 4 per hour or longer, 6 per minute or second.
fn unit_decimals(unit: crate::TimeUnit) -> u32 {
    if matches!(unit, crate::TimeUnit::Minute | crate::TimeUnit::Second) {
        6
    } else {
        4
    }
}

/// A bid or other maximum per unit of time, in its own currency and unit, rounded up — to 4 decimals per hour, 6
/// per minute or second — so it is never shown below itself: `¥0.005235/minute`. (Beside prices in another
/// display unit it names its own.)
pub fn max_unit_price(rate: PriceRate) -> String {
    let up = rate.money.amount.round_dp_with_strategy(
        unit_decimals(rate.per),
        rust_decimal::RoundingStrategy::ToPositiveInfinity,
    );
    format!(
        "{}{}/{}",
        rate.money.currency.symbol(),
        up.normalize(),
        rate.per.label()
    )
}

fn group_thousands(number: &str) -> String {
    let (sign, digits) = number.strip_prefix('-').map_or(("", number), |rest| ("-", rest));
    let (whole, fraction) = digits.split_once('.').map_or((digits, None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    match fraction {
        Some(fraction) => format!("{sign}{grouped}.{fraction}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn totals_group_thousands_and_round_half_away() {
        assert_eq!(money2(Money::parse("1234.565", Currency::Cny).unwrap()), "¥1,234.57");
        assert_eq!(money2(Money::parse("12", Currency::Usd).unwrap()), "$12.00");
        assert_eq!(money2(Money::parse("2.0", Currency::Cny).unwrap()), "¥2.00");
        assert_eq!(
            money2(Money::parse("-1000000.5", Currency::Cny).unwrap()),
            "¥-1,000,000.50"
        );
    }

    #[test]
    fn a_bid_names_its_unit_and_is_never_shown_below_itself() {
        let bid = PriceRate::new(
            Money::parse("0.00523456", Currency::Cny).unwrap(),
            crate::TimeUnit::Minute,
        );
        assert_eq!(max_unit_price(bid), "¥0.005235/minute");
        let hourly = PriceRate::new(Money::parse("0.12341", Currency::Cny).unwrap(), crate::TimeUnit::Hour);
        assert_eq!(max_unit_price(hourly), "¥0.1235/hour");
    }

    #[test]
    fn a_maximum_is_never_shown_below_itself() {
        assert_eq!(max_money2(Money::parse("0.25002", Currency::Cny).unwrap()), "¥0.26");
        assert_eq!(max_money2(Money::parse("0.25", Currency::Cny).unwrap()), "¥0.25");
        assert_eq!(
            max_money2(Money::parse("1234.561", Currency::Usd).unwrap()),
            "$1,234.57"
        );
        assert_eq!(max_money4(Money::parse("0.25002", Currency::Cny).unwrap()), "¥0.2501");
        assert_eq!(max_money4(Money::parse("0.25", Currency::Cny).unwrap()), "¥0.2500");
    }

    #[test]
    fn a_unit_price_keeps_a_per_minute_prices_digits() {
        let price = |text: &str, per| unit_price(PriceRate::new(Money::parse(text, Currency::Cny).unwrap(), per));
        assert_eq!(price("0.45678", crate::TimeUnit::Hour), "¥0.4568");
        assert_eq!(price("0.06", crate::TimeUnit::Hour), "¥0.0600");
        assert_eq!(price("0.000333333", crate::TimeUnit::Minute), "¥0.000333");
        assert_eq!(price("0.0000055556", crate::TimeUnit::Second), "¥0.000006");
    }

    #[test]
    fn a_percentage_rounds_half_away_from_zero() {
        let percent = |text: &str| percent1(text.parse().unwrap()).to_string();
        assert_eq!(percent("12.25"), "12.3");
        assert_eq!(percent("12.35"), "12.4");
        assert_eq!(percent("40.00"), "40");
    }
}

//! Exact money: decimal amounts with a currency, and prices per unit of time.
//!
//! Money is `rust_decimal::Decimal`, never `f64`. Multiplying by a whole number of seconds or minutes is exact;
//! converting a price to a *shorter* unit divides (for example CNY/hour → CNY/minute divides by 60) and keeps 28
//! significant digits. Rounding happens only for display, with one rule: [`DISPLAY_ROUNDING`].

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// The one rounding rule used whenever an amount is shown: half away from zero (0.125 → 0.13), the rule
/// cloud bills and price lists use.
pub const DISPLAY_ROUNDING: RoundingStrategy = RoundingStrategy::MidpointAwayFromZero;

/// A currency a cloud quotes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    /// Chinese yuan (renminbi): China-site list prices of all three clouds.
    Cny,
    /// US dollar: the clouds' international sites.
    Usd,
}

impl Currency {
    /// The ISO 4217 code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Cny => "CNY",
            Currency::Usd => "USD",
        }
    }

    /// The currency of an ISO 4217 code, in any case (`usd`, `CNY`).
    pub fn from_code(code: &str) -> Option<Currency> {
        [Currency::Cny, Currency::Usd]
            .into_iter()
            .find(|currency| currency.code().eq_ignore_ascii_case(code.trim()))
    }

    /// The symbol shown before an amount.
    pub fn symbol(self) -> &'static str {
        match self {
            Currency::Cny => "¥",
            Currency::Usd => "$",
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What can go wrong with money arithmetic or parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Two amounts in different currencies were combined without an exchange rate.
    #[error("cannot combine {left} with {right} without an exchange rate")]
    CurrencyMismatch {
        /// The currency of the left operand.
        left: Currency,
        /// The currency of the right operand.
        right: Currency,
    },
    /// The result does not fit in a decimal (about 7.9e28).
    #[error("amount out of range")]
    Overflow,
    /// A text that is not a decimal number.
    #[error("`{value}` is not a decimal amount (expected digits with an optional `.`, e.g. 0.125)")]
    InvalidAmount {
        /// The text as given.
        value: String,
    },
}

/// An exact amount in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Money {
    /// The amount; any scale, never rounded except for display.
    pub amount: Decimal,
    /// The currency of `amount`.
    pub currency: Currency,
}

impl Money {
    /// An amount in a currency.
    pub fn new(amount: Decimal, currency: Currency) -> Money {
        Money { amount, currency }
    }

    /// Parses a plain decimal text (`"0.125"`, `"12"`); rejects exponents, signs other than `-`, and junk.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let trimmed = text.trim();
        let plain = !trimmed.is_empty()
            && trimmed.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-')
            && trimmed.chars().any(|c| c.is_ascii_digit());
        let amount = if plain { Decimal::from_str(trimmed).ok() } else { None };
        match amount {
            Some(amount) => Ok(Money { amount, currency }),
            None => Err(MoneyError::InvalidAmount { value: text.to_owned() }),
        }
    }

    /// Zero in a currency.
    pub fn zero(currency: Currency) -> Money {
        Money {
            amount: Decimal::ZERO,
            currency,
        }
    }

    /// The sum of two amounts in the same currency.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self.amount.checked_add(other.amount).ok_or(MoneyError::Overflow)?;
        Ok(Money {
            amount,
            currency: self.currency,
        })
    }

    /// This amount times an exact factor (a count, a number of seconds, a rate).
    pub fn checked_mul(self, factor: Decimal) -> Result<Money, MoneyError> {
        let amount = self.amount.checked_mul(factor).ok_or(MoneyError::Overflow)?;
        Ok(Money {
            amount,
            currency: self.currency,
        })
    }

    /// This amount divided by a factor, to 28 significant digits.
    pub fn checked_div(self, divisor: Decimal) -> Result<Money, MoneyError> {
        let amount = self.amount.checked_div(divisor).ok_or(MoneyError::Overflow)?;
        Ok(Money {
            amount,
            currency: self.currency,
        })
    }

    /// The amount rounded for display to `decimals` places with [`DISPLAY_ROUNDING`].
    pub fn rounded(self, decimals: u32) -> Decimal {
        self.amount.round_dp_with_strategy(decimals, DISPLAY_ROUNDING)
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }
}

impl fmt::Display for Money {
    /// Shows the exact amount with trailing zeros removed, e.g. `0.125 CNY`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount.normalize(), self.currency)
    }
}

/// A unit of time a price is quoted per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    /// Per second: Alibaba's and Tencent's billing granularity.
    Second,
    /// Per minute: Baidu's `bidPrice` unit and billing granularity.
    Minute,
    /// Per hour: Alibaba's and Tencent's price unit.
    Hour,
    /// Per day (24 hours).
    Day,
    /// Per month, counted as 730 hours (8,760 hours a year ÷ 12), the convention of cloud price calculators.
    Month,
}

impl TimeUnit {
    /// Every unit, shortest first.
    pub const ALL: [TimeUnit; 5] = [
        TimeUnit::Second,
        TimeUnit::Minute,
        TimeUnit::Hour,
        TimeUnit::Day,
        TimeUnit::Month,
    ];

    /// The length of the unit in seconds.
    pub fn seconds(self) -> u32 {
        match self {
            TimeUnit::Second => 1,
            TimeUnit::Minute => 60,
            TimeUnit::Hour => 3_600,
            TimeUnit::Day => 86_400,
            TimeUnit::Month => 730 * 3_600,
        }
    }

    /// The unit's short English label, as in "CNY/hour".
    pub fn label(self) -> &'static str {
        match self {
            TimeUnit::Second => "second",
            TimeUnit::Minute => "minute",
            TimeUnit::Hour => "hour",
            TimeUnit::Day => "day",
            TimeUnit::Month => "month",
        }
    }
}

/// A price per instance per unit of time, kept in its native currency and unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PriceRate {
    /// The amount charged per `per`.
    pub money: Money,
    /// The unit of time the amount is for.
    pub per: TimeUnit,
}

impl PriceRate {
    /// A price of `money` per `per`.
    pub fn new(money: Money, per: TimeUnit) -> PriceRate {
        PriceRate { money, per }
    }

    /// The same price expressed per another unit: `amount × new unit seconds ÷ old unit seconds`, multiplying
    /// first. Exact whenever the result has a finite decimal form (always when the new unit is a whole multiple
    /// of the old, e.g. minute → hour → day); otherwise (hour → minute of 0.01, day → month) it keeps 28
    /// significant digits.
    pub fn in_unit(self, unit: TimeUnit) -> Result<PriceRate, MoneyError> {
        let money = self
            .money
            .checked_mul(Decimal::from(unit.seconds()))?
            .checked_div(Decimal::from(self.per.seconds()))?;
        Ok(PriceRate { money, per: unit })
    }

    /// The cost of running for a whole number of seconds, exact: `amount × seconds ÷ unit seconds` computed as a
    /// multiplication first, so whole units come out exact.
    pub fn cost_for_seconds(self, seconds: u64) -> Result<Money, MoneyError> {
        self.money
            .checked_mul(Decimal::from(seconds))?
            .checked_div(Decimal::from(self.per.seconds()))
    }
}

impl fmt::Display for PriceRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.money.amount.normalize(),
            self.money.currency,
            self.per.label()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn cny(text: &str) -> Money {
        Money::parse(text, Currency::Cny).unwrap()
    }

    #[test]
    fn parse_accepts_plain_decimals_and_names_the_bad_value() {
        assert_eq!(cny("0.125").amount, Decimal::new(125, 3));
        assert_eq!(
            Money::parse("1e3", Currency::Cny),
            Err(MoneyError::InvalidAmount {
                value: "1e3".to_owned()
            })
        );
        assert!(Money::parse("", Currency::Usd).is_err());
        assert!(Money::parse(".", Currency::Usd).is_err());
    }

    #[test]
    fn adding_different_currencies_is_an_error() {
        let usd = Money::zero(Currency::Usd);
        assert_eq!(
            cny("1").checked_add(usd),
            Err(MoneyError::CurrencyMismatch {
                left: Currency::Cny,
                right: Currency::Usd
            })
        );
    }

    #[test]
    fn hourly_to_monthly_is_exact() {
        let hourly = PriceRate::new(cny("0.31"), TimeUnit::Hour);
        let monthly = hourly.in_unit(TimeUnit::Month).unwrap();
        assert_eq!(monthly.money.amount, Decimal::new(2263, 1));
    }

    #[test]
    fn per_minute_bid_converts_to_hourly_exactly() {
        let baidu_bid = PriceRate::new(cny("0.0052"), TimeUnit::Minute);
        assert_eq!(
            baidu_bid.in_unit(TimeUnit::Hour).unwrap().money.amount,
            Decimal::new(312, 3)
        );
    }

    #[test]
    fn cost_for_72_hours_at_an_hourly_price() {
        let rate = PriceRate::new(cny("0.456"), TimeUnit::Hour);
        assert_eq!(rate.cost_for_seconds(72 * 3600).unwrap().amount, Decimal::new(32832, 3));
    }

    #[test]
    fn display_rounding_is_half_away_from_zero() {
        assert_eq!(cny("0.125").rounded(2), Decimal::new(13, 2));
        assert_eq!(cny("-0.125").rounded(2), Decimal::new(-13, 2));
        assert_eq!(cny("2.5").rounded(0), Decimal::from(3));
    }

    #[test]
    fn display_shows_the_exact_amount_and_unit() {
        let rate = PriceRate::new(cny("0.3100"), TimeUnit::Hour);
        assert_eq!(rate.to_string(), "0.31 CNY/hour");
    }
}

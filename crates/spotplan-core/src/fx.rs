//! The exchange rate used to compare prices across currencies. Prices keep their native currency; conversion
//! happens only for comparison and display, and the rate in use is always shown with its date and source.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money, MoneyError};

/// CNY per USD, with where the figure comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeRate {
    /// Yuan per US dollar.
    pub cny_per_usd: Decimal,
    /// The date the rate is for (`YYYY-MM-DD`).
    pub as_of: String,
    /// Where the rate comes from.
    pub source: String,
}

impl Default for ExchangeRate {
    /// The CFETS central parity of 2024-10-24, 7.1286 CNY per USD (China Foreign Exchange Trade System, as
    /// reported by Xinhua/MENAFN), close to the date of the Alibaba price data. Users set their own.
    fn default() -> ExchangeRate {
        ExchangeRate {
            cny_per_usd: Decimal::new(71_286, 4),
            as_of: "2024-10-24".into(),
            source: "CFETS USD/CNY central parity (via Xinhua/MENAFN)".into(),
        }
    }
}

impl ExchangeRate {
    /// A user-set rate.
    pub fn user(cny_per_usd: Decimal, as_of: &str) -> ExchangeRate {
        ExchangeRate {
            cny_per_usd,
            as_of: as_of.into(),
            source: "set by you".into(),
        }
    }

    /// Converts an amount to `to`. CNY→USD divides (28 significant digits); USD→CNY multiplies (exact).
    pub fn convert(&self, money: Money, to: Currency) -> Result<Money, MoneyError> {
        match (money.currency, to) {
            (from, to) if from == to => Ok(money),
            (Currency::Usd, Currency::Cny) => Ok(Money::new(
                money.amount.checked_mul(self.cny_per_usd).ok_or(MoneyError::Overflow)?,
                Currency::Cny,
            )),
            (Currency::Cny, Currency::Usd) => Ok(Money::new(
                money.amount.checked_div(self.cny_per_usd).ok_or(MoneyError::Overflow)?,
                Currency::Usd,
            )),
            (_, _) => Ok(money),
        }
    }
}

/// A rate of yuan per US dollar outside 1–100: a slip, not a rate. The rate has stayed between 6 and 8.3 since
/// 1994; an inverted one (0.14 dollars per yuan) would make every dollar price fifty times cheaper.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{rate}` yuan per US dollar is outside 1–100; give yuan per dollar, like `7.2`")]
pub struct ImplausibleRate {
    /// The rate given.
    pub rate: Decimal,
}

/// `rate` if it is a plausible number of yuan per US dollar (1 to 100): the one rule the proxy's and the CLI's
/// `--cny-per-usd` share.
pub fn check_cny_per_usd(rate: Decimal) -> Result<Decimal, ImplausibleRate> {
    if (Decimal::ONE..=Decimal::ONE_HUNDRED).contains(&rate) {
        Ok(rate)
    } else {
        Err(ImplausibleRate { rate })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn usd_to_cny_multiplies_exactly() {
        let fx = ExchangeRate::default();
        let cny = fx
            .convert(Money::parse("0.04", Currency::Usd).unwrap(), Currency::Cny)
            .unwrap();
        assert_eq!(cny.amount, Decimal::new(285_144, 6));
    }

    #[test]
    fn round_trip_keeps_28_significant_digits() {
        let fx = ExchangeRate::default();
        let start = Money::parse("0.313", Currency::Cny).unwrap();
        let usd = fx.convert(start, Currency::Usd).unwrap();
        let back = fx.convert(usd, Currency::Cny).unwrap();
        assert!((back.amount - start.amount).abs() < Decimal::new(1, 20));
    }
}

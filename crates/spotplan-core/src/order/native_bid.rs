//! A bid typed in the display currency and unit (say CNY per hour) converted to the cloud's native unit and
//! the text the API takes: exact first, then rounded *up* to the cloud's precision, so the bid sent is never
//! below the bid typed. The UI shows both.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::clouds::Cloud;
use crate::fx::ExchangeRate;
use crate::money::{Currency, MoneyError, PriceRate, TimeUnit};

/// A cloud's bid unit and the decimals its bid field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BidUnit {
    /// Per hour (Alibaba, Tencent) or per minute (Baidu `bidPrice`).
    pub per: TimeUnit,
    /// Decimal places sent (each cloud's folder says where its figure comes from).
    pub decimals: u32,
}

/// The bid unit of a cloud (from its folder in [`crate::clouds`]).
pub fn bid_unit(cloud: Cloud) -> BidUnit {
    crate::clouds::api(cloud).bid_unit()
}

/// A typed bid in the cloud's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NativeBid {
    /// The exact converted price in the account currency and the cloud's unit.
    pub exact: PriceRate,
    /// The text for the API's price field (rounded up to the cloud's decimals).
    pub text: String,
    /// Whether rounding changed the value.
    pub rounded: bool,
}

/// Converts a bid typed as `typed` (any currency and unit) to what `cloud` takes, for an account billed in
/// `account_currency`.
pub fn native_bid(
    typed: PriceRate,
    cloud: Cloud,
    account_currency: Currency,
    fx: &ExchangeRate,
) -> Result<NativeBid, MoneyError> {
    let unit = bid_unit(cloud);
    let money = fx.convert(typed.money, account_currency)?;
    let exact = PriceRate::new(money, typed.per).in_unit(unit.per)?;
    let sent = exact
        .money
        .amount
        .round_dp_with_strategy(unit.decimals, RoundingStrategy::AwayFromZero);
    Ok(NativeBid {
        exact,
        text: sent.normalize().to_string(),
        rounded: sent != exact.money.amount,
    })
}

/// The typed value back from a native bid text, for showing "you typed X = Y native".
pub fn display_bid(
    native_text: &str,
    cloud: Cloud,
    account_currency: Currency,
    display: Currency,
    per: TimeUnit,
    fx: &ExchangeRate,
) -> Option<PriceRate> {
    let amount: Decimal = crate::order::checks::parse_price(native_text)?;
    let native = PriceRate::new(crate::money::Money::new(amount, account_currency), bid_unit(cloud).per);
    let money = fx.convert(native.money, display).ok()?;
    PriceRate::new(money, native.per).in_unit(per).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn cny_per_hour(text: &str) -> PriceRate {
        PriceRate::new(Money::parse(text, Currency::Cny).unwrap(), TimeUnit::Hour)
    }

    #[test]
    fn an_hourly_bid_becomes_baidus_per_minute_price() {
        let bid = native_bid(
            cny_per_hour("0.312"),
            Cloud::Baidu,
            Currency::Cny,
            &ExchangeRate::default(),
        )
        .unwrap();
        assert_eq!(bid.exact.money.amount, Decimal::new(52, 4));
        assert_eq!(bid.text, "0.0052");
        assert!(!bid.rounded);
    }

    #[test]
    fn inexact_conversions_round_up_never_down() {
        // 0.25 CNY/h = 0.0041666… CNY/min → 0.004167.
        let bid = native_bid(
            cny_per_hour("0.25"),
            Cloud::Baidu,
            Currency::Cny,
            &ExchangeRate::default(),
        )
        .unwrap();
        assert_eq!(bid.text, "0.004167");
        assert!(bid.rounded);
        // USD typed for a CNY account: 0.05 USD × 7.1286 = 0.35643 CNY/h → Alibaba's 3 decimals: 0.357.
        let usd = PriceRate::new(Money::parse("0.05", Currency::Usd).unwrap(), TimeUnit::Hour);
        let bid = native_bid(usd, Cloud::Alibaba, Currency::Cny, &ExchangeRate::default()).unwrap();
        assert_eq!(bid.text, "0.357");
    }

    #[test]
    fn the_display_value_comes_back() {
        let back = display_bid(
            "0.0052",
            Cloud::Baidu,
            Currency::Cny,
            Currency::Cny,
            TimeUnit::Hour,
            &ExchangeRate::default(),
        )
        .unwrap();
        assert_eq!(back.money.amount, Decimal::new(312, 3));
    }
}

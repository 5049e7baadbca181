//! The bid as one type: [`BidPrice`], a plain positive decimal in the cloud's native unit (per instance-hour for
//! Alibaba and Tencent, per instance-minute for Baidu) and the account's currency — what the API's price field
//! takes. A person types a price in any currency and unit ([`parse_typed`], at the edge, naming what is wrong);
//! [`native_bid`] converts it exactly, then rounds it *up* to the cloud's precision, so the bid sent is never below
//! the bid typed; [`shown_as`] converts a bid back for display; [`suggested`] turns a recommendation into both.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::clouds::Cloud;
use crate::fx::ExchangeRate;
use crate::money::{Currency, Money, MoneyError, PriceRate, TimeUnit};

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

/// A bid price as the cloud's price field takes it: a plain decimal (digits and one point, no sign or exponent)
/// in the cloud's native unit and the account's currency. It travels in JSON as a string, written as given
/// (`"0.140"` stays `0.140`); whether it is positive and precise enough is for validation to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BidPrice(Decimal);

/// Why a text is not a bid price.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a plain decimal price such as 0.125 (digits and one point, no sign or exponent)")]
pub struct NotAPrice {
    /// The text given.
    pub text: String,
}

impl BidPrice {
    /// A price of `amount` (any scale).
    pub fn new(amount: Decimal) -> BidPrice {
        BidPrice(amount)
    }

    /// The amount, with the scale it was written with.
    pub fn amount(self) -> Decimal {
        self.0
    }

    /// The price with its meaning: per the cloud's unit, in the account's currency.
    pub fn rate(self, cloud: Cloud, account_currency: Currency) -> PriceRate {
        PriceRate::new(Money::new(self.0, account_currency), bid_unit(cloud).per)
    }
}

impl FromStr for BidPrice {
    type Err = NotAPrice;

    fn from_str(text: &str) -> Result<BidPrice, NotAPrice> {
        let plain = !text.is_empty()
            && text.chars().all(|c| c.is_ascii_digit() || c == '.')
            && text.chars().filter(|c| *c == '.').count() <= 1
            && !text.starts_with('.')
            && !text.ends_with('.');
        plain
            .then(|| Decimal::from_str(text).ok())
            .flatten()
            .map(BidPrice)
            .ok_or_else(|| NotAPrice { text: text.to_owned() })
    }
}

impl std::fmt::Display for BidPrice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for BidPrice {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for BidPrice {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<BidPrice, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for BidPrice {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "BidPrice".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]+(\\.[0-9]+)?$",
            "description": "A plain decimal in the cloud's native unit (per instance-hour for Alibaba and Tencent, per instance-minute for Baidu) and the account's currency."
        })
    }
}

/// The currency each cloud account's bids are sent in: CNY on the China sites, USD on the international ones. A
/// cloud not named is on its China site.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AccountCurrencies(std::collections::BTreeMap<Cloud, Currency>);

impl AccountCurrencies {
    /// The currency `cloud`'s bids are sent in.
    pub fn of(&self, cloud: Cloud) -> Currency {
        self.0.get(&cloud).copied().unwrap_or(Currency::Cny)
    }

    /// Says `cloud`'s bids are sent in `currency`.
    pub fn set(&mut self, cloud: Cloud, currency: Currency) {
        if currency == Currency::Cny {
            self.0.remove(&cloud);
        } else {
            self.0.insert(cloud, currency);
        }
    }

    /// Whether every cloud is on its China site (nothing to say).
    pub fn is_default(&self) -> bool {
        self.0.is_empty()
    }
}

/// A bid in the cloud's terms: the exact conversion of what was typed, and the price sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NativeBid {
    /// The exact converted price in the account currency and the cloud's unit.
    pub exact: PriceRate,
    /// The price sent: the exact one rounded up to the cloud's decimals.
    pub price: BidPrice,
    /// Whether rounding changed the value.
    pub rounded: bool,
}

/// Reads what a person typed as a price per `typed_in` (a currency and a unit).
pub fn parse_typed(text: &str, typed_in: (Currency, TimeUnit)) -> Result<PriceRate, NotAPrice> {
    let price: BidPrice = text.trim().parse()?;
    Ok(PriceRate::new(Money::new(price.amount(), typed_in.0), typed_in.1))
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
        .round_dp_with_strategy(unit.decimals, RoundingStrategy::AwayFromZero)
        .normalize();
    Ok(NativeBid {
        exact,
        price: BidPrice(sent),
        rounded: sent != exact.money.amount,
    })
}

/// Why what a person typed in the bid field is not a bid the cloud can take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypedBidError {
    /// The text is not a plain decimal.
    #[error(transparent)]
    NotAPrice(#[from] NotAPrice),
    /// The amount does not convert to the account currency or the cloud's unit.
    #[error("the bid does not convert to what the cloud takes: {0}")]
    NoConversion(#[from] MoneyError),
}

/// Reads the bid field once: `text` typed per `typed_in`, as the bid `cloud` receives for an account billed in
/// `account_currency`.
pub fn read_typed(
    text: &str,
    typed_in: (Currency, TimeUnit),
    cloud: Cloud,
    account_currency: Currency,
    fx: &ExchangeRate,
) -> Result<NativeBid, TypedBidError> {
    Ok(native_bid(parse_typed(text, typed_in)?, cloud, account_currency, fx)?)
}

/// A native bid shown per `display` (a currency and a unit), for "you typed X = Y native".
pub fn shown_as(
    price: BidPrice,
    cloud: Cloud,
    account_currency: Currency,
    display: (Currency, TimeUnit),
    fx: &ExchangeRate,
) -> Option<PriceRate> {
    let native = price.rate(cloud, account_currency);
    let money = fx.convert(native.money, display.0).ok()?;
    PriceRate::new(money, native.per).in_unit(display.1).ok()
}

/// An amount as a person would type it in a unit: 4 decimals per hour or longer, 6 per minute or second (rounded
/// up, so a bid made from it never falls below the amount).
pub fn typed_text(amount: Decimal, unit: TimeUnit) -> String {
    let decimals = if matches!(unit, TimeUnit::Second | TimeUnit::Minute) {
        6
    } else {
        4
    };
    amount
        .round_dp_with_strategy(decimals, RoundingStrategy::AwayFromZero)
        .normalize()
        .to_string()
}

/// A recommended price turned into a bid: as a person would type it per `display`, and as the cloud takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// The text for the bid field, per the display currency and unit.
    pub typed: String,
    /// What the cloud receives.
    pub native: NativeBid,
}

/// The bid to suggest for a recommended price: what the cloud receives is the recommendation rounded up once to
/// the cloud's decimals (as the plan's worst case counts it), and the text typed per `display` is the shortest
/// that reads back to exactly that bid — so the field, what is sent and the worst case agree. A text rounded up
/// at the display's precision can read back a step above it (0.456 CNY shown as 0.0640 USD is 0.4562 CNY, sent
/// as 0.457): then more decimals are used, rounded either way, and only where none reads back is the display's
/// rounded-up text kept (what is sent is then what it reads, never below the recommendation).
pub fn suggested(
    recommended: PriceRate,
    cloud: Cloud,
    account_currency: Currency,
    display: (Currency, TimeUnit),
    fx: &ExchangeRate,
) -> Option<Suggestion> {
    let money = fx.convert(recommended.money, display.0).ok()?;
    let rate = PriceRate::new(money, recommended.per).in_unit(display.1).ok()?;
    let shown = typed_text(rate.money.amount, display.1);
    let aimed = native_bid(recommended, cloud, account_currency, fx).ok()?.price;
    let reads = |typed: &str| read_typed(typed, display, cloud, account_currency, fx).ok();
    let first = if matches!(display.1, TimeUnit::Second | TimeUnit::Minute) {
        6
    } else {
        4
    };
    let candidates = (first..=first + 6).flat_map(|decimals| {
        [RoundingStrategy::AwayFromZero, RoundingStrategy::ToZero].map(|strategy| {
            rate.money
                .amount
                .round_dp_with_strategy(decimals, strategy)
                .normalize()
                .to_string()
        })
    });
    for typed in std::iter::once(shown.clone()).chain(candidates) {
        if let Some(native) = reads(&typed).filter(|native| native.price == aimed) {
            return Some(Suggestion { typed, native });
        }
    }
    let native = reads(&shown)?;
    Some(Suggestion { typed: shown, native })
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(bid.price.to_string(), "0.0052");
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
        assert_eq!(bid.price.to_string(), "0.004167");
        assert!(bid.rounded);
        // USD typed for a CNY account: 0.05 USD × 7.1286 = 0.35643 CNY/h → Alibaba's 3 decimals: 0.357.
        let usd = PriceRate::new(Money::parse("0.05", Currency::Usd).unwrap(), TimeUnit::Hour);
        let bid = native_bid(usd, Cloud::Alibaba, Currency::Cny, &ExchangeRate::default()).unwrap();
        assert_eq!(bid.price.to_string(), "0.357");
        // The account's currency is a parameter: a USD account is sent USD.
        let bid = native_bid(usd, Cloud::Alibaba, Currency::Usd, &ExchangeRate::default()).unwrap();
        assert_eq!(
            (bid.price.to_string(), bid.exact.money.currency),
            ("0.05".to_owned(), Currency::Usd)
        );
    }

    #[test]
    fn the_display_value_comes_back() {
        let back = shown_as(
            "0.0052".parse().unwrap(),
            Cloud::Baidu,
            Currency::Cny,
            (Currency::Cny, TimeUnit::Hour),
            &ExchangeRate::default(),
        )
        .unwrap();
        assert_eq!(back.money.amount, Decimal::new(312, 3));
    }

    #[test]
    fn a_price_is_plain_decimal_text_written_as_given() {
        for good in ["0.2", "0.140", "12", "0.0001"] {
            let price: BidPrice = good.parse().unwrap();
            assert_eq!(price.to_string(), good);
            assert_eq!(serde_json::to_string(&price).unwrap(), format!("\"{good}\""));
        }
        for bad in ["", "abc", "-1", "1e-3", ".5", "5.", "1.2.3", " 1"] {
            assert!(bad.parse::<BidPrice>().is_err(), "{bad:?}");
        }
        let error = serde_json::from_str::<BidPrice>("\"abc\"").unwrap_err().to_string();
        assert!(error.contains("`abc` is not a plain decimal price"), "{error}");
        assert!(
            serde_json::from_str::<BidPrice>("0.2").is_err(),
            "a JSON number is refused: it carries no scale"
        );
    }

    #[test]
    fn a_suggestion_is_typed_and_sent_alike() {
        // 0.0123456 CNY/h shown per minute is 0.00020576 → typed 0.000206 (rounded up), sent to Baidu as is.
        let suggestion = suggested(
            cny_per_hour("0.0123456"),
            Cloud::Baidu,
            Currency::Cny,
            (Currency::Cny, TimeUnit::Minute),
            &ExchangeRate::default(),
        )
        .unwrap();
        assert_eq!(suggestion.typed, "0.000206");
        assert_eq!(suggestion.native.price.to_string(), "0.000206");
    }

    #[test]
    fn a_suggestion_shown_in_another_currency_sends_the_recommendation_rounded_once() {
        let fx = ExchangeRate::default();
        // 0.456 CNY/h in USD is 0.06396…: typed 0.0640 it would read back as 0.4562… CNY, sent as 0.457 — a step
        // above the bid the plan's worst case counts. The suggestion sends 0.456 and its text reads back to it.
        for (display, recommended) in [
            ((Currency::Usd, TimeUnit::Hour), "0.456"),
            ((Currency::Usd, TimeUnit::Second), "0.456"),
            ((Currency::Usd, TimeUnit::Hour), "0.1234"),
            ((Currency::Cny, TimeUnit::Second), "0.4561"),
        ] {
            let once = native_bid(cny_per_hour(recommended), Cloud::Alibaba, Currency::Cny, &fx).unwrap();
            let suggestion = suggested(cny_per_hour(recommended), Cloud::Alibaba, Currency::Cny, display, &fx).unwrap();
            assert_eq!(
                suggestion.native.price, once.price,
                "{recommended} shown per {display:?}"
            );
            let read = read_typed(&suggestion.typed, display, Cloud::Alibaba, Currency::Cny, &fx).unwrap();
            assert_eq!(read.price, once.price, "{} typed per {display:?}", suggestion.typed);
            assert!(
                once.price.amount() >= recommended.parse().unwrap(),
                "never below the recommendation"
            );
        }
        // Shown in the cloud's own currency and unit, the text is the bid as the cloud takes it.
        let same = suggested(
            cny_per_hour("0.1234"),
            Cloud::Alibaba,
            Currency::Cny,
            (Currency::Cny, TimeUnit::Hour),
            &fx,
        )
        .unwrap();
        assert_eq!(
            (same.typed.as_str(), same.native.price.to_string()),
            ("0.1234", "0.124".to_owned())
        );
    }
}

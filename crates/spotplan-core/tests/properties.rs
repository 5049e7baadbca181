//! Property tests of the core's conversions and decoders: exact round trips, no precision loss, and no panic
//! on any input. Native only (proptest); the same code's unit tests also run under wasm.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use proptest::prelude::*;
use rust_decimal::Decimal;
use spotplan_core::catalog::decode;
use spotplan_core::{Currency, ExchangeRate, Money, PriceRate, TimeUnit};

fn amount() -> impl Strategy<Value = Decimal> {
    // Prices as clouds quote them: up to 6 decimals, up to a million per unit.
    (0_i64..1_000_000_000_000, 0_u32..=6).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale))
}

fn unit() -> impl Strategy<Value = TimeUnit> {
    prop::sample::select(TimeUnit::ALL.to_vec())
}

proptest! {
    /// Converting to a whole multiple of the unit and back is exact; any other round trip loses nothing beyond
    /// the 28th significant digit.
    #[test]
    fn unit_round_trips_are_exact(value in amount(), from in unit(), to in unit()) {
        let rate = PriceRate::new(Money::new(value, Currency::Cny), from);
        let there = rate.in_unit(to).unwrap();
        let back = there.in_unit(from).unwrap();
        if to.seconds() % from.seconds() == 0 {
            prop_assert_eq!(there.money.amount, value * Decimal::from(to.seconds() / from.seconds()));
            prop_assert_eq!(back.money.amount, value, "a whole multiple there and back is exact");
        } else {
            let error = (back.money.amount - value).abs();
            prop_assert!(error <= value * Decimal::new(1, 24) + Decimal::new(1, 24), "{} vs {}", back.money.amount, value);
        }
    }

    /// The cost of whole units equals the price times the count, exactly.
    #[test]
    fn cost_of_whole_units_is_exact(value in amount(), from in unit(), units in 0_u64..10_000) {
        let rate = PriceRate::new(Money::new(value, Currency::Usd), from);
        let cost = rate.cost_for_seconds(units * u64::from(from.seconds())).unwrap();
        prop_assert_eq!(cost.amount, value * Decimal::from(units));
    }

    /// USD → CNY is an exact multiplication; CNY → USD → CNY returns within the 28-digit precision.
    #[test]
    fn currency_round_trips(value in amount(), rate in 10_000_i64..1_000_000) {
        let fx = ExchangeRate::user(Decimal::new(rate, 4), "2026-11-23");
        let usd = Money::new(value, Currency::Usd);
        let cny = fx.convert(usd, Currency::Cny).unwrap();
        prop_assert_eq!(cny.amount, value * fx.cny_per_usd);
        let back = fx.convert(fx.convert(Money::new(value, Currency::Cny), Currency::Usd).unwrap(), Currency::Cny).unwrap();
        prop_assert!((back.amount - value).abs() <= value * Decimal::new(1, 24) + Decimal::new(1, 24));
    }

    /// Parsing never panics, and a parsed amount prints back to the same number.
    #[test]
    fn parse_never_panics_and_round_trips(text in "\\PC{0,24}", value in amount()) {
        let _ = Money::parse(&text, Currency::Cny);
        let printed = value.to_string();
        prop_assert_eq!(Money::parse(&printed, Currency::Cny).unwrap().amount, value);
    }

    /// Decoding arbitrary bytes never panics (it may fail with an error).
    #[test]
    fn decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes);
        let mut versioned = vec![1_u8];
        versioned.extend(bytes);
        let _ = decode(&versioned);
    }
}

//! What an instance has cost so far: its hourly price times the time it billed, rounded up to the cloud's billing
//! granularity (per second on Alibaba and Tencent, per minute on Baidu; `billing::SpotRules`). Exact decimals.

use rust_decimal::Decimal;

use crate::clouds::Cloud;
use crate::money::Money;

/// The cost of `seconds` of running at `per_hour`, billed in the cloud's granularity.
pub fn cost_so_far(cloud: Cloud, per_hour: Money, seconds: u64) -> Money {
    let billed = crate::billing::billed_seconds(cloud, seconds);
    // Past a decimal's range the cost is the largest there is: an over-count, never a panic or a wrap to less.
    let amount = per_hour
        .amount
        .checked_mul(Decimal::from(billed))
        .and_then(|amount| amount.checked_div(Decimal::from(3600)))
        .unwrap_or(Decimal::MAX);
    Money::new(amount, per_hour.currency)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn ninety_minutes_cost_one_and_a_half_hours_on_every_cloud() {
        let price = Money::parse("0.123", Currency::Cny).unwrap();
        for cloud in Cloud::ALL {
            // 90 minutes is a whole number of seconds and of minutes: 1.5 × 0.123 = 0.1845 everywhere.
            assert_eq!(
                cost_so_far(cloud, price, 90 * 60).amount.normalize(),
                Decimal::new(1845, 4),
                "{cloud}"
            );
        }
    }

    #[test]
    fn a_cost_beyond_a_decimals_range_is_the_largest_there_is_not_a_panic() {
        let price = Money::new(Decimal::MAX, Currency::Cny);
        assert_eq!(cost_so_far(Cloud::Tencent, price, 86_400).amount, Decimal::MAX);
    }

    #[test]
    fn a_started_minute_is_billed_whole_on_baidu_only() {
        let price = Money::parse("0.36", Currency::Cny).unwrap();
        // 90 minutes and 1 second: Alibaba and Tencent bill 5,401 s, Baidu 91 minutes.
        assert_eq!(
            cost_so_far(Cloud::Alibaba, price, 5401).amount.normalize(),
            Decimal::new(5401, 4)
        );
        assert_eq!(
            cost_so_far(Cloud::Tencent, price, 5401).amount.normalize(),
            Decimal::new(5401, 4)
        );
        assert_eq!(
            cost_so_far(Cloud::Baidu, price, 5401).amount.normalize(),
            Decimal::new(546, 3)
        );
    }
}

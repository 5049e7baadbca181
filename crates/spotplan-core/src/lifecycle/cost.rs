//! What an instance has cost so far: its hourly price times the time it billed, rounded up to the cloud's billing
//! granularity (per second on Alibaba and Tencent, per minute on Baidu; `billing::SpotRules`). Exact decimals.
//! The time it billed is a [`BilledSpan`]: from when it was first seen running to its end (or now), less the
//! time the cloud said its compute was stopped without charge.

use rust_decimal::Decimal;

use crate::clouds::Cloud;
use crate::money::Money;

/// When an instance billed, as the follower saw it (Unix milliseconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BilledSpan {
    /// When it was first seen running (or, found late, when the cloud created it); `None`: it never ran.
    pub running_since_ms: Option<i64>,
    /// When it ended (released, reclaimed, failed, gone).
    pub ended_at_ms: Option<i64>,
    /// The time of earlier stops without charge it has since come back from.
    pub paused_ms: i64,
    /// When the stop without charge it is in now (or ended in) began.
    pub paused_since_ms: Option<i64>,
}

impl BilledSpan {
    /// How long it billed up to `now_ms` (or its end): `None` if it never ran.
    pub fn billed_ms(&self, now_ms: i64) -> Option<i64> {
        let since = self.running_since_ms?;
        let end = self.ended_at_ms.unwrap_or(now_ms);
        let open_pause = self
            .paused_since_ms
            .map_or(0, |paused| (end - paused.max(since)).max(0));
        Some((end - since - self.paused_ms.max(0) - open_pause).max(0))
    }

    /// The part from `start_ms` on (a budget's month). Stops it came back from are not dated, so when the span
    /// began before `start_ms` none of them is subtracted: the part is over-counted, never under-counted.
    pub fn from(self, start_ms: i64) -> BilledSpan {
        match self.running_since_ms {
            Some(since) if since < start_ms => BilledSpan {
                running_since_ms: Some(start_ms),
                paused_ms: 0,
                paused_since_ms: self.paused_since_ms.map(|paused| paused.max(start_ms)),
                ..self
            },
            _ => self,
        }
    }

    /// Whether its compute is stopped without charge now (or was when it ended).
    pub fn paused(&self) -> bool {
        self.paused_since_ms.is_some()
    }
}

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

    const HOUR: i64 = 3_600_000;

    #[test]
    fn a_stop_without_charge_is_not_billed_and_a_restart_bills_again() {
        // Ran 2 h, stopped without charge 10 h, ran 3 h more: 5 h billed, at every step.
        let mut span = BilledSpan {
            running_since_ms: Some(0),
            ..BilledSpan::default()
        };
        assert_eq!(span.billed_ms(2 * HOUR), Some(2 * HOUR));
        span.paused_since_ms = Some(2 * HOUR);
        assert_eq!(span.billed_ms(12 * HOUR), Some(2 * HOUR), "stopped: nothing added");
        span.paused_ms = 10 * HOUR;
        span.paused_since_ms = None;
        assert_eq!(span.billed_ms(15 * HOUR), Some(5 * HOUR));
        // Reclaimed while stopped: the end closes the open stop.
        span.paused_since_ms = Some(15 * HOUR);
        span.ended_at_ms = Some(20 * HOUR);
        assert_eq!(span.billed_ms(30 * HOUR), Some(5 * HOUR));
        assert_eq!(BilledSpan::default().billed_ms(HOUR), None, "never ran");
    }

    #[test]
    fn a_months_part_never_counts_less_than_it_billed_in_the_month() {
        let month = 100 * HOUR;
        // Started before the month, stopped without charge since before it: nothing billed in the month.
        let stopped_all_month = BilledSpan {
            running_since_ms: Some(0),
            paused_since_ms: Some(50 * HOUR),
            ..BilledSpan::default()
        };
        assert_eq!(stopped_all_month.from(month).billed_ms(110 * HOUR), Some(0));
        // Earlier stops are not dated: the month counts all its hours (over, never under).
        let came_back = BilledSpan {
            running_since_ms: Some(0),
            paused_ms: 30 * HOUR,
            ..BilledSpan::default()
        };
        assert_eq!(came_back.from(month).billed_ms(110 * HOUR), Some(10 * HOUR));
        // Started in the month: kept whole.
        let new = BilledSpan {
            running_since_ms: Some(105 * HOUR),
            paused_ms: HOUR,
            ..BilledSpan::default()
        };
        assert_eq!(new.from(month), new);
        assert_eq!(new.from(month).billed_ms(110 * HOUR), Some(4 * HOUR));
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

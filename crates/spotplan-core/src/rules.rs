//! Each cloud's documented spot pricing rules, as data the planner and the UI cite (`../shared/pricing.md`).

use rust_decimal::Decimal;

use crate::cloud::Cloud;

/// How a cloud bills and reclaims spot instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpotRules {
    /// Billing granularity in seconds (per second: 1; per minute: 60).
    pub billing_granularity_seconds: u64,
    /// Seconds at the start during which the instance is not reclaimed (Alibaba SpotDuration 1).
    pub protection_seconds: u64,
    /// Whether the market price is capped at the pay-as-you-go price (so a bid above it never matters).
    pub capped_at_on_demand: bool,
    /// Whether a price above the bid reclaims the instance (Tencent documents stock-only reclaim today).
    pub reclaims_on_price: bool,
    /// One sentence a user reads about reclaim, with its source.
    pub reclaim_note: &'static str,
}

/// The rules of a cloud.
pub fn spot_rules(cloud: Cloud) -> SpotRules {
    match cloud {
        Cloud::Alibaba => SpotRules {
            billing_granularity_seconds: 1,
            protection_seconds: 3_600,
            capped_at_on_demand: true,
            reclaims_on_price: true,
            reclaim_note: "reclaimed when the market price exceeds the bid or stock runs out, after the 1-hour \
                           protection period (SpotDuration 1); 5-minute notice (Alibaba ECS docs)",
        },
        Cloud::Tencent => SpotRules {
            billing_granularity_seconds: 1,
            protection_seconds: 0,
            capped_at_on_demand: true,
            reclaims_on_price: false,
            reclaim_note: "reclaimed only when spot stock runs out, at any time, with a 2-minute notice; Tencent \
                           documents no price-based reclaim today (CVM doc 213/17816, 2024-06-02)",
        },
        Cloud::Baidu => SpotRules {
            billing_granularity_seconds: 60,
            protection_seconds: 0,
            capped_at_on_demand: true,
            reclaims_on_price: true,
            reclaim_note: "market bids are reclaimed only for stock; custom bids also when the market price \
                           exceeds the bid; 5-minute SMS notice (Baidu spot overview)",
        },
    }
}

/// How Spotplan estimates a Tencent spot price, which no data source carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpotEstimateModel {
    /// The low end of the documented spot ÷ on-demand range.
    pub low: Decimal,
    /// The high end of the range.
    pub high: Decimal,
    /// The point of the range the estimate assumes.
    pub assumed: Decimal,
    /// Where the range is documented.
    pub basis: &'static str,
}

/// Tencent: "in the vast majority of cases … 3%–20% of the pay-as-you-go price" (FAQ 213/17817, 2025-09-05).
/// The estimate assumes the top of that range, so it never flatters the savings.
pub const TENCENT_SPOT_ESTIMATE: SpotEstimateModel = SpotEstimateModel {
    low: Decimal::from_parts(3, 0, 0, false, 2),
    high: Decimal::from_parts(20, 0, 0, false, 2),
    assumed: Decimal::from_parts(20, 0, 0, false, 2),
    basis: "Tencent documents spot prices of 3%–20% of pay-as-you-go in most cases (CVM FAQ 213/17817, \
            2025-09-05); this estimate assumes 20%, the top of the range",
};

/// Seconds billed for a job of `job_seconds` on a cloud: rounded up to the billing granularity.
pub fn billed_seconds(cloud: Cloud, job_seconds: u64) -> u64 {
    let step = spot_rules(cloud).billing_granularity_seconds;
    job_seconds.div_ceil(step) * step
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn baidu_bills_whole_minutes_and_the_others_seconds() {
        assert_eq!(billed_seconds(Cloud::Baidu, 61), 120);
        assert_eq!(billed_seconds(Cloud::Alibaba, 61), 61);
        assert_eq!(billed_seconds(Cloud::Tencent, 0), 0);
    }

    #[test]
    fn the_tencent_estimate_is_the_top_of_the_range() {
        assert_eq!(TENCENT_SPOT_ESTIMATE.assumed, Decimal::new(2, 1));
        assert!(TENCENT_SPOT_ESTIMATE.low < TENCENT_SPOT_ESTIMATE.high);
    }
}

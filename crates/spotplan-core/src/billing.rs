//! How the clouds bill and reclaim spot instances, as data the planner and the UI cite: the shape of the facts
//! ([`SpotRules`], each cloud's own in its folder), billing granularity, and the shape of a labelled spot price
//! estimate for a cloud no data source prices ([`SpotEstimateModel`], the cloud's own in its folder).

use rust_decimal::Decimal;

use crate::clouds::Cloud;

/// How a cloud bills and reclaims spot instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpotRules {
    /// Billing granularity in seconds (per second: 1; per minute: 60).
    pub billing_granularity_seconds: u64,
    /// Seconds at the start during which the instance is not reclaimed (Alibaba SpotDuration 1).
    pub protection_seconds: u64,
    /// Whether the market price is capped at the pay-as-you-go price (so a bid above it never matters).
    pub capped_at_on_demand: bool,
    /// Whether that cap is the cloud's own word (else Spotplan assumes it, and a figure built on it says so).
    pub cap_documented: bool,
    /// Whether a price above the bid reclaims the instance (Tencent documents stock-only reclaim today).
    pub reclaims_on_price: bool,
    /// One sentence a user reads about reclaim, with its source.
    pub reclaim_note: &'static str,
}

/// The rules of a cloud (from its folder in [`crate::clouds`]).
pub fn spot_rules(cloud: Cloud) -> SpotRules {
    crate::clouds::api(cloud).billing()
}

/// How Spotplan estimates a cloud's spot price where no data source carries one: a documented share of the
/// on-demand price.
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

/// What a market bid may cost at most: the pay-as-you-go price `list`, or the newest spot price where that is higher
/// (a spot price above the list says the list is not what the market reaches). The proxy's spend check, the order
/// dialog and a fleet plan's worst case all bound a market bid by it. A spot price in another currency is not
/// compared: convert it first.
pub fn market_bid_bound(list: crate::Money, newest_spot: Option<crate::Money>) -> crate::Money {
    match newest_spot {
        Some(spot) if spot.currency == list.currency && spot.amount > list.amount => spot,
        _ => list,
    }
}

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
    fn every_cloud_is_taken_as_capped_at_on_demand_but_only_alibaba_documents_it() {
        for cloud in Cloud::ALL {
            let rules = spot_rules(cloud);
            assert!(rules.capped_at_on_demand, "{cloud}");
            assert_eq!(rules.cap_documented, cloud == Cloud::Alibaba, "{cloud}");
        }
    }

    #[test]
    fn only_tencent_is_estimated_and_at_the_top_of_its_range() {
        let estimates: Vec<(Cloud, SpotEstimateModel)> = Cloud::ALL
            .into_iter()
            .filter_map(|cloud| Some((cloud, crate::clouds::api(cloud).spot_estimate()?)))
            .collect();
        assert_eq!(estimates.len(), 1);
        let (cloud, model) = estimates[0];
        assert_eq!((cloud, model.assumed), (Cloud::Tencent, Decimal::new(2, 1)));
        assert!(model.low < model.high && model.assumed == model.high);
    }
}

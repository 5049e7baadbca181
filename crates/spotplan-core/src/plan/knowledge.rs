//! What a plan knows and does not know, per cloud: how many matching offers have an observed spot price, an
//! estimated one or none, how many have a price history long enough for bid advice, and how old the newest prices
//! are — so the page can answer "what is the cheapest option I can trust?" with what is known instead of
//! "unknown" everywhere.

use super::{Plan, Planner};
use crate::clouds::Cloud;

/// What the matching offers of one cloud are priced with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloudKnowledge {
    /// The cloud.
    pub cloud: Cloud,
    /// Matching offers.
    pub offers: usize,
    /// Offers with an observed spot price.
    pub observed_spot: usize,
    /// Offers whose spot price is an estimate from the list price.
    pub estimated_spot: usize,
    /// Offers with a spot history long enough to estimate a bid's interruption risk.
    pub with_history: usize,
    /// The newest spot observation among them (Unix seconds).
    pub newest_spot: Option<i64>,
    /// The newest on-demand (list) price among them (Unix seconds).
    pub newest_on_demand: Option<i64>,
}

impl Planner {
    /// What the plan's offers are priced with, per cloud that has matching offers (in the clouds' order).
    pub fn knowledge(&self, plan: &Plan) -> Vec<CloudKnowledge> {
        let mut per_cloud: Vec<CloudKnowledge> = Cloud::ALL
            .into_iter()
            .map(|cloud| CloudKnowledge {
                cloud,
                offers: 0,
                observed_spot: 0,
                estimated_spot: 0,
                with_history: 0,
                newest_spot: None,
                newest_on_demand: None,
            })
            .collect();
        for ranked in &plan.ranked {
            let facts = &self.facts[ranked.offer as usize];
            let Some(known) = per_cloud.iter_mut().find(|k| k.cloud == facts.cloud) else {
                continue;
            };
            known.offers += 1;
            match (facts.spot_observed_at, facts.spot_nano) {
                (Some(_), _) => known.observed_spot += 1,
                (None, Some(_)) => known.estimated_spot += 1,
                (None, None) => {}
            }
            known.with_history += usize::from(facts.has_history);
            known.newest_spot = known.newest_spot.max(facts.spot_observed_at);
            known.newest_on_demand = known.newest_on_demand.max(facts.on_demand_observed_at);
        }
        per_cloud.retain(|k| k.offers > 0);
        per_cloud
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Area, Requirement};
    use super::*;
    use crate::catalog::Catalog;
    use crate::fx::ExchangeRate;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_embedded_catalog_knows_alibaba_spot_tencent_list_prices_and_no_baidu_prices() {
        let Ok(catalog) = Catalog::embedded() else {
            panic!("the embedded catalog reads")
        };
        let planner = Planner::new(catalog, ExchangeRate::default());
        let requirement = Requirement {
            area: Area::MainlandChina,
            vcpu_min: Some(2),
            vcpu_max: Some(8),
            ..Requirement::default()
        };
        let plan = planner.plan(&requirement);
        let known = planner.knowledge(&plan);
        let clouds: Vec<Cloud> = known.iter().map(|k| k.cloud).collect();
        assert_eq!(clouds, Cloud::ALL);
        assert_eq!(known.iter().map(|k| k.offers).sum::<usize>(), plan.ranked.len());
        let [alibaba, tencent, baidu] = [known[0], known[1], known[2]];
        assert!(alibaba.observed_spot > 0 && alibaba.newest_spot.is_some());
        // Tencent: estimates from list prices (a few types have no list price in the sources).
        assert_eq!(tencent.observed_spot, 0);
        assert!(tencent.estimated_spot > tencent.offers * 9 / 10, "{tencent:?}");
        assert!(tencent.newest_on_demand.is_some());
        assert_eq!(
            (baidu.observed_spot, baidu.estimated_spot, baidu.newest_spot),
            (0, 0, None)
        );
        // One observation per mainland offer: no history anywhere, so the accepted risk cannot act.
        assert_eq!(known.iter().map(|k| k.with_history).sum::<usize>(), 0);
    }
}

//! The orders a plan can be ranked in: one [`SortKey`] per column of the comparison, each with its natural
//! direction (cheapest, smallest, newest first — largest savings first), reversible, with unknown values last in
//! both directions. Keys are plain integers computed from the planner's per-offer facts, so re-sorting tens of
//! thousands of offers needs no decimal arithmetic.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::{NANO, OfferFacts, Planner, Requirement, nano_cny_per_hour};
use crate::advice::BidAdvice;
use crate::billing::{billed_seconds, spot_rules};
use crate::catalog::Catalog;

/// How candidates are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// Total expected spot cost for the job (cheapest first).
    #[default]
    TotalExpectedCost,
    /// Spot price per vCPU-hour (cheapest first).
    PricePerVcpuHour,
    /// Savings against on-demand (largest first).
    Savings,
    /// Estimated interruption probability of the recommended bid (lowest first).
    Risk,
    /// Cloud (Alibaba, Tencent, Baidu), cheapest first within one.
    Cloud,
    /// Zone, or region where the offer has no zone (alphabetical).
    Place,
    /// Instance type name (alphabetical).
    InstanceType,
    /// vCPUs per instance (fewest first).
    Vcpu,
    /// Memory per instance (least first).
    Memory,
    /// GPUs per instance (fewest first).
    Gpu,
    /// Spot price per instance-hour (cheapest first).
    SpotPrice,
    /// On-demand price per instance-hour (cheapest first).
    OnDemandPrice,
    /// Worst-case total: every second billed at the bid the worst case assumes (cheapest first).
    WorstCase,
    /// Age of the newest spot price (newest first).
    PriceAge,
}

impl SortKey {
    /// Every key, in the order of the comparison's columns.
    pub const ALL: [SortKey; 14] = [
        SortKey::Cloud,
        SortKey::InstanceType,
        SortKey::Place,
        SortKey::Vcpu,
        SortKey::Memory,
        SortKey::Gpu,
        SortKey::SpotPrice,
        SortKey::PricePerVcpuHour,
        SortKey::OnDemandPrice,
        SortKey::Savings,
        SortKey::TotalExpectedCost,
        SortKey::WorstCase,
        SortKey::Risk,
        SortKey::PriceAge,
    ];

    /// Whether the key's natural order is largest first (savings) rather than smallest first.
    pub fn natural_descending(self) -> bool {
        self == SortKey::Savings
    }

    /// A short stable id (URLs, CLI).
    pub fn id(self) -> &'static str {
        match self {
            SortKey::TotalExpectedCost => "cost",
            SortKey::PricePerVcpuHour => "vcpu",
            SortKey::Savings => "savings",
            SortKey::Risk => "risk",
            SortKey::Cloud => "cloud",
            SortKey::Place => "place",
            SortKey::InstanceType => "type",
            SortKey::Vcpu => "cpus",
            SortKey::Memory => "memory",
            SortKey::Gpu => "gpu",
            SortKey::SpotPrice => "spot",
            SortKey::OnDemandPrice => "on_demand",
            SortKey::WorstCase => "worst",
            SortKey::PriceAge => "age",
        }
    }

    /// The key with that id.
    pub fn from_id(id: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|key| key.id() == id)
    }
}

/// Unknown values sort last whatever the direction.
const UNKNOWN: i128 = i128::MAX;

/// A key for the reverse order; unknown stays last.
pub(super) fn reversed(key: i128) -> i128 {
    if key == UNKNOWN { UNKNOWN } else { -key }
}

/// Fills each offer's alphabetical place and type ranks (names shared by many offers share a rank).
pub(super) fn rank_names(catalog: &Catalog, facts: &mut [OfferFacts]) {
    let offers = catalog.offers();
    let place = |index: usize| -> &str {
        let offer = &offers[index];
        offer.zone.as_deref().unwrap_or(&catalog.region_of(offer).id)
    };
    let type_name = |index: usize| -> &str { &catalog.type_of(&offers[index]).name };
    let (places, types) = (
        alphabetical_ranks(offers.len(), place),
        alphabetical_ranks(offers.len(), type_name),
    );
    for (index, fact) in facts.iter_mut().enumerate() {
        fact.place_rank = places[index];
        fact.type_rank = types[index];
    }
}

/// Each index's rank when the names are sorted alphabetically (equal names share a rank).
fn alphabetical_ranks<'a>(count: usize, name: impl Fn(usize) -> &'a str) -> Vec<u32> {
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by(|a, b| name(*a).cmp(name(*b)));
    let mut ranks = vec![0_u32; count];
    let mut rank = 0_u32;
    for (position, index) in order.iter().enumerate() {
        if position > 0 && name(order[position - 1]) != name(*index) {
            rank += 1;
        }
        ranks[*index] = rank;
    }
    ranks
}

impl Planner {
    /// The ordering keys of a row in the key's natural order (smaller first); unknown values are `i128::MAX`.
    /// The secondary key (the spot price) orders ties cheapest first.
    pub(super) fn sort_keys(
        &self,
        requirement: &Requirement,
        facts: &OfferFacts,
        offer: u32,
        job_seconds: u64,
    ) -> (i128, i128) {
        let spot = facts.spot_nano.unwrap_or(UNKNOWN);
        let billed = i128::from(billed_seconds(facts.cloud, job_seconds));
        let primary = match requirement.sort {
            SortKey::TotalExpectedCost => return (facts.spot_nano.map_or(UNKNOWN, |nano| nano * billed), 0),
            // 1e-9 CNY per hour, scaled by 1e6 before dividing by vCPUs: a key, exact enough to order by.
            SortKey::PricePerVcpuHour => {
                return (
                    facts
                        .spot_nano
                        .map_or(UNKNOWN, |nano| nano * 1_000_000 / i128::from(facts.vcpu.max(1))),
                    0,
                );
            }
            // Largest savings first = smallest spot ÷ on-demand, scaled by 1e12.
            SortKey::Savings => {
                let ratio = facts.spot_nano.zip(facts.on_demand_nano).filter(|(_, list)| *list > 0);
                ratio.map_or(UNKNOWN, |(spot, list)| spot * 1_000_000_000_000 / list)
            }
            SortKey::Risk => {
                let risk = self.risk_of(offer as usize, job_seconds, requirement.max_interruption);
                risk.and_then(|risk| (risk * Decimal::from(NANO)).round().to_i128())
                    .unwrap_or(UNKNOWN)
            }
            SortKey::Cloud => facts.cloud as i128,
            SortKey::Place => i128::from(facts.place_rank),
            SortKey::InstanceType => i128::from(facts.type_rank),
            SortKey::Vcpu => i128::from(facts.vcpu),
            SortKey::Memory => i128::from(facts.memory_milli),
            SortKey::Gpu => facts.gpu_count.map_or(UNKNOWN, i128::from),
            SortKey::SpotPrice => spot,
            SortKey::OnDemandPrice => facts.on_demand_nano.unwrap_or(UNKNOWN),
            SortKey::WorstCase => self
                .worst_case_nano(requirement, facts, offer, job_seconds)
                .map_or(UNKNOWN, |nano| nano * billed),
            SortKey::PriceAge => facts.spot_observed_at.map_or(UNKNOWN, |at| -i128::from(at)),
        };
        (primary, spot)
    }

    /// The hourly price the worst case bills (1e-9 CNY): the recommended bid as sent, else on-demand where the
    /// market is capped there — as [`Planner::candidate`] reports it.
    fn worst_case_nano(
        &self,
        requirement: &Requirement,
        facts: &OfferFacts,
        offer: u32,
        job_seconds: u64,
    ) -> Option<i128> {
        if facts.has_history
            && let BidAdvice::Recommended { bid, .. } =
                self.advice(offer as usize, job_seconds, requirement.max_interruption)
        {
            let account = requirement.account_currencies.of(facts.cloud);
            return nano_cny_per_hour(&self.fx, self.as_sent(facts.cloud, bid, account).ok()?);
        }
        if spot_rules(facts.cloud).capped_at_on_demand {
            // A market bid's bound (`market_bid_bound`): the list price, or the newest spot price above it.
            facts
                .on_demand_nano
                .map(|list| facts.spot_nano.map_or(list, |spot| spot.max(list)))
        } else {
            None
        }
    }
}

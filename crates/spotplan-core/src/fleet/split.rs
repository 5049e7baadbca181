//! The three strategies as pure integer arithmetic over eligible pools: which pools a fleet uses and how many
//! instances each gets. Prices are integers (1e-9 CNY per instance-hour) compared per unit by cross-multiplying,
//! so a split is exact and the same on every machine.

use serde::{Deserialize, Serialize};

/// How a fleet spreads over pools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Strategy {
    /// The cheapest pools per unit first; at most `max_per_pool` instances a pool, when set.
    LowestPrice {
        /// Most instances one pool gets.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_per_pool: Option<u32>,
    },
    /// Round-robin over at least `min_pools` of the cheapest pools, at most `max_per_pool` instances each; more
    /// pools join when those are full.
    Diversified {
        /// K: the fewest pools used.
        min_pools: u32,
        /// M: the most instances one pool gets.
        max_per_pool: u32,
    },
    /// The lowest expected cost of the job per unit, re-runs of interrupted work included; pools whose risk is
    /// unknown come after every pool whose risk is known.
    PriceAndRisk {
        /// Most instances one pool gets.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_per_pool: Option<u32>,
    },
}

impl Strategy {
    /// The strategy's id (`lowest_price`, `diversified`, `price_and_risk`).
    pub fn id(self) -> &'static str {
        match self {
            Strategy::LowestPrice { .. } => "lowest_price",
            Strategy::Diversified { .. } => "diversified",
            Strategy::PriceAndRisk { .. } => "price_and_risk",
        }
    }
}

/// One eligible pool as the split sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SplitPool {
    /// Units one instance brings (1, its vCPUs or its whole GiB).
    pub weight: u32,
    /// Price per instance-hour, 1e-9 CNY.
    pub price_nano: i128,
    /// Expected billed hours of the job over plain hours (≥ 1), when the pool's risk is known.
    pub rerun_factor: Option<f64>,
}

/// Pool indices (into the slice given) in the order a strategy prefers them; ties keep the given order.
pub(crate) fn preference(pools: &[SplitPool], strategy: Strategy) -> Vec<usize> {
    let mut order: Vec<usize> = (0..pools.len()).collect();
    match strategy {
        Strategy::LowestPrice { .. } | Strategy::Diversified { .. } => {
            // a.price / a.weight < b.price / b.weight  ⇔  a.price · b.weight < b.price · a.weight
            order.sort_by(|&a, &b| {
                let (pa, pb) = (&pools[a], &pools[b]);
                (pa.price_nano * i128::from(pb.weight))
                    .cmp(&(pb.price_nano * i128::from(pa.weight)))
                    .then(a.cmp(&b))
            });
        }
        Strategy::PriceAndRisk { .. } => {
            let key = |pool: &SplitPool| {
                pool.rerun_factor
                    .map(|factor| pool.price_nano as f64 * factor / f64::from(pool.weight.max(1)))
            };
            order.sort_by(|&a, &b| match (key(&pools[a]), key(&pools[b])) {
                (Some(ka), Some(kb)) => ka.total_cmp(&kb).then(a.cmp(&b)),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => (pools[a].price_nano * i128::from(pools[b].weight))
                    .cmp(&(pools[b].price_nano * i128::from(pools[a].weight)))
                    .then(a.cmp(&b)),
            });
        }
    }
    order
}

/// Instances per pool (parallel to `order`) that reach `target` units, and the units reached.
pub(crate) fn allocate(pools: &[SplitPool], order: &[usize], strategy: Strategy, target: u64) -> (Vec<u32>, u64) {
    match strategy {
        Strategy::LowestPrice { max_per_pool } | Strategy::PriceAndRisk { max_per_pool } => {
            greedy(pools, order, max_per_pool, target)
        }
        Strategy::Diversified {
            min_pools,
            max_per_pool,
        } => round_robin(pools, order, min_pools, max_per_pool, target),
    }
}

fn greedy(pools: &[SplitPool], order: &[usize], max_per_pool: Option<u32>, target: u64) -> (Vec<u32>, u64) {
    let mut counts = vec![0u32; order.len()];
    let mut reached = 0u64;
    for (slot, &pool) in order.iter().enumerate() {
        if reached >= target {
            break;
        }
        let weight = u64::from(pools[pool].weight.max(1));
        let wanted = (target - reached).div_ceil(weight);
        let count = max_per_pool.map_or(wanted, |max| wanted.min(u64::from(max)));
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        counts[slot] = count;
        reached += u64::from(count) * weight;
    }
    (counts, reached)
}

fn round_robin(
    pools: &[SplitPool],
    order: &[usize],
    min_pools: u32,
    max_per_pool: u32,
    target: u64,
) -> (Vec<u32>, u64) {
    let mut counts = vec![0u32; order.len()];
    let mut reached = 0u64;
    let mut active = (min_pools.max(1) as usize).min(order.len());
    let max = max_per_pool.max(1);
    while reached < target && active > 0 {
        let mut progressed = false;
        for slot in 0..active {
            if reached >= target {
                break;
            }
            if counts[slot] < max {
                counts[slot] += 1;
                reached += u64::from(pools[order[slot]].weight.max(1));
                progressed = true;
            }
        }
        if !progressed {
            if active == order.len() {
                break;
            }
            active += 1;
        }
    }
    (counts, reached)
}

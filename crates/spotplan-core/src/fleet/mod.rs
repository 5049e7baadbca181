//! Fleets: a target of N instances, vCPUs or GiB spread over many (cloud, zone, type) pools by a strategy, within a
//! price cap per unit and a ceiling per hour, with what the job is expected to cost once reclaims are counted.
//!
//! [`plan_fleet`] is pure and fast: it filters the planner's matching offers into eligible pools with integer
//! keys, lets [`split`] choose the pools, and computes exact decimal figures only for the pools chosen. The job
//! estimate ([`job`]) runs for the chosen pools and the first [`FRONTIER_POOLS`] eligible ones (the chart of cost
//! against risk). [`orders`] turns a plan into one validated order per pool; the Alibaba folder also writes the
//! native `CreateAutoProvisioningGroup` request for an Alibaba-only fleet.

pub mod job;
pub mod orders;
pub mod risk;
pub mod split;

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::catalog::OfferKey;
use crate::money::{Currency, Money, MoneyError};
use crate::plan::{Planner, Requirement};
pub use job::{JobEstimate, JobSpec, Spread};
pub use risk::{AlibabaBucket, InterruptionEstimate};
use split::SplitPool;
pub use split::Strategy;

/// Pools beyond the chosen ones whose job estimate is computed, for the chart of cost against risk.
pub const FRONTIER_POOLS: usize = 50;
/// Runs each chosen pool's own spread is simulated with at most.
pub const POOL_SIMULATION_RUNS: u32 = 300;
/// Instance-runs the fleet's own simulation may draw (runs × instances).
pub const FLEET_SIMULATION_BUDGET: u32 = 20_000;
/// Pools after the chosen ones a plan keeps ready for shortfalls and replacements, in the strategy's order.
pub const STANDBY_POOLS: usize = 20;

/// What the fleet's target counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TargetUnit {
    /// Instances: every instance weighs 1.
    #[default]
    Instances,
    /// vCPUs: an instance weighs its vCPUs.
    Vcpus,
    /// GiB of memory: an instance weighs its whole GiB.
    MemoryGib,
}

impl TargetUnit {
    /// The units one instance of `instance_type` brings: 1, its vCPUs, or its whole GiB (0 when it has less
    /// than one).
    pub fn weight_of(self, instance_type: &crate::catalog::InstanceType) -> u32 {
        match self {
            TargetUnit::Instances => 1,
            TargetUnit::Vcpus => instance_type.vcpu,
            TargetUnit::MemoryGib => {
                rust_decimal::prelude::ToPrimitive::to_u32(&instance_type.memory_gib.floor()).unwrap_or(0)
            }
        }
    }

    /// The unit's name in a sentence.
    pub fn label(self) -> &'static str {
        match self {
            TargetUnit::Instances => "instance",
            TargetUnit::Vcpus => "vCPU",
            TargetUnit::MemoryGib => "GiB",
        }
    }
}

/// The fleet a person asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetRequest {
    /// Which offers may be pools (type, region, cloud filters), the display currency and the job's hours.
    pub requirement: Requirement,
    /// How many units.
    pub target: u32,
    /// What a unit is.
    pub unit: TargetUnit,
    /// How to spread.
    pub strategy: Strategy,
    /// The most one unit may cost per hour (display currency); pools above it are left out and each order bids at
    /// most this price times its weight.
    pub price_cap_per_unit: Option<Money>,
    /// The most the whole fleet may cost per hour at its bids (display currency).
    pub ceiling_per_hour: Option<Money>,
    /// Units kept on pay-as-you-go instances (never reclaimed), from the pool cheapest on demand per unit; the rest
    /// is spot.
    #[serde(default)]
    pub on_demand_base: u32,
    /// Checkpoints and restart wait of the job (its hours are the requirement's).
    pub checkpoint_minutes: Option<u32>,
    /// Minutes from a reclaim until the replacement works.
    pub restart_minutes: u32,
}

impl FleetRequest {
    /// The job each instance runs.
    pub fn job(&self) -> JobSpec {
        JobSpec {
            hours: self.requirement.hours,
            checkpoint_minutes: self.checkpoint_minutes,
            restart_minutes: self.restart_minutes,
        }
    }
}

/// What is known about pools besides prices: interruption estimates and sold-out signals, by catalog offer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoolSignals {
    /// Interruption estimates by offer index (absent: unknown).
    pub risk: BTreeMap<u32, InterruptionEstimate>,
    /// Offers a cloud reports sold out (Tencent `SOLD_OUT`, a stock error on an order).
    pub sold_out: BTreeSet<u32>,
}

/// Why a pool was chosen: a typed value the CLI prints in English and the web translates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    /// Lowest price per unit: the `rank`-th cheapest eligible pool.
    Cheapest {
        /// 1-based rank among eligible pools.
        rank: u32,
    },
    /// One of the pools the fleet is spread over, round-robin.
    Spread {
        /// 1-based rank by price per unit.
        rank: u32,
        /// Pools the fleet is spread over.
        pools: u32,
    },
    /// Lowest expected cost per unit with re-runs counted.
    LowestExpectedCost {
        /// 1-based rank by expected cost.
        rank: u32,
        /// Expected billed hours over plain hours.
        rerun_factor: f64,
    },
    /// Its risk is unknown: used only after every pool whose risk is known.
    UnknownRiskAfterKnown {
        /// 1-based rank.
        rank: u32,
    },
    /// The on-demand base: the pool cheapest on demand per unit.
    OnDemandBase,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Cheapest { rank: 1 } => f.write_str("cheapest per unit"),
            Reason::Cheapest { rank } => write!(f, "#{rank} cheapest per unit (the cheaper pools are full)"),
            Reason::Spread { rank, pools } => write!(f, "#{rank} cheapest per unit, spread over {pools} pools"),
            Reason::LowestExpectedCost { rank, rerun_factor } => write!(
                f,
                "#{rank} by expected cost with re-runs (×{rerun_factor:.3} of the plain hours)"
            ),
            Reason::UnknownRiskAfterKnown { rank } => {
                write!(f, "#{rank}: risk unknown, used after every pool whose risk is known")
            }
            Reason::OnDemandBase => f.write_str("on-demand base: cheapest pay-as-you-go per unit, never reclaimed"),
        }
    }
}

/// One pool of the plan and its instances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Allocation {
    /// The catalog offer.
    pub offer: u32,
    /// The pool.
    pub key: OfferKey,
    /// Instances.
    pub count: u32,
    /// Units one instance brings.
    pub weight: u32,
    /// Spot price per instance-hour (display currency).
    pub hourly: Money,
    /// Spot price per unit-hour.
    pub per_unit: Money,
    /// The most an instance may cost per hour at its bid: the cap times its weight as the order sends it (in the
    /// account's currency, rounded up to the cloud's decimals), else the on-demand price where the market is
    /// capped at it; `None` when nothing bounds it (Baidu without a cap).
    pub worst_hourly: Option<Money>,
    /// The pool's interruption estimate.
    pub risk: InterruptionEstimate,
    /// The job on one instance of the pool.
    pub job: JobEstimate,
    /// Why it was chosen.
    pub reason: Reason,
    /// Pay-as-you-go instances of the on-demand base (Spotplan's proxy places spot orders only).
    #[serde(default)]
    pub on_demand: bool,
}

/// A pool on the chart of cost against risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrontierPoint {
    /// The pool.
    pub key: OfferKey,
    /// Spot price per unit-hour.
    pub per_unit: Money,
    /// Reclaims per instance-hour, when known.
    pub hazard_per_hour: Option<f64>,
    /// Expected cost of the job per unit, re-runs included, when the risk is known.
    pub expected_job_per_unit: Option<Money>,
    /// Whether the plan uses it.
    pub chosen: bool,
}

/// What kept a fleet's eligible pools short of its target (a value the UI words in its language).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShortfallLimit {
    /// The strategy's most instances a pool.
    PerPool {
        /// The most a pool takes.
        max: u32,
    },
    /// Too few eligible pools (or none).
    NoEligiblePool,
}

impl std::fmt::Display for ShortfallLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShortfallLimit::PerPool { max } => write!(f, "at most {max} instances a pool"),
            ShortfallLimit::NoEligiblePool => f.write_str("no eligible pool"),
        }
    }
}

/// Why a plan cannot be placed as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum FleetProblem {
    /// The target is zero.
    #[error("target: the fleet needs at least one unit (got 0)")]
    EmptyTarget,
    /// Eligible pools cannot reach the target.
    #[error("target: the eligible pools reach {reached} of {target} units ({limit})")]
    Shortfall {
        /// Units asked.
        target: u64,
        /// Units reached.
        reached: u64,
        /// What limited it.
        limit: ShortfallLimit,
    },
    /// Diversified asks for more pools than are eligible.
    #[error("min_pools: diversified asks for {wanted} pools, {found} are eligible")]
    TooFewPools {
        /// K.
        wanted: u32,
        /// Eligible pools.
        found: u32,
    },
    /// The fleet may cost more per hour than the ceiling.
    #[error("ceiling_per_hour: at its bids the fleet may cost up to {worst} per hour, above the ceiling of {ceiling}")]
    OverCeiling {
        /// The fleet's worst hourly cost.
        worst: Money,
        /// The ceiling.
        ceiling: Money,
    },
    /// An on-demand base is asked for and no matching pool has a pay-as-you-go price.
    #[error("on_demand_base: no matching pool has a pay-as-you-go price")]
    NoOnDemandPool,
    /// The on-demand base is above the target.
    #[error("on_demand_base: the base of {base} units is above the target of {target}")]
    BaseAboveTarget {
        /// The base.
        base: u32,
        /// The target.
        target: u32,
    },
    /// Some pool's bid bounds nothing, so the ceiling cannot be checked.
    #[error(
        "ceiling_per_hour: {pool} has no price cap and no on-demand bound; set price_cap_per_unit to check the ceiling"
    )]
    CeilingUncheckable {
        /// The pool.
        pool: OfferKey,
    },
    /// The cap or ceiling is in a currency the exchange rate cannot convert.
    #[error("price_cap_per_unit: {0}")]
    Money(String),
}

/// What pools were left out, and why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excluded {
    /// No spot price (not even an estimate).
    pub unpriced: usize,
    /// Above the price cap per unit.
    pub over_cap: usize,
    /// Reported sold out.
    pub sold_out: usize,
    /// Weighs no whole unit (less than 1 GiB for a GiB target).
    pub no_whole_unit: usize,
}

/// A fleet plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetPlan {
    /// The chosen pools, in the strategy's order.
    pub allocations: Vec<Allocation>,
    /// The next pools in the strategy's order, for shortfalls and replacements.
    pub standby: Vec<OfferKey>,
    /// Units asked.
    pub target: u64,
    /// Units the allocations bring.
    pub reached: u64,
    /// Instances.
    pub instances: u32,
    /// Pools that matched the requirement.
    pub matched: usize,
    /// Pools eligible after the cap, stock and weight.
    pub eligible: usize,
    /// What was left out.
    pub excluded: Excluded,
    /// Spot cost per hour of the whole fleet at the newest prices.
    pub hourly: Money,
    /// The most the fleet may cost per hour at its bids, when every pool is bounded.
    pub worst_hourly: Option<Money>,
    /// The plain job cost: every instance runs the job's hours once, billed at the newest prices.
    pub plain_job_cost: Money,
    /// The fleet's job, reclaims counted (unknown if any chosen pool's risk is).
    pub job: JobEstimate,
    /// The expected job cost, reclaims counted.
    pub expected_job_cost: Option<Money>,
    /// Pools for the chart of cost against risk.
    pub frontier: Vec<FrontierPoint>,
    /// Why the plan cannot be placed as it stands (empty: it can).
    pub problems: Vec<FleetProblem>,
}

impl FleetPlan {
    /// The spot part of [`FleetPlan::worst_hourly`]: what the proxy places, to set beside
    /// [`FleetPlan::spot_ceiling`] (the whole worst case when the base's price is in another currency, as there).
    pub fn spot_worst_hourly(&self) -> Option<Money> {
        self.spot_ceiling(self.worst_hourly)
    }

    /// The part of `ceiling` (an hourly ceiling for the whole plan) left for its spot instances once its
    /// pay-as-you-go base is paid for: what the proxy, which places the spot part only, must keep them within.
    /// The ceiling as it is when the base's price is in another currency.
    pub fn spot_ceiling(&self, ceiling: Option<Money>) -> Option<Money> {
        let ceiling = ceiling?;
        let mut left = ceiling;
        for base in self.allocations.iter().filter(|allocation| allocation.on_demand) {
            let cost = base.hourly.checked_mul(-Decimal::from(base.count)).ok();
            match cost.and_then(|cost| left.checked_add(cost).ok()) {
                Some(rest) => left = rest,
                None => return Some(ceiling),
            }
        }
        Some(left)
    }
}

/// How the job is simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Simulation {
    /// Monte Carlo runs.
    pub runs: u32,
    /// The seed.
    pub seed: u64,
}

impl Default for Simulation {
    fn default() -> Simulation {
        Simulation {
            runs: job::DEFAULT_RUNS,
            seed: job::DEFAULT_SEED,
        }
    }
}

fn nano_to_money(nano: i128, planner: &Planner, currency: Currency) -> Result<Money, MoneyError> {
    let cny = Money::new(Decimal::from_i128_with_scale(nano, 9), Currency::Cny);
    planner.fx().convert(cny, currency)
}

/// The hourly bid a fleet order sends for one instance of `weight` units under `cap` a unit-hour — converted to
/// the account's currency and rounded up to the cloud's decimals there, as `fleet_orders` makes it — in `currency`.
fn bid_as_sent(
    cap: Money,
    weight: u32,
    pool: &OfferKey,
    account: Currency,
    planner: &Planner,
    currency: Currency,
) -> Result<Money, MoneyError> {
    let per_instance =
        crate::money::PriceRate::new(cap.checked_mul(Decimal::from(weight))?, crate::money::TimeUnit::Hour);
    let sent = crate::order::native_bid::native_bid(per_instance, pool.cloud, account, planner.fx())?;
    let hourly = sent
        .price
        .rate(pool.cloud, account)
        .in_unit(crate::money::TimeUnit::Hour)?;
    planner.fx().convert(hourly.money, currency)
}

fn money_to_nano(money: Money, planner: &Planner) -> Result<i128, MoneyError> {
    let cny = planner.fx().convert(money, Currency::Cny)?;
    let nano = (cny.amount * Decimal::from(1_000_000_000)).floor();
    nano.to_string().parse::<i128>().map_err(|_| MoneyError::Overflow)
}

/// Plans a fleet over the planner's matching offers.
pub fn plan_fleet(
    planner: &Planner,
    request: &FleetRequest,
    signals: &PoolSignals,
    simulation: Simulation,
) -> Result<FleetPlan, MoneyError> {
    let currency = request.requirement.currency;
    let catalog = planner.catalog();
    let matched = planner.plan(&request.requirement);
    let cap_nano = request
        .price_cap_per_unit
        .map(|cap| money_to_nano(cap, planner))
        .transpose()?;
    let job_spec = request.job();
    let job_seconds = request.requirement.job_seconds();
    let work_hours = job_spec
        .hours
        .to_string()
        .parse::<f64>()
        .unwrap_or(0.0)
        .max(f64::MIN_POSITIVE);
    let mut excluded = Excluded::default();
    // The pool cheapest on demand per unit: (offer, weight, price), compared by cross-multiplying.
    let mut on_demand_pool: Option<(u32, u32, i128)> = None;
    let mut offers = Vec::new();
    let mut pools = Vec::new();
    let mut hazards = Vec::new();
    for ranked in &matched.ranked {
        let (spot, on_demand) = planner.hourly_nano(ranked.offer);
        let record = &catalog.offers()[ranked.offer as usize];
        let instance_type = catalog.type_of(record);
        let weight = request.unit.weight_of(instance_type);
        if let Some(list) = on_demand
            && weight > 0
            && request.on_demand_base > 0
            && on_demand_pool.is_none_or(|(_, w, p)| list * i128::from(w) < p * i128::from(weight))
        {
            on_demand_pool = Some((ranked.offer, weight, list));
        }
        let Some(price_nano) = spot else {
            excluded.unpriced += 1;
            continue;
        };
        if weight == 0 {
            excluded.no_whole_unit += 1;
            continue;
        }
        if signals.sold_out.contains(&ranked.offer) {
            excluded.sold_out += 1;
            continue;
        }
        if cap_nano.is_some_and(|cap| price_nano > cap * i128::from(weight)) {
            excluded.over_cap += 1;
            continue;
        }
        // What the signals say; else, where the cloud reclaims on price, the pool's own price history at the bid
        // (the cap times the weight, else the on-demand price that caps a market bid).
        let risk = match signals.risk.get(&ranked.offer).copied() {
            Some(risk) => risk,
            None => cap_nano
                .map(|cap| cap * i128::from(weight))
                .or(on_demand)
                .and_then(|bid| planner.history_interruption(ranked.offer, job_seconds, bid))
                .map_or(InterruptionEstimate::Unknown, |(probability, windows)| {
                    InterruptionEstimate::PriceHistory {
                        probability,
                        windows: windows as u32,
                        hours: request.requirement.hours,
                    }
                }),
        };
        let hazard = risk.hazard_per_hour();
        let rerun_factor = hazard.map(|rate| job::expected_one(&job_spec, rate).0 / work_hours);
        offers.push((ranked.offer, on_demand));
        hazards.push((risk, hazard));
        pools.push(SplitPool {
            weight,
            price_nano,
            rerun_factor,
        });
    }
    let order = split::preference(&pools, request.strategy);
    let target = u64::from(request.target);
    let mut problems = Vec::new();
    // The on-demand base first: whole instances of the cheapest pay-as-you-go pool; spot fills the rest.
    let base = u64::from(request.on_demand_base.min(request.target));
    if request.on_demand_base > request.target {
        problems.push(FleetProblem::BaseAboveTarget {
            base: request.on_demand_base,
            target: request.target,
        });
    }
    let base_allocation = match on_demand_pool {
        Some((offer, weight, price)) if base > 0 => {
            let count = u32::try_from(base.div_ceil(u64::from(weight))).unwrap_or(u32::MAX);
            Some((offer, weight, price, count))
        }
        None if base > 0 => {
            problems.push(FleetProblem::NoOnDemandPool);
            None
        }
        _ => None,
    };
    let base_reached = base_allocation.map_or(0, |(_, weight, _, count)| u64::from(weight) * u64::from(count));
    let spot_target = target.saturating_sub(base_reached);
    let (counts, spot_reached) = split::allocate(&pools, &order, request.strategy, spot_target);
    let reached = base_reached + spot_reached;
    if target == 0 {
        problems.push(FleetProblem::EmptyTarget);
    }
    if let Strategy::Diversified { min_pools, .. } = request.strategy
        && (min_pools as usize) > pools.len()
    {
        problems.push(FleetProblem::TooFewPools {
            wanted: min_pools,
            found: pools.len() as u32,
        });
    }
    if reached < target {
        let limit = match request.strategy {
            Strategy::Diversified { max_per_pool, .. } => ShortfallLimit::PerPool { max: max_per_pool },
            Strategy::LowestPrice {
                max_per_pool: Some(max),
            }
            | Strategy::PriceAndRisk {
                max_per_pool: Some(max),
            } => ShortfallLimit::PerPool { max },
            _ => ShortfallLimit::NoEligiblePool,
        };
        problems.push(FleetProblem::Shortfall { target, reached, limit });
    }

    let used = counts.iter().filter(|count| **count > 0).count() as u32;
    let known = |slot: usize| hazards[order[slot]].1.is_some();
    // Each pool's expected figures are exact (closed form); its spread needs fewer runs than the fleet's own.
    let pool_runs = simulation.runs.min(POOL_SIMULATION_RUNS);
    let mut allocations = Vec::new();
    let mut hourly_total = Money::zero(currency);
    let mut worst_total = Some(Money::zero(currency));
    let mut uncheckable = None;
    if let Some((offer, weight, price, count)) = base_allocation {
        let hourly = nano_to_money(price, planner, currency)?;
        let all = hourly.checked_mul(Decimal::from(count))?;
        hourly_total = hourly_total.checked_add(all)?;
        worst_total = worst_total.map(|total| total.checked_add(all)).transpose()?;
        allocations.push(Allocation {
            offer,
            key: catalog.key_of(offer as usize),
            count,
            weight,
            hourly,
            per_unit: hourly.checked_div(Decimal::from(weight))?,
            worst_hourly: Some(hourly),
            risk: InterruptionEstimate::NotReclaimed,
            job: job::estimate_pool(&job_spec, Some(0.0), pool_runs, simulation.seed),
            reason: Reason::OnDemandBase,
            on_demand: true,
        });
    }
    for (slot, &count) in counts.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let pool_index = order[slot];
        let pool = &pools[pool_index];
        let (offer, on_demand) = offers[pool_index];
        let (risk, hazard) = hazards[pool_index];
        let hourly = nano_to_money(pool.price_nano, planner, currency)?;
        let weight = Decimal::from(pool.weight);
        let rank = slot as u32 + 1;
        let reason = match request.strategy {
            Strategy::LowestPrice { .. } => Reason::Cheapest { rank },
            Strategy::Diversified { .. } => Reason::Spread { rank, pools: used },
            Strategy::PriceAndRisk { .. } if known(slot) => Reason::LowestExpectedCost {
                rank,
                rerun_factor: pool.rerun_factor.unwrap_or(1.0),
            },
            Strategy::PriceAndRisk { .. } => Reason::UnknownRiskAfterKnown { rank },
        };
        let key = catalog.key_of(offer as usize);
        let capped_market = crate::billing::spot_rules(key.cloud).capped_at_on_demand;
        // With a cap, the bid each order sends (as the proxy checks it against the ceiling); without one, the
        // market bound where the market is capped (`billing::market_bid_bound`, as the proxy bounds each order).
        let worst_hourly = match (request.price_cap_per_unit, on_demand) {
            (Some(cap), _) => Some(bid_as_sent(
                cap,
                pool.weight,
                &key,
                request.requirement.account_currencies.of(key.cloud),
                planner,
                currency,
            )?),
            (None, Some(list)) if capped_market => Some(crate::billing::market_bid_bound(
                nano_to_money(list, planner, currency)?,
                Some(hourly),
            )),
            _ => None,
        };
        match worst_hourly {
            Some(worst) => {
                worst_total = worst_total
                    .map(|total| total.checked_add(worst.checked_mul(Decimal::from(count))?))
                    .transpose()?;
            }
            None => {
                worst_total = None;
                uncheckable.get_or_insert_with(|| key.clone());
            }
        }
        hourly_total = hourly_total.checked_add(hourly.checked_mul(Decimal::from(count))?)?;
        allocations.push(Allocation {
            offer,
            key,
            count,
            weight: pool.weight,
            hourly,
            per_unit: hourly.checked_div(weight)?,
            worst_hourly,
            risk,
            job: job::estimate_pool(&job_spec, hazard, pool_runs, simulation.seed),
            reason,
            on_demand: false,
        });
    }
    if let Some(ceiling) = request.ceiling_per_hour {
        let ceiling_here = planner.fx().convert(ceiling, currency)?;
        match (worst_total, uncheckable) {
            (_, Some(pool)) => problems.push(FleetProblem::CeilingUncheckable { pool }),
            (Some(worst), None) if worst.amount > ceiling_here.amount => problems.push(FleetProblem::OverCeiling {
                worst,
                ceiling: ceiling_here,
            }),
            _ => {}
        }
    }
    let standby = order
        .iter()
        .enumerate()
        .filter(|(slot, _)| counts.get(*slot).copied().unwrap_or(0) == 0)
        .take(STANDBY_POOLS)
        .map(|(_, &pool)| catalog.key_of(offers[pool].0 as usize))
        .collect();
    let billed_seconds = request.requirement.job_seconds();
    let instances: u32 = allocations.iter().map(|a| a.count).sum();
    // Each pool billed in its cloud's granularity (Baidu: every begun minute).
    let mut plain_job_cost = Money::zero(currency);
    for allocation in &allocations {
        let billed = Decimal::from(crate::billing::billed_seconds(allocation.key.cloud, billed_seconds));
        let cost = allocation
            .hourly
            .checked_mul(Decimal::from(allocation.count))?
            .checked_mul(billed)?
            .checked_div(Decimal::from(3600))?;
        plain_job_cost = plain_job_cost.checked_add(cost)?;
    }
    let fleet_pools: Vec<(u32, Option<f64>)> = allocations
        .iter()
        .map(|a| (a.count, a.risk.hazard_per_hour()))
        .collect();
    // The fleet's simulation draws every instance in every run: its runs shrink with the fleet (never below 100)
    // so a large fleet stays within the planning budget; the job reports the runs it used.
    let fleet_runs = (FLEET_SIMULATION_BUDGET / instances.max(1)).clamp(100, simulation.runs.max(100));
    let fleet_job = job::estimate_fleet(&job_spec, &fleet_pools, fleet_runs, simulation.seed);
    // A pool reclaimed so often that its job never finishes has no finite cost: the fleet's is then not given.
    let expected_job_cost = match &fleet_job {
        JobEstimate::Estimated { .. } => allocations.iter().try_fold(Money::zero(currency), |total, allocation| {
            let billed = allocation.job.expected_billed_hours().unwrap_or(0.0) * f64::from(allocation.count);
            total
                .checked_add(job::cost_of_hours(allocation.hourly, billed).ok()?)
                .ok()
        }),
        JobEstimate::Unknown { .. } => None,
    };
    let mut frontier = Vec::new();
    for (slot, &pool_index) in order.iter().enumerate().take(FRONTIER_POOLS) {
        let pool = &pools[pool_index];
        let hourly = nano_to_money(pool.price_nano, planner, currency)?;
        let per_unit = hourly.checked_div(Decimal::from(pool.weight))?;
        let expected_job_per_unit = pool
            .rerun_factor
            .and_then(|factor| job::cost_of_hours(per_unit, factor * work_hours).ok());
        frontier.push(FrontierPoint {
            key: catalog.key_of(offers[pool_index].0 as usize),
            per_unit,
            hazard_per_hour: hazards[pool_index].1,
            expected_job_per_unit,
            chosen: counts.get(slot).is_some_and(|count| *count > 0),
        });
    }
    Ok(FleetPlan {
        allocations,
        standby,
        target,
        reached,
        instances,
        matched: matched.ranked.len(),
        eligible: pools.len(),
        excluded,
        hourly: hourly_total,
        worst_hourly: worst_total,
        plain_job_cost,
        job: fleet_job,
        expected_job_cost,
        frontier,
        problems,
    })
}

#[cfg(test)]
mod tests;

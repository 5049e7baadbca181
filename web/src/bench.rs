//! The in-browser benchmark (`/?bench`): times decoding the embedded catalog, ranking 50,000 offers, planning a
//! fleet over 5,000+ priced pools and the job estimate of 50 pools in wasm, and renders the figures for the
//! end-to-end harness to read and report.

use std::fmt::Write;

use rust_decimal::Decimal;
use spotplan_core::catalog::Catalog;
use spotplan_core::plan::Requirement;
use spotplan_core::{ExchangeRate, Planner};

use crate::state::initial_requirement;

/// Milliseconds since page start, from the browser's monotonic clock.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|window| window.performance())
        .map_or(0.0, |performance| performance.now())
}

/// The median of `runs` timings of `work`, in milliseconds.
fn median_ms(runs: usize, mut work: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = now_ms();
            work();
            now_ms() - start
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Runs the benchmark and returns `name: value` lines.
pub fn run() -> String {
    let mut report = String::new();
    let decode = median_ms(7, || {
        let _ = std::hint::black_box(Catalog::embedded());
    });
    let _ = writeln!(report, "decode_catalog_ms: {decode:.2}");
    let _ = writeln!(report, "catalog_bytes: {}", Catalog::embedded_size());
    let Ok(catalog) = Catalog::embedded() else {
        return report + "error: the embedded catalog does not decode\n";
    };
    let planner = Planner::new(catalog.replicated(50_000), ExchangeRate::default());
    let everything = Requirement {
        hours: Decimal::from(72),
        instance_count: 10,
        ..Requirement::default()
    };
    let four_by_eight = initial_requirement();
    let mut matched = (0, 0);
    let rank_all = median_ms(11, || {
        matched.0 = std::hint::black_box(planner.plan(&everything)).ranked.len()
    });
    let rank_filtered = median_ms(11, || {
        matched.1 = std::hint::black_box(planner.plan(&four_by_eight)).ranked.len()
    });
    let _ = writeln!(report, "rank_50k_all_ms: {rank_all:.2} ({} match)", matched.0);
    let _ = writeln!(
        report,
        "rank_50k_4c8g_china_ms: {rank_filtered:.2} ({} match)",
        matched.1
    );
    fleet(&catalog, &mut report);
    merge(&catalog, &mut report);
    report
}

/// Merging the proxy's delta for 20,000 offers (one new spot price each) into the embedded catalog (budget 50 ms),
/// and rebuilding the planner over it, as a reload does with the browser's cache.
fn merge(catalog: &Catalog, report: &mut String) {
    use spotplan_core::api::catalog::CatalogDelta;
    use spotplan_core::catalog::{ExternalObservation, PriceKind, Source};
    let source = Source {
        key: "live-alibaba-DescribeSpotPriceHistory-2026-12-01".into(),
        name: "live quote via the proxy".into(),
        url: String::new(),
        licence: String::new(),
        date: "2026-12-01".into(),
        attribution: String::new(),
        live: None,
    };
    let mut delta = CatalogDelta::default();
    for offer in 0..catalog.offers().len().min(20_000) {
        let Some(latest) = catalog.latest(offer, PriceKind::OnDemand) else {
            continue;
        };
        delta.push(&ExternalObservation {
            offer: catalog.key_of(offer),
            kind: PriceKind::Spot,
            rate: latest.rate,
            observed_at: 1_764_547_200,
            source: source.clone(),
        });
    }
    let rows = delta.rows.len();
    let merge_ms = median_ms(5, || {
        let observations = delta.observations();
        std::hint::black_box(catalog.with_observations(&observations).ok());
    });
    let merged = catalog.with_observations(&delta.observations());
    let rebuild_ms = median_ms(5, || {
        if let Ok(merged) = &merged {
            std::hint::black_box(Planner::new(merged.clone(), ExchangeRate::default()));
        }
    });
    let _ = writeln!(
        report,
        "merge_delta_20k_ms: {merge_ms:.2} ({rows} observations into the catalog); planner_rebuild_ms: {rebuild_ms:.2}"
    );
}

/// The fleet planner over at least [`FLEET_POOLS`] priced pools (price and risk, a third of the Alibaba pools with
/// a 30-day bucket), and the job estimate of 50 pools.
fn fleet(catalog: &Catalog, report: &mut String) {
    use spotplan_core::fleet::{
        AlibabaBucket, FleetRequest, InterruptionEstimate, JobSpec, PoolSignals, Simulation, Strategy, TargetUnit, job,
        plan_fleet,
    };
    // Enough copies of the catalog that its priced offers number at least FLEET_POOLS.
    let base = Planner::new(catalog.clone(), ExchangeRate::default());
    let offers = catalog.offers().len().max(1);
    let priced = (0..offers as u32)
        .filter(|offer| base.hourly_nano(*offer).0.is_some())
        .count()
        .max(1);
    let planner = Planner::new(
        catalog.replicated((FLEET_POOLS * offers).div_ceil(priced) + offers / 10),
        ExchangeRate::default(),
    );
    let mut signals = PoolSignals::default();
    let buckets = [
        AlibabaBucket::UpTo3,
        AlibabaBucket::UpTo5,
        AlibabaBucket::UpTo10,
        AlibabaBucket::Over10,
    ];
    let big = planner.catalog();
    for (index, offer) in big.offers().iter().enumerate() {
        if index % 3 == 0 && big.type_of(offer).cloud == spotplan_core::Cloud::Alibaba {
            signals.risk.insert(
                index as u32,
                InterruptionEstimate::AlibabaBucket {
                    bucket: buckets[index % buckets.len()],
                },
            );
        }
    }
    let request = FleetRequest {
        requirement: Requirement {
            hours: Decimal::from(72),
            ..Requirement::default()
        },
        target: 50,
        unit: TargetUnit::Instances,
        strategy: Strategy::PriceAndRisk { max_per_pool: Some(5) },
        price_cap_per_unit: None,
        ceiling_per_hour: None,
        on_demand_base: 0,
        checkpoint_minutes: Some(30),
        restart_minutes: 10,
    };
    let mut eligible = (0, 0);
    let plan_ms = median_ms(5, || {
        if let Ok(plan) = std::hint::black_box(plan_fleet(&planner, &request, &signals, Simulation::default())) {
            eligible = (plan.eligible, plan.allocations.len());
        }
    });
    let _ = writeln!(
        report,
        "fleet_plan_5k_pools_ms: {plan_ms:.2} ({} priced pools, 50 instances in {} pools, price and risk)",
        eligible.0, eligible.1
    );
    let spec = JobSpec {
        hours: Decimal::from(48),
        checkpoint_minutes: Some(30),
        restart_minutes: 10,
    };
    let job_ms = median_ms(5, || {
        for pool in 0..50_u32 {
            let rate = 0.001 + f64::from(pool) * 0.002;
            std::hint::black_box(job::estimate_pool(&spec, Some(rate), 1_000, u64::from(pool)));
        }
    });
    let _ = writeln!(
        report,
        "fleet_job_50_pools_ms: {job_ms:.2} (1,000 runs each, 48 h, checkpoint 30 min)"
    );
}

/// The fewest priced pools the fleet benchmark plans over.
const FLEET_POOLS: usize = 5_000;

//! Benchmarks of fleets: planning over 5,000+ candidate pools (budget 20 ms in wasm) and the job estimate for 50
//! pools (budget 50 ms in wasm). Native figures here; the in-browser ones come from `/?bench`.
//! Run with `cargo bench -p spotplan-core --bench fleet`.

#![cfg_attr(target_arch = "wasm32", allow(unused))]

#[cfg(not(target_arch = "wasm32"))]
use std::hint::black_box;

#[cfg(not(target_arch = "wasm32"))]
use criterion::{Criterion, criterion_group, criterion_main};
#[cfg(not(target_arch = "wasm32"))]
use rust_decimal::Decimal;
#[cfg(not(target_arch = "wasm32"))]
use spotplan_core::ExchangeRate;
#[cfg(not(target_arch = "wasm32"))]
use spotplan_core::catalog::Catalog;
#[cfg(not(target_arch = "wasm32"))]
use spotplan_core::fleet::{
    AlibabaBucket, FleetRequest, InterruptionEstimate, JobSpec, PoolSignals, Simulation, Strategy, TargetUnit, job,
    plan_fleet,
};
#[cfg(not(target_arch = "wasm32"))]
use spotplan_core::plan::{Planner, Requirement};

#[cfg(not(target_arch = "wasm32"))]
fn benches(c: &mut Criterion) {
    let planner = Planner::new(
        Catalog::embedded().expect("decodes").replicated(8_500),
        ExchangeRate::default(),
    );
    let requirement = Requirement {
        hours: Decimal::from(48),
        ..Requirement::default()
    };
    let priced = planner.plan(&requirement).ranked.iter().filter(|r| r.priced).count();
    let mut signals = PoolSignals::default();
    for offer in (0..planner.catalog().offers().len() as u32).step_by(3) {
        signals.risk.insert(
            offer,
            InterruptionEstimate::AlibabaBucket {
                bucket: AlibabaBucket::UpTo5,
            },
        );
    }
    let request = FleetRequest {
        requirement,
        target: 200,
        unit: TargetUnit::Vcpus,
        strategy: Strategy::PriceAndRisk { max_per_pool: Some(10) },
        price_cap_per_unit: None,
        ceiling_per_hour: None,
        on_demand_base: 0,
        checkpoint_minutes: Some(30),
        restart_minutes: 10,
    };
    c.bench_function(
        &format!("plan a fleet over {priced} priced pools, price-and-risk"),
        |b| {
            b.iter(|| {
                black_box(plan_fleet(
                    &planner,
                    black_box(&request),
                    &signals,
                    Simulation::default(),
                ))
            })
        },
    );
    let spec = JobSpec {
        hours: Decimal::from(48),
        checkpoint_minutes: Some(30),
        restart_minutes: 10,
    };
    c.bench_function("job estimate, 50 pools × 1,000 runs", |b| {
        b.iter(|| {
            for pool in 0..50u32 {
                black_box(job::estimate_pool(
                    &spec,
                    Some(0.002 * f64::from(pool + 1)),
                    1_000,
                    u64::from(pool),
                ));
            }
        })
    });
}

#[cfg(not(target_arch = "wasm32"))]
criterion_group!(fleet, benches);
#[cfg(not(target_arch = "wasm32"))]
criterion_main!(fleet);

#[cfg(target_arch = "wasm32")]
fn main() {}

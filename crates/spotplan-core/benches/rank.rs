//! Benchmarks of the planner: decoding the embedded catalog, and ranking 50,000 offers for a requirement.
//! Run with `cargo bench -p spotplan-core` (or `cargo xtask bench`); figures go to BENCHMARKS.md.

//! Native only: criterion does not build for wasm32 (the in-browser figures come from `/?bench`).
#![cfg_attr(target_arch = "wasm32", allow(unused))]

#[cfg(not(target_arch = "wasm32"))]
use std::hint::black_box;

#[cfg(not(target_arch = "wasm32"))]
use criterion::{Criterion, criterion_group, criterion_main};
#[cfg(not(target_arch = "wasm32"))]
use rust_decimal::Decimal;
#[cfg(not(target_arch = "wasm32"))]
use spotplan_core::catalog::Catalog;
#[cfg(not(target_arch = "wasm32"))]
use spotplan_core::plan::{Area, Planner, Requirement};
#[cfg(not(target_arch = "wasm32"))]
use spotplan_core::{Cloud, ExchangeRate};

#[cfg(not(target_arch = "wasm32"))]
fn benches(c: &mut Criterion) {
    c.bench_function("decode embedded catalog", |b| {
        b.iter(|| black_box(Catalog::embedded().expect("decodes")))
    });

    let planner = Planner::new(
        Catalog::embedded().expect("decodes").replicated(50_000),
        ExchangeRate::default(),
    );
    let everything = Requirement {
        hours: Decimal::from(72),
        instance_count: 10,
        ..Requirement::default()
    };
    let matching = planner.plan(&everything).ranked.len();
    c.bench_function(&format!("rank 50,000 offers, all clouds ({matching} match)"), |b| {
        b.iter(|| black_box(planner.plan(black_box(&everything))))
    });
    let four_by_eight = Requirement {
        vcpu_min: Some(4),
        vcpu_max: Some(4),
        memory_min_gib: Some(Decimal::from(8)),
        memory_max_gib: Some(Decimal::from(8)),
        area: Area::MainlandChina,
        clouds: vec![Cloud::Alibaba, Cloud::Tencent, Cloud::Baidu],
        ..everything.clone()
    };
    c.bench_function("rank 50,000 offers, 4 vCPU / 8 GiB in mainland China", |b| {
        b.iter(|| black_box(planner.plan(black_box(&four_by_eight))))
    });
    let plan = planner.plan(&four_by_eight);
    c.bench_function("figures of the top 50 candidates", |b| {
        b.iter(|| {
            for ranked in plan.ranked.iter().take(50) {
                black_box(
                    planner
                        .candidate(ranked.offer, &four_by_eight, 1_795_000_000)
                        .expect("figures"),
                );
            }
        })
    });
}

#[cfg(not(target_arch = "wasm32"))]
criterion_group!(name = planner_benches; config = Criterion::default().sample_size(30); targets = benches);
#[cfg(not(target_arch = "wasm32"))]
criterion_main!(planner_benches);

#[cfg(target_arch = "wasm32")]
fn main() {}

//! The in-browser benchmark (`/?bench`): times decoding the embedded catalog and ranking 50,000 offers in wasm,
//! and renders the figures for the end-to-end harness to read and report.

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
    report
}

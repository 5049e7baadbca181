//! Benchmarks of orders: validating one order and rendering every format of it (budgets: ≤ 50 µs and ≤ 1 ms).
//! Native only; run with `cargo bench -p spotplan-core --bench orders`.
#![cfg_attr(target_arch = "wasm32", allow(unused))]

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::hint::black_box;

    use criterion::Criterion;
    use spotplan_core::order::format::{SnippetOptions, render_all};
    use spotplan_core::order::{SpotOrder, ValidationContext, validate};

    fn example(name: &str) -> SpotOrder {
        let path = format!("{}/../../examples/orders/{name}.json", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).expect("example order")).expect("valid JSON")
    }

    pub(crate) fn benches(c: &mut Criterion) {
        let options = SnippetOptions {
            client_token: "spotplan-0b7e2c61-5d4e-4f7a-9c1b-2f0d8e6a4b13".into(),
            idempotency_key: "0b7e2c61-5d4e-4f7a-9c1b-2f0d8e6a4b13".into(),
            proxy_url: "http://127.0.0.1:8787".into(),
        };
        for name in ["alibaba", "tencent", "baidu"] {
            let order = example(name);
            let context = ValidationContext::default();
            c.bench_function(&format!("validate {name} order"), |b| {
                b.iter(|| black_box(validate(black_box(&order), &context)))
            });
            let valid = validate(&order, &context).valid.expect("valid example");
            c.bench_function(&format!("render all formats of {name} order"), |b| {
                b.iter(|| black_box(render_all(black_box(&valid), &options)))
            });
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_group!(name = order_benches; config = criterion::Criterion::default().sample_size(30); targets = native::benches);
#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(order_benches);

#[cfg(target_arch = "wasm32")]
fn main() {}

//! The proxy's own overhead per order: everything but the upstream's own time (validation, the order log's two
//! durable writes, signing, the HTTP client), measured at 200 concurrent submissions on loopback against the
//! Tencent stand-in, and one order at a time for the proxy's own cost per order. Prints p50/p90/p99 of
//! (client-observed latency − the proxy's measured upstream time). Client, stand-in and proxy share the cores.
//! Run with `cargo bench -p spotplan-proxy --bench overhead`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use spotplan_proxy::credentials::{CloudCredentials, Loaded};
use spotplan_proxy::endpoints::{EndpointOverride, Endpoints};
use spotplan_proxy::{AppState, Config, Store, app};
use spotplan_sign::{Credentials, Secret};
use spotplan_standin::{Kind, Standin};

/// Concurrency levels measured: one order at a time (the proxy's own cost per order), then a burst of 200.
const LEVELS: [(usize, usize); 2] = [(1, 200), (200, 10)];
const TOKEN: &str = "bench-token-0123456789abcdef";

async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    address
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let standin = serve(spotplan_standin::router(Standin::new(
        Kind::Tencent,
        "AKIDbench",
        "bench-secret-0123456789",
    )))
    .await;
    let dir = std::env::temp_dir().join(format!("spotplan-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let store = Store::open(&dir.join("orders.sqlite3")).expect("store");
    // Bound first: the proxy answers only to the Host names of the port it really listens on.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let mut config = Config::new(dir.clone(), Secret::new(TOKEN));
    config.listen = listener.local_addr().expect("address");
    config.endpoints = Endpoints {
        tencent: Some(EndpointOverride {
            scheme: "http".into(),
            authority: standin.to_string(),
        }),
        ..Endpoints::default()
    };
    let credentials = CloudCredentials {
        tencent: Some(Loaded {
            credentials: Credentials::new("AKIDbench", "bench-secret-0123456789"),
            source: "bench".into(),
        }),
        ..CloudCredentials::default()
    };
    let proxy = config.listen;
    let router = app(AppState::new(config, credentials, store).expect("state"));
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    let order: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/orders/tencent.json"
        ))
        .expect("example"),
    )
    .expect("json");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .expect("client");
    let url = format!("http://{proxy}/api/v1/orders");
    for (concurrency, rounds) in LEVELS {
        let mut overheads = Vec::new();
        let mut totals = Vec::new();
        for round in 0..=rounds {
            let mut tasks = Vec::with_capacity(concurrency);
            for index in 0..concurrency {
                let (client, url, order) = (client.clone(), url.clone(), order.clone());
                tasks.push(tokio::spawn(async move {
                    let started = Instant::now();
                    let response = client
                        .post(&url)
                        .header("x-spotplan-token", TOKEN)
                        .header(
                            "idempotency-key",
                            format!("bench-{concurrency:03}-{round:03}-{index:05}"),
                        )
                        .json(&order)
                        .send()
                        .await
                        .expect("send");
                    let body: serde_json::Value = response.json().await.expect("json");
                    let total = started.elapsed();
                    assert_eq!(body["status"], "succeeded", "{body}");
                    let upstream = Duration::from_micros(body["upstream_us"].as_u64().expect("upstream_us"));
                    (total, total.saturating_sub(upstream))
                }));
            }
            for task in tasks {
                let (total, overhead) = task.await.expect("task");
                if round > 0 {
                    totals.push(total);
                    overheads.push(overhead);
                }
            }
        }
        overheads.sort();
        totals.sort();
        println!(
            "proxy overhead at {concurrency} concurrent orders, {} samples (round 0 was warm-up):",
            overheads.len()
        );
        for (label, p) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)] {
            println!(
                "  {label}: overhead {:>8.3} ms   end-to-end {:>8.3} ms",
                percentile(&overheads, p).as_secs_f64() * 1e3,
                percentile(&totals, p).as_secs_f64() * 1e3
            );
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

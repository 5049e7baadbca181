//! What the instances page's read costs on a book with a long history: 50,000 instances of 1,000 orders, of which
//! 1,000 are live and the rest ended over the last 50 days, in the embedded SQLite log. It times, as the median of
//! 15 reads each, the listing the page asked for before (every instance, and who placed every order ever placed,
//! read apart) against `instance_book::listed` with every instance and with a day of history, and prints the size
//! of each JSON answer. The page reads it every 3 s.
//!
//! Run with `cargo bench -p spotplan-proxy --bench instance_listing`.
#![allow(clippy::unwrap_used, clippy::print_stdout)] // a benchmark: a panic is how a failure is reported

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use spotplan_core::api::instances::{InstanceView, InstancesAnswer};
use spotplan_core::lifecycle::InstanceState;
use spotplan_core::{Cloud, Currency, Money};
use spotplan_proxy::instance_book::{self, InstanceRow, Listing};

const ORDERS: usize = 1_000;
const PER_ORDER: usize = 50;
const LIVE_ORDERS: usize = 20;
const DAY_MS: i64 = 86_400_000;
const NOW_MS: i64 = 1_800_000_000_000;
const READS: usize = 15;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

async fn timed<F, Fut>(read: F) -> (Duration, usize)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = InstancesAnswer>,
{
    let mut times = Vec::with_capacity(READS);
    let mut size = 0;
    for _ in 0..READS {
        let started = Instant::now();
        let answer = read().await;
        size = serde_json::to_vec(&answer).unwrap().len();
        times.push(started.elapsed());
    }
    (median(times), size)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let store = common::postgres::sqlite();
    let price = Some(Money::new(rust_decimal::Decimal::new(25, 2), Currency::Cny));
    for order in 0..ORDERS {
        // Oldest first: the last LIVE_ORDERS orders still run, the others ended spread over 50 days.
        let placed_at = NOW_MS - (ORDERS - order) as i64 * 50 * DAY_MS / ORDERS as i64;
        let mut record = common::pending_order(&format!("bench-{order:05}-key"), placed_at);
        record.view.placed_by = Some(format!("person-{}", order % 7));
        store.insert(&record).await.unwrap();
        let rows: Vec<InstanceRow> = (0..PER_ORDER)
            .map(|index| {
                let live = order >= ORDERS - LIVE_ORDERS;
                InstanceRow {
                    state: if live {
                        InstanceState::Running
                    } else {
                        InstanceState::Released
                    },
                    running_since_ms: Some(placed_at + 60_000),
                    ended_at_ms: (!live).then_some(placed_at + 3_600_000),
                    ..InstanceRow::placed(
                        Cloud::Tencent,
                        "ap-guangzhou",
                        &format!("ins-{order:05}-{index:03}"),
                        &record.view.id,
                        price,
                        placed_at,
                    )
                }
            })
            .collect();
        instance_book::add_placed(&store, rows.clone()).await.unwrap();
        instance_book::save(&store, rows).await.unwrap();
    }
    let before = timed(|| async {
        let rows = instance_book::all(&store).await.unwrap();
        let placed_by: std::collections::HashMap<String, String> = store
            .select(
                "SELECT id, placed_by FROM orders WHERE placed_by IS NOT NULL",
                Vec::new(),
            )
            .await
            .unwrap()
            .iter()
            .filter_map(|row| Some((row.text(0)?, row.text(1)?)))
            .collect();
        let instances = rows
            .iter()
            .map(|row| {
                let mut view = row.view(NOW_MS);
                view.placed_by = view.order_id.as_ref().and_then(|id| placed_by.get(id).cloned());
                view
            })
            .collect();
        InstancesAnswer {
            instances,
            now_ms: NOW_MS,
            ended_earlier: 0,
        }
    })
    .await;
    let listed = |ended_since_ms| {
        let store = store.clone();
        async move {
            let listing = Listing {
                placed_by: None,
                ended_since_ms,
            };
            let (rows, ended_earlier) = instance_book::listed(&store, listing).await.unwrap();
            InstancesAnswer {
                instances: rows
                    .into_iter()
                    .map(|(row, placed_by)| InstanceView {
                        placed_by,
                        ..row.view(NOW_MS)
                    })
                    .collect(),
                now_ms: NOW_MS,
                ended_earlier,
            }
        }
    };
    let everything = timed(|| listed(None)).await;
    let a_day = timed(|| listed(Some(NOW_MS - DAY_MS))).await;
    let total = ORDERS * PER_ORDER;
    println!(
        "{total} instances, {} live, of {ORDERS} orders; median of {READS} reads",
        LIVE_ORDERS * PER_ORDER
    );
    for (name, (time, bytes)) in [
        ("every instance, placed_by of every order read apart (before)", before),
        ("every instance, placed_by joined", everything),
        ("live + a day of history (the page now)", a_day),
    ] {
        println!("{name}: {:.1} ms, {bytes} B of JSON", time.as_secs_f64() * 1e3);
    }
}

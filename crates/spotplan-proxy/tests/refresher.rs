//! The price refresher over 500 Alibaba pools against a stand-in playing the synthetic market: each step stays
//! within the queries it is given, only price changes are stored (each equal to the market's price then, none equal
//! to the one before), a second round over the same market stores no change (only confirmations that prices hold), and a restarted proxy resumes at the
//! pool it had reached. A cloud refusing every query gets one request per query the budget counts.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod common;

use std::path::Path;
use std::time::Duration;

use common::{KEYS, TOKEN, tempdir};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use spotplan_core::Cloud;
use spotplan_core::catalog::PriceKind;
use spotplan_proxy::at_rest::InstallKey;
use spotplan_proxy::endpoints::{EndpointOverride, Endpoints};
use spotplan_proxy::{AppState, app, price_store, refresher};
use spotplan_standin::{Kind, Standin, market};

async fn proxy(dir: &Path, standin_address: &str) -> (AppState, String) {
    let endpoints = Endpoints::default().with(
        Cloud::Alibaba,
        EndpointOverride {
            scheme: "http".into(),
            authority: standin_address.to_owned(),
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut config = common::config(&tempdir());
    config.listen = address;
    config.endpoints = endpoints;
    let store = common::postgres::store_in(dir).await;
    let mut state = AppState::new(
        config,
        common::credentials(),
        store,
        InstallKey::load_or_create(dir).unwrap(),
    )
    .unwrap();
    state.upstream.backoff = Duration::from_millis(10);
    let served = state.clone();
    tokio::spawn(async move { axum::serve(listener, app(served)).await.unwrap() });
    (state, format!("http://{address}"))
}

/// The refresher's progress as the API answers it.
async fn progress_of(url: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{url}/api/v1/refresh"))
        .header("x-spotplan-token", TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

const ZONES: [&str; 5] = [
    "cn-hangzhou-g",
    "cn-hangzhou-h",
    "cn-hangzhou-i",
    "cn-hangzhou-j",
    "cn-hangzhou-k",
];

fn pools() -> Vec<(String, String)> {
    (0..100)
        .flat_map(|i| {
            ZONES
                .iter()
                .map(move |zone| (zone.to_string(), format!("ecs.r{i}.xlarge")))
        })
        .collect()
}

/// An Alibaba stand-in playing the synthetic market, serving on a loopback port: its address.
async fn market_standin() -> String {
    let mut standin = Standin::new(Kind::Alibaba, KEYS[0].1, KEYS[0].2);
    standin.market = true;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, spotplan_standin::router(standin)).await.unwrap() });
    address
}

#[tokio::test]
async fn a_refresher_over_500_pools_keeps_only_changes_within_its_budget_and_resumes_after_a_restart() {
    let standin_address = market_standin().await;
    let dir = tempdir();
    let (state, url) = proxy(&dir, &standin_address).await;
    let asks: Vec<Value> = pools()
        .iter()
        .map(|(zone, kind)| json!({ "offer": { "cloud": "alibaba", "region": "cn-hangzhou", "zone": zone, "instance_type": kind } }))
        .collect();
    let client = reqwest::Client::new();
    let answer: Value = client
        .put(format!("{url}/api/v1/refresh"))
        .header("x-spotplan-token", TOKEN)
        .json(&json!({ "enabled": true, "pools": asks, "budget_per_minute": 600 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (answer["pools"].as_u64(), answer["enabled"].as_bool()),
        (Some(500), Some(true)),
        "{answer}"
    );

    // Each step spends at most what it is given.
    let first = refresher::step(&state, 50).await.unwrap();
    assert!(first.calls <= 50 && first.calls >= 40, "{first:?}");
    assert!(first.pools >= 20, "{first:?}");
    let reached = first.pools;

    // A restarted proxy resumes at the pool it had reached.
    drop(state);
    let (state, url) = proxy(&dir, &standin_address).await;
    let progress = progress_of(&url).await;
    assert_eq!(progress["cursor"].as_u64(), Some(u64::from(reached)), "{progress}");
    let mut steps = 0;
    loop {
        let done = refresher::step(&state, 100).await.unwrap();
        assert!(done.calls <= 100);
        steps += 1;
        let progress = progress_of(&url).await;
        if progress["rounds"] == 1 {
            break;
        }
        assert!(steps < 40, "the round never finished: {progress}");
    }

    // Only changes were stored: per pool, each spot price the market's at that hour, none equal to the one before,
    // as many as the market's changes over the stored span; one pay-as-you-go row; nothing for pools with no market.
    // The delta in pages, as the app reads it.
    let (mut observations, mut since, mut rows) = (Vec::new(), 0, 0);
    loop {
        let page = price_store::since(&state.store, since, 50_000).await.unwrap();
        observations.extend(page.observations());
        rows += page.rows.len();
        since = page.until;
        if !page.more {
            break;
        }
    }
    assert!(rows > 50_000, "more than one page: {rows}");
    let mut checked = 0;
    for (zone, kind) in pools() {
        let mut spot: Vec<_> = observations
            .iter()
            .filter(|o| {
                o.offer.zone.as_deref() == Some(zone.as_str())
                    && o.offer.instance_type == kind
                    && o.kind == PriceKind::Spot
            })
            .collect();
        if market::unavailable(&zone, &kind) {
            assert!(spot.is_empty(), "{zone} {kind}");
            continue;
        }
        spot.sort_by_key(|o| o.observed_at);
        let (from, to) = (spot[0].observed_at, spot[spot.len() - 1].observed_at);
        assert!(
            to - from > 25 * 86_400,
            "30 days asked: {zone} {kind} {} s, {} rows from {from} to {to}; the market has {} changes over 30 days",
            to - from,
            spot.len(),
            market::changes(&zone, &kind, to - 30 * 86_400, to).len()
        );
        // Besides the changes, the newest time an unchanged price was seen may be kept, once, as the last row (a
        // pool read again after the round wrapped, from where its first reading got to).
        if spot.len() > 1 && spot[spot.len() - 1].rate == spot[spot.len() - 2].rate {
            spot.pop();
        }
        let to = spot[spot.len() - 1].observed_at;
        let expected = market::changes(&zone, &kind, from, to);
        assert_eq!(spot.len(), expected.len(), "{zone} {kind}");
        for (stored, (at, milli)) in spot.iter().zip(&expected) {
            assert_eq!(
                (stored.observed_at, stored.rate.money.amount * Decimal::from(1000)),
                (*at, Decimal::from(*milli))
            );
        }
        checked += 1;
    }
    assert!(checked > 400, "{checked}");
    // Asking the same market again stores no change (twenty of the pools, once more): at most each pool's one
    // confirmation that the price in force still holds, newer than anything stored for it.
    let before = rows;
    let again: Vec<Value> = pools()
        .iter()
        .take(20)
        .map(|(zone, kind)| json!({ "offer": { "cloud": "alibaba", "region": "cn-hangzhou", "zone": zone, "instance_type": kind } }))
        .collect();
    client
        .put(format!("{url}/api/v1/refresh"))
        .header("x-spotplan-token", TOKEN)
        .json(&json!({ "enabled": true, "pools": again }))
        .send()
        .await
        .unwrap();
    let second = refresher::step(&state, 100).await.unwrap();
    assert_eq!(second.pools, 20, "{second:?}");
    assert_eq!(second.stored, 0, "{second:?}");
    let after = price_store::since(&state.store, since, 50_000).await.unwrap();
    assert!(before > 0);
    assert!(after.rows.len() <= 2 * 20, "{} rows", after.rows.len());
    for confirmed in after.observations() {
        let latest = observations
            .iter()
            .filter(|o| o.offer == confirmed.offer && o.kind == confirmed.kind)
            .max_by_key(|o| o.observed_at)
            .unwrap();
        assert_eq!(confirmed.rate, latest.rate, "a price that did not move: {confirmed:?}");
        assert!(confirmed.observed_at >= latest.observed_at, "{confirmed:?}");
    }

    // Hostile settings are refused, naming the field.
    for (body, field) in [
        (json!({ "enabled": true, "budget_per_minute": 0 }), "budget_per_minute"),
        (
            json!({ "enabled": true, "budget_per_minute": 100000 }),
            "budget_per_minute",
        ),
        (
            json!({ "enabled": true, "pools": [{ "offer": { "cloud": "alibaba", "region": "x.evil.com/", "instance_type": "t" } }] }),
            "pools[0].offer.region",
        ),
        (
            json!({ "enabled": true, "pools": [{ "offer": { "cloud": "alibaba", "region": "cn-hangzhou", "zone": "cn-hangzhou-k", "instance_type": "ecs.g7.large" } }, { "offer": { "cloud": "alibaba", "region": "cn-hangzhou", "zone": "cn-hangzhou-k\r\nX: y", "instance_type": "ecs.g7.large" } }] }),
            "pools[1].offer.zone",
        ),
        (
            json!({ "enabled": true, "pools": [{ "offer": { "cloud": "tencent", "region": "ap-guangzhou", "instance_type": "S5.LARGE8" }, "image_id": "img-1&Action=RunInstances" }] }),
            "pools[0].image_id",
        ),
        (
            json!({ "enabled": true, "pools": [{ "offer": { "cloud": "alibaba", "region": "cn-hangzhou", "zone": "cn-hangzhou-k", "instance_type": "ecs.g7.large" }, "one_hour_protection": false }] }),
            "pools[0].one_hour_protection",
        ),
        (
            json!({ "enabled": true, "pools": [{ "offer": { "cloud": "alibaba", "region": "cn-hangzhou", "zone": "cn-hangzhou-k", "instance_type": "ecs.g7.large" }, "os": "windows" }] }),
            "pools[0].os",
        ),
    ] {
        let response = client
            .put(format!("{url}/api/v1/refresh"))
            .header("x-spotplan-token", TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{body}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }
    let untokened = client.get(format!("{url}/api/v1/refresh")).send().await.unwrap();
    assert_eq!(untokened.status().as_u16(), 401);
}

/// A history longer than a step's queries (at 30 queries a minute a step has one) is read on from where the last
/// step got to, so the newest prices are reached — not its oldest page read again every round; once read to its
/// end, a round asks only the last hour again, and a list put again with the pool keeps how far it was read.
#[tokio::test]
async fn a_history_longer_than_a_steps_queries_is_read_on_to_its_newest_change() {
    let standin_address = market_standin().await;
    let dir = tempdir();
    let (state, url) = proxy(&dir, &standin_address).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    // A pool whose 30 days take two pages or more.
    let (zone, kind) = pools()
        .into_iter()
        .find(|(zone, kind)| market::changes(zone, kind, now - 30 * 86_400, now).len() > spotplan_standin::MARKET_PAGE)
        .expect("a pool with more than a page of changes");
    let changes = market::changes(&zone, &kind, now - 30 * 86_400, now);
    let newest = changes.last().unwrap().0;
    let pages = changes.len().div_ceil(spotplan_standin::MARKET_PAGE);
    let put = || async {
        reqwest::Client::new()
            .put(format!("{url}/api/v1/refresh"))
            .header("x-spotplan-token", TOKEN)
            .json(&json!({ "enabled": true, "budget_per_minute": 30, "pools": [
                { "offer": { "cloud": "alibaba", "region": "cn-hangzhou", "zone": zone, "instance_type": kind } }
            ] }))
            .send()
            .await
            .unwrap()
    };
    assert_eq!(put().await.status().as_u16(), 200);
    let newest_stored = || async {
        price_store::export(&state.store)
            .await
            .unwrap()
            .observations()
            .into_iter()
            .filter(|o| o.kind == PriceKind::Spot)
            .map(|o| o.observed_at)
            .max()
    };
    for step in 0..pages {
        let done = refresher::step(&state, 1).await.unwrap();
        assert_eq!(done.calls, 1, "step {step}: {done:?}");
    }
    assert!(
        newest_stored().await >= Some(newest),
        "{pages} pages read one a step reach the newest change at {newest}: {:?}",
        newest_stored().await
    );
    let progress = progress_of(&url).await;
    assert!(progress["last_error"].is_null(), "{progress}");
    // Read to its end: the next rounds ask the last hour again, one page each; so does the pool put again.
    assert_eq!(put().await.status().as_u16(), 200);
    for _ in 0..3 {
        let done = refresher::step(&state, 5).await.unwrap();
        assert_eq!(done.calls, 1, "{done:?}");
    }
}

/// Each query of the refresher is one request: a cloud answering 503 (or throttling) is not asked three times per
/// counted query — the retries of the order path used to triple what reached a cloud already refusing.
#[tokio::test]
async fn a_refusing_cloud_gets_no_more_requests_than_the_refreshers_budget() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    let refusing = axum::Router::new().fallback(move || {
        let counted = counted.clone();
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                r#"{"Code":"ServiceUnavailable","Message":"try later","RequestId":"r"}"#,
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, refusing).await.unwrap() });
    let (state, url) = proxy(&tempdir(), &address).await;
    let asks: Vec<Value> = pools()
        .iter()
        .take(20)
        .map(|(zone, kind)| json!({ "offer": { "cloud": "alibaba", "region": "cn-hangzhou", "zone": zone, "instance_type": kind } }))
        .collect();
    let answer = reqwest::Client::new()
        .put(format!("{url}/api/v1/refresh"))
        .header("x-spotplan-token", TOKEN)
        .json(&json!({ "enabled": true, "pools": asks, "budget_per_minute": 600 }))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    let done = refresher::step(&state, 10).await.unwrap();
    assert!(done.calls <= 10, "{done:?}");
    assert_eq!(
        requests.load(Ordering::SeqCst),
        done.calls as usize,
        "one request per counted query"
    );
}

/// A step running on one replica and a change of settings on another (the refresher switched off while it
/// queries): the step's end writes where it got to and adds its counts, and the switch stays off.
#[tokio::test]
async fn a_step_does_not_undo_settings_changed_on_another_replica_while_it_ran() {
    // Says when the step's first query arrives, so the settings change lands while the step runs.
    let queried = std::sync::Arc::new(tokio::sync::Notify::new());
    let arrived = queried.clone();
    let slow = axum::Router::new().fallback(move || {
        let arrived = arrived.clone();
        async move {
            arrived.notify_one();
            tokio::time::sleep(Duration::from_millis(300)).await;
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                r#"{"Code":"ServiceUnavailable","Message":"try later","RequestId":"r"}"#,
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, slow).await.unwrap() });
    let dir = tempdir();
    let (stepping, _) = proxy(&dir, &address).await;
    let (_, other) = proxy(&dir, &address).await;
    let put = |body: Value| {
        let other = other.clone();
        async move {
            let answer = reqwest::Client::new()
                .put(format!("{other}/api/v1/refresh"))
                .header("x-spotplan-token", TOKEN)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(answer.status().is_success(), "{}", answer.text().await.unwrap());
        }
    };
    let asks: Vec<Value> = pools()
        .iter()
        .take(5)
        .map(|(zone, kind)| json!({ "offer": { "cloud": "alibaba", "region": "cn-hangzhou", "zone": zone, "instance_type": kind } }))
        .collect();
    put(json!({ "enabled": true, "pools": asks, "budget_per_minute": 600 })).await;
    let step = tokio::spawn(async move { refresher::step(&stepping, 3).await.unwrap() });
    queried.notified().await;
    put(json!({ "enabled": false, "budget_per_minute": 7 })).await;
    let done = step.await.unwrap();
    assert!(done.calls >= 1, "{done:?}");
    let progress = progress_of(&other).await;
    assert_eq!(progress["enabled"], false, "{progress}");
    assert_eq!(progress["budget_per_minute"], 7, "{progress}");
    assert_eq!(
        progress["calls"], done.calls,
        "the step's queries are counted: {progress}"
    );
}

//! The price store against the real proxy and an Alibaba stand-in playing the synthetic market: a live quote keeps
//! only the price changes (each equal to what the market said at that time, no two in a row equal), a pool with no
//! market stores nothing, the catalog delta hands back exactly what was stored after a point, and the delta for
//! 20,000 offers stays within its 300 KB gzip budget; `spotplan-proxy export-prices` writes the whole store, which
//! folds into the embedded catalog (what `cargo xtask catalog --from-store` does) with its prices and sources.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod common;

use std::io::Write;

use common::{KEYS, TOKEN, tempdir};
use serde_json::{Value, json};
use spotplan_core::Cloud;
use spotplan_core::api::catalog::CatalogDelta;
use spotplan_core::catalog::{ExternalObservation, OfferKey, PriceKind, Source};
use spotplan_core::{Currency, Money, PriceRate, TimeUnit};
use spotplan_proxy::endpoints::{EndpointOverride, Endpoints};
use spotplan_proxy::{AppState, price_store};
use spotplan_standin::{Kind, Standin, market};

struct Rig {
    proxy: String,
    state: AppState,
}

async fn rig() -> Rig {
    rig_with(common::postgres::store_in(&tempdir()).await).await
}

async fn rig_with(store: spotplan_proxy::Store) -> Rig {
    let mut standin = Standin::new(Kind::Alibaba, KEYS[0].1, KEYS[0].2);
    standin.market = true;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let standin_address = listener.local_addr().unwrap().to_string();
    let router = spotplan_standin::router(standin);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let endpoints = Endpoints::default().with(
        Cloud::Alibaba,
        EndpointOverride {
            scheme: "http".into(),
            authority: standin_address,
        },
    );
    let (address, state) = common::serve_loopback(common::credentials(), endpoints, store).await;
    Rig {
        proxy: format!("http://{address}"),
        state,
    }
}

async fn get(rig: &Rig, path: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", rig.proxy))
        .header("x-spotplan-token", TOKEN)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

async fn quote(rig: &Rig, types: &[&str]) -> Value {
    let offers: Vec<Value> = types
        .iter()
        .map(|t| json!({ "offer": { "cloud": "alibaba", "region": "cn-hangzhou", "zone": "cn-hangzhou-k", "instance_type": t } }))
        .collect();
    reqwest::Client::new()
        .post(format!("{}/api/v1/prices", rig.proxy))
        .header("x-spotplan-token", TOKEN)
        .json(&json!({ "offers": offers }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_live_quote_keeps_only_price_changes_and_the_delta_hands_them_back() {
    let rig = rig().await;
    let types: Vec<String> = (0..40).map(|i| format!("ecs.m{i}.large")).collect();
    let open: Vec<&str> = types
        .iter()
        .map(String::as_str)
        .filter(|t| !market::unavailable("cn-hangzhou-k", t))
        .take(3)
        .collect();
    let closed = types
        .iter()
        .map(String::as_str)
        .find(|t| market::unavailable("cn-hangzhou-k", t))
        .unwrap();
    let answer = quote(&rig, &[open[0], open[1], open[2], closed]).await;
    assert!(
        answer["quotes"][3]["observations"].as_array().unwrap().is_empty(),
        "{answer}"
    );

    let (status, delta) = get(&rig, "/api/v1/catalog?since=0").await;
    assert_eq!(status, 200, "{delta}");
    let delta: CatalogDelta = serde_json::from_value(delta).unwrap();
    let observations = delta.observations();
    for instance_type in &open {
        let spot: Vec<&ExternalObservation> = observations
            .iter()
            .filter(|o| o.offer.instance_type == *instance_type && o.kind == PriceKind::Spot)
            .collect();
        // Exactly the market's changes over the window the quote asked (three days): each price what the market
        // said then, none equal to the one before.
        let (first, last) = (spot[0].observed_at, spot[spot.len() - 1].observed_at);
        let expected = market::changes("cn-hangzhou-k", instance_type, first, last);
        assert_eq!(spot.len(), expected.len(), "{instance_type}");
        for (stored, (at, milli)) in spot.iter().zip(&expected) {
            assert_eq!(stored.observed_at, *at);
            assert_eq!(
                stored.rate.money.amount * rust_decimal::Decimal::from(1000),
                rust_decimal::Decimal::from(*milli)
            );
        }
        assert!(last - first >= 2 * 86_400, "three days of history: {}", last - first);
        // The pay-as-you-go price never moved: its first sighting, and the newest one as its confirmation (so its
        // age is that of the last record, not of the first).
        let on_demand: Vec<i64> = observations
            .iter()
            .filter(|o| o.offer.instance_type == *instance_type && o.kind == PriceKind::OnDemand)
            .map(|o| o.observed_at)
            .collect();
        assert_eq!(on_demand, [first, last], "{instance_type}");
    }
    assert!(
        observations.iter().all(|o| o.offer.instance_type != closed),
        "no market, nothing stored"
    );
    // The same answer again stores nothing; the delta after the last point is empty.
    let again = price_store::record(&rig.state.store, observations.clone(), 1)
        .await
        .unwrap();
    assert_eq!(again, 0);
    let (_, empty) = get(&rig, &format!("/api/v1/catalog?since={}", delta.until)).await;
    assert_eq!(empty["rows"], json!([]), "{empty}");
    let (status, refused) = get(&rig, "/api/v1/catalog?since=0&limit=0").await;
    assert_eq!(
        (status, refused["error"]["field"].clone()),
        (400, json!("limit")),
        "{refused}"
    );
    let (status, _) = get(&rig, "/api/v1/catalog?since=0&nonsense=1").await;
    assert_eq!(status, 400);
    let untokened = reqwest::Client::new()
        .get(format!("{}/api/v1/catalog", rig.proxy))
        .send()
        .await
        .unwrap();
    assert_eq!(untokened.status().as_u16(), 401);
}

/// A quote of another market than the offer's default — a draft without Alibaba's one-hour protection (a cheaper
/// market) or for Windows — answers its draft but is not stored as the offer's price for everyone.
#[tokio::test]
async fn a_quote_of_another_market_is_answered_but_not_stored() {
    let rig = rig().await;
    let open = (0..40)
        .map(|i| format!("ecs.m{i}.large"))
        .find(|t| !market::unavailable("cn-hangzhou-k", t))
        .unwrap();
    let offer = json!({ "cloud": "alibaba", "region": "cn-hangzhou", "zone": "cn-hangzhou-k", "instance_type": open });
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/api/v1/prices", rig.proxy))
        .header("x-spotplan-token", TOKEN)
        .json(&json!({ "offers": [
            { "offer": offer, "one_hour_protection": false },
            { "offer": offer, "os": "windows" }
        ] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for quote in answer["quotes"].as_array().unwrap() {
        assert!(
            !quote["observations"].as_array().unwrap().is_empty(),
            "answered: {answer}"
        );
    }
    let (status, delta) = get(&rig, "/api/v1/catalog?since=0").await;
    assert_eq!(status, 200, "{delta}");
    let delta: CatalogDelta = serde_json::from_value(delta).unwrap();
    assert!(
        delta.observations().is_empty(),
        "nothing stored: {:?}",
        delta.observations()
    );
    // The default market's quote is stored.
    quote(&rig, &[open.as_str()]).await;
    let (_, delta) = get(&rig, "/api/v1/catalog?since=0").await;
    let delta: CatalogDelta = serde_json::from_value(delta).unwrap();
    assert!(!delta.observations().is_empty());
}

#[tokio::test]
async fn a_store_the_stand_in_filled_exports_and_folds_into_the_catalog_with_its_sources() {
    let data_dir = tempdir();
    let store = spotplan_proxy::Store::open(&data_dir.join("orders.sqlite3"), &|_| String::new()).unwrap();
    let rig = rig_with(store).await;
    let catalog = spotplan_core::catalog::Catalog::embedded().unwrap();
    // Types the catalog sells in cn-hangzhou-k, and one it has never heard of.
    let known: Vec<String> = (0..catalog.offers().len())
        .map(|i| catalog.key_of(i))
        .filter(|key| key.cloud == Cloud::Alibaba && key.zone.as_deref() == Some("cn-hangzhou-k"))
        .map(|key| key.instance_type)
        .filter(|t| !market::unavailable("cn-hangzhou-k", t))
        .take(3)
        .collect();
    assert_eq!(known.len(), 3);
    let unknown = (0..40)
        .map(|i| format!("ecs.future{i}.large"))
        .find(|t| !market::unavailable("cn-hangzhou-k", t))
        .unwrap();
    quote(&rig, &[&known[0], &known[1], &known[2], &unknown]).await;
    let (_, served) = get(&rig, "/api/v1/catalog?since=0").await;
    let served: CatalogDelta = serde_json::from_value(served).unwrap();

    let out = data_dir.join("export.json");
    let exported = std::process::Command::new(env!("CARGO_BIN_EXE_spotplan-proxy"))
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["export-prices", "--out"])
        .arg(&out)
        .env_remove("SPOTPLAN_DATA_DIR")
        .output()
        .unwrap();
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let export: CatalogDelta = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(
        export.observations(),
        served.observations(),
        "the export is the whole store"
    );
    assert!(export.rows.len() > 12, "three days of changes: {}", export.rows.len());

    let fold = catalog.with_store_history(&export.observations(), 30 * 86_400).unwrap();
    assert_eq!(fold.unknown_offers.len(), 1);
    assert_eq!(fold.unknown_offers[0].instance_type, unknown);
    let of_known = export
        .observations()
        .into_iter()
        .filter(|o| o.offer.instance_type != unknown)
        .count();
    assert_eq!(
        (fold.kept.len(), fold.older_than_window, fold.duplicates),
        (of_known, 0, 0)
    );
    for instance_type in &known {
        let key = OfferKey {
            cloud: Cloud::Alibaba,
            region: "cn-hangzhou".into(),
            zone: Some("cn-hangzhou-k".into()),
            instance_type: instance_type.clone(),
        };
        let newest = export
            .observations()
            .into_iter()
            .filter(|o| o.offer == key && o.kind == PriceKind::Spot)
            .max_by_key(|o| o.observed_at)
            .unwrap();
        let offer = fold.catalog.find_offer(&key).unwrap();
        let latest = fold.catalog.latest(offer, PriceKind::Spot).unwrap();
        assert_eq!((latest.observed_at, latest.rate), (newest.observed_at, newest.rate));
        assert_eq!(fold.catalog.source_of(latest), &newest.source, "provenance kept");
        // The stand-in's history is there too, not only the newest price.
        assert!(fold.catalog.spot_history(offer).len() >= 3, "{instance_type}");
    }
}

#[tokio::test]
async fn the_delta_for_twenty_thousand_offers_is_within_300_kb_gzip() {
    let store = common::postgres::store_in(&tempdir()).await;
    let source = Source {
        key: "live-alibaba-DescribeSpotPriceHistory-2026-12-01".into(),
        name: "live quote via the proxy (Alibaba Cloud DescribeSpotPriceHistory)".into(),
        url: "https://api.alibabacloud.com/document/Ecs/2014-05-26/DescribeSpotPriceHistory".into(),
        licence: "none stated (your account's own answer from the cloud's API)".into(),
        date: "2026-12-01".into(),
        attribution: "Alibaba Cloud ECS DescribeSpotPriceHistory answered your account through the proxy".into(),
        live: None,
    };
    let observations: Vec<ExternalObservation> = (0..20_000u32)
        .map(|i| ExternalObservation {
            offer: OfferKey {
                cloud: Cloud::Alibaba,
                region: format!("cn-region-{}", i % 30),
                zone: Some(format!("cn-region-{}-{}", i % 30, (b'a' + (i % 7) as u8) as char)),
                instance_type: format!("ecs.family{}.size{}", i % 90, i / 90),
            },
            kind: PriceKind::Spot,
            rate: PriceRate::new(
                Money::new(rust_decimal::Decimal::new(i64::from(30 + i % 900), 3), Currency::Cny),
                TimeUnit::Hour,
            ),
            observed_at: 1_764_547_200 + i64::from(i % 3600),
            source: source.clone(),
        })
        .collect();
    let stored = price_store::record(&store, observations, 5).await.unwrap();
    assert_eq!(stored, 20_000);
    let delta = price_store::since(&store, 0, 50_000).await.unwrap();
    assert_eq!(delta.rows.len(), 20_000);
    let json = serde_json::to_vec(&delta).unwrap();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&json).unwrap();
    let size = gzip.finish().unwrap().len();
    println!("catalog delta for 20,000 offers: {} B JSON, {size} B gzip", json.len());
    assert!(size <= 300 * 1024, "{size} B gzip");
}

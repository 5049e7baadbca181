//! Shared test fixtures: a proxy state with fake credentials, temp folders, example orders.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use spotplan_core::Cloud;
use spotplan_proxy::credentials::{CloudCredentials, Loaded};
use spotplan_proxy::endpoints::Endpoints;
use spotplan_proxy::{AppState, Config, InstallKey, Store};
use spotplan_sign::{Credentials, Secret};

pub mod partition;
pub mod postgres;
pub mod proxy_process;

pub const TOKEN: &str = "test-token-0123456789abcdef";

/// Fake key pairs: (cloud, id, secret). The secrets are long and distinctive so a leak is easy to grep for.
pub const KEYS: [(&str, &str, &str); 3] = [
    ("alibaba", "LTAI5tTestAccessKey01", "AlibabaSecretValue-7f3k9QzX2w"),
    ("tencent", "AKIDTestSecretId0001", "TencentSecretValue-4p8LmN1v6R"),
    (
        "baidu",
        "bce0123456789abcdef0123456789ab",
        "BaiduSecretValue-2s5Hq0Wy8TcK9",
    ),
];

pub fn credentials() -> CloudCredentials {
    Cloud::ALL
        .into_iter()
        .zip(KEYS)
        .fold(CloudCredentials::default(), |credentials, (cloud, (_, id, secret))| {
            credentials.with(
                cloud,
                Loaded::china_site(cloud, Credentials::new(id, secret), "test".into()),
            )
        })
}

pub fn tempdir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "spotplan-proxy-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A configuration as if the proxy listened on 127.0.0.1:8787 (the `Host` the oneshot tests send).
pub fn config(static_dir: &Path) -> Config {
    let mut config = Config::new(static_dir.to_path_buf(), Secret::new(TOKEN));
    config.upstream_timeout = std::time::Duration::from_secs(2);
    // The tests drive the follower poll by poll: each poll reads every watched instance (the lifecycle suite
    // checks the 30 s recheck of running instances on its own).
    config.running_recheck = std::time::Duration::ZERO;
    config
}

pub fn state_with(config: Config, credentials: CloudCredentials, store: Store) -> AppState {
    let mut state = AppState::new(config, credentials, store, InstallKey::random().unwrap()).unwrap();
    state.upstream.backoff = std::time::Duration::from_millis(10);
    // On the shared database the background work waits for leadership, as a replica's does.
    if let Some(shared) = state.store.shared() {
        spotplan_proxy::leader::campaign(shared.clone(), state.leadership.clone());
    }
    state
}

pub fn state(static_dir: &Path, credentials: CloudCredentials, endpoints: Endpoints, store: Store) -> AppState {
    let mut config = config(static_dir);
    config.endpoints = endpoints;
    state_with(config, credentials, store)
}

/// The real proxy (`app()`) serving on a loopback port, bound first so it answers only to the Host names of the
/// port it really listens on: its address and its state.
pub async fn serve_loopback(
    credentials: CloudCredentials,
    endpoints: Endpoints,
    store: Store,
) -> (SocketAddr, AppState) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut config = config(&tempdir());
    config.listen = address;
    config.endpoints = endpoints;
    let state = state_with(config, credentials, store);
    let served = state.clone();
    tokio::spawn(async move { axum::serve(listener, spotplan_proxy::app(served)).await.unwrap() });
    (address, state)
}

pub fn example(cloud: &str) -> serde_json::Value {
    let path = format!("{}/../../examples/orders/{cloud}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A file order log in a fresh folder.
pub fn file_store() -> Store {
    Store::open(&tempdir().join("orders.sqlite3"), &|_| String::new()).unwrap()
}

/// A pending Tencent order logged under `key` at `created_at_ms`, placed by alice, with a sealed password and an
/// hourly cost bound of 1.25 CNY: the order-log suites' row.
pub fn pending_order(key: &str, created_at_ms: i64) -> spotplan_proxy::store::StoredOrder {
    use spotplan_core::api::orders::OrderRecord;
    use spotplan_core::{Currency, Money};
    spotplan_proxy::store::StoredOrder {
        view: OrderRecord {
            id: format!("ord-{key}"),
            idempotency_key: key.into(),
            cloud: Cloud::Tencent,
            region: "ap-guangzhou".into(),
            dry_run: false,
            status: spotplan_proxy::store::OrderStatus::Pending,
            client_token: format!("spotplan-{key}"),
            order: serde_json::json!({"cloud": "tencent", "instance_count": 2}),
            quoted_price: Some("0.062".into()),
            request: None,
            response: None,
            cloud_request_id: None,
            instance_ids: Vec::new(),
            cloud_order_id: None,
            error_code: None,
            error_message: None,
            hint: None,
            attempts: 0,
            created_at_ms,
            finished_at_ms: None,
            upstream_us: None,
            may_have_reached_cloud: false,
            max_cost_per_hour: Some(Money::new(rust_decimal::Decimal::new(125, 2), Currency::Cny)),
            placed_by: Some("alice".into()),
        },
        order_hash: format!("hash-{key}"),
        sealed_password: Some("sealed".into()),
    }
}

/// Stores in `store` a live list price of Alibaba `ecs.c7.xlarge` in `zone` of cn-hangzhou at `factor` times the
/// embedded catalog's, observed now (as the refresher would after the account's API answered it).
pub async fn raise_list_price(store: &Store, zone: &str, factor: rust_decimal::Decimal) {
    use spotplan_core::catalog::{Catalog, ExternalObservation, OfferKey, PriceKind, Source};
    let catalog = Catalog::embedded().unwrap();
    let key = OfferKey {
        cloud: Cloud::Alibaba,
        region: "cn-hangzhou".into(),
        zone: Some(zone.into()),
        instance_type: "ecs.c7.xlarge".into(),
    };
    let offer = catalog.find_offer(&key).unwrap();
    let listed = catalog.latest(offer, PriceKind::OnDemand).unwrap();
    let now = spotplan_proxy::upstream::now_unix_millis();
    let raised = ExternalObservation {
        offer: key,
        kind: PriceKind::OnDemand,
        rate: spotplan_core::PriceRate::new(listed.rate.money.checked_mul(factor).unwrap(), listed.rate.per),
        observed_at: now / 1000,
        source: Source {
            key: "live-alibaba-DescribePrice-test".into(),
            name: "live".into(),
            url: String::new(),
            licence: String::new(),
            date: "2026-12-04".into(),
            attribution: String::new(),
            live: None,
        },
    };
    spotplan_proxy::price_store::record(store, vec![raised], now)
        .await
        .unwrap();
}

//! Orders whose outcome is unknown. Sent again under their key: a row a stopped run left `pending` is never
//! answered "nothing was created" whatever the resend hears, and the resend's time is on disk before its request
//! leaves (so a crash during it cannot leave a lookup reading an older last attempt and concluding too early that
//! nothing exists). Settled by hand (`spotplan-proxy orders settle`) when the proxy cannot look them up: from
//! the operator's evidence, once, with bad input refused. Against the real proxy on a loopback port; the "cloud"
//! is a local port that refuses, or one that never answers.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{TOKEN, example, tempdir};
use serde_json::{Value, json};
use spotplan_core::Cloud;
use spotplan_proxy::AppState;
use spotplan_proxy::endpoints::{EndpointOverride, Endpoints};
use spotplan_proxy::upstream::now_unix_millis;

/// Every cloud sent to `address`.
fn all_clouds_at(address: SocketAddr) -> Endpoints {
    Cloud::ALL.into_iter().fold(Endpoints::default(), |endpoints, cloud| {
        endpoints.with(
            cloud,
            EndpointOverride {
                scheme: "http".into(),
                authority: address.to_string(),
            },
        )
    })
}

/// A proxy serving on loopback whose clouds are all at `cloud`; its URL and state.
async fn proxy(cloud: SocketAddr) -> (String, AppState) {
    proxy_on(cloud, &tempdir()).await
}

/// The same, its order log in `data`.
async fn proxy_on(cloud: SocketAddr, data: &std::path::Path) -> (String, AppState) {
    let (address, state) = common::serve_loopback(
        common::credentials(),
        all_clouds_at(cloud),
        common::postgres::store_in(data).await,
    )
    .await;
    (format!("http://{address}"), state)
}

async fn submit(proxy: &str, key: &str) -> Value {
    reqwest::Client::new()
        .post(format!("{proxy}/api/v1/orders"))
        .header("x-spotplan-token", TOKEN)
        .header("idempotency-key", key)
        .json(&example("tencent"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn set(state: &AppState, sql: &str, params: Vec<spotplan_proxy::sql::SqlValue>) {
    state.store.execute(sql.into(), params).await.unwrap();
}

#[tokio::test]
async fn a_retry_of_an_order_a_stopped_run_left_pending_is_never_answered_nothing_was_created() {
    let refusing = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (proxy, state) = proxy(refusing).await;
    let first = submit(&proxy, "resend-left-pending-0001").await;
    assert_eq!(first["status"], "not_sent", "{first}");
    // As a run killed after logging it — perhaps after sending it — left it.
    set(
        &state,
        "UPDATE orders SET status = 'pending', finished_at_ms = NULL",
        Vec::new(),
    )
    .await;
    let retry = submit(&proxy, "resend-left-pending-0001").await;
    assert_eq!(retry["status"], "unknown", "{retry}");
}

/// A retry of an order that may exist, at a proxy that no longer holds the cloud's credentials (restarted
/// without them), stays unknown — it used to answer 412 no_credentials, "nothing was sent", which a client reads as
/// leave to place the order anew.
#[tokio::test]
async fn a_retry_without_credentials_of_an_order_that_may_exist_stays_unknown() {
    let refusing = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (proxy, state) = proxy(refusing).await;
    let first = submit(&proxy, "resend-no-credentials-0001").await;
    assert_eq!(first["status"], "not_sent", "{first}");
    set(
        &state,
        "UPDATE orders SET status = 'unknown', may_have_reached_cloud = TRUE",
        Vec::new(),
    )
    .await;
    // The same proxy (its install key, its log) restarted without any cloud's credentials.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let without = listener.local_addr().unwrap();
    let mut restarted = state.clone();
    restarted.credentials = std::sync::Arc::new(spotplan_proxy::credentials::CloudCredentials::default());
    let mut config = (*state.config).clone();
    config.listen = without;
    restarted.allowed_hosts = std::sync::Arc::new(spotplan_proxy::host_check::AllowedHosts::new(without, false, &[]));
    restarted.config = std::sync::Arc::new(config);
    tokio::spawn(async move { axum::serve(listener, spotplan_proxy::app(restarted)).await.unwrap() });
    let retry = submit(&format!("http://{without}"), "resend-no-credentials-0001").await;
    assert_eq!(retry["status"], "unknown", "{retry}");
    assert!(
        retry["hint"]
            .as_str()
            .unwrap()
            .contains("could not send this order again"),
        "{retry}"
    );
}

/// A cloud that takes every connection and never answers.
async fn silent_cloud() -> SocketAddr {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    address
}

#[tokio::test]
async fn a_resend_is_on_disk_as_the_last_attempt_before_its_request_leaves() {
    let (proxy, state) = proxy(silent_cloud().await).await;
    let first = submit(&proxy, "resend-last-attempt-0001").await;
    assert_eq!(first["status"], "unknown", "{first}");
    // Logged 59 minutes ago, last tried 58 minutes ago: still inside the resend window.
    let now = now_unix_millis();
    set(
        &state,
        "UPDATE orders SET created_at_ms = ?1, finished_at_ms = ?2",
        vec![(now - 59 * 60_000).into(), (now - 58 * 60_000).into()],
    )
    .await;

    let before = now_unix_millis();
    let retry = tokio::spawn({
        let proxy = proxy.clone();
        async move { submit(&proxy, "resend-last-attempt-0001").await }
    });
    // While the resend waits on the silent cloud, the log already says it was tried now.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        let rows = state
            .store
            .select("SELECT finished_at_ms FROM orders", Vec::new())
            .await
            .unwrap();
        if rows[0].int(0).is_some_and(|at| at >= before) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline && !retry.is_finished(),
            "the resend's time was not on disk while it was in flight"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let answer = retry.await.unwrap();
    assert_eq!(answer["status"], "unknown", "{answer}");
}

#[tokio::test]
async fn an_unknown_order_is_settled_by_hand_once_from_the_operators_evidence() {
    use spotplan_proxy::settle_by_hand::{Evidence, SettleError, settle_by_hand};
    let (proxy, state) = proxy(silent_cloud().await).await;
    let gone = submit(&proxy, "settle-by-hand-0001").await;
    let found = submit(&proxy, "settle-by-hand-0002").await;
    assert_eq!(
        (&gone["status"], &found["status"]),
        (&json!("unknown"), &json!("unknown"))
    );
    let (gone, found) = (gone["id"].as_str().unwrap(), found["id"].as_str().unwrap());
    let now = now_unix_millis();

    // Bad evidence is refused, naming what is wrong; nothing changes.
    for (evidence, expected) in [
        (
            Evidence::Instances(Vec::new()),
            "name at least one instance, or say --none-exists",
        ),
        (
            Evidence::Instances(vec!["ins-1; DROP TABLE orders".into()]),
            "instance id \"ins-1; DROP TABLE orders\" is not an instance id (1–128 ASCII letters, digits, '.', '_' or '-')",
        ),
    ] {
        let refused = settle_by_hand(&state.store, found, evidence, now).await.unwrap_err();
        assert_eq!(refused.to_string(), expected);
    }
    assert!(matches!(
        settle_by_hand(&state.store, "ord-0123456789abcdef", Evidence::NoneExists, now).await,
        Err(SettleError::NoSuchOrder(_))
    ));

    let settled = settle_by_hand(&state.store, gone, Evidence::NoneExists, now)
        .await
        .unwrap();
    assert_eq!(settled.view.status.as_str(), "not_found");
    let ids = vec!["ins-handa001".to_owned(), "ins-handa002".to_owned()];
    let settled = settle_by_hand(&state.store, found, Evidence::Instances(ids.clone()), now)
        .await
        .unwrap();
    assert_eq!(
        (settled.view.status.as_str(), &settled.view.instance_ids),
        ("succeeded", &ids)
    );
    // Once: a settled order is not settled again.
    let again = settle_by_hand(&state.store, gone, Evidence::Instances(ids.clone()), now)
        .await
        .unwrap_err();
    assert_eq!(
        again.to_string(),
        format!("order {gone} is not_found, not unknown: only an order whose outcome is unknown is settled by hand")
    );
    // Its instances are followed; a retry of the key settled none-exists sends nothing.
    let booked: Vec<String> = spotplan_proxy::instance_book::all(&state.store)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| row.order_id.as_deref() == Some(found))
        .map(|row| row.id)
        .collect();
    assert_eq!(booked.len(), 2, "{booked:?}");
    let retry = submit(&proxy, "settle-by-hand-0001").await;
    assert_eq!(retry["error"]["code"], "order_not_found_at_cloud", "{retry}");
}

/// The settle command is another process than the running proxy, whose settler or a retry may record the cloud's
/// answer while the operator settles: the answer stands, the operator is told, and nothing is booked on top.
#[tokio::test]
async fn a_settle_by_hand_that_races_the_clouds_answer_leaves_the_answer() {
    use spotplan_proxy::settle_by_hand::{Evidence, settle_by_hand};
    let path = tempdir().join("orders.sqlite3");
    let store = spotplan_proxy::Store::open(&path, &|_| String::new()).unwrap();
    let mut order = common::pending_order("settle-race-0001", now_unix_millis());
    store.insert(&order).await.unwrap();
    order.view.status = spotplan_proxy::store::OrderStatus::Unknown;
    order.view.may_have_reached_cloud = true;
    store.finish(&order).await.unwrap();
    // The proxy's answer lands between the command's read and its write.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER answer_first BEFORE UPDATE OF hint ON orders WHEN NEW.hint LIKE 'settled by hand%' \
             BEGIN UPDATE orders SET status = 'succeeded', instance_ids = '[\"ins-cloud001\"]' WHERE id = NEW.id; \
             SELECT RAISE(IGNORE); END",
        )
        .unwrap();
    let refused = settle_by_hand(
        &store,
        "ord-settle-race-0001",
        Evidence::Instances(vec!["ins-hand0001".into()]),
        now_unix_millis(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "order ord-settle-race-0001 is succeeded, not unknown: only an order whose outcome is unknown is settled by hand"
    );
    let row = store.by_id("ord-settle-race-0001").await.unwrap().unwrap();
    assert_eq!(row.view.instance_ids, ["ins-cloud001"]);
    assert!(
        spotplan_proxy::instance_book::all(&store).await.unwrap().is_empty(),
        "the operator's instances are not booked"
    );
}

/// The command line: `spotplan-proxy orders settle ID --none-exists` on the embedded log.
#[tokio::test]
async fn the_settle_command_settles_an_unknown_order_in_the_data_folder() {
    if std::env::var("SPOTPLAN_TEST_BACKEND").as_deref() == Ok("postgresql") {
        return; // the command reads the data folder's embedded log; the library test above covers both databases
    }
    let data = tempdir();
    let (proxy, _state) = proxy_on(silent_cloud().await, &data).await;
    let unknown = submit(&proxy, "settle-command-0001").await;
    let id = unknown["id"].as_str().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_spotplan-proxy"))
            .args(["orders", "settle"])
            .args(args)
            .env("SPOTPLAN_DATA_DIR", &data)
            .env_remove("SPOTPLAN_DATABASE_URL")
            .output()
            .unwrap()
    };
    let neither = run(&[id]);
    assert!(!neither.status.success());
    assert!(String::from_utf8_lossy(&neither.stderr).contains("--none-exists"));
    let settled = run(&[id, "--none-exists"]);
    assert!(settled.status.success(), "{}", String::from_utf8_lossy(&settled.stderr));
    assert!(
        String::from_utf8_lossy(&settled.stdout).starts_with(&format!("{id}: not_found (settled by hand")),
        "{}",
        String::from_utf8_lossy(&settled.stdout)
    );
    let twice = run(&[id, "--none-exists"]);
    assert!(!twice.status.success());
    assert!(
        String::from_utf8_lossy(&twice.stderr).contains("is not_found, not unknown"),
        "{}",
        String::from_utf8_lossy(&twice.stderr)
    );
}

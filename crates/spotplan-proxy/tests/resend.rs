//! A logged order sent again under its key: a row a stopped run left `pending` is never answered "nothing was
//! created" whatever the resend hears, and the resend's time is on disk before its request leaves (so a crash
//! during it cannot leave a lookup reading an older last attempt and concluding too early that nothing exists).
//! Against the real proxy on a loopback port; the "cloud" is a local port that refuses, or one that never answers.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{TOKEN, example, state_listening, tempdir};
use serde_json::Value;
use spotplan_core::Cloud;
use spotplan_proxy::endpoints::{EndpointOverride, Endpoints};
use spotplan_proxy::upstream::now_unix_millis;
use spotplan_proxy::{AppState, app};

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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let state = state_listening(
        address,
        &tempdir(),
        common::credentials(),
        all_clouds_at(cloud),
        common::postgres::store_in(&tempdir()).await,
    );
    let served = state.clone();
    tokio::spawn(async move { axum::serve(listener, app(served)).await.unwrap() });
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

#[tokio::test]
async fn a_resend_is_on_disk_as_the_last_attempt_before_its_request_leaves() {
    // A cloud that takes every connection and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_address = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let (proxy, state) = proxy(silent_address).await;
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

//! The order log's storage suite, run on both backends: the embedded SQLite log and the shared PostgreSQL one
//! (a fresh database per test in the cluster the test command starts). What exactly once rests on is checked the
//! same way on each: a logged order reads back as written, an idempotency key is taken once however many try at
//! the same moment, pending orders and hourly cost bounds are found, an outcome that cannot be written is kept and
//! lands later — and, for PostgreSQL, the key lock holds across replicas and lets go when a replica dies.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod common;

use std::time::Duration;

use spotplan_proxy::shared_log::SharedLog;
use spotplan_proxy::store::{OrderStatus, StoreError};

use common::pending_order as record;
use common::postgres::{backends, sqlite};

#[tokio::test]
async fn an_order_reads_back_as_written_and_its_outcome_replaces_pending_but_never_a_success() {
    for (backend, store) in backends().await {
        let mut order = record("key-readback", 1_000);
        store.insert(&order).await.unwrap();
        let pending = store.by_key("key-readback").await.unwrap().unwrap();
        assert_eq!(pending, order, "{backend}");
        assert_eq!(store.pending().await.unwrap(), [order.clone()], "{backend}");
        order.view.status = OrderStatus::Succeeded;
        order.view.instance_ids = vec!["ins-1".into(), "ins-2".into()];
        order.view.attempts = 2;
        order.view.may_have_reached_cloud = true;
        order.view.request = Some(serde_json::json!({"Action": "RunInstances"}));
        order.view.response = Some(serde_json::json!({"InstanceIdSet": ["ins-1", "ins-2"]}));
        order.view.cloud_request_id = Some("req-1".into());
        order.view.finished_at_ms = Some(1_500);
        order.view.upstream_us = Some(12_345);
        store.finish(&order).await.unwrap();
        assert_eq!(
            store.by_id("ord-key-readback").await.unwrap().unwrap(),
            order,
            "{backend}"
        );
        assert!(store.pending().await.unwrap().is_empty(), "{backend}");
        // A success is final: a later outcome (a replica that lost its hold on the key and heard `unknown`) does
        // not replace it.
        let mut late = order.clone();
        late.view.status = OrderStatus::Unknown;
        late.view.instance_ids = Vec::new();
        store.finish(&late).await.unwrap();
        assert_eq!(
            store.by_id("ord-key-readback").await.unwrap().unwrap(),
            order,
            "{backend}"
        );
        assert!(store.by_key("key-other").await.unwrap().is_none(), "{backend}");
        // An outcome for an order never logged is an error, not a silent no-op.
        let mut stray = record("key-stray", 1);
        stray.view.status = OrderStatus::Failed;
        assert!(store.finish(&stray).await.is_err(), "{backend}");
    }
}

/// "May have reached the cloud" only ever turns on, and a row it is on for never becomes `failed` or `not_sent`:
/// a replica that lost its hold on the key (its connection dropped mid-order) and heard a refusal must not
/// overwrite the `unknown` of another replica's resend, which may have created the instances.
#[tokio::test]
async fn a_stale_refusal_never_replaces_an_outcome_that_may_have_reached_the_cloud() {
    for (backend, store) in backends().await {
        let order = record("key-stale", 1_000);
        store.insert(&order).await.unwrap();
        let mut resent = order.clone();
        resent.view.status = OrderStatus::Unknown;
        resent.view.may_have_reached_cloud = true;
        resent.view.error_code = Some("NoAnswer".into());
        store.finish(&resent).await.unwrap();
        for late_status in [OrderStatus::Failed, OrderStatus::NotSent] {
            let mut late = order.clone();
            late.view.status = late_status;
            late.view.may_have_reached_cloud = false;
            late.view.error_code = Some("OperationDenied.NoStock".into());
            store.finish(&late).await.unwrap();
            assert_eq!(
                store.by_id("ord-key-stale").await.unwrap().unwrap(),
                resent,
                "{backend}: a late {late_status:?} is dropped"
            );
        }
        // An unknown outcome from an attempt that itself did not reach the cloud keeps the flag on.
        let mut later = resent.clone();
        later.view.may_have_reached_cloud = false;
        later.view.attempts = 3;
        store.finish(&later).await.unwrap();
        let read = store.by_id("ord-key-stale").await.unwrap().unwrap();
        assert_eq!(
            (read.view.attempts, read.view.may_have_reached_cloud),
            (3, true),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn the_log_lists_newest_first_and_adds_up_what_may_be_running() {
    for (backend, store) in backends().await {
        for (index, status) in [
            OrderStatus::Succeeded,
            OrderStatus::Failed,
            OrderStatus::Unknown,
            OrderStatus::NotSent,
            OrderStatus::Pending,
        ]
        .into_iter()
        .enumerate()
        {
            let mut order = record(&format!("key-list-{index}"), 10_000 + index as i64);
            store.insert(&order).await.unwrap();
            if status != OrderStatus::Pending {
                order.view.status = status;
                store.finish(&order).await.unwrap();
            }
        }
        let mut dry = record("key-list-dry", 20_000);
        dry.view.dry_run = true;
        store.insert(&dry).await.unwrap();
        let listed: Vec<String> = store
            .list(3)
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.view.idempotency_key)
            .collect();
        assert_eq!(listed, ["key-list-dry", "key-list-4", "key-list-3"], "{backend}");
        // Succeeded, unknown and pending may be running — a dry run still pending too (a cloud that did not honour
        // it creates instances); failed and not sent are not, nor a dry run the cloud said it only checked.
        let costs = store.committed_hourly_costs(10_000).await.unwrap();
        assert_eq!(costs.len(), 4, "{backend}");
        assert_eq!(
            store.committed_hourly_costs(10_003).await.unwrap().len(),
            2,
            "{backend}"
        );
        dry.view.status = OrderStatus::DryRunPassed;
        store.finish(&dry).await.unwrap();
        assert_eq!(
            store.committed_hourly_costs(10_000).await.unwrap().len(),
            3,
            "{backend}"
        );
        assert_eq!(
            store.committed_hourly_costs(10_003).await.unwrap().len(),
            1,
            "{backend}"
        );
        // An order without an answer, logged long ago and sent again now under its ClientToken, may be created
        // by this send: it counts in the hour from now, as a new order would.
        let late = record("key-list-late", 1_000);
        store.insert(&late).await.unwrap();
        let mut unknown = late.clone();
        unknown.view.status = OrderStatus::Unknown;
        unknown.view.finished_at_ms = Some(2_000);
        store.finish(&unknown).await.unwrap();
        let counted =
            |costs: Vec<(String, Option<spotplan_core::Money>)>| costs.iter().any(|(id, _)| *id == late.view.id);
        assert!(
            !counted(store.committed_hourly_costs(30_000).await.unwrap()),
            "{backend}: logged and last sent before the hour"
        );
        store.resending(&late.view.id, 40_000).await.unwrap();
        assert!(
            counted(store.committed_hourly_costs(30_000).await.unwrap()),
            "{backend}: resent within the hour"
        );
    }
}

#[tokio::test]
async fn an_idempotency_key_is_taken_once_however_many_try_at_the_same_moment() {
    for (backend, store) in backends().await {
        let attempts: Vec<_> = (0..40)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut order = record("key-race", 1);
                    order.view.id = format!("ord-race-{n}");
                    store.insert(&order).await
                })
            })
            .collect();
        let mut won = 0;
        for attempt in attempts {
            match attempt.await.unwrap() {
                Ok(()) => won += 1,
                Err(StoreError::DuplicateKey) => {}
                Err(other) => panic!("{backend}: {other}"),
            }
        }
        assert_eq!(won, 1, "{backend}");
        assert_eq!(store.list(100).await.unwrap().len(), 1, "{backend}");
    }
}

/// A write the database cannot take right now (another session holds the table) is kept in memory — every read
/// sees it — and lands once the database takes it.
#[tokio::test]
async fn an_outcome_that_cannot_be_written_yet_is_kept_and_lands_later() {
    let Some(url) = common::postgres::fresh_database().await else {
        return; // The SQLite half is store.rs's own test (it needs the writer's busy timeout).
    };
    let store = sqlite().with_shared(
        SharedLog::connect_waiting(&url, Duration::from_millis(200))
            .await
            .unwrap(),
    );
    let mut order = record("key-unlanded", 1);
    store.insert(&order).await.unwrap();
    let (blocker, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    blocker
        .batch_execute("BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    order.view.status = OrderStatus::Succeeded;
    order.view.instance_ids = vec!["ins-9".into()];
    assert!(
        !store.finish_eventually(&order).await,
        "the write cannot land while the table is locked"
    );
    assert_eq!(store.unlanded_count(), 1);
    blocker.batch_execute("COMMIT").await.unwrap();
    let seen = store.by_key("key-unlanded").await.unwrap().unwrap();
    assert_eq!(
        seen.view.status,
        OrderStatus::Succeeded,
        "reads see the outcome before it lands"
    );
    for _ in 0..100 {
        if store.unlanded_count() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(store.unlanded_count(), 0, "the write landed");
    let status: String = blocker
        .query_one("SELECT status FROM orders WHERE id = 'ord-key-unlanded'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "succeeded");
}

/// Team mode: an order whose outcome could not be written keeps its key held across replicas until the outcome
/// lands. Released at once, the shared log would still say `pending` with nobody holding it — which another
/// replica's reconciler takes for an order a dead replica left, and sends again after this one was answered.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_stays_held_across_replicas_until_its_outcome_lands() {
    let Some(url) = common::postgres::fresh_database().await else {
        return;
    };
    let (_standin, cloud) = common::proxy_process::serve_standin(spotplan_standin::Standin::new(
        spotplan_standin::Kind::Alibaba,
        common::KEYS[0].1,
        common::KEYS[0].2,
    ))
    .await;
    let endpoints = spotplan_proxy::endpoints::Endpoints::default().with(
        spotplan_core::Cloud::Alibaba,
        spotplan_proxy::endpoints::EndpointOverride {
            scheme: "http".into(),
            authority: cloud.to_string(),
        },
    );
    let replica = |url: String| async move {
        sqlite().with_shared(
            SharedLog::connect_waiting(&url, Duration::from_millis(300))
                .await
                .unwrap(),
        )
    };
    let (address, state) = common::serve_loopback(common::credentials(), endpoints, replica(url.clone()).await).await;
    let other = replica(url.clone()).await;
    let (blocker, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    // The database refuses to record a success for now (as a full disk or a failover would).
    blocker
        .batch_execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$; \
             CREATE TRIGGER refuse_success BEFORE UPDATE ON orders FOR EACH ROW WHEN (NEW.status = 'succeeded') \
             EXECUTE FUNCTION refuse()",
        )
        .await
        .unwrap();
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("http://{address}/api/v1/orders"))
        .header("x-spotplan-token", common::TOKEN)
        .header("idempotency-key", "key-held-until-landed")
        .json(&common::example("alibaba"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["status"], "succeeded", "{answer}");
    assert_eq!(state.store.unlanded_count(), 1, "the outcome is not on disk yet");
    assert!(
        other.try_hold_key("key-held-until-landed").await.unwrap().is_none(),
        "another replica cannot take the key while the outcome is only in this one's memory"
    );
    assert_eq!(
        spotplan_proxy::exactly_once::reconcile_pending(
            &spotplan_proxy::AppState::new(
                common::config(&common::tempdir()),
                common::credentials(),
                other.clone(),
                spotplan_proxy::at_rest::InstallKey::random().unwrap(),
            )
            .unwrap()
        )
        .await
        .unwrap(),
        0,
        "and its reconciler leaves the pending row alone"
    );
    blocker
        .batch_execute("DROP TRIGGER refuse_success ON orders")
        .await
        .unwrap();
    let mut freed = None;
    for _ in 0..100 {
        freed = other.try_hold_key("key-held-until-landed").await.unwrap();
        if freed.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(freed.is_some(), "the key is let go once the outcome landed");
    assert_eq!(state.store.unlanded_count(), 0);
    assert_eq!(
        other
            .by_key("key-held-until-landed")
            .await
            .unwrap()
            .unwrap()
            .view
            .status,
        OrderStatus::Succeeded
    );
}

/// Two replicas (two pools on one database): a key one holds is busy for the other until released; a replica
/// that dies (its connections closed) lets go of its keys; migrations applied by the first are not applied again.
#[tokio::test]
async fn a_key_held_by_one_replica_waits_for_it_and_a_dead_replica_lets_go() {
    let Some(url) = common::postgres::fresh_database().await else {
        return; // One SQLite proxy has no replicas: its in-process key lock is exactly_once.rs's test.
    };
    let (first, second) = tokio::join!(SharedLog::connect(&url), SharedLog::connect(&url));
    let (first, second) = (first.unwrap(), second.unwrap());
    first.ready().await.unwrap();
    let held = first.hold_key("key-shared").await.unwrap();
    assert!(
        second.try_hold_key("key-shared").await.unwrap().is_none(),
        "held by the first replica"
    );
    assert!(
        second.try_hold_key("key-another").await.unwrap().is_some(),
        "other keys are free"
    );
    let waiting = tokio::spawn({
        let second = second.clone();
        async move { second.hold_key("key-shared").await.map(drop) }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the second replica waits for the first");
    drop(held);
    tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap();

    // A replica that dies mid-order: its session ends (here the server ends it, as when the process is gone),
    // and the key is free for the others.
    let doomed = SharedLog::connect(&url).await.unwrap();
    let hold = doomed.hold_key("key-orphan").await.unwrap();
    assert!(second.try_hold_key("key-orphan").await.unwrap().is_none());
    let (admin, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let ended = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted \
             AND pid <> pg_backend_pid() \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(ended.len(), 1, "one session holds an advisory lock");
    drop(hold);
    let mut freed = None;
    for _ in 0..50 {
        freed = second.try_hold_key("key-orphan").await.unwrap();
        if freed.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(freed.is_some(), "a dead replica's key is free again");
}

/// A wait for a key's lock dropped mid-way (a request that timed out while another replica's order ran): its
/// connection is closed, not pooled, so its session never takes the lock for nobody once the holder lets go —
/// the key is free for the next order, and no session is left waiting on it.
#[tokio::test]
async fn a_lock_wait_dropped_mid_way_never_takes_the_lock_for_nobody() {
    let Some(url) = common::postgres::fresh_database().await else {
        return; // SQLite's key lock is in-process: a dropped wait is a dropped future.
    };
    let (first, second) = tokio::join!(SharedLog::connect(&url), SharedLog::connect(&url));
    let (first, second) = (first.unwrap(), second.unwrap());
    first.ready().await.unwrap();
    let held = first.hold_key("key-dropped").await.unwrap();
    let (admin, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let waiting_sessions = || async {
        admin
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted \
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                &[],
            )
            .await
            .unwrap()
            .get::<_, i64>(0)
    };
    // The second replica waits, and gives up before the first lets go.
    let given_up = tokio::time::timeout(Duration::from_millis(500), second.hold_key("key-dropped")).await;
    assert!(given_up.is_err(), "still held by the first replica");
    drop(held);
    // Within the server's check of its clients (1 s), the abandoned session is gone; the key is free and stays so.
    let mut free_for = 0;
    for _ in 0..60 {
        match second.try_hold_key("key-dropped").await.unwrap() {
            Some(hold) => {
                free_for += 1;
                drop(hold);
            }
            None => free_for = 0,
        }
        if free_for == 10 && waiting_sessions().await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(free_for, 10, "the key was taken by the abandoned wait");
    assert_eq!(waiting_sessions().await, 0, "no session still waits on the key");
    assert!(
        first.try_hold_key("key-dropped").await.unwrap().is_some(),
        "the other replica can take it too"
    );
}

/// Readiness follows the database: ready while it answers with every migration applied, not once it is gone.
#[tokio::test]
async fn the_shared_log_is_ready_only_while_its_database_answers() {
    let Some(url) = common::postgres::fresh_database().await else {
        return;
    };
    let store = sqlite().with_shared(SharedLog::connect(&url).await.unwrap());
    store.ready().await.unwrap();
    let name = url.rsplit_once('/').unwrap().1;
    let admin_url = common::postgres::admin_url().unwrap();
    let (admin, connection) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
    assert!(store.ready().await.is_err(), "the database is gone");
    assert!(
        store.by_key("anything").await.is_err(),
        "and reads say so, not \"no such order\""
    );
}

/// Team mode over TLS: with `sslmode=require` and the cluster's CA every connection is encrypted (the server's own
/// view says so) and the log works; the same URL trusting nothing but the platform's roots is refused at the
/// handshake, with no fallback to a plain connection.
#[tokio::test]
async fn sslmode_require_encrypts_and_refuses_a_server_it_cannot_verify() {
    let Some(url) = common::postgres::fresh_database().await else {
        return;
    };
    let Ok(ca) = std::env::var("SPOTPLAN_TEST_DATABASE_CA") else {
        assert!(
            std::env::var_os("SPOTPLAN_REQUIRE_POSTGRES").is_none(),
            "the test command gives the cluster's CA in SPOTPLAN_TEST_DATABASE_CA"
        );
        eprintln!("no SPOTPLAN_TEST_DATABASE_CA: the TLS test is skipped (run `cargo xtask test`)");
        return;
    };
    let tls_url = format!("{url}?sslmode=require");
    let store = sqlite().with_shared(
        SharedLog::connect_trusting(&tls_url, Some(std::path::Path::new(&ca)))
            .await
            .unwrap(),
    );
    store.insert(&record("key-over-tls", 1)).await.unwrap();
    assert_eq!(
        store
            .by_key("key-over-tls")
            .await
            .unwrap()
            .unwrap()
            .view
            .idempotency_key,
        "key-over-tls"
    );

    let database = url.rsplit_once('/').unwrap().1.to_owned();
    let (admin, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let row = admin
        .query_one(
            "SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.datname = $1 AND a.application_name = 'spotplan-proxy'",
            &[&database],
        )
        .await
        .unwrap();
    let (encrypted, all): (i64, i64) = (row.get(0), row.get(1));
    assert!(all > 0, "the log has connections open");
    assert_eq!(encrypted, all, "every connection of the log is TLS");

    // Trusting another authority (roots that are there, just not the server's): refused at the handshake.
    let unrelated = common::tempdir().join("unrelated-ca.pem");
    let other = rcgen::generate_simple_self_signed(vec!["elsewhere.example".to_owned()]).unwrap();
    std::fs::write(&unrelated, other.cert.pem()).unwrap();
    let refused = SharedLog::connect_trusting(&tls_url, Some(&unrelated))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("invalid peer certificate"),
        "refused for its certificate: {refused}"
    );
}

/// A new order's row whose write the database never confirmed — the connection ended while the insert was out —
/// may have been committed, and a logged order is sent: the answer must say so, not "nothing was sent".
#[tokio::test]
async fn an_insert_cut_off_before_its_confirmation_is_answered_as_maybe_logged() {
    use axum::response::IntoResponse;
    use std::sync::atomic::Ordering;
    let Some(url) = common::postgres::fresh_database().await else {
        return;
    };
    let (rest, database) = url.rsplit_once('/').unwrap();
    let (credentials, host_port) = rest.rsplit_once('@').unwrap();
    let server = tokio::net::lookup_host(host_port).await.unwrap().next().unwrap();
    let partition = common::partition::Partition::default();
    let forwarded = partition.forward(server).await;
    let store = sqlite().with_shared(
        SharedLog::connect(&format!("{credentials}@{forwarded}/{database}"))
            .await
            .unwrap(),
    );
    // The insert's statement is prepared on the pooled connection by a first order.
    store.insert(&record("key-before-cut", 1)).await.unwrap();
    partition.swallowing.store(true, Ordering::SeqCst);
    let ending = partition.ended.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        ending.store(true, Ordering::SeqCst);
    });
    let error = store.insert(&record("key-cut", 1)).await.unwrap_err();
    assert!(matches!(error, StoreError::WriteUnconfirmed(_)), "{error:?}");
    let answer = spotplan_proxy::error::ApiError::Store(error).into_response();
    assert_eq!(answer.status(), 503);
    let body = axum::body::to_bytes(answer.into_body(), 1 << 16).await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "order_log_unconfirmed", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("may have been logged") && !message.contains("nothing was sent"),
        "{message}"
    );
}

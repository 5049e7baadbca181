//! After the order, against the real proxy on a loopback port and each cloud's stand-in (which plays the lifecycle
//! on a clock the test moves): instances are booked pending, followed to running with one describe call per 100
//! ids, a Tencent `LAUNCH_FAILED` surfaces as a failure with its reason, a reclaim notice and the reclaim are
//! recorded, throttling slows the follower without losing state, and a release reaches the cloud exactly once per
//! instance however often it is retried. The follower is driven poll by poll (`poll_once`), never by sleeping.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod common;

use std::time::Duration;

use common::{KEYS, TOKEN, example, tempdir};
use serde_json::{Value, json};
use spotplan_core::Cloud;
use spotplan_proxy::AppState;
use spotplan_proxy::endpoints::{EndpointOverride, Endpoints};
use spotplan_proxy::follower::{poll_once, poll_spread};
use spotplan_standin::{Kind, Standin};

struct Rig {
    proxy: String,
    state: AppState,
    standin: Standin,
}

const HOUR_MS: i64 = 3_600_000;

async fn rig(cloud: Cloud) -> Rig {
    rig_with_release_delay(cloud, Duration::ZERO).await
}

/// A rig whose stand-in answers each release call `release_delay` after it acted.
async fn rig_with_release_delay(cloud: Cloud, release_delay: Duration) -> Rig {
    let (index, kind) = match cloud {
        Cloud::Alibaba => (0, Kind::Alibaba),
        Cloud::Tencent => (1, Kind::Tencent),
        Cloud::Baidu => (2, Kind::Baidu),
    };
    let mut standin = Standin::new(kind, KEYS[index].1, KEYS[index].2);
    // Pending until the test moves the stand-in's clock; a reclaim notice of 5 minutes, as on Alibaba and Baidu.
    standin.lifecycle.pending_for = Duration::from_secs(3600);
    standin.lifecycle.release_delay = release_delay;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let standin_address = listener.local_addr().unwrap();
    let router = spotplan_standin::router(standin.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let endpoints = Endpoints::default().with(
        cloud,
        EndpointOverride {
            scheme: "http".into(),
            authority: standin_address.to_string(),
        },
    );
    let (address, state) = common::serve_loopback(
        common::credentials(),
        endpoints,
        common::postgres::store_in(&tempdir()).await,
    )
    .await;
    Rig {
        proxy: format!("http://{address}"),
        state,
        standin,
    }
}

impl Rig {
    async fn order(&self, cloud: Cloud, image: &str, count: u32, key: &str) -> Value {
        let answer = self.submit(cloud, image, count, key).await;
        assert_eq!(answer["status"], "succeeded", "{answer}");
        answer
    }

    /// Places an order of `count` with `image` under `key`, and answers what the proxy said.
    async fn submit(&self, cloud: Cloud, image: &str, count: u32, key: &str) -> Value {
        let mut order = example(cloud.id());
        order["image_id"] = json!(image);
        order["count"] = json!(count);
        order.as_object_mut().unwrap().remove("min_count");
        order.as_object_mut().unwrap().remove("data_disks");
        reqwest::Client::new()
            .post(format!("{}/api/v1/orders", self.proxy))
            .header("x-spotplan-token", TOKEN)
            .header("idempotency-key", key)
            .json(&order)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// `GET path` with the token: the status and the JSON answer.
    async fn get(&self, path: &str) -> (u16, Value) {
        let response = reqwest::Client::new()
            .get(format!("{}{path}", self.proxy))
            .header("x-spotplan-token", TOKEN)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// `POST path` with the token and a JSON body: the status and the JSON answer.
    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}{path}", self.proxy))
            .header("x-spotplan-token", TOKEN)
            .json(body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn instances(&self) -> Vec<Value> {
        self.get("/api/v1/instances").await.1["instances"]
            .as_array()
            .unwrap()
            .clone()
    }

    async fn states(&self) -> Vec<String> {
        let mut states: Vec<String> = self
            .instances()
            .await
            .iter()
            .map(|row| row["state"].as_str().unwrap().to_owned())
            .collect();
        states.sort();
        states
    }

    /// Logs, under `key` at `at_ms`, a release of `rows` with the default options, as a run that stopped before
    /// any answer left it.
    async fn log_unanswered_release(
        &self,
        key: &str,
        rows: Vec<spotplan_proxy::instance_book::InstanceRow>,
        at_ms: i64,
    ) {
        spotplan_proxy::instance_book::log_release(
            &self.state.store,
            key,
            "hash",
            rows,
            spotplan_core::lifecycle::ReleaseOptions::default(),
            at_ms,
            None,
        )
        .await
        .unwrap();
    }

    /// The answer logged for the release under `key` (`None`: still unanswered).
    async fn logged_release_answer(&self, key: &str) -> Option<spotplan_core::api::instances::ReleaseAnswer> {
        spotplan_proxy::instance_book::logged_release(&self.state.store, key)
            .await
            .unwrap()
            .unwrap()
            .answer
    }

    async fn release(&self, body: &Value, key: &str) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/api/v1/instances/release", self.proxy))
            .header("x-spotplan-token", TOKEN)
            .header("idempotency-key", key)
            .json(body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }
}

#[tokio::test]
async fn a_large_book_is_read_one_spaced_call_after_another_and_each_call_recorded() {
    let rig = rig(Cloud::Tencent).await;
    rig.order(
        Cloud::Tencent,
        "img-lifecycle",
        100,
        "7a4c9e10-0000-4000-8000-0000000000a1",
    )
    .await;
    rig.order(
        Cloud::Tencent,
        "img-lifecycle",
        50,
        "7a4c9e10-0000-4000-8000-0000000000a2",
    )
    .await;
    rig.standin.lifecycle.advance(HOUR_MS);
    // 150 ids are two calls; spread over 400 ms they are the longest gap apart (100 ms), not 200 ms or none.
    let started = std::time::Instant::now();
    let poll = poll_spread(&rig.state, Duration::from_millis(400)).await.unwrap();
    let took = started.elapsed();
    assert_eq!(poll.calls.get(&Cloud::Tencent), Some(&2));
    assert_eq!(poll.changed, 150);
    assert!(took >= spotplan_proxy::follower::MAX_CALL_GAP, "{took:?}");
    let states = rig.states().await;
    assert_eq!(states.len(), 150);
    assert!(states.iter().all(|state| state == "running"), "{states:?}");
}

#[tokio::test]
async fn each_cloud_follows_an_order_to_running_and_releases_it_exactly_once() {
    for cloud in Cloud::ALL {
        let rig = rig(cloud).await;
        let placed = rig
            .order(cloud, "img-lifecycle", 3, "7a4c9e10-0000-4000-8000-000000000001")
            .await;
        let order_id = placed["id"].as_str().unwrap().to_owned();
        assert_eq!(rig.states().await, ["pending", "pending", "pending"], "{cloud}");

        let poll = poll_once(&rig.state).await.unwrap();
        assert_eq!(
            poll.calls.get(&cloud),
            Some(&1),
            "{cloud}: three ids, one describe call"
        );
        assert_eq!(rig.states().await, ["pending", "pending", "pending"], "{cloud}");

        rig.standin.lifecycle.advance(HOUR_MS);
        poll_once(&rig.state).await.unwrap();
        let rows = rig.instances().await;
        assert!(rows.iter().all(|row| row["state"] == "running"), "{cloud}: {rows:?}");
        assert!(
            rows.iter()
                .all(|row| row["running_since_ms"].is_i64() && row["zone"].is_string()),
            "{cloud}"
        );
        assert!(
            rows.iter().all(|row| row["cost_so_far"]["amount"].is_string()),
            "{cloud}: {rows:?}"
        );

        // Release the order's instances; the retry with the same key sends nothing.
        let body = json!({ "order_id": order_id });
        let (status, first) = rig.release(&body, "release-0001-aaaa").await;
        assert_eq!(status, 200, "{cloud}: {first}");
        assert!(
            first["outcomes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|o| o["result"] == "accepted"),
            "{cloud}: {first}"
        );
        assert_eq!(first["replayed"], false);
        let (_, again) = rig.release(&body, "release-0001-aaaa").await;
        assert_eq!(again["replayed"], true, "{cloud}: {again}");
        assert_eq!(again["outcomes"], first["outcomes"]);
        // A new key for the same instances finds them releasing: nothing more is sent.
        let (_, other) = rig.release(&body, "release-0002-bbbb").await;
        assert!(
            other["outcomes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|o| o["result"] == "already_gone"),
            "{cloud}: {other}"
        );
        let (releases, _) = rig.standin.lifecycle.counts();
        assert_eq!(releases.len(), 3, "{cloud}");
        assert!(releases.values().all(|count| *count == 1), "{cloud}: {releases:?}");
        assert_eq!(rig.states().await, ["releasing", "releasing", "releasing"], "{cloud}");

        poll_once(&rig.state).await.unwrap();
        let rows = rig.instances().await;
        assert!(
            rows.iter()
                .all(|row| row["state"] == "released" && row["ended_at_ms"].is_i64()),
            "{cloud}: {rows:?}"
        );
        // Nothing is watched any more: the follower makes no call.
        let idle = poll_once(&rig.state).await.unwrap();
        assert!(idle.calls.is_empty(), "{cloud}: {idle:?}");

        // The history asked for: ended at or after a time, or left out and counted.
        let ended = rows
            .iter()
            .map(|row| row["ended_at_ms"].as_i64().unwrap())
            .min()
            .unwrap();
        let (status, since_ended) = rig.get(&format!("/api/v1/instances?ended_since_ms={ended}")).await;
        assert_eq!(
            (status, since_ended["instances"].as_array().unwrap().len()),
            (200, 3),
            "{cloud}: {since_ended}"
        );
        assert_eq!(since_ended["ended_earlier"], 0, "{cloud}");
        let latest = rows
            .iter()
            .map(|row| row["ended_at_ms"].as_i64().unwrap())
            .max()
            .unwrap();
        let (_, after) = rig
            .get(&format!("/api/v1/instances?ended_since_ms={}", latest + 1))
            .await;
        assert_eq!(after["instances"], json!([]), "{cloud}: {after}");
        assert_eq!(after["ended_earlier"], 3, "{cloud}: {after}");
        for bad in ["yesterday", "1e3", "99999999999999999999", ""] {
            let (status, refused) = rig.get(&format!("/api/v1/instances?ended_since_ms={bad}")).await;
            assert_eq!(
                (
                    status,
                    refused["error"]["code"].as_str(),
                    refused["error"]["field"].as_str()
                ),
                (400, Some("invalid_query"), Some("ended_since_ms")),
                "{cloud}: {bad:?} {refused}"
            );
        }
    }
}

/// A running instance is read again only once its recheck is due; pending ones at every poll. Its reclaim notice is
/// then seen at the first poll after the recheck — well inside Alibaba's five minutes.
#[tokio::test]
async fn a_running_instance_is_read_again_when_its_recheck_is_due_and_a_pending_one_at_every_poll() {
    let mut rig = rig(Cloud::Alibaba).await;
    let mut config = (*rig.state.config).clone();
    config.running_recheck = Duration::from_secs(30);
    rig.state.config = std::sync::Arc::new(config);
    rig.order(Cloud::Alibaba, "img-recheck", 2, "7a4c9e10-0000-4000-8000-00000000a001")
        .await;
    rig.standin.lifecycle.advance(HOUR_MS);
    poll_once(&rig.state).await.unwrap();
    assert_eq!(rig.states().await, ["running", "running"]);
    let running: Vec<String> = rig
        .instances()
        .await
        .iter()
        .map(|row| row["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(rig.standin.lifecycle.reclaim(&running[0]));

    // Both were just checked: no call, nothing changes.
    let idle = poll_once(&rig.state).await.unwrap();
    assert!(idle.calls.is_empty(), "{idle:?}");
    // A new order's pending instances are read at once, and only they.
    rig.order(Cloud::Alibaba, "img-recheck", 1, "7a4c9e10-0000-4000-8000-00000000a002")
        .await;
    let fresh = poll_once(&rig.state).await.unwrap();
    assert_eq!(fresh.calls.get(&Cloud::Alibaba), Some(&1), "{fresh:?}");
    assert_eq!(
        rig.states().await,
        ["pending", "running", "running"],
        "the noticed instance is not read before its recheck"
    );

    // Checked 31 s ago: due again; the notice is seen.
    let long_ago = spotplan_proxy::upstream::now_unix_millis() - 31_000;
    spotplan_proxy::instance_book::mark_checked(&rig.state.store, Cloud::Alibaba, &running, long_ago)
        .await
        .unwrap();
    let due = poll_once(&rig.state).await.unwrap();
    assert_eq!(due.calls.get(&Cloud::Alibaba), Some(&1), "{due:?}");
    let rows = rig.instances().await;
    let noticed = rows.iter().find(|row| row["id"] == running[0].as_str()).unwrap();
    assert_eq!(noticed["state"], "being_reclaimed", "{noticed}");
}

#[tokio::test]
async fn a_tencent_launch_failure_is_a_failure_with_its_reason() {
    let rig = rig(Cloud::Tencent).await;
    rig.order(
        Cloud::Tencent,
        "img-launchfail",
        2,
        "7a4c9e10-0000-4000-8000-000000000002",
    )
    .await;
    rig.standin.lifecycle.advance(HOUR_MS);
    poll_once(&rig.state).await.unwrap();
    let rows = rig.instances().await;
    for row in &rows {
        assert_eq!(row["state"], "launch_failed", "{row}");
        assert_eq!(row["cloud_state"], "LAUNCH_FAILED");
        assert!(
            row["reason"]
                .as_str()
                .unwrap()
                .contains("sold out after the order was accepted"),
            "{row}"
        );
        assert_eq!(row["cost_so_far"]["amount"], "0", "it never ran: {row}");
    }
    assert!(
        poll_once(&rig.state).await.unwrap().calls.is_empty(),
        "a failed launch is final"
    );
}

#[tokio::test]
async fn an_alibaba_reclaim_notice_shows_and_the_instance_ends_reclaimed() {
    let rig = rig(Cloud::Alibaba).await;
    let placed = rig
        .order(
            Cloud::Alibaba,
            "img-lifecycle",
            1,
            "7a4c9e10-0000-4000-8000-000000000003",
        )
        .await;
    let id = placed["instance_ids"][0].as_str().unwrap().to_owned();
    rig.standin.lifecycle.advance(HOUR_MS);
    poll_once(&rig.state).await.unwrap();
    assert!(rig.standin.lifecycle.reclaim(&id));
    poll_once(&rig.state).await.unwrap();
    let row = rig.instances().await[0].clone();
    assert_eq!(row["state"], "being_reclaimed", "{row}");
    assert_eq!(row["reason"], "The spot instance is about to be reclaimed.");
    let notice = row["notice_at_ms"].as_i64().unwrap();
    assert_eq!(
        row["reclaim_at_ms"].as_i64().unwrap(),
        notice + 5 * 60_000,
        "Alibaba's 5-minute notice"
    );
    rig.standin.lifecycle.advance(10 * 60_000);
    poll_once(&rig.state).await.unwrap();
    let row = rig.instances().await[0].clone();
    assert_eq!(row["state"], "reclaimed", "{row}");
    // Cost so far stops at the end: it does not grow any more.
    let ended = row["ended_at_ms"].as_i64().unwrap();
    assert!(ended >= notice);
    let cost = row["cost_so_far"].clone();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(rig.instances().await[0]["cost_so_far"], cost);
}

#[tokio::test]
async fn throttling_slows_the_follower_without_losing_state() {
    let rig = rig(Cloud::Tencent).await;
    rig.order(
        Cloud::Tencent,
        "img-lifecycle",
        2,
        "7a4c9e10-0000-4000-8000-000000000004",
    )
    .await;
    rig.standin.lifecycle.advance(HOUR_MS);
    rig.standin.lifecycle.throttle(1);
    let poll = poll_once(&rig.state).await.unwrap();
    assert_eq!(poll.throttled, [Cloud::Tencent]);
    assert_eq!(
        rig.states().await,
        ["pending", "pending"],
        "a throttled answer changes nothing"
    );
    let poll = poll_once(&rig.state).await.unwrap();
    assert!(poll.throttled.is_empty());
    assert_eq!(rig.states().await, ["running", "running"]);
}

/// A describe answer that carries no instance list — a gateway's 502 page, HTTP 200 with an empty object, a 200
/// list inside an HTTP error — reports nothing: the running instances stay running on every cloud, never `gone`
/// or `reclaimed` (a fleet would replace instances that still bill).
#[tokio::test]
async fn an_answer_without_the_instance_list_changes_nothing() {
    for (cloud, key) in [
        (Cloud::Alibaba, "7a4c9e10-0000-4000-8000-0000000000a1"),
        (Cloud::Tencent, "7a4c9e10-0000-4000-8000-0000000000a2"),
        (Cloud::Baidu, "7a4c9e10-0000-4000-8000-0000000000a3"),
    ] {
        let rig = rig(cloud).await;
        rig.order(cloud, "img-lifecycle", 2, key).await;
        rig.standin.lifecycle.advance(HOUR_MS);
        poll_once(&rig.state).await.unwrap();
        assert_eq!(rig.states().await, ["running", "running"], "{cloud:?}");
        let listed = match cloud {
            Cloud::Alibaba => r#"{"RequestId":"r","Instances":{"Instance":[]}}"#,
            Cloud::Tencent => r#"{"Response":{"RequestId":"r","TotalCount":0,"InstanceSet":[]}}"#,
            Cloud::Baidu => r#"{"marker":"","isTruncated":false,"instances":[]}"#,
        };
        rig.standin.lifecycle.garble_describes(&[
            (502, r#"{"message":"Bad Gateway"}"#),
            (200, "{}"),
            (200, r#"{"Response":{}}"#),
            (503, listed),
            (200, "<html>gateway</html>"),
        ]);
        for _ in 0..5 {
            poll_once(&rig.state).await.unwrap();
            rig.standin.lifecycle.advance(10 * 60_000);
        }
        assert_eq!(rig.states().await, ["running", "running"], "{cloud:?}");
    }
}

/// A describe answer that is one page of more (Alibaba `NextToken`, Tencent `TotalCount` above the list, Baidu
/// `isTruncated`), or that lists an instance not asked for (the ids not applied: a region's list), says nothing of
/// the instances it leaves out: they stay running, never `gone` or `reclaimed` for good while they bill.
#[tokio::test]
async fn a_page_of_a_longer_list_ends_no_instance() {
    for (cloud, key) in [
        (Cloud::Alibaba, "7a4c9e10-0000-4000-8000-0000000000b1"),
        (Cloud::Tencent, "7a4c9e10-0000-4000-8000-0000000000b2"),
        (Cloud::Baidu, "7a4c9e10-0000-4000-8000-0000000000b3"),
    ] {
        let rig = rig(cloud).await;
        let placed = rig.order(cloud, "img-lifecycle", 2, key).await;
        let first = placed["instance_ids"][0].as_str().unwrap();
        rig.standin.lifecycle.advance(HOUR_MS);
        poll_once(&rig.state).await.unwrap();
        assert_eq!(rig.states().await, ["running", "running"], "{cloud:?}");
        // A page listing one of the two, stopped: that one is read, the other is not taken for gone.
        let paged = match cloud {
            Cloud::Alibaba => json!({"RequestId": "r", "NextToken": "page-2",
                "Instances": {"Instance": [{"InstanceId": first, "Status": "Stopped"}]}}),
            Cloud::Tencent => json!({"Response": {"RequestId": "r", "TotalCount": 2,
                "InstanceSet": [{"InstanceId": first, "InstanceState": "STOPPED"}]}}),
            Cloud::Baidu => json!({"marker": "", "isTruncated": true, "nextMarker": "i-2",
                "instances": [{"id": first, "status": "Stopped"}]}),
        }
        .to_string();
        rig.standin.lifecycle.garble_describes(&[(200, &paged)]);
        poll_once(&rig.state).await.unwrap();
        assert_eq!(rig.states().await, ["running", "stopped"], "{cloud:?}");
        let (paged, foreign) = match cloud {
            Cloud::Alibaba => (
                r#"{"RequestId":"r","NextToken":"page-2","Instances":{"Instance":[]}}"#,
                r#"{"RequestId":"r","NextToken":"","Instances":{"Instance":[{"InstanceId":"i-someone-else","Status":"Running"}]}}"#,
            ),
            Cloud::Tencent => (
                r#"{"Response":{"RequestId":"r","TotalCount":2,"InstanceSet":[]}}"#,
                r#"{"Response":{"RequestId":"r","TotalCount":1,"InstanceSet":[{"InstanceId":"ins-someone-else","InstanceState":"RUNNING"}]}}"#,
            ),
            Cloud::Baidu => (
                r#"{"marker":"","isTruncated":true,"nextMarker":"i-2","instances":[]}"#,
                r#"{"marker":"","isTruncated":false,"instances":[{"id":"i-someone-else","status":"Running"}]}"#,
            ),
        };
        rig.standin.lifecycle.garble_describes(&[(200, paged), (200, foreign)]);
        for _ in 0..2 {
            poll_once(&rig.state).await.unwrap();
            rig.standin.lifecycle.advance(10 * 60_000);
        }
        let rows = rig.instances().await;
        assert_eq!(rig.states().await, ["running", "stopped"], "{cloud:?}");
        assert!(
            rows.iter()
                .all(|row| !row["id"].as_str().unwrap().contains("someone-else")),
            "{cloud:?}: nothing foreign booked: {rows:?}"
        );
        // The next whole answer is read as before.
        poll_once(&rig.state).await.unwrap();
        assert_eq!(rig.states().await, ["running", "running"], "{cloud:?}");
    }
}

/// A release batch the cloud refuses as a whole for one instance's state (one still pending: Tencent
/// `UnsupportedOperation.InstanceStatePending`, Alibaba `IncorrectInstanceStatus`) is asked again id by id: the
/// running ones are released at once, and only the pending one is refused — before, all of them were, and billed
/// on until the release was asked again.
#[tokio::test]
async fn one_pending_instance_does_not_keep_its_batch_running() {
    for (cloud, keys) in [
        (
            Cloud::Alibaba,
            [
                "7a4c9e10-0000-4000-8000-0000000000c1",
                "7a4c9e10-0000-4000-8000-0000000000c2",
            ],
        ),
        (
            Cloud::Tencent,
            [
                "7a4c9e10-0000-4000-8000-0000000000c3",
                "7a4c9e10-0000-4000-8000-0000000000c4",
            ],
        ),
    ] {
        let rig = rig(cloud).await;
        let running = rig.order(cloud, "img-lifecycle", 3, keys[0]).await;
        rig.standin.lifecycle.advance(HOUR_MS);
        poll_once(&rig.state).await.unwrap();
        let pending = rig.order(cloud, "img-lifecycle", 2, keys[1]).await;
        poll_once(&rig.state).await.unwrap();
        assert_eq!(
            rig.states().await,
            ["pending", "pending", "running", "running", "running"],
            "{cloud:?}"
        );
        rig.standin.lifecycle.refuse_pending_releases();
        // The pending ones first, as "release all" lists them (newest first): each is refused alone too, and the
        // running ones after them are still asked.
        let ids: Vec<String> = pending["instance_ids"]
            .as_array()
            .unwrap()
            .iter()
            .chain(running["instance_ids"].as_array().unwrap())
            .map(|id| id.as_str().unwrap().to_owned())
            .collect();
        let targets: Vec<Value> = ids.iter().map(|id| json!({ "cloud": cloud.id(), "id": id })).collect();
        let (status, answer) = rig
            .release(&json!({ "instances": targets }), "release-pending-0001")
            .await;
        assert_eq!(status, 200, "{cloud:?}: {answer}");
        let result_of = |id: &str| {
            answer["outcomes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|outcome| outcome["id"] == id)
                .unwrap()["result"]
                .clone()
        };
        for id in &ids[..2] {
            assert_eq!(result_of(id), "refused", "{cloud:?}: {answer}");
        }
        for id in &ids[2..] {
            assert_eq!(result_of(id), "accepted", "{cloud:?}: {answer}");
        }
        let (releases, _) = rig.standin.lifecycle.counts();
        assert_eq!(
            releases,
            ids[2..].iter().map(|id| (id.clone(), 1)).collect(),
            "{cloud:?}: each running one released once, the pending one not"
        );
        assert_eq!(
            rig.states().await,
            ["pending", "pending", "releasing", "releasing", "releasing"],
            "{cloud:?}"
        );
    }
}

/// A release a crash left unanswered whose resend the cloud refuses is answered "refused", and its instance is as
/// the cloud describes it (running), not "releasing" as the log left it: a new release sends it again at once.
#[tokio::test]
async fn an_unanswered_release_refused_on_its_resend_leaves_the_instance_running() {
    use spotplan_proxy::instance_book;
    let cloud = Cloud::Tencent;
    let rig = rig(cloud).await;
    rig.order(cloud, "img-lifecycle", 1, "7a4c9e10-0000-4000-8000-0000000000d1")
        .await;
    rig.standin.lifecycle.advance(HOUR_MS);
    poll_once(&rig.state).await.unwrap();
    let rows = instance_book::all(&rig.state.store).await.unwrap();
    let started = spotplan_proxy::upstream::now_unix_millis();
    rig.log_unanswered_release("release-crash-0002", rows.clone(), started - 1)
        .await;
    assert_eq!(rig.states().await, ["releasing"]);
    rig.standin.lifecycle.throttle_releases(1);
    let settled = spotplan_proxy::instances::resume_unanswered(&rig.state, started)
        .await
        .unwrap();
    assert_eq!(settled, 1);
    let answer = rig.logged_release_answer("release-crash-0002").await.unwrap();
    assert_eq!(
        answer.outcomes[0].result,
        spotplan_core::api::instances::ReleaseResult::Refused
    );
    assert_eq!(rig.states().await, ["running"], "as the cloud describes it");
    // A new release sends it now, and it goes.
    let (status, again) = rig
        .release(
            &json!({ "instances": [{ "cloud": "tencent", "id": rows[0].id }] }),
            "release-again-0001",
        )
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["outcomes"][0]["result"], "accepted", "{again}");
    assert_eq!(rig.standin.lifecycle.counts().0.get(&rows[0].id), Some(&1));
}

/// Asking a refused batch id by id stops at the cloud's throttling answer: the ids not asked yet are refused with
/// it (left as they were, releasable again), never read as already gone, and nothing more is sent.
#[tokio::test]
async fn asking_id_by_id_stops_at_the_throttle() {
    let cloud = Cloud::Tencent;
    let rig = rig(cloud).await;
    let running = rig
        .order(cloud, "img-lifecycle", 3, "7a4c9e10-0000-4000-8000-0000000000e1")
        .await;
    rig.standin.lifecycle.advance(HOUR_MS);
    poll_once(&rig.state).await.unwrap();
    let pending = rig
        .order(cloud, "img-lifecycle", 1, "7a4c9e10-0000-4000-8000-0000000000e2")
        .await;
    rig.standin.lifecycle.refuse_pending_releases();
    // The batch and the first id alone are answered; the second id alone is throttled, once: asked, the ids after
    // it would be released.
    rig.standin.lifecycle.throttle_releases_after(2, 1);
    let ids: Vec<String> = pending["instance_ids"]
        .as_array()
        .unwrap()
        .iter()
        .chain(running["instance_ids"].as_array().unwrap())
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    let targets: Vec<Value> = ids.iter().map(|id| json!({ "cloud": "tencent", "id": id })).collect();
    let (status, answer) = rig
        .release(&json!({ "instances": targets }), "release-throttled-0001")
        .await;
    assert_eq!(status, 200, "{answer}");
    let codes: Vec<(String, String)> = answer["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|outcome| {
            (
                outcome["result"].as_str().unwrap().to_owned(),
                outcome["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let throttled = ("refused".to_owned(), "RequestLimitExceeded".to_owned());
    assert_eq!(
        codes,
        [
            (
                "refused".to_owned(),
                "UnsupportedOperation.InstanceStatePending".to_owned()
            ),
            throttled.clone(),
            throttled.clone(),
            throttled
        ],
        "{answer}"
    );
    assert!(rig.standin.lifecycle.counts().0.is_empty(), "nothing released");
    assert_eq!(rig.states().await, ["pending", "running", "running", "running"]);
}

/// A partial fill: an order for 4 at a bid of 0.2 CNY an hour that started 2 books each instance at the bid
/// (the order's bound over the 4 asked for), not at half the order's bound each.
#[tokio::test]
async fn a_partly_filled_orders_instances_are_each_bounded_by_the_bid() {
    let rig = rig(Cloud::Alibaba).await;
    let placed = rig
        .order(Cloud::Alibaba, "img-partial", 4, "7a4c9e10-0000-4000-8000-0000000000b1")
        .await;
    assert_eq!(placed["instance_ids"].as_array().unwrap().len(), 2, "{placed}");
    let bound: f64 = placed["max_cost_per_hour"]["amount"].as_str().unwrap().parse().unwrap();
    let instances = rig.instances().await;
    assert_eq!(instances.len(), 2);
    for row in &instances {
        let each: f64 = row["price_per_hour"]["amount"].as_str().unwrap().parse().unwrap();
        assert!(
            (each - bound / 4.0).abs() < 1e-9,
            "{each} per hour of a {bound} bound for 4: {row}"
        );
    }
}

/// A release the cloud refused as a whole because one of its instances was already gone, released from the
/// console (Tencent answers `InvalidInstanceId.NotFound` for the batch and releases nothing): each instance is then
/// asked for on its own — the gone one is "already gone", the other released — where every one used to read
/// "already gone" while the other billed on. (A release that did not take for another reason, its answer lost,
/// reads as "did not take" ten minutes on: `follower::release_not_taken`.)
#[tokio::test]
async fn a_batch_refused_for_one_gone_instance_is_asked_again_instance_by_instance() {
    let rig = rig(Cloud::Tencent).await;
    let placed = rig
        .order(
            Cloud::Tencent,
            "img-lifecycle",
            2,
            "7a4c9e10-0000-4000-8000-0000000000c1",
        )
        .await;
    rig.standin.lifecycle.advance(HOUR_MS);
    poll_once(&rig.state).await.unwrap();
    assert_eq!(rig.states().await, ["running", "running"]);
    let ids: Vec<String> = serde_json::from_value(placed["instance_ids"].clone()).unwrap();
    // One is released from the console before the follower has seen it.
    assert!(rig.standin.lifecycle.release_elsewhere(&ids[0]));
    let (status, answer) = rig
        .release(&json!({ "order_id": placed["id"] }), "release-batch-0001")
        .await;
    assert_eq!(status, 200, "{answer}");
    let result_of = |id: &str| {
        answer["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|outcome| outcome["id"] == id)
            .unwrap()["result"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        (result_of(&ids[0]), result_of(&ids[1])),
        ("already_gone".to_owned(), "accepted".to_owned()),
        "{answer}"
    );
    let (releases, _) = rig.standin.lifecycle.counts();
    assert_eq!(
        releases.get(&ids[1]),
        Some(&1),
        "the live one was released once: {releases:?}"
    );
    poll_once(&rig.state).await.unwrap();
    assert_eq!(rig.states().await, ["released", "released"]);
}

/// A release whose client goes away (or times out) after the first call still sends the rest: its rows already
/// say `releasing`, so nothing else would release the others soon. It used to run inside the request and stop
/// where the client left.
#[tokio::test]
async fn a_release_goes_on_when_its_client_goes_away() {
    let rig = rig_with_release_delay(Cloud::Tencent, Duration::from_millis(400)).await;
    let placed = rig
        .order(
            Cloud::Tencent,
            "img-lifecycle",
            2,
            "7a4c9e10-0000-4000-8000-0000000000c2",
        )
        .await;
    rig.standin.lifecycle.advance(HOUR_MS);
    poll_once(&rig.state).await.unwrap();
    let ids: Vec<String> = serde_json::from_value(placed["instance_ids"].clone()).unwrap();
    // The batch call is refused for the instance gone already, so the other takes a call of its own, after it.
    assert!(rig.standin.lifecycle.release_elsewhere(&ids[0]));
    let gone = reqwest::Client::new()
        .post(format!("{}/api/v1/instances/release", rig.proxy))
        .header("x-spotplan-token", TOKEN)
        .header("idempotency-key", "release-leave-0001")
        .timeout(Duration::from_millis(200))
        .json(&json!({ "order_id": placed["id"] }))
        .send()
        .await;
    assert!(gone.is_err(), "the client left before the answer: {gone:?}");
    let released = || rig.standin.lifecycle.counts().0.get(&ids[1]).copied();
    for _ in 0..100 {
        if released().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(released(), Some(1), "the live instance was released once");
    let (status, answer) = rig
        .release(&json!({ "order_id": placed["id"] }), "release-leave-0001")
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(released(), Some(1), "the retry sent nothing: {answer}");
}

/// A release key is its first asker's, and that is checked under the key's lock: a person asking under a new key
/// at the moment the operator's release under it goes out is refused once the operator's is logged — never
/// answered with the operator's release (the owner used to be checked before the lock, so both passed, and the
/// second was replayed the first's answer).
#[tokio::test]
async fn a_release_key_two_ask_for_at_once_is_the_first_askers_and_the_other_is_refused() {
    let rig = rig(Cloud::Tencent).await;
    let bob = spotplan_proxy::people::add(&rig.state.store, "bob", 1).await.unwrap();
    let placed = rig
        .order(
            Cloud::Tencent,
            "img-lifecycle",
            1,
            "7a4c9e10-0000-4000-8000-0000000000d1",
        )
        .await;
    rig.standin.lifecycle.advance(HOUR_MS);
    poll_once(&rig.state).await.unwrap();
    let key = "release-race-0001";
    let ask = |header: &str, value: String| {
        reqwest::Client::new()
            .post(format!("{}/api/v1/instances/release", rig.proxy))
            .header(header, value)
            .header("idempotency-key", key)
            .json(&json!({ "order_id": placed["id"] }))
            .send()
    };
    let (first, status, refused) = one_after_the_other_on(
        &rig.state,
        &format!("release:{key}"),
        ask("x-spotplan-token", TOKEN.into()),
        ask("authorization", format!("Bearer {bob}")),
    )
    .await;
    assert_eq!(first, 200);
    assert_eq!(
        (status, &refused["error"]["code"]),
        (409, &json!("idempotency_key_of_another")),
        "{refused}"
    );
    assert!(
        refused.get("outcomes").is_none(),
        "nothing of the operator's release shown: {refused}"
    );
    let ids: Vec<String> = serde_json::from_value(placed["instance_ids"].clone()).unwrap();
    assert_eq!(
        rig.standin.lifecycle.counts().0.get(&ids[0]).copied(),
        Some(1),
        "released once"
    );
}

/// A lookup goes on when its client goes away: it runs in its own task, as an order and a release do, so the
/// outcome it reads is written whole — holding a place of the proxy's limit until it ends. The test holds the order's key while the client gives up, then lets it go.
#[tokio::test]
async fn a_lookup_goes_on_when_its_client_goes_away() {
    let rig = rig(Cloud::Tencent).await;
    let key = "lookup-leave-0001";
    let answer = rig.submit(Cloud::Tencent, "img-gateway502", 1, key).await;
    assert_eq!(answer["status"], "unknown", "{answer}");
    let id = answer["id"].as_str().unwrap().to_owned();
    let claim = rig.state.key_locks.claim(key);
    let held = claim.lock().await;
    let gone = reqwest::Client::new()
        .post(format!("{}/api/v1/orders/{id}/lookup", rig.proxy))
        .header("x-spotplan-token", TOKEN)
        .timeout(Duration::from_millis(300))
        .json(&json!({}))
        .send()
        .await;
    assert!(gone.is_err(), "the client left before the answer: {gone:?}");
    // Time for the server to see the client gone (before the fix, that dropped the lookup where it waited).
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The lookup, on its own now, still holds its place: clients that leave cannot pile such work up.
    let places = || rig.state.detached_work_permits.available_permits();
    assert_eq!(places(), spotplan_proxy::MAX_CONCURRENT_API_CALLS - 1);
    drop(held);
    let status = || async { rig.state.store.by_id(&id).await.unwrap().unwrap().view.status };
    for _ in 0..200 {
        if status().await != spotplan_proxy::store::OrderStatus::Unknown {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        status().await,
        spotplan_proxy::store::OrderStatus::Succeeded,
        "the lookup found the instance and wrote it"
    );
    for _ in 0..200 {
        if places() == spotplan_proxy::MAX_CONCURRENT_API_CALLS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        places(),
        spotplan_proxy::MAX_CONCURRENT_API_CALLS,
        "its place is back once it ended"
    );
}

/// Two people's orders whose keys differ only in case derive ClientTokens a cloud may not tell apart, and hold
/// different keys' locks: they are checked and logged one at a time under the folded token's lock, so the second
/// sees the first and is refused, never both sent.
#[tokio::test]
async fn two_orders_whose_tokens_differ_only_in_case_are_checked_one_at_a_time() {
    let rig = rig(Cloud::Tencent).await;
    let bob = spotplan_proxy::people::add(&rig.state.store, "bob", 1).await.unwrap();
    let mut order = example("tencent");
    order["dry_run"] = json!(true);
    let send = |header: &str, value: String, key: &str| {
        reqwest::Client::new()
            .post(format!("{}/api/v1/orders", rig.proxy))
            .header(header, value)
            .header("idempotency-key", key)
            .json(&order)
            .send()
    };
    let (first, status, refused) = one_after_the_other_on(
        &rig.state,
        "client-token:spotplan-race-token-0001",
        send("x-spotplan-token", TOKEN.into(), "race-token-0001"),
        send("authorization", format!("Bearer {bob}"), "RACE-TOKEN-0001"),
    )
    .await;
    assert_eq!(first, 200);
    assert_eq!(
        (status, &refused["error"]["code"]),
        (409, &json!("client_token_of_another")),
        "{refused}"
    );
}

/// Holds `lock_key`'s lock while `first` and then `second` are sent and wait on it, then lets it go: the first's
/// status, and the second's status and answer.
async fn one_after_the_other_on(
    state: &AppState,
    lock_key: &str,
    first: impl std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static,
    second: impl std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static,
) -> (u16, u16, Value) {
    let claim = state.key_locks.claim(lock_key);
    let held = claim.lock().await;
    let first = tokio::spawn(first);
    claims_reach(state, lock_key, 2).await;
    let second = tokio::spawn(second);
    claims_reach(state, lock_key, 3).await;
    drop(held);
    let first = first.await.unwrap().unwrap().status().as_u16();
    let second = second.await.unwrap().unwrap();
    let status = second.status().as_u16();
    (first, status, second.json().await.unwrap())
}

/// Waits until `key`'s lock has `claims` claims (its holder and those waiting for it).
async fn claims_reach(state: &AppState, key: &str, claims: usize) {
    for _ in 0..500 {
        if state.key_locks.claims(key) == claims {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "{} claims on the lock of {key}, not {claims}",
        state.key_locks.claims(key)
    );
}

/// Recording a release's answers fails after its calls went out: the answer still carries what the cloud said (it
/// used to be a 503 that dropped it), a retry under the key meanwhile sends nothing again, and the book takes the
/// answers once it can.
#[tokio::test]
async fn a_release_whose_answers_cannot_be_recorded_is_answered_and_recorded_later() {
    let rig = rig(Cloud::Tencent).await;
    let placed = rig
        .order(
            Cloud::Tencent,
            "img-lifecycle",
            1,
            "7a4c9e10-0000-4000-8000-0000000000c3",
        )
        .await;
    rig.standin.lifecycle.advance(HOUR_MS);
    poll_once(&rig.state).await.unwrap();
    let refuse_answers: &[&str] = if rig.state.store.is_shared() {
        &[
            "CREATE FUNCTION refuse_answer() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$",
            "CREATE TRIGGER refuse_answer BEFORE UPDATE ON releases FOR EACH ROW WHEN (NEW.answer_json IS NOT NULL) \
             EXECUTE FUNCTION refuse_answer()",
        ]
    } else {
        &[
            "CREATE TRIGGER refuse_answer BEFORE UPDATE ON releases WHEN NEW.answer_json IS NOT NULL \
           BEGIN SELECT RAISE(ABORT, 'disk full'); END",
        ]
    };
    for statement in refuse_answers {
        rig.state
            .store
            .execute((*statement).to_owned(), Vec::new())
            .await
            .unwrap();
    }
    let (status, answer) = rig
        .release(&json!({ "order_id": placed["id"] }), "release-unrecorded-0001")
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["outcomes"][0]["result"], "accepted", "{answer}");
    assert_eq!(answer["replayed"], false, "{answer}");
    let releases = || rig.standin.lifecycle.counts().0.values().sum::<u32>();
    assert_eq!(releases(), 1, "the release went out");
    let (status, meanwhile) = rig
        .release(&json!({ "order_id": placed["id"] }), "release-unrecorded-0001")
        .await;
    assert_eq!(status, 200, "{meanwhile}");
    assert_eq!(
        meanwhile["outcomes"][0]["result"], "unknown",
        "not in the book yet: {meanwhile}"
    );
    // The resumer (however old it takes the release to be) leaves a release whose answers are still being written
    // here alone: it neither sends it again nor writes an answer of its own.
    let pending = "the answers of release release-unrecorded-0001";
    assert!(rig.state.pending_writes.contains(pending));
    let resumed = spotplan_proxy::instances::resume_unanswered(&rig.state, i64::MAX)
        .await
        .unwrap();
    assert_eq!((resumed, releases()), (0, 1), "left to the pending write");
    let drop_trigger = if rig.state.store.is_shared() {
        "DROP TRIGGER refuse_answer ON releases"
    } else {
        "DROP TRIGGER refuse_answer"
    };
    rig.state
        .store
        .execute(drop_trigger.to_owned(), Vec::new())
        .await
        .unwrap();
    let mut replayed = Value::Null;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        (_, replayed) = rig
            .release(&json!({ "order_id": placed["id"] }), "release-unrecorded-0001")
            .await;
        if replayed["outcomes"][0]["result"] == "accepted" {
            break;
        }
    }
    assert_eq!(
        replayed["outcomes"][0]["result"], "accepted",
        "the answer landed: {replayed}"
    );
    assert_eq!(replayed["replayed"], true, "{replayed}");
    assert_eq!(releases(), 1, "nothing was sent twice");
    assert!(
        !rig.state.pending_writes.contains(pending),
        "no longer pending once it landed"
    );
}

#[tokio::test]
async fn a_thousand_instances_cost_ten_describe_calls() {
    let rig = rig(Cloud::Baidu).await;
    let now = spotplan_proxy::upstream::now_unix_millis();
    let rows = (0..1000)
        .map(|index| {
            spotplan_proxy::instance_book::InstanceRow::placed(
                Cloud::Baidu,
                "bj",
                &format!("i-many{index:04}"),
                "ord-many",
                None,
                now,
            )
        })
        .collect();
    spotplan_proxy::instance_book::add_placed(&rig.state.store, rows)
        .await
        .unwrap();
    let poll = poll_once(&rig.state).await.unwrap();
    assert_eq!(poll.calls.get(&Cloud::Baidu), Some(&10));
    let (_, describes) = rig.standin.lifecycle.counts();
    assert_eq!(describes, 10);
}

#[tokio::test]
async fn hostile_and_malformed_releases_are_refused_before_anything_is_sent() {
    let rig = rig(Cloud::Alibaba).await;
    rig.order(
        Cloud::Alibaba,
        "img-lifecycle",
        1,
        "7a4c9e10-0000-4000-8000-000000000005",
    )
    .await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/instances/release", rig.proxy);
    let body = json!({ "all": true });
    // No token; a foreign page; no idempotency key; reading the book without the token.
    let no_token = client
        .post(&url)
        .header("idempotency-key", "release-key-0001")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status().as_u16(), 401);
    let foreign = client
        .post(&url)
        .header("x-spotplan-token", TOKEN)
        .header("origin", "http://evil.example")
        .header("idempotency-key", "release-key-0002")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status().as_u16(), 403);
    let no_key = client
        .post(&url)
        .header("x-spotplan-token", TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(no_key.status().as_u16(), 400);
    assert_eq!(
        no_key.json::<Value>().await.unwrap()["error"]["code"],
        "idempotency_key_required"
    );
    let read = client
        .get(format!("{}/api/v1/instances", rig.proxy))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status().as_u16(), 401);
    // An instance Spotplan did not place; two targets at once; the same key for a different release.
    let (status, answer) = rig
        .release(
            &json!({ "instances": [{ "cloud": "alibaba", "id": "i-not-ours" }] }),
            "release-key-0003",
        )
        .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (400, Some("unknown_instance"))
    );
    let (status, answer) = rig
        .release(&json!({ "all": true, "order_id": "ord-1" }), "release-key-0004")
        .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (400, Some("release_target"))
    );
    let (status, _) = rig.release(&json!({ "all": true }), "release-key-0005").await;
    assert_eq!(status, 200);
    let (status, answer) = rig
        .release(&json!({ "order_id": "ord-other" }), "release-key-0005")
        .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (409, Some("idempotency_key_reused"))
    );
    // More ids than one release may name (each was looked up in the whole book: a long list cost its length
    // times the book's).
    let many: Vec<Value> = (0..1001)
        .map(|index| json!({ "cloud": "alibaba", "id": format!("i-many{index:04}") }))
        .collect();
    let (status, answer) = rig.release(&json!({ "instances": many }), "release-key-0007").await;
    assert_eq!(
        (
            status,
            answer["error"]["code"].as_str(),
            answer["error"]["field"].as_str()
        ),
        (400, Some("too_many_instances"), Some("instances")),
        "{answer}"
    );
    // A key that is not one; a body that is not JSON.
    let (status, answer) = rig.release(&json!({ "all": true }), "key/../with-slashes").await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (400, Some("idempotency_key_invalid")),
        "{answer}"
    );
    let form = client
        .post(&url)
        .header("x-spotplan-token", TOKEN)
        .header("idempotency-key", "release-key-0006")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("all=true")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status().as_u16(), 415);
    let (releases, _) = rig.standin.lifecycle.counts();
    assert_eq!(
        releases.values().sum::<u32>(),
        1,
        "only the one valid release was sent: {releases:?}"
    );
}

/// The same instance named twice in one release is released once, in one call naming it once.
#[tokio::test]
async fn an_instance_named_twice_in_a_release_is_released_once() {
    let rig = rig(Cloud::Tencent).await;
    rig.order(
        Cloud::Tencent,
        "img-lifecycle",
        1,
        "7a4c9e10-0000-4000-8000-000000000015",
    )
    .await;
    let rows = rig.instances().await;
    let id = rows[0]["id"].as_str().unwrap().to_owned();
    let target = json!({ "cloud": "tencent", "id": id });
    let (status, answer) = rig
        .release(&json!({ "instances": [target.clone(), target] }), "release-twice-0001")
        .await;
    assert_eq!(status, 200, "{answer}");
    let outcomes = answer["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 1, "{answer}");
    assert_eq!(outcomes[0]["result"], "accepted", "{answer}");
    let (releases, _) = rig.standin.lifecycle.counts();
    assert_eq!(releases.get(&id), Some(&1), "{releases:?}");
}

#[tokio::test]
async fn a_release_a_crash_left_unanswered_is_settled_without_sending_twice() {
    use spotplan_core::lifecycle::ReleaseOptions;
    use spotplan_proxy::instance_book;
    for cloud in [Cloud::Alibaba, Cloud::Tencent] {
        let rig = rig(cloud).await;
        let placed = rig
            .order(cloud, "img-lifecycle", 2, "7a4c9e10-0000-4000-8000-000000000006")
            .await;
        let ids: Vec<String> = placed["instance_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap().to_owned())
            .collect();
        rig.standin.lifecycle.advance(HOUR_MS);
        poll_once(&rig.state).await.unwrap();
        let rows = instance_book::all(&rig.state.store).await.unwrap();
        // The first run logged the release of both, sent it for the first only, and stopped before any answer.
        let started = spotplan_proxy::upstream::now_unix_millis();
        rig.log_unanswered_release("release-crash-0001", rows.clone(), started - 1)
            .await;
        let first = rows.iter().find(|row| row.id == ids[0]).unwrap();
        let mut request = spotplan_core::clouds::wire(cloud).release_instances(
            &first.region,
            &ids[..1],
            "first-run-token",
            ReleaseOptions::default(),
        );
        rig.state.config.endpoints.route(cloud, &mut request).unwrap();
        let credentials = rig.state.credentials.get(cloud).unwrap().credentials.clone();
        rig.state
            .upstream
            .send_once(cloud, &request, &credentials)
            .await
            .unwrap();

        // The next run settles it: the one already released is not sent again, the other is sent once.
        let settled = spotplan_proxy::instances::resume_unanswered(&rig.state, started)
            .await
            .unwrap();
        assert_eq!(settled, 1, "{cloud}");
        let (releases, _) = rig.standin.lifecycle.counts();
        assert_eq!(releases.get(&ids[0]), Some(&1), "{cloud}: {releases:?}");
        assert_eq!(releases.get(&ids[1]), Some(&1), "{cloud}: {releases:?}");
        let answer = rig.logged_release_answer("release-crash-0001").await.unwrap();
        let results: Vec<String> = answer
            .outcomes
            .iter()
            .map(|o| format!("{} {:?}", o.id, o.result))
            .collect();
        assert_eq!(
            results,
            [format!("{} AlreadyGone", ids[0]), format!("{} Accepted", ids[1])],
            "{cloud}"
        );
        // Settled once: a second start finds nothing left.
        assert_eq!(
            spotplan_proxy::instances::resume_unanswered(&rig.state, started)
                .await
                .unwrap(),
            0
        );
        poll_once(&rig.state).await.unwrap();
        assert_eq!(rig.states().await, ["released", "released"], "{cloud}");
    }
}

#[tokio::test]
async fn instances_started_elsewhere_can_be_watched_and_released() {
    let rig = rig(Cloud::Tencent).await;
    // Started outside Spotplan: the cloud knows it, the book does not.
    rig.standin.lifecycle.created(&["ins-outside01".to_owned()], "img-any");
    rig.standin.lifecycle.advance(HOUR_MS);
    let client = reqwest::Client::new();
    let watch = |body: Value| {
        client
            .post(format!("{}/api/v1/instances/watch", rig.proxy))
            .header("x-spotplan-token", TOKEN)
            .json(&body)
            .send()
    };
    let answer: Value = watch(json!({ "cloud": "tencent", "region": "ap-guangzhou", "ids": ["ins-outside01"] }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer,
        json!({ "added": ["ins-outside01"], "known": [], "not_spot": 0 })
    );
    poll_once(&rig.state).await.unwrap();
    let row = rig.instances().await[0].clone();
    assert_eq!(
        (row["state"].as_str(), row["order_id"].is_null()),
        (Some("running"), true),
        "{row}"
    );
    assert!(
        row["price_per_hour"].is_null() && row["cost_so_far"].is_null(),
        "no price is claimed: {row}"
    );
    let (status, released) = rig
        .release(
            &json!({ "instances": [{ "cloud": "tencent", "id": "ins-outside01" }] }),
            "release-outside-01",
        )
        .await;
    assert_eq!(
        (status, released["outcomes"][0]["result"].as_str()),
        (200, Some("accepted")),
        "{released}"
    );
    assert_eq!(rig.standin.lifecycle.counts().0.get("ins-outside01"), Some(&1));
    // Hostile and malformed: no token, an id that is not one, too many ids, a region that is not one.
    let no_token = client
        .post(format!("{}/api/v1/instances/watch", rig.proxy))
        .json(&json!({ "cloud": "tencent", "region": "ap-guangzhou", "ids": ["ins-x"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status().as_u16(), 401);
    for body in [
        json!({ "cloud": "tencent", "region": "ap-guangzhou", "ids": ["ins-1; DROP TABLE"] }),
        json!({ "cloud": "tencent", "region": "ap-guangzhou", "ids": (0..101).map(|i| format!("ins-{i}")).collect::<Vec<_>>() }),
        json!({ "cloud": "tencent", "region": "evil.com#", "ids": ["ins-1"] }),
    ] {
        let answer = watch(body.clone()).await.unwrap();
        assert_eq!(answer.status().as_u16(), 400, "{body}");
        assert_eq!(answer.json::<Value>().await.unwrap()["error"]["code"], "invalid_watch");
    }
    assert_eq!(rig.instances().await.len(), 1, "nothing malformed joined the book");
    // An on-demand server and an id the cloud does not list are not spot instances of this region: neither joins
    // the book, so neither can be released through Spotplan.
    rig.standin.lifecycle.created_on_demand(&["ins-database01".to_owned()]);
    let answer: Value =
        watch(json!({ "cloud": "tencent", "region": "ap-guangzhou", "ids": ["ins-database01", "ins-nosuch01"] }))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(answer, json!({ "added": [], "known": [], "not_spot": 2 }));
    let (status, refused) = rig
        .release(
            &json!({ "instances": [{ "cloud": "tencent", "id": "ins-database01" }] }),
            "release-database-01",
        )
        .await;
    assert_ne!(status, 200, "{refused}");
    assert_eq!(
        rig.standin.lifecycle.counts().0.get("ins-database01"),
        None,
        "never released"
    );
    assert_eq!(rig.instances().await.len(), 1);
}

/// A region listing more instances than Spotplan reads (50 pages of 100): a discovery is refused rather than
/// presenting a part as the region, and an id not in the part read is not called "not spot" — nothing is added.
#[tokio::test]
async fn a_region_listed_only_in_part_adds_nothing_and_says_so() {
    let rig = rig(Cloud::Tencent).await;
    let outside: Vec<String> = (0..5_050).map(|index| format!("i-many{index:05}")).collect();
    rig.standin.lifecycle.created(&outside, "img-any");
    let (status, answer) = rig
        .post(
            "/api/v1/instances/discover",
            &json!({ "cloud": "tencent", "region": "ap-guangzhou" }),
        )
        .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (502, Some("list_incomplete")),
        "{answer}"
    );
    let last = outside.last().unwrap();
    let (status, answer) = rig
        .post(
            "/api/v1/instances/watch",
            &json!({ "cloud": "tencent", "region": "ap-guangzhou", "ids": [last] }),
        )
        .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (502, Some("list_incomplete")),
        "{answer}"
    );
    assert!(rig.instances().await.is_empty(), "nothing was added");
}

#[tokio::test]
async fn a_regions_spot_instances_are_found_page_by_page_on_each_cloud_and_others_are_left_out() {
    for (cloud, region) in [
        (Cloud::Alibaba, "cn-hangzhou"),
        (Cloud::Tencent, "ap-guangzhou"),
        (Cloud::Baidu, "bj"),
    ] {
        let rig = rig(cloud).await;
        // One placed through Spotplan, 150 spot and 20 pay-as-you-go started elsewhere: two pages of 100.
        let placed = rig
            .order(cloud, "img-lifecycle", 1, "7a4c9e10-0000-4000-8000-000000000007")
            .await;
        let outside: Vec<String> = (0..150).map(|index| format!("i-outside{index:03}")).collect();
        rig.standin.lifecycle.created(&outside, "img-any");
        let on_demand: Vec<String> = (0..20).map(|index| format!("i-ondemand{index:02}")).collect();
        rig.standin.lifecycle.created_on_demand(&on_demand);
        rig.standin.lifecycle.advance(HOUR_MS);
        let (status, answer) = rig
            .post(
                "/api/v1/instances/discover",
                &json!({ "cloud": cloud.id(), "region": region }),
            )
            .await;
        assert_eq!(status, 200, "{cloud}: {answer}");
        assert_eq!(answer["added"].as_array().unwrap().len(), 150, "{cloud}: {answer}");
        assert_eq!(answer["known"], json!([placed["instance_ids"][0]]), "{cloud}");
        assert_eq!(
            answer["not_spot"], 20,
            "{cloud}: the pay-as-you-go instances are left out"
        );
        let rows = rig.instances().await;
        assert_eq!(rows.len(), 151, "{cloud}");
        assert!(
            rows.iter()
                .all(|row| !row["id"].as_str().unwrap().starts_with("i-ondemand")),
            "{cloud}"
        );
        assert!(
            rows.iter()
                .filter(|row| row["order_id"].is_null())
                .all(|row| row["state"] == "running"),
            "{cloud}"
        );
        let (_, describes) = rig.standin.lifecycle.counts();
        assert_eq!(describes, 2, "{cloud}: 171 instances listed in two pages of 100");
        // Asked again, nothing is added twice.
        let (_, again) = rig
            .post(
                "/api/v1/instances/discover",
                &json!({ "cloud": cloud.id(), "region": region }),
            )
            .await;
        assert_eq!(
            (
                again["added"].as_array().unwrap().len(),
                again["known"].as_array().unwrap().len()
            ),
            (0, 151)
        );
    }
    let rig = rig(Cloud::Baidu).await;
    let (status, error) = rig
        .post(
            "/api/v1/instances/discover",
            &json!({ "cloud": "baidu", "region": "bj.evil.com#" }),
        )
        .await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (400, Some("invalid_discover"))
    );
    let no_token = reqwest::Client::new()
        .post(format!("{}/api/v1/instances/discover", rig.proxy))
        .json(&json!({ "cloud": "alibaba", "region": "cn-hangzhou" }))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status().as_u16(), 401);
}

#[tokio::test]
async fn reclaims_at_a_configured_rate_are_caught_and_recorded_with_how_long_the_instance_ran() {
    let rig = rig(Cloud::Alibaba).await;
    // The stand-in reclaims one instance every 30 minutes of its clock.
    rig.standin.lifecycle.reclaim_every(Some(Duration::from_secs(1800)));
    let placed = rig
        .order(
            Cloud::Alibaba,
            "img-lifecycle",
            3,
            "7a4c9e10-0000-4000-8000-000000000008",
        )
        .await;
    assert_eq!(placed["instance_ids"].as_array().unwrap().len(), 3);
    rig.standin.lifecycle.advance(HOUR_MS);
    poll_once(&rig.state).await.unwrap();
    // An hour in: two periods have passed, so two of the three have notices.
    let noticed = rig
        .instances()
        .await
        .iter()
        .filter(|row| row["state"] == "being_reclaimed")
        .count();
    assert_eq!(noticed, 2);
    rig.standin.lifecycle.advance(10 * 60_000);
    poll_once(&rig.state).await.unwrap();
    let rows = rig.instances().await;
    let reclaimed: Vec<&Value> = rows.iter().filter(|row| row["state"] == "reclaimed").collect();
    assert_eq!(reclaimed.len(), 2, "{rows:?}");
    // The history the interruption estimates need: each reclaim with how long the instance ran.
    let (_, history) = rig.get("/api/v1/reclaims").await;
    let records = history["reclaims"].as_array().unwrap();
    assert_eq!(records.len(), 2, "{history}");
    for (record, row) in records.iter().zip(&reclaimed) {
        assert_eq!(record["id"], row["id"]);
        let ran_ms = row["ended_at_ms"].as_i64().unwrap() - row["running_since_ms"].as_i64().unwrap();
        assert_eq!(record["ran_seconds"].as_i64(), Some(ran_ms / 1000), "{record}");
        assert!(record["notice_at_ms"].is_i64(), "Alibaba shows the notice: {record}");
    }
    let no_token = reqwest::Client::new()
        .get(format!("{}/api/v1/reclaims", rig.proxy))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status().as_u16(), 401);
}

#[tokio::test]
async fn a_baidu_bid_order_that_has_not_started_is_cancelled_whole_and_a_started_one_released() {
    let rig = rig(Cloud::Baidu).await;
    let waiting = rig
        .order(Cloud::Baidu, "m-lifecycle", 2, "7a4c9e10-0000-4000-8000-000000000009")
        .await;
    let (status, answer) = rig
        .release(&json!({ "order_id": waiting["id"] }), "release-cancel-0001")
        .await;
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["result"] == "accepted"),
        "{answer}"
    );
    let order_id = waiting["cloud_order_id"].as_str().unwrap().to_owned();
    assert_eq!(
        rig.standin.lifecycle.cancels().get(&order_id),
        Some(&1),
        "one cancelBidOrder"
    );
    assert!(
        rig.standin.lifecycle.counts().0.is_empty(),
        "no instance release for an order that never started"
    );
    poll_once(&rig.state).await.unwrap();
    assert_eq!(rig.states().await, ["released", "released"]);

    // An order whose instances run is released instance by instance (batchDelete).
    let started = rig
        .order(Cloud::Baidu, "m-lifecycle", 1, "7a4c9e10-0000-4000-8000-000000000010")
        .await;
    rig.standin.lifecycle.advance(HOUR_MS);
    poll_once(&rig.state).await.unwrap();
    let (_, answer) = rig
        .release(&json!({ "order_id": started["id"] }), "release-cancel-0002")
        .await;
    assert_eq!(answer["outcomes"][0]["result"], "accepted", "{answer}");
    assert_eq!(
        rig.standin
            .lifecycle
            .counts()
            .0
            .get(started["instance_ids"][0].as_str().unwrap()),
        Some(&1)
    );
    assert_eq!(rig.standin.lifecycle.cancels().len(), 1);
}

/// A release a crash left unanswered whose instance cannot be described when the proxy looks (throttled) is left
/// for a later look, not answered "unknown" and forgotten; and a release the follower found not taken (ten
/// minutes on, the cloud still runs the instance) is sent again under its key, the instance read as releasing and
/// then released — not as running, then as reclaimed once it is gone.
#[tokio::test]
async fn an_unanswered_release_is_settled_once_it_can_be_and_its_resend_is_booked_as_releasing() {
    use spotplan_proxy::instance_book;
    let rig = rig(Cloud::Tencent).await;
    let placed = rig
        .order(
            Cloud::Tencent,
            "img-lifecycle",
            1,
            "7a4c9e10-0000-4000-8000-000000000021",
        )
        .await;
    let id = placed["instance_ids"][0].as_str().unwrap().to_owned();
    rig.standin.lifecycle.advance(HOUR_MS);
    poll_once(&rig.state).await.unwrap();
    let rows = instance_book::all(&rig.state.store).await.unwrap();
    let now = spotplan_proxy::upstream::now_unix_millis();
    // Logged eleven minutes ago by a run that stopped before sending it.
    rig.log_unanswered_release("release-crash-0021", rows, now - 11 * 60_000)
        .await;
    rig.standin.lifecycle.throttle(1);
    let settled = spotplan_proxy::instances::resume_unanswered(&rig.state, now)
        .await
        .unwrap();
    assert_eq!(settled, 0, "not settled while its instance cannot be described");
    assert!(
        rig.logged_release_answer("release-crash-0021").await.is_none(),
        "still unanswered, so a later look sends it"
    );
    // The follower sees it running ten minutes after the release was asked: a release that did not take.
    poll_once(&rig.state).await.unwrap();
    assert_eq!(rig.states().await, ["running"]);
    let settled = spotplan_proxy::instances::resume_unanswered(&rig.state, now)
        .await
        .unwrap();
    assert_eq!(settled, 1);
    assert_eq!(rig.standin.lifecycle.counts().0.get(&id), Some(&1), "sent once");
    assert_eq!(rig.states().await, ["releasing"], "the resend's answer is booked");
    poll_once(&rig.state).await.unwrap();
    assert_eq!(rig.states().await, ["released"], "released, not reclaimed");
}

/// Settling unanswered releases leaves alone what is not theirs to settle yet: an instance a later release took
/// over (its options are that release's), and a new instance the cloud does not list yet (it is not gone: it
/// gets the follower's minute to appear, or it would be booked released and bill unwatched).
#[tokio::test]
async fn an_unanswered_release_leaves_a_later_releases_instance_and_a_not_yet_listed_one() {
    use spotplan_core::lifecycle::ReleaseOptions;
    use spotplan_proxy::instance_book;
    let rig = rig(Cloud::Tencent).await;
    let placed = rig
        .order(
            Cloud::Tencent,
            "img-lifecycle",
            1,
            "7a4c9e10-0000-4000-8000-000000000022",
        )
        .await;
    let id = placed["instance_ids"][0].as_str().unwrap().to_owned();
    rig.standin.lifecycle.advance(HOUR_MS);
    poll_once(&rig.state).await.unwrap();
    let now = spotplan_proxy::upstream::now_unix_millis();
    let row = instance_book::all(&rig.state.store).await.unwrap()[0].clone();
    // K1 never went out; K2, logged after it, holds the instance now (keeping its disks).
    for (key, at, options) in [
        ("release-k1-00000022", now - 20 * 60_000, ReleaseOptions::default()),
        (
            "release-k2-00000022",
            now - 5 * 60_000,
            ReleaseOptions {
                force: true,
                delete_data_disks: false,
            },
        ),
    ] {
        let mut current = instance_book::all(&rig.state.store).await.unwrap()[0].clone();
        current.state = row.state;
        instance_book::save(&rig.state.store, vec![current.clone()])
            .await
            .unwrap();
        instance_book::log_release(&rig.state.store, key, "hash", vec![current], options, at, None)
            .await
            .unwrap();
    }
    spotplan_proxy::instances::resume_unanswered(&rig.state, now)
        .await
        .unwrap();
    let answered = |key: &'static str| {
        let store = rig.state.store.clone();
        async move {
            instance_book::logged_release(&store, key)
                .await
                .unwrap()
                .unwrap()
                .answer
                .unwrap()
                .outcomes
                .iter()
                .map(|outcome| outcome.id.clone())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        answered("release-k1-00000022").await,
        Vec::<String>::new(),
        "K1 sends nothing"
    );
    assert_eq!(
        answered("release-k2-00000022").await,
        vec![id.clone()],
        "K2 releases it"
    );
    assert_eq!(rig.standin.lifecycle.counts().0.get(&id), Some(&1), "sent once");

    // An instance booked a moment ago that the cloud does not list yet.
    let mut fresh =
        instance_book::InstanceRow::placed(Cloud::Tencent, "ap-guangzhou", "ins-notyet01", "ord-x", None, now);
    fresh.zone = row.zone.clone();
    instance_book::add_placed(&rig.state.store, vec![fresh.clone()])
        .await
        .unwrap();
    rig.log_unanswered_release("release-fresh-00000022", vec![fresh], now - 1)
        .await;
    let settled = spotplan_proxy::instances::resume_unanswered(&rig.state, now)
        .await
        .unwrap();
    assert_eq!(settled, 0, "left for a later look");
    let kept = instance_book::all(&rig.state.store)
        .await
        .unwrap()
        .into_iter()
        .find(|row| row.id == "ins-notyet01")
        .unwrap();
    assert_eq!(
        kept.state,
        spotplan_core::lifecycle::InstanceState::Releasing,
        "not booked released"
    );
}

//! The fault suite: the real `spotplan-proxy` process against stand-ins that misbehave the way clouds and
//! networks do — answers that hide a creation, a cloud that vanishes, a proxy killed mid-order, an order log that
//! cannot be written, duplicate storms, giant answers, idle connection floods, hostile region ids. Each test
//! proves the order exists at most once and that the log says what is true.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod common;

use std::time::{Duration, Instant};

use common::proxy_process::{Proxy, TOKEN, serve_standin, standin};
use common::{KEYS, example, tempdir};
use serde_json::{Value, json};
use spotplan_standin::{Kind, Standin};

/// The fault tests run one at a time: several of them load both cores on purpose, and the latency one must
/// measure the proxy, not its neighbours.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A plain HTTP/1.1 GET on a fresh connection, blocking; the whole answer as text.
fn raw_get(authority: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(authority).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nX-Spotplan-Token: {TOKEN}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

fn order_with_image(cloud: &str, image: &str) -> Value {
    let mut order = example(cloud);
    order["image_id"] = image.into();
    order
}

fn created_sets(standin: &Standin) -> Vec<Vec<String>> {
    let stats = standin.stats.lock().unwrap();
    let mut sets: Vec<Vec<String>> = stats.by_token.values().cloned().collect();
    sets.sort();
    sets
}

/// Fault 3: the cloud creates the instances, then every attempt's answer hides it (a gateway's 502 or 504
/// page, or HTTP 200 carrying `InternalError`): the order is unknown, never failed, and a retry under the same key
/// ends with exactly one set of instances.
#[tokio::test(flavor = "multi_thread")]
async fn answers_that_hide_a_creation_leave_the_order_unknown_and_one_set_of_instances() {
    let _serial = SERIAL.lock().await;
    for (cloud, kind) in [
        ("alibaba", Kind::Alibaba),
        ("tencent", Kind::Tencent),
        ("baidu", Kind::Baidu),
    ] {
        let (standin, address) = standin(kind).await;
        let proxy = Proxy::start(&tempdir(), &[(kind, address)], &[]);
        for (key, image) in [
            ("fault3-a-0001", "img-gateway502"),
            ("fault3-b-0001", "img-gateway504"),
            ("fault3-c-0001", "img-internalerror"),
        ] {
            let order = order_with_image(cloud, image);
            let (status, first) = proxy.submit(&order, key).await;
            assert_eq!(status, 200, "{cloud} {image}: {first}");
            assert_eq!(first["status"], "unknown", "{cloud} {image}: {first}");
            assert_eq!(first["may_have_reached_cloud"], true);
            assert!(
                !first["hint"].as_str().unwrap().contains("nothing was created"),
                "{first}"
            );
            let (_, again) = proxy.submit(&order, key).await;
            assert_eq!(again["status"], "unknown", "{cloud} {image}: {again}");
            assert_eq!(again["client_token"], first["client_token"]);
        }
        let stats = standin.stats.lock().unwrap();
        assert_eq!(stats.created, 3, "{cloud}: one creation per order, none per retry");
        assert!(
            stats.attempts_by_token.values().all(|attempts| *attempts >= 2),
            "{cloud}: the retry was sent (with the same token)"
        );
    }
}

/// Fault 3, past the ClientToken window: an unknown order retried more than an hour after it was first sent is
/// not resent (the cloud may have forgotten its token). The proxy looks it up by the tag it sent it with: found,
/// the order succeeded with the instances the cloud created; gone, the answer says none exists and nothing is sent;
/// sent without the tag (the person's tags left no room), it stays unknown.
#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_order_past_the_token_window_is_looked_up_by_its_tag_not_resent() {
    let _serial = SERIAL.lock().await;
    const TWO_HOURS_MS: i64 = 2 * 60 * 60 * 1000;
    for (cloud, kind) in [
        ("alibaba", Kind::Alibaba),
        ("tencent", Kind::Tencent),
        ("baidu", Kind::Baidu),
    ] {
        let (standin, address) = standin(kind).await;
        let data = tempdir();
        let proxy = Proxy::start(&data, &[(kind, address)], &[]);
        let backdate = |key: &str| {
            let changed = rusqlite::Connection::open(data.join("orders.sqlite3"))
                .unwrap()
                .execute(
                    "UPDATE orders SET created_at_ms = created_at_ms - ?1 WHERE idempotency_key = ?2",
                    rusqlite::params![TWO_HOURS_MS, key],
                )
                .unwrap();
            assert_eq!(changed, 1);
        };
        let backdate_last_attempt = |key: &str| {
            let changed = rusqlite::Connection::open(data.join("orders.sqlite3"))
                .unwrap()
                .execute(
                    "UPDATE orders SET finished_at_ms = finished_at_ms - ?1 WHERE idempotency_key = ?2",
                    rusqlite::params![TWO_HOURS_MS, key],
                )
                .unwrap();
            assert_eq!(changed, 1);
        };
        let order = order_with_image(cloud, "img-gateway502");
        // Found: the cloud created the instances, the answers hid it, the retry comes two hours later.
        let (_, first) = proxy.submit(&order, "window-found-0001").await;
        assert_eq!(first["status"], "unknown", "{cloud}: {first}");
        let token = first["client_token"].as_str().unwrap().to_owned();
        let attempts = standin.stats.lock().unwrap().attempts_by_token[&token];
        backdate("window-found-0001");
        let (status, found) = proxy.submit(&order, "window-found-0001").await;
        assert_eq!(status, 200, "{cloud}: {found}");
        assert_eq!(found["status"], "succeeded", "{cloud}: {found}");
        let created = standin.stats.lock().unwrap().by_token[&token].clone();
        let mut ids: Vec<String> = serde_json::from_value(found["instance_ids"].clone()).unwrap();
        ids.sort();
        let mut expected = created.clone();
        expected.sort();
        assert_eq!(ids, expected, "{cloud}: the instances the cloud created for this order");
        assert!(
            found["hint"].as_str().unwrap().contains("spotplan-order=ord-"),
            "{found}"
        );
        assert_eq!(
            standin.stats.lock().unwrap().attempts_by_token[&token],
            attempts,
            "{cloud}: nothing was resent"
        );
        // Gone: the cloud took the instances back before the retry.
        let (_, second) = proxy.submit(&order, "window-gone-0001").await;
        assert_eq!(second["status"], "unknown", "{cloud}: {second}");
        let token = second["client_token"].as_str().unwrap().to_owned();
        for id in standin.stats.lock().unwrap().by_token[&token].clone() {
            assert!(standin.lifecycle.reclaim(&id));
        }
        standin.lifecycle.advance(60 * 60 * 1000);
        backdate("window-gone-0001");
        let attempts = standin.stats.lock().unwrap().attempts_by_token[&token];
        // Its last attempt was a moment ago: the cloud may still be creating what it asked for, so a lookup that
        // finds nothing concludes nothing yet.
        let (status, recent) = proxy.submit(&order, "window-gone-0001").await;
        assert_eq!(
            (status, recent["error"]["code"].as_str()),
            (409, Some("outcome_unknown")),
            "{cloud}: {recent}"
        );
        backdate_last_attempt("window-gone-0001");
        let (status, gone) = proxy.submit(&order, "window-gone-0001").await;
        assert_eq!(
            (status, gone["error"]["code"].as_str()),
            (409, Some("order_not_found_at_cloud")),
            "{cloud}: {gone}"
        );
        assert!(
            gone["error"]["message"]
                .as_str()
                .unwrap()
                .contains("new idempotency key"),
            "{gone}"
        );
        assert_eq!(
            standin.stats.lock().unwrap().attempts_by_token[&token],
            attempts,
            "{cloud}: nothing was resent"
        );
        assert_eq!(
            standin.stats.lock().unwrap().created,
            2,
            "{cloud}: one creation per order"
        );
        // The log says so, finally: `not_found`, and a later retry under the key is answered from the log alone.
        let logged = proxy.orders().await;
        let gone_row = logged
            .iter()
            .find(|row| row["idempotency_key"] == "window-gone-0001")
            .unwrap();
        assert_eq!(gone_row["status"], "not_found", "{cloud}: {gone_row}");
        let requests = standin.stats.lock().unwrap().requests;
        let (status, again) = proxy.submit(&order, "window-gone-0001").await;
        assert_eq!(
            (status, again["error"]["code"].as_str()),
            (409, Some("order_not_found_at_cloud")),
            "{cloud}: {again}"
        );
        assert_eq!(
            standin.stats.lock().unwrap().requests,
            requests,
            "{cloud}: neither sent nor looked up again"
        );
    }
    // Alibaba takes at most 20 tags: an order with 20 of the person's goes without the lookup tag and, past the
    // window, stays unknown rather than being looked up or resent.
    let (standin, address) = standin(Kind::Alibaba).await;
    let data = tempdir();
    let proxy = Proxy::start(&data, &[(Kind::Alibaba, address)], &[]);
    let mut order = order_with_image("alibaba", "img-gateway502");
    order["tags"] = (0..20)
        .map(|n| json!({ "key": format!("team{n}"), "value": "x" }))
        .collect();
    let (_, first) = proxy.submit(&order, "window-full-0001").await;
    assert_eq!(first["status"], "unknown", "{first}");
    assert!(first["request"].is_object(), "the request sent is logged: {first}");
    assert!(!first["request"].to_string().contains("spotplan-order"), "{first}");
    rusqlite::Connection::open(data.join("orders.sqlite3"))
        .unwrap()
        .execute("UPDATE orders SET created_at_ms = created_at_ms - 7200000", [])
        .unwrap();
    let (status, unknown) = proxy.submit(&order, "window-full-0001").await;
    assert_eq!(
        (status, unknown["error"]["code"].as_str()),
        (409, Some("outcome_unknown")),
        "{unknown}"
    );
    // Nor can it be looked up on request: the answer says why and what to look for instead.
    let (_, refused) = proxy.look_up(first["id"].as_str().unwrap()).await;
    assert_eq!(refused["error"]["code"], "order_not_tagged", "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("spotplan-window-full-0001")
    );
    assert_eq!(standin.stats.lock().unwrap().created, 1);
    // A proxy started with `--no-order-tag` (an account whose policy may not tag) sends no lookup tag at all: its
    // unknown orders cannot be looked up either, and the answer says why.
    drop(proxy);
    let untagging = Proxy::start(
        &tempdir(),
        &[(Kind::Alibaba, address)],
        &[("SPOTPLAN_NO_ORDER_TAG", "true")],
    );
    let order = order_with_image("alibaba", "img-gateway502");
    let (_, plain) = untagging.submit(&order, "no-tag-0001").await;
    assert_eq!(plain["status"], "unknown", "{plain}");
    assert!(plain["request"].is_object(), "{plain}");
    assert!(!plain.to_string().contains("spotplan-order"), "{plain}");
    let token = plain["client_token"].as_str().unwrap().to_owned();
    assert!(
        standin.stats.lock().unwrap().tags_by_token[&token]
            .iter()
            .all(|(key, _)| key != "spotplan-order"),
        "the cloud got no lookup tag"
    );
    let (_, refused) = untagging.look_up(plain["id"].as_str().unwrap()).await;
    assert_eq!(refused["error"]["code"], "order_not_tagged", "{refused}");
    assert!(
        refused["error"]["message"].as_str().unwrap().contains("--no-order-tag"),
        "{refused}"
    );
}

/// The orders page's "look it up": an unknown order is looked up by its tag on request, at any time and without
/// a resend. Found, it succeeded; none, it stays unknown within the hour and is `not_found` after it; a settled
/// order, an order sent without the tag, a missing order, a body that is not JSON and a caller without the token
/// are refused.
#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_order_is_looked_up_on_request_and_hostile_lookups_are_refused() {
    let _serial = SERIAL.lock().await;
    let (standin, address) = standin(Kind::Baidu).await;
    let data = tempdir();
    let proxy = Proxy::start(&data, &[(Kind::Baidu, address)], &[]);
    let order = order_with_image("baidu", "img-gateway502");
    let (_, unknown) = proxy.submit(&order, "lookup-found-0001").await;
    assert_eq!(unknown["status"], "unknown", "{unknown}");
    let id = unknown["id"].as_str().unwrap().to_owned();
    let token = unknown["client_token"].as_str().unwrap().to_owned();
    let attempts = standin.stats.lock().unwrap().attempts_by_token[&token];
    let (status, answer) = proxy.look_up(&id).await;
    assert_eq!(status, 200);
    let mut created = standin.stats.lock().unwrap().by_token[&token].clone();
    created.sort();
    let mut found: Vec<String> = serde_json::from_value(answer["found"].clone()).unwrap();
    found.sort();
    assert_eq!(found, created, "{answer}");
    assert_eq!(answer["record"]["status"], "succeeded", "{answer}");
    assert_eq!(
        standin.stats.lock().unwrap().attempts_by_token[&token],
        attempts,
        "nothing was sent to create"
    );
    assert_eq!(proxy.orders().await[0]["status"], "succeeded", "the log says so too");
    // Settled now: nothing to look up.
    let (status, again) = proxy.look_up(&id).await;
    assert_eq!((status, &again["error"]["code"]), (409, &json!("order_not_unknown")));
    // Within the hour, only some of what it asked for listed (one already gone): reported, not settled.
    let (_, partial) = proxy.submit(&order, "lookup-partial-0001").await;
    let partial_token = partial["client_token"].as_str().unwrap().to_owned();
    let partial_ids = standin.stats.lock().unwrap().by_token[&partial_token].clone();
    assert!(standin.lifecycle.reclaim(&partial_ids[0]));
    standin.lifecycle.advance(60 * 60 * 1000);
    let (_, some) = proxy.look_up(partial["id"].as_str().unwrap()).await;
    assert_eq!(some["found"].as_array().unwrap().len(), partial_ids.len() - 1, "{some}");
    assert_eq!(
        some["record"]["status"], "unknown",
        "not settled with part of the order: {some}"
    );
    // Gone before the lookup: none found, still unknown.
    let (_, second) = proxy.submit(&order, "lookup-gone-0001").await;
    let second_token = second["client_token"].as_str().unwrap().to_owned();
    for id in standin.stats.lock().unwrap().by_token[&second_token].clone() {
        assert!(standin.lifecycle.reclaim(&id));
    }
    standin.lifecycle.advance(60 * 60 * 1000);
    let (_, none) = proxy.look_up(second["id"].as_str().unwrap()).await;
    assert_eq!(
        (none["found"].clone(), none["record"]["status"].clone()),
        (json!([]), json!("unknown")),
        "{none}"
    );
    // The same, past the resend window and long after its last attempt: settled `not_found`, and not looked up
    // again.
    let changed = rusqlite::Connection::open(data.join("orders.sqlite3"))
        .unwrap()
        .execute(
            "UPDATE orders SET created_at_ms = created_at_ms - 7200000, finished_at_ms = finished_at_ms - 7200000 \
             WHERE idempotency_key = 'lookup-gone-0001'",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    let (_, settled) = proxy.look_up(second["id"].as_str().unwrap()).await;
    assert_eq!(
        (settled["found"].clone(), settled["record"]["status"].clone()),
        (json!([]), json!("not_found")),
        "{settled}"
    );
    assert!(
        settled["record"]["hint"]
            .as_str()
            .unwrap()
            .contains("new idempotency key"),
        "{settled}"
    );
    assert_eq!(proxy.look_up(second["id"].as_str().unwrap()).await.0, 409);
    assert_eq!(proxy.look_up("ord-0123456789abcdef").await.0, 404);
    let not_json = Proxy::client()
        .post(format!("{}/api/v1/orders/{id}/lookup", proxy.url))
        .header("x-spotplan-token", TOKEN)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status().as_u16(), 415);
    let no_token = Proxy::client()
        .post(format!("{}/api/v1/orders/{id}/lookup", proxy.url))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status().as_u16(), 401);
}

/// The settler: an unknown order nobody retries or looks up is looked up in the background, read-only. One
/// that created its instances succeeds with them and they are followed; one whose instances are gone stays
/// unknown within the hour and is settled `not_found` after it; one of which only part is listed stays unknown
/// until ten minutes after its last attempt, however old it is, then succeeds with what exists. Nothing is sent to
/// create again.
#[tokio::test(flavor = "multi_thread")]
async fn unknown_orders_are_settled_in_the_background_without_a_resend() {
    let _serial = SERIAL.lock().await;
    let (standin, address) = standin(Kind::Baidu).await;
    let data = tempdir();
    let proxy = Proxy::start(
        &data,
        &[(Kind::Baidu, address)],
        &[
            ("SPOTPLAN_SETTLE_EVERY_MS", "1500"),
            ("SPOTPLAN_INSTANCE_POLL_MS", "200"),
            ("SPOTPLAN_RUNNING_RECHECK_MS", "200"),
        ],
    );
    let order = order_with_image("baidu", "img-gateway502");
    let (_, found) = proxy.submit(&order, "settle-found-0001").await;
    let (_, gone) = proxy.submit(&order, "settle-gone-0001").await;
    let mut three = order.clone();
    three["count"] = json!(3);
    let (_, partial) = proxy.submit(&three, "settle-partial-0001").await;
    assert_eq!(
        (found["status"].clone(), gone["status"].clone()),
        (json!("unknown"), json!("unknown"))
    );
    let token_of = |answer: &Value| answer["client_token"].as_str().unwrap().to_owned();
    let created = |answer: &Value| {
        let mut ids = standin.stats.lock().unwrap().by_token[&token_of(answer)].clone();
        ids.sort();
        ids
    };
    for id in created(&gone) {
        assert!(standin.lifecycle.reclaim(&id));
    }
    let partial_ids = created(&partial);
    assert_eq!(partial_ids.len(), 3);
    assert!(standin.lifecycle.reclaim(&partial_ids[0]));
    standin.lifecycle.advance(60 * 60 * 1000);
    let attempts = |answer: &Value| standin.stats.lock().unwrap().attempts_by_token[&token_of(answer)];
    let attempts_before = (attempts(&found), attempts(&gone), attempts(&partial));
    let status_of = |orders: &[Value], key: &str| {
        orders
            .iter()
            .find(|record| record["idempotency_key"] == key)
            .map(|record| record["status"].clone())
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let settled = loop {
        let orders = proxy.orders().await;
        if status_of(&orders, "settle-found-0001") != "unknown" || Instant::now() > deadline {
            break orders;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let record = settled
        .iter()
        .find(|record| record["idempotency_key"] == "settle-found-0001")
        .unwrap();
    assert_eq!(record["status"], "succeeded", "{record}");
    let mut ids: Vec<String> = serde_json::from_value(record["instance_ids"].clone()).unwrap();
    ids.sort();
    assert_eq!(ids, created(&found));
    // Two more rounds: within the hour, none found concludes nothing, and part of an order settles nothing.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let later = proxy.orders().await;
    assert_eq!(
        (
            status_of(&later, "settle-gone-0001"),
            status_of(&later, "settle-partial-0001")
        ),
        (json!("unknown"), json!("unknown")),
        "within the hour"
    );
    // Its instances are booked and followed like any order's.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, instances) = proxy.get("/api/v1/instances").await;
        let mut booked: Vec<String> = instances["instances"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|row| row["state"] == "running")
            .map(|row| row["id"].as_str().unwrap().to_owned())
            .collect();
        booked.sort();
        if booked == created(&found) {
            break;
        }
        assert!(Instant::now() < deadline, "not followed: {instances}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Past the resend window but just after its last attempt, part of an order still settles nothing.
    let log = rusqlite::Connection::open(data.join("orders.sqlite3")).unwrap();
    let aged = log
        .execute(
            "UPDATE orders SET created_at_ms = created_at_ms - 7200000 WHERE idempotency_key = 'settle-partial-0001'",
            [],
        )
        .unwrap();
    assert_eq!(aged, 1);
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(
        status_of(&proxy.orders().await, "settle-partial-0001"),
        "unknown",
        "the rest may still be coming"
    );
    // Past the resend window and long after its last attempt, the order whose instances are gone is not_found,
    // and the one of which two of three are listed succeeds with those two.
    let changed = log
        .execute(
            "UPDATE orders SET created_at_ms = created_at_ms - 7200000, finished_at_ms = finished_at_ms - 7200000 \
             WHERE idempotency_key IN ('settle-gone-0001', 'settle-partial-0001')",
            [],
        )
        .unwrap();
    assert_eq!(changed, 2);
    let deadline = Instant::now() + Duration::from_secs(20);
    while status_of(&proxy.orders().await, "settle-gone-0001") == "unknown"
        || status_of(&proxy.orders().await, "settle-partial-0001") == "unknown"
    {
        assert!(Instant::now() < deadline, "never settled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let orders = proxy.orders().await;
    assert_eq!(status_of(&orders, "settle-gone-0001"), "not_found");
    let record = orders
        .iter()
        .find(|record| record["idempotency_key"] == "settle-partial-0001")
        .unwrap();
    assert_eq!(record["status"], "succeeded", "{record}");
    let mut listed: Vec<String> = serde_json::from_value(record["instance_ids"].clone()).unwrap();
    listed.sort();
    assert_eq!(listed, partial_ids[1..], "the two that exist");
    assert_eq!(
        (attempts(&found), attempts(&gone), attempts(&partial)),
        attempts_before,
        "the settler sent nothing to create"
    );
}

/// The settler looks an unknown dry run up too: its check's answer was lost, and only a lookup can say that the
/// cloud created nothing (it would have, had it ignored the flag). Within the hour it stays unknown and counts
/// toward the hourly spend ceiling; after it, it is `not_found`, the `orders_unresolved` metric and the ceiling no
/// longer count it, and nothing was sent to create.
#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_dry_run_is_looked_up_and_settled_not_found() {
    let _serial = SERIAL.lock().await;
    let (standin, address) = standin(Kind::Alibaba).await;
    let data = tempdir();
    let proxy = Proxy::start(
        &data,
        &[(Kind::Alibaba, address)],
        &[
            ("SPOTPLAN_SETTLE_EVERY_MS", "300"),
            ("SPOTPLAN_MAX_SPEND_PER_HOUR", "3 CNY"),
        ],
    );
    // 10 × 0.2 CNY an hour each: the dry run and a real order fit the ceiling alone, not together.
    let mut order = order_with_image("alibaba", "img-gateway502");
    order["dry_run"] = json!(true);
    let (_, checked) = proxy.submit(&order, "dry-lost-0001").await;
    assert_eq!(checked["status"], "unknown", "{checked}");
    let status = |orders: &[Value]| {
        orders
            .iter()
            .find(|record| record["idempotency_key"] == "dry-lost-0001")
            .map(|record| record["status"].clone())
            .unwrap()
    };
    let authority = proxy.url.trim_start_matches("http://").to_owned();
    let unresolved = || {
        let metrics = raw_get(&authority, "/metrics");
        metrics
            .lines()
            .find_map(|line| line.strip_prefix("spotplan_orders_unresolved "))
            .map(str::to_owned)
    };
    assert_eq!(unresolved().as_deref(), Some("1"), "a lost check may have acted");
    // Looked up within the hour: none found concludes nothing yet.
    let requests = standin.stats.lock().unwrap().requests;
    let deadline = Instant::now() + Duration::from_secs(10);
    while standin.stats.lock().unwrap().requests < requests + 2 {
        assert!(Instant::now() < deadline, "never looked up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status(&proxy.orders().await), "unknown", "within the hour");
    let real = example("alibaba");
    let (code, refused) = proxy.submit(&real, "after-lost-dry-0001").await;
    assert_eq!(
        (code, refused["error"]["code"].as_str()),
        (422, Some("spend_ceiling")),
        "the lost dry run may have created instances: {refused}"
    );
    let log = rusqlite::Connection::open(data.join("orders.sqlite3")).unwrap();
    let aged = log
        .execute(
            "UPDATE orders SET created_at_ms = created_at_ms - 7200000, finished_at_ms = finished_at_ms - 7200000 \
             WHERE idempotency_key = 'dry-lost-0001'",
            [],
        )
        .unwrap();
    assert_eq!(aged, 1);
    let deadline = Instant::now() + Duration::from_secs(20);
    while status(&proxy.orders().await) == "unknown" {
        assert!(Instant::now() < deadline, "never settled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status(&proxy.orders().await), "not_found");
    assert_eq!(unresolved().as_deref(), Some("0"));
    {
        let stats = standin.stats.lock().unwrap();
        assert_eq!((stats.created, stats.by_token.len()), (0, 0), "nothing was created");
    }
    let (code, placed) = proxy.submit(&real, "after-lost-dry-0002").await;
    assert_eq!((code, placed["status"].as_str()), (201, Some("succeeded")), "{placed}");
}

/// Fault 4: a 503 (after which the cloud may have created the order), then the cloud cannot be reached at all:
/// the order is unknown, not "nothing was created".
#[tokio::test(flavor = "multi_thread")]
async fn a_503_then_a_refused_connection_is_unknown_not_nothing_created() {
    let _serial = SERIAL.lock().await;
    let (standin, address) = standin(Kind::Alibaba).await;
    let proxy = Proxy::start(&tempdir(), &[(Kind::Alibaba, address)], &[]);
    let (status, answer) = proxy
        .submit(&order_with_image("alibaba", "img-thengone"), "fault4-a-0001")
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "unknown", "{answer}");
    assert_eq!(answer["may_have_reached_cloud"], true);
    assert!(
        answer["attempts"].as_u64().unwrap() >= 2,
        "the refused attempt came after the 503: {answer}"
    );
    let hint = answer["hint"].as_str().unwrap();
    assert!(hint.contains("may exist"), "{hint}");
    assert!(!hint.contains("nothing was created"), "{hint}");
    assert_eq!(standin.stats.lock().unwrap().created, 1, "the stand-in did create it");
}

/// Starts a proxy on a stand-in of `kind`, submits `order` under `key` and kills the proxy (SIGKILL) once the
/// stand-in has created it, before the answer comes back: the order is left `pending`. Returns the stand-in, its
/// address and the proxy's data folder.
async fn killed_mid_order(kind: Kind, order: &Value, key: &str) -> (Standin, std::net::SocketAddr, std::path::PathBuf) {
    let (standin, address) = standin(kind).await;
    let data = tempdir();
    let mut proxy = Proxy::start(&data, &[(kind, address)], &[]);
    let in_flight = tokio::spawn({
        let (url, order, key) = (proxy.url.clone(), order.clone(), key.to_owned());
        async move {
            Proxy::client()
                .post(format!("{url}/api/v1/orders"))
                .header("x-spotplan-token", TOKEN)
                .header("idempotency-key", key)
                .json(&order)
                .send()
                .await
        }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while standin.stats.lock().unwrap().created == 0 {
        assert!(Instant::now() < deadline, "the order reached the stand-in");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    proxy.kill_hard();
    assert!(in_flight.await.unwrap().is_err(), "the client lost its answer");
    (standin, address, data)
}

/// Restarts the proxy on `data` and waits (up to 30 s) until it has resolved every order left pending; returns it
/// and the order log.
async fn restarted_and_resolved(
    data: &std::path::Path,
    kind: Kind,
    address: std::net::SocketAddr,
) -> (Proxy, Vec<Value>) {
    let restarted = Proxy::start(data, &[(kind, address)], &[]);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let orders = restarted.orders().await;
        if orders.iter().all(|order| order["status"] != "pending") && !orders.is_empty() {
            return (restarted, orders);
        }
        assert!(
            Instant::now() < deadline,
            "the restarted proxy resolved the pending order: {orders:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Fault 5: the proxy is killed (SIGKILL) while an order is in flight; restarted on the same data, it resolves
/// the order left pending — resending it with its ClientToken and its sealed password — and exactly one set of
/// instances exists.
#[tokio::test(flavor = "multi_thread")]
async fn a_proxy_killed_mid_order_resolves_it_at_restart_with_one_set_of_instances() {
    let _serial = SERIAL.lock().await;
    let mut order = order_with_image("alibaba", "img-slow");
    order["login"] = json!({ "password": "Spot2026!sealed" });
    let (standin, address, data) = killed_mid_order(Kind::Alibaba, &order, "fault5-a-0001").await;
    let pending: String = rusqlite::Connection::open(data.join("orders.sqlite3"))
        .unwrap()
        .query_row("SELECT status FROM orders", [], |row| row.get(0))
        .unwrap();
    assert_eq!(pending, "pending", "the crash left the order pending");

    let (restarted, resolved) = restarted_and_resolved(&data, Kind::Alibaba, address).await;
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0]["status"], "succeeded", "{}", resolved[0]);
    let sets = created_sets(&standin);
    assert_eq!(sets.len(), 1, "exactly one set of instances");
    assert_eq!(resolved[0]["instance_ids"], json!(sets[0]));
    let (created, attempts) = {
        let stats = standin.stats.lock().unwrap();
        (stats.created, stats.attempts_by_token["spotplan-fault5-a-0001"])
    };
    assert_eq!(created, 1);
    assert_eq!(attempts, 2, "sent once, resent once with the same token");
    // The client's own retry now replays what the restarted proxy resolved.
    let (_, replay) = restarted.submit(&order, "fault5-a-0001").await;
    assert_eq!(
        (replay["status"].clone(), replay["replayed"].clone()),
        (json!("succeeded"), json!(true))
    );
    assert_eq!(restarted.data_dir, data);
}

/// Fault 5, after the resend window: the proxy was killed mid-order and comes back more than an hour later. It
/// does not resend the pending order (the cloud may have forgotten its token); it looks it up by its tag and
/// records the instances the cloud created — no second creation, no second attempt, nothing left pending. When
/// they are gone by then, the order is `not_found`, not unknown.
#[tokio::test(flavor = "multi_thread")]
async fn a_pending_order_found_at_restart_past_the_window_is_looked_up_not_resent() {
    let _serial = SERIAL.lock().await;
    let order = order_with_image("tencent", "img-slow");
    for (key, gone) in [("fault5-late-0001", false), ("fault5-gone-0001", true)] {
        let (standin, address, data) = killed_mid_order(Kind::Tencent, &order, key).await;
        let database = rusqlite::Connection::open(data.join("orders.sqlite3")).unwrap();
        let (status, logged): (String, String) = database
            .query_row("SELECT status, order_json FROM orders", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .unwrap();
        assert_eq!(status, "pending");
        assert!(
            logged.contains("spotplan-order"),
            "logged as sent, with its tag: {logged}"
        );
        database
            .execute("UPDATE orders SET created_at_ms = created_at_ms - 7200000", [])
            .unwrap();
        drop(database);
        let sets = created_sets(&standin);
        assert_eq!(sets.len(), 1, "exactly one set of instances");
        if gone {
            for id in &sets[0] {
                assert!(standin.lifecycle.reclaim(id));
            }
            standin.lifecycle.advance(60 * 60 * 1000);
        }

        let (_restarted, resolved) = restarted_and_resolved(&data, Kind::Tencent, address).await;
        if gone {
            assert_eq!(resolved[0]["status"], "not_found", "{}", resolved[0]);
            assert_eq!(resolved[0]["instance_ids"], json!([]));
        } else {
            assert_eq!(resolved[0]["status"], "succeeded", "{}", resolved[0]);
            assert_eq!(resolved[0]["instance_ids"], json!(sets[0]));
        }
        let stats = standin.stats.lock().unwrap();
        assert_eq!(
            (stats.created, stats.attempts_by_token[&format!("spotplan-{key}")]),
            (1, 1),
            "sent once, looked up, never resent"
        );
    }
}

/// Fault 5 across an upgrade: an order an earlier version logged and sent without the lookup tag, left pending by
/// a crash, is resent exactly as it was first sent — still untagged under its ClientToken — so the cloud, which
/// refuses a token reused with other parameters, returns what it created.
#[tokio::test(flavor = "multi_thread")]
async fn a_pending_order_logged_untagged_is_resent_untagged() {
    let _serial = SERIAL.lock().await;
    let order = order_with_image("alibaba", "img-slow");
    let (standin, address, data) = killed_mid_order(Kind::Alibaba, &order, "fault5-old-0001").await;
    // Make it the earlier version's row and request: no lookup tag in the log, none at the cloud.
    let database = rusqlite::Connection::open(data.join("orders.sqlite3")).unwrap();
    let logged: String = database
        .query_row("SELECT order_json FROM orders", [], |row| row.get(0))
        .unwrap();
    let mut logged: Value = serde_json::from_str(&logged).unwrap();
    let tags: Vec<Value> = logged["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|tag| tag["key"] != "spotplan-order")
        .cloned()
        .collect();
    assert_eq!(
        tags.len() + 1,
        logged["tags"].as_array().unwrap().len(),
        "it was logged with its tag"
    );
    logged["tags"] = json!(tags);
    database
        .execute("UPDATE orders SET order_json = ?1", [logged.to_string()])
        .unwrap();
    drop(database);
    {
        let mut stats = standin.stats.lock().unwrap();
        let untagged = stats.tags_by_token["spotplan-fault5-old-0001"]
            .iter()
            .filter(|(key, _)| key != "spotplan-order")
            .cloned()
            .collect();
        stats.tags_by_token.insert("spotplan-fault5-old-0001".into(), untagged);
    }

    let (_restarted, resolved) = restarted_and_resolved(&data, Kind::Alibaba, address).await;
    assert_eq!(
        resolved[0]["status"], "succeeded",
        "the resend matched the first request: {}",
        resolved[0]
    );
    assert_eq!(created_sets(&standin).len(), 1, "exactly one set of instances");
}

/// Fault 6: the order log cannot be written after the order was logged (another process holds the database's
/// write lock): the answer still carries what the cloud said, and the log catches up once it can.
#[tokio::test(flavor = "multi_thread")]
async fn an_unwritable_log_still_answers_the_outcome_and_catches_up() {
    let _serial = SERIAL.lock().await;
    let (standin, address) = standin(Kind::Alibaba).await;
    let data = tempdir();
    let proxy = Proxy::start(&data, &[(Kind::Alibaba, address)], &[]);
    let submitted = submit_in_background(&proxy, "fault6-a-0001", "img-slow");
    let deadline = Instant::now() + Duration::from_secs(10);
    while standin.stats.lock().unwrap().created == 0 {
        assert!(Instant::now() < deadline, "the order reached the stand-in");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The order is logged and in flight: lock the database until the answer has come back.
    let blocker = rusqlite::Connection::open(data.join("orders.sqlite3")).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let answer = submitted.await.unwrap();
    assert_eq!(answer["status"], "succeeded", "{answer}");
    assert_eq!(answer["logged"], false, "the outcome is not on disk yet: {answer}");
    let ids = answer["instance_ids"].clone();
    assert_eq!(
        ids.as_array().unwrap().len() as u64,
        example("alibaba")["count"].as_u64().unwrap()
    );
    // Reads already show the outcome.
    let listed = proxy.orders().await;
    assert_eq!(listed[0]["status"], "succeeded");
    blocker.execute_batch("COMMIT").unwrap();
    drop(blocker);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let on_disk: (String, String) = rusqlite::Connection::open(data.join("orders.sqlite3"))
            .unwrap()
            .query_row("SELECT status, instance_ids FROM orders", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .unwrap();
        if on_disk.0 == "succeeded" {
            assert_eq!(serde_json::from_str::<Value>(&on_disk.1).unwrap(), ids);
            break;
        }
        assert!(Instant::now() < deadline, "the log caught up: {on_disk:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Fault 7: fifty identical submissions under one key at once, plus one changed order under it: one creation at
/// the cloud, the others replay it, the changed one is refused with 409.
#[tokio::test(flavor = "multi_thread")]
async fn fifty_duplicates_and_one_changed_order_under_one_key() {
    let _serial = SERIAL.lock().await;
    let (standin, address) = standin(Kind::Tencent).await;
    let proxy = std::sync::Arc::new(Proxy::start(&tempdir(), &[(Kind::Tencent, address)], &[]));
    let order = order_with_image("tencent", "img-slow");
    let mut changed = order.clone();
    changed["count"] = (order["count"].as_u64().unwrap() + 1).into();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let proxy = proxy.clone();
        let body = order.clone();
        tasks.push(tokio::spawn(async move { proxy.submit(&body, "fault7-a-0001").await }));
    }
    // The changed order arrives while the first of the fifty is at the cloud.
    let deadline = Instant::now() + Duration::from_secs(10);
    while standin.stats.lock().unwrap().created == 0 {
        assert!(Instant::now() < deadline, "the first order reached the stand-in");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let late = proxy.clone();
    tasks.push(tokio::spawn(
        async move { late.submit(&changed, "fault7-a-0001").await },
    ));
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    let conflicts = answers.iter().filter(|(status, _)| *status == 409).count();
    assert_eq!(conflicts, 1, "exactly the changed order is refused");
    let ok: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status < 300)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(ok.len(), 50);
    assert!(ok.iter().all(|body| body["status"] == "succeeded"));
    assert_eq!(
        ok.iter().filter(|body| body["replayed"] == true).count(),
        49,
        "one sent, 49 replayed"
    );
    let ids: std::collections::HashSet<String> = ok.iter().map(|body| body["instance_ids"].to_string()).collect();
    assert_eq!(ids.len(), 1, "every answer names the same instances");
    assert_eq!(standin.stats.lock().unwrap().created, 1, "one upstream create");
}

/// Fault 8: an answer of 1 GiB, or one that never ends: the proxy reads at most its cap, memory stays bounded,
/// and the order is unknown with a clear reason (the cloud did create it).
#[tokio::test(flavor = "multi_thread")]
async fn giant_and_endless_answers_keep_memory_bounded_and_end_unknown() {
    let _serial = SERIAL.lock().await;
    let (_standin, address) = standin(Kind::Alibaba).await;
    let proxy = Proxy::start(
        &tempdir(),
        &[(Kind::Alibaba, address)],
        &[("SPOTPLAN_UPSTREAM_TIMEOUT", "10")],
    );
    let before = proxy.resident_kib();
    for (key, image) in [("fault8-a-0001", "img-huge"), ("fault8-b-0001", "img-endless")] {
        let started = Instant::now();
        let (status, answer) = proxy.submit(&order_with_image("alibaba", image), key).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["status"], "unknown", "{image}: {answer}");
        assert!(
            answer["error_message"].as_str().unwrap().contains("larger than"),
            "{image}: {answer}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{image} was cut off, not read to the end"
        );
    }
    let after = proxy.resident_kib();
    assert!(
        after < before + 64 * 1024,
        "resident memory grew from {before} KiB to {after} KiB"
    );
    let (status, _) = proxy.get("/api/v1/health").await;
    assert_eq!(status, 200);
}

/// Fault 9: two thousand connections that never send a header, and six hundred price requests at once: health
/// still answers within 100 ms, and calls to the cloud never exceed the proxy's global bound.
#[tokio::test(flavor = "multi_thread")]
async fn idle_connections_and_a_price_storm_leave_health_fast_and_upstream_bounded() {
    let _serial = SERIAL.lock().await;
    let mut slow = Standin::new(Kind::Alibaba, KEYS[0].1, KEYS[0].2);
    slow.price_delay = Duration::from_millis(40);
    let (standin, address) = serve_standin(slow).await;
    let proxy = std::sync::Arc::new(Proxy::start(
        &tempdir(),
        &[(Kind::Alibaba, address)],
        &[("SPOTPLAN_UPSTREAM_IN_FLIGHT", "8")],
    ));
    rlimit::increase_nofile_limit(u64::MAX).unwrap();
    let authority = proxy.url.trim_start_matches("http://").to_owned();
    let mut idle = Vec::new();
    for _ in 0..2000 {
        idle.push(tokio::net::TcpStream::connect(&authority).await.unwrap());
    }
    let mut storm = Vec::new();
    for index in 0..600 {
        let proxy = proxy.clone();
        storm.push(tokio::spawn(async move {
            let body = json!({ "offers": [{ "offer": {
                "cloud": "alibaba", "region": "cn-hangzhou", "zone": "cn-hangzhou-k",
                "instance_type": format!("ecs.storm{index}.xlarge") } }] });
            Proxy::client()
                .post(format!("{}/api/v1/prices", proxy.url))
                .header("x-spotplan-token", TOKEN)
                .json(&body)
                .send()
                .await
                .map(|response| response.status().as_u16())
        }));
    }
    // Sample once the storm is steady: every request sent and the quotes streaming through the bound (the first
    // burst of 600 connections and headers is the accept loop's, not the load this checks).
    let deadline = Instant::now() + Duration::from_secs(20);
    while standin.stats.lock().unwrap().verified < 80 {
        assert!(Instant::now() < deadline, "the storm reached the stand-in");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Health is asked from its own thread over its own connection, so the test's load generator (sharing these
    // two cores) does not stand in the queue.
    let samples = std::thread::spawn({
        let authority = authority.clone();
        move || {
            (0..10)
                .map(|_| {
                    let started = Instant::now();
                    let answer = raw_get(&authority, "/api/v1/health");
                    std::thread::sleep(Duration::from_millis(50));
                    (answer, started.elapsed().saturating_sub(Duration::from_millis(50)))
                })
                .collect::<Vec<_>>()
        }
    })
    .join()
    .unwrap();
    let took: Vec<Duration> = samples.iter().map(|(_, took)| *took).collect();
    for (answer, _) in &samples {
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "{}",
            answer.lines().next().unwrap_or_default()
        );
    }
    assert!(
        took.iter().all(|took| *took < Duration::from_millis(100)),
        "health under load took {took:?}"
    );
    for task in storm {
        assert_eq!(task.await.unwrap().unwrap(), 200);
    }
    let max = standin.max_in_flight();
    assert!(
        (1..=8).contains(&max),
        "calls to the cloud in flight peaked at {max}, above the bound of 8"
    );
    assert_eq!(standin.stats.lock().unwrap().verified, 600, "every quote was fetched");
    drop(idle);
}

/// The proxy's answer to `POST /api/v1/prices` with `body`.
async fn quote(proxy: &Proxy, body: &Value) -> Value {
    Proxy::client()
        .post(format!("{}/api/v1/prices", proxy.url))
        .header("x-spotplan-token", TOKEN)
        .json(body)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()
}

/// Fault 10: region ids that would smuggle another host, a port or a header into a request are refused (and so are
/// zone, type and image ids that are not ids), and
/// nothing reaches the network.
#[tokio::test(flavor = "multi_thread")]
async fn hostile_region_ids_are_refused_before_anything_is_sent() {
    let _serial = SERIAL.lock().await;
    let (standin, address) = standin(Kind::Alibaba).await;
    // Baidu has no override: any lookup it made would go to the real network (and must not happen).
    let proxy = Proxy::start(&tempdir(), &[(Kind::Alibaba, address)], &[]);
    for (index, region) in ["evil.com#", "a.evil.com", "cn-x:8080", "A\r\nB"]
        .into_iter()
        .enumerate()
    {
        for cloud in ["alibaba", "baidu"] {
            let mut order = example(cloud);
            order["region"] = region.into();
            let (status, answer) = proxy.submit(&order, &format!("fault10-{cloud}-{index:04}")).await;
            assert!(matches!(status, 400 | 422), "{cloud} {region:?}: {status} {answer}");
            let text = answer.to_string();
            assert!(text.contains("region"), "{cloud} {region:?}: {text}");
            let body = json!({ "offers": [{ "offer": {
                "cloud": cloud, "region": region, "zone": "z", "instance_type": "t" },
                "cpu_count": 2, "memory_gb": 8 }] });
            let quotes = quote(&proxy, &body).await;
            assert_eq!(
                quotes["quotes"][0]["error"]["code"], "invalid_region",
                "{cloud} {region:?}: {quotes}"
            );
        }
    }
    // Ids that are not ids (a header, another action, a path) in a price query: named, and never sent.
    for (zone, instance_type) in [
        ("cn-hangzhou-k\r\nHost: evil.com", "ecs.g7.large"),
        ("cn-hangzhou-k", "ecs.g7.large&Action=DeleteInstance"),
        ("cn-hangzhou-k", "../../x"),
    ] {
        let body = json!({ "offers": [{ "offer": {
            "cloud": "alibaba", "region": "cn-hangzhou", "zone": zone, "instance_type": instance_type } }] });
        let quotes = quote(&proxy, &body).await;
        assert_eq!(
            quotes["quotes"][0]["error"]["code"], "invalid_id",
            "{zone:?} {instance_type:?}: {quotes}"
        );
    }
    assert_eq!(standin.stats.lock().unwrap().requests, 0, "nothing reached the cloud");
    assert!(proxy.orders().await.is_empty(), "nothing was logged");
}

/// A proxy in `data` whose Tencent endpoint nothing listens on (returned too), with one Tencent order under `key`
/// logged `not_sent`.
async fn with_an_unsent_tencent_order(
    data: &std::path::Path,
    alibaba: std::net::SocketAddr,
    key: &str,
) -> (Proxy, Value, std::net::SocketAddr) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let proxy = Proxy::start(data, &[(Kind::Alibaba, alibaba), (Kind::Tencent, closed)], &[]);
    let (_, unsent) = proxy.submit(&example("tencent"), key).await;
    assert_eq!(unsent["status"], "not_sent", "{unsent}");
    (proxy, unsent, closed)
}

/// An order that never reached the cloud (`not_sent`) counts against no ceiling, so its retry is checked like a new
/// order: once other orders have filled the hourly spend ceiling meanwhile, the retry is refused before anything is
/// sent (it used to go out past the ceiling).
#[tokio::test(flavor = "multi_thread")]
async fn a_retried_not_sent_order_is_checked_against_the_spend_ceiling_again() {
    let _serial = SERIAL.lock().await;
    let (standin, alibaba) = standin(Kind::Alibaba).await;
    let data = tempdir();
    let (first, unsent, closed) = with_an_unsent_tencent_order(&data, alibaba, "ceiling-unsent-0001").await;
    let (status, placed) = first.submit(&example("alibaba"), "ceiling-placed-0001").await;
    assert_eq!(status, 201, "{placed}");
    let amount = |answer: &Value| -> f64 { answer["max_cost_per_hour"]["amount"].as_str().unwrap().parse().unwrap() };
    let (unsent_bound, placed_bound) = (amount(&unsent), amount(&placed));
    drop(first);

    // Less than both together.
    let ceiling = format!("{:.4} CNY", (unsent_bound + placed_bound) * 0.9);
    let proxy = Proxy::start(
        &data,
        &[(Kind::Alibaba, alibaba), (Kind::Tencent, closed)],
        &[("SPOTPLAN_MAX_SPEND_PER_HOUR", &ceiling)],
    );
    let requests = standin.stats.lock().unwrap().requests;
    let (status, refused) = proxy.submit(&example("tencent"), "ceiling-unsent-0001").await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (422, Some("spend_ceiling")),
        "{refused}"
    );
    assert_eq!(standin.stats.lock().unwrap().requests, requests);
    let logged = proxy.orders().await;
    let row = logged
        .iter()
        .find(|row| row["idempotency_key"] == "ceiling-unsent-0001")
        .unwrap();
    assert_eq!(row["status"], "not_sent", "still not sent, and not counted: {row}");
}

/// A `not_sent` order retried when it cannot be sent yet (the proxy restarted without that cloud's credentials) is
/// refused and stays `not_sent`: it was marked pending first and, left so, read as "may exist" at the next start.
#[tokio::test(flavor = "multi_thread")]
async fn a_not_sent_order_retried_without_credentials_stays_not_sent() {
    let _serial = SERIAL.lock().await;
    let (standin, alibaba) = standin(Kind::Alibaba).await;
    let data = tempdir();
    let (first, _, closed) = with_an_unsent_tencent_order(&data, alibaba, "nocreds-unsent-0001").await;
    drop(first);
    let no_tencent = [("TENCENTCLOUD_SECRET_ID", ""), ("TENCENTCLOUD_SECRET_KEY", "")];
    let endpoints = [(Kind::Alibaba, alibaba), (Kind::Tencent, closed)];
    let proxy = Proxy::start(&data, &endpoints, &no_tencent);
    for _ in 0..2 {
        let (status, refused) = proxy.submit(&example("tencent"), "nocreds-unsent-0001").await;
        assert_eq!(
            (status, refused["error"]["code"].as_str()),
            (412, Some("no_credentials")),
            "{refused}"
        );
    }
    let row_of = |rows: Vec<Value>| {
        rows.into_iter()
            .find(|row| row["idempotency_key"] == "nocreds-unsent-0001")
            .unwrap()
    };
    let row = row_of(proxy.orders().await);
    assert_eq!(
        (row["status"].as_str(), row["may_have_reached_cloud"].as_bool()),
        (Some("not_sent"), Some(false)),
        "{row}"
    );
    drop(proxy);
    let again = Proxy::start(&data, &endpoints, &no_tencent);
    let row = row_of(again.orders().await);
    assert_eq!(
        row["status"], "not_sent",
        "not read as interrupted at the next start: {row}"
    );
    assert_eq!(standin.stats.lock().unwrap().requests, 0);
}

/// The proxy restarted with the other site's account (it pays in USD, the orders' bids are in CNY): a `not_sent`
/// order's retry is refused (400 `account_currency_mismatch`) and stays `not_sent`, and an order left pending by a
/// crash is not resent — it may exist — but stays unknown. Sent, the CNY figure would be read as dollars.
#[tokio::test(flavor = "multi_thread")]
async fn an_order_is_never_resent_to_an_account_paying_in_another_currency() {
    let _serial = SERIAL.lock().await;
    let (alibaba_standin, alibaba) = standin(Kind::Alibaba).await;
    let data = tempdir();
    let (first, _, _) = with_an_unsent_tencent_order(&data, alibaba, "currency-unsent-0001").await;
    drop(first);
    let (tencent_standin, tencent) = standin(Kind::Tencent).await;
    let usd = [("SPOTPLAN_ACCOUNT_CURRENCY_TENCENT", "USD")];
    let proxy = Proxy::start(&data, &[(Kind::Alibaba, alibaba), (Kind::Tencent, tencent)], &usd);
    let (status, refused) = proxy.submit(&example("tencent"), "currency-unsent-0001").await;
    assert_eq!(
        (
            status,
            refused["error"]["code"].as_str(),
            refused["error"]["field"].as_str()
        ),
        (400, Some("account_currency_mismatch"), Some("account_currency")),
        "{refused}"
    );
    let row = proxy
        .orders()
        .await
        .into_iter()
        .find(|row| row["idempotency_key"] == "currency-unsent-0001")
        .unwrap();
    assert_eq!(row["status"], "not_sent", "{row}");
    assert_eq!(tencent_standin.stats.lock().unwrap().requests, 0, "nothing sent");
    drop(proxy);
    drop(alibaba_standin);

    // Killed mid-order, restarted on an account paying in USD: the pending order stays unknown, sent once.
    let (standin, address, data) = killed_mid_order(
        Kind::Alibaba,
        &order_with_image("alibaba", "img-slow"),
        "currency-killed-0001",
    )
    .await;
    let restarted = Proxy::start(
        &data,
        &[(Kind::Alibaba, address)],
        &[("SPOTPLAN_ACCOUNT_CURRENCY_ALIBABA", "USD")],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let row = loop {
        let orders = restarted.orders().await;
        if let Some(row) = orders.into_iter().find(|row| row["status"] != "pending") {
            break row;
        }
        assert!(
            Instant::now() < deadline,
            "the restarted proxy resolved the pending order"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(row["status"], "unknown", "{row}");
    assert!(row["hint"].as_str().unwrap().contains("pays in USD"), "{row}");
    let attempts = standin.stats.lock().unwrap().attempts_by_token["spotplan-currency-killed-0001"];
    assert_eq!(attempts, 1, "not sent again");
}

/// A `not_sent` order first logged hours ago and sent now counts against the hourly ceiling from now, at its bound
/// as of now: the next order that would take the hour past the ceiling is refused (it counted for no hour at all,
/// placed under its first logging time).
#[tokio::test(flavor = "multi_thread")]
async fn a_not_sent_order_sent_hours_later_counts_against_the_hour_it_is_placed_in() {
    let _serial = SERIAL.lock().await;
    let (_, alibaba) = standin(Kind::Alibaba).await;
    let data = tempdir();
    let (first, unsent, _) = with_an_unsent_tencent_order(&data, alibaba, "late-unsent-0001").await;
    drop(first);
    let aged = rusqlite::Connection::open(data.join("orders.sqlite3"))
        .unwrap()
        .execute(
            "UPDATE orders SET created_at_ms = created_at_ms - 7200000 WHERE idempotency_key = 'late-unsent-0001'",
            [],
        )
        .unwrap();
    assert_eq!(aged, 1);
    let (_, tencent) = standin(Kind::Tencent).await;
    let amount = |answer: &Value| -> f64 { answer["max_cost_per_hour"]["amount"].as_str().unwrap().parse().unwrap() };
    let (unsent_bound, alibaba_bound) = (amount(&unsent), 10.0 * 0.2); // the Alibaba example: 10 at 0.2 CNY an hour
    // Room for either order alone, not both.
    let ceiling = format!(
        "{:.4} CNY",
        unsent_bound.max(alibaba_bound) + unsent_bound.min(alibaba_bound) * 0.5
    );
    let proxy = Proxy::start(
        &data,
        &[(Kind::Alibaba, alibaba), (Kind::Tencent, tencent)],
        &[("SPOTPLAN_MAX_SPEND_PER_HOUR", &ceiling)],
    );
    let (status, placed) = proxy.submit(&example("tencent"), "late-unsent-0001").await;
    assert_eq!((status, &placed["status"]), (200, &json!("succeeded")), "{placed}");
    let (status, refused) = proxy.submit(&example("alibaba"), "late-next-0001").await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (422, Some("spend_ceiling")),
        "the order placed late counts in this hour: {refused}"
    );
}

/// Fault 6, refused: the cloud refuses the order while the log cannot be written. The log still says `pending`,
/// which a restart would send again under the same ClientToken, so the answer is `unknown` with the cloud's
/// refusal beside it — not a final "failed" someone would answer with a new order under a new key — and the log
/// catches up with `failed`.
#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_the_log_cannot_take_yet_is_answered_unknown_not_failed() {
    let _serial = SERIAL.lock().await;
    let (_standin, address) = standin(Kind::Alibaba).await;
    let data = tempdir();
    let proxy = Proxy::start(&data, &[(Kind::Alibaba, address)], &[]);
    let submitted = submit_in_background(&proxy, "fault6-b-0001", "img-slow-nostock");
    let status_on_disk = || {
        rusqlite::Connection::open(data.join("orders.sqlite3"))
            .ok()?
            .query_row("SELECT status FROM orders", [], |row| row.get::<_, String>(0))
            .ok()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while status_on_disk().as_deref() != Some("pending") {
        assert!(Instant::now() < deadline, "the order was logged");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let blocker = rusqlite::Connection::open(data.join("orders.sqlite3")).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let answer = submitted.await.unwrap();
    assert_eq!(answer["logged"], false, "{answer}");
    assert_eq!(answer["status"], "unknown", "{answer}");
    assert_eq!(
        answer["error_code"], "OperationDenied.NoStock",
        "the cloud's refusal is kept: {answer}"
    );
    assert!(
        answer["hint"]
            .as_str()
            .unwrap()
            .contains("never place it anew under another key"),
        "{answer}"
    );
    // Until the refusal lands, a retry under the key and the order log read it as unknown too — not a final
    // "failed" that a retry used to replay while the log said pending.
    let (_, replay) = proxy
        .submit(&order_with_image("alibaba", "img-slow-nostock"), "fault6-b-0001")
        .await;
    assert_eq!(
        (
            replay["status"].clone(),
            replay["replayed"].clone(),
            replay["logged"].clone()
        ),
        (json!("unknown"), json!(true), json!(false)),
        "{replay}"
    );
    let listed = proxy.orders().await;
    assert_eq!(listed[0]["status"], "unknown", "{listed:?}");
    blocker.execute_batch("COMMIT").unwrap();
    drop(blocker);
    let deadline = Instant::now() + Duration::from_secs(30);
    while status_on_disk().as_deref() != Some("failed") {
        assert!(Instant::now() < deadline, "the log caught up: {:?}", status_on_disk());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An order left `pending` while the proxy runs on (a write that failed after it was marked pending for a resend)
/// is not left so until the next start: the proxy's sweep resolves it within seconds — resent with its
/// ClientToken, so the cloud creates nothing twice.
#[tokio::test(flavor = "multi_thread")]
async fn an_order_left_pending_while_the_proxy_runs_is_resolved_by_its_sweep() {
    let _serial = SERIAL.lock().await;
    let (standin, address) = standin(Kind::Alibaba).await;
    let data = tempdir();
    let proxy = Proxy::start(&data, &[(Kind::Alibaba, address)], &[]);
    let (_, placed) = proxy
        .submit(&order_with_image("alibaba", "img-ok"), "sweep-a-0001")
        .await;
    assert_eq!(placed["status"], "succeeded", "{placed}");
    rusqlite::Connection::open(data.join("orders.sqlite3"))
        .unwrap()
        .execute_batch("UPDATE orders SET status = 'pending', may_have_reached_cloud = 1")
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let orders = proxy.orders().await;
        if orders[0]["status"] != "pending" {
            assert_eq!(orders[0]["status"], "succeeded", "{}", orders[0]);
            assert_eq!(orders[0]["instance_ids"], placed["instance_ids"]);
            break;
        }
        assert!(Instant::now() < deadline, "the sweep resolved the order: {}", orders[0]);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let stats = standin.stats.lock().unwrap();
    assert_eq!(stats.created, 1, "one set of instances");
    assert_eq!(
        stats.attempts_by_token["spotplan-sweep-a-0001"], 2,
        "resent once, with the same token"
    );
}

/// Submits the Alibaba example with `image` under `key` on a task of its own: its answer, once it comes.
fn submit_in_background(proxy: &Proxy, key: &'static str, image: &'static str) -> tokio::task::JoinHandle<Value> {
    let url = proxy.url.clone();
    tokio::spawn(async move {
        Proxy::client()
            .post(format!("{url}/api/v1/orders"))
            .header("x-spotplan-token", TOKEN)
            .header("idempotency-key", key)
            .json(&order_with_image("alibaba", image))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    })
}

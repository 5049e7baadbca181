//! Team mode with a real PostgreSQL: three `spotplan-proxy` processes on one database (each with its own data
//! folder and the team's shared install key), in front of one Alibaba stand-in. Duplicates of one idempotency key
//! sent to every replica at the same moment place one order upstream, and every replica answers with it; a replica
//! killed while its order is in flight leaves a pending row that another replica resolves — with the same
//! ClientToken, so still one order — and no pending row remains; the replica running the background work (the
//! leader) killed while it keeps a fleet at size hands over to another within 30 s, which replaces a reclaimed
//! instance once.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::proxy_process::{Proxy, serve_standin, standin};
use common::{KEYS, example, tempdir};
use serde_json::{Value, json};
use spotplan_proxy::at_rest::KEY_FILE;
use spotplan_standin::{Kind, Standin};

/// Replicas sharing `url`: the first creates the install key, the others get a copy (as a team's deployment
/// gives every replica the same key).
fn replicas(count: usize, url: &str, standin: std::net::SocketAddr) -> Vec<Proxy> {
    replicas_with(count, url, standin, &[])
}

fn replicas_with(count: usize, url: &str, standin: std::net::SocketAddr, extra: &[(&str, &str)]) -> Vec<Proxy> {
    let env: Vec<(&str, &str)> = [("SPOTPLAN_DATABASE_URL", url)]
        .into_iter()
        .chain(extra.iter().copied())
        .collect();
    let first_dir = tempdir();
    let first = Proxy::start(&first_dir, &[(Kind::Alibaba, standin)], &env);
    let key = std::fs::read(first_dir.join(KEY_FILE)).unwrap();
    let mut proxies = vec![first];
    for _ in 1..count {
        let dir: PathBuf = tempdir();
        std::fs::write(dir.join(KEY_FILE), &key).unwrap();
        proxies.push(Proxy::start(&dir, &[(Kind::Alibaba, standin)], &env));
    }
    proxies
}

fn slow_order() -> Value {
    let mut order = example("alibaba");
    order["image_id"] = "img-slow".into();
    order
}

fn creations(standin: &Standin) -> (u64, Vec<u32>) {
    let stats = standin.stats.lock().unwrap();
    (stats.created, stats.attempts_by_token.values().copied().collect())
}

#[tokio::test(flavor = "multi_thread")]
async fn sixty_duplicates_spread_over_three_replicas_place_one_order_and_get_one_answer() {
    let Some(url) = common::postgres::fresh_database().await else {
        return;
    };
    let (standin, address) = standin(Kind::Alibaba).await;
    let proxies = std::sync::Arc::new(replicas(3, &url, address));
    let order = slow_order();
    let submissions: Vec<_> = (0..60)
        .map(|n| {
            let (proxies, order) = (proxies.clone(), order.clone());
            tokio::spawn(async move { proxies[n % 3].submit(&order, "team-duplicate-0001").await })
        })
        .collect();
    let mut answers = Vec::new();
    for submission in submissions {
        answers.push(submission.await.unwrap());
    }
    let (created, attempts) = creations(&standin);
    assert_eq!(created, 1, "one order upstream");
    assert_eq!(
        attempts,
        [1],
        "one request upstream: the duplicates never reached the cloud"
    );
    let first = &answers[0].1;
    assert_eq!(first["status"], "succeeded", "{first}");
    for (status, answer) in &answers {
        assert!(*status == 200 || *status == 201, "{status} {answer}");
        for field in ["id", "status", "instance_ids", "client_token"] {
            assert_eq!(answer[field], first[field], "{field}: {answer}");
        }
    }
    assert_eq!(
        answers.iter().filter(|(status, _)| *status == 201).count(),
        1,
        "one answer says it created the instances, the others replay it"
    );
    // Every replica lists the one order.
    for proxy in proxies.iter() {
        let orders = proxy.orders().await;
        assert_eq!(orders.len(), 1, "{orders:?}");
        assert_eq!(orders[0]["id"], first["id"]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replica_killed_mid_order_leaves_a_row_another_replica_resolves() {
    let Some(url) = common::postgres::fresh_database().await else {
        return;
    };
    let (standin, address) = standin(Kind::Alibaba).await;
    let mut proxies = replicas(2, &url, address);
    let order = slow_order();
    let doomed_url = proxies[0].url.clone();
    let in_flight = tokio::spawn({
        let order = order.clone();
        async move {
            Proxy::client()
                .post(format!("{doomed_url}/api/v1/orders"))
                .header("x-spotplan-token", common::proxy_process::TOKEN)
                .header("idempotency-key", "team-orphan-0001")
                .json(&order)
                .send()
                .await
        }
    });
    // Killed once the cloud has the request (and is still answering it: the stand-in takes its time).
    let deadline = Instant::now() + Duration::from_secs(10);
    while creations(&standin).1.is_empty() {
        assert!(Instant::now() < deadline, "the order never reached the stand-in");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    proxies[0].kill_hard();
    assert!(in_flight.await.unwrap().is_err(), "the killed replica never answered");
    let survivor = &proxies[1];
    let pending_at_kill = survivor.orders().await;
    assert_eq!(pending_at_kill.len(), 1);
    assert_eq!(pending_at_kill[0]["status"], "pending", "the row the dead replica left");

    // The survivor resolves it on its own (it looks every few seconds), resending with the same ClientToken.
    let deadline = Instant::now() + Duration::from_secs(30);
    let resolved = loop {
        let orders = survivor.orders().await;
        if orders[0]["status"] != "pending" {
            break orders[0].clone();
        }
        assert!(
            Instant::now() < deadline,
            "nobody resolved the orphaned order: {orders:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(resolved["status"], "succeeded", "{resolved}");
    let (created, attempts) = creations(&standin);
    assert_eq!(created, 1, "the resend reused the ClientToken: still one order");
    assert_eq!(attempts, [2], "the first attempt and the survivor's resend");
    // A retry of the key at the survivor replays the outcome.
    let (status, again) = survivor.submit(&order, "team-orphan-0001").await;
    assert_eq!((status, &again["id"]), (200, &resolved["id"]), "{again}");
}

async fn metric(proxy: &Proxy, name: &str) -> Option<f64> {
    let text = Proxy::client()
        .get(format!("{}/metrics", proxy.url))
        .header("x-spotplan-token", common::proxy_process::TOKEN)
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// A maintained fleet of `target` instances in two zones of the stand-in.
fn fleet(target: u32) -> Value {
    let pools: Vec<Value> = ["cn-hangzhou-j", "cn-hangzhou-k"]
        .iter()
        .map(|zone| {
            let mut order = example("alibaba");
            order["zone"] = json!(zone);
            order["count"] = json!(1);
            let object = order.as_object_mut().unwrap();
            object.remove("min_count");
            object.remove("data_disks");
            json!({
                "pool": { "cloud": "alibaba", "region": "cn-hangzhou", "zone": zone, "instance_type": "ecs.c7.xlarge" },
                "weight": 1,
                "count": target / 2,
                "order": order,
            })
        })
        .collect();
    json!({ "name": "team fleet", "target": target, "unit": "instances", "maintain": true, "pools": pools })
}

async fn fleet_view(proxy: &Proxy, id: &str) -> Value {
    proxy.get(&format!("/api/v1/fleets/{id}")).await.1["fleet"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_leader_killed_while_keeping_a_fleet_hands_over_within_30_s_and_the_fleet_is_replaced_once() {
    let Some(url) = common::postgres::fresh_database().await else {
        return;
    };
    let mut standin = Standin::new(Kind::Alibaba, KEYS[0].1, KEYS[0].2);
    standin.lifecycle.pending_for = Duration::ZERO;
    let (standin, address) = serve_standin(standin).await;
    let mut proxies = replicas_with(
        2,
        &url,
        address,
        &[
            ("SPOTPLAN_INSTANCE_POLL_MS", "200"),
            ("SPOTPLAN_RUNNING_RECHECK_MS", "200"),
        ],
    );
    // The first replica started first and leads; the second waits.
    let deadline = Instant::now() + Duration::from_secs(15);
    while metric(&proxies[0], "spotplan_background_leader").await != Some(1.0) {
        assert!(Instant::now() < deadline, "the first replica never led");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(metric(&proxies[1], "spotplan_background_leader").await, Some(0.0));

    // The fleet is submitted to the replica that does not lead; the leader follows it to Running.
    let submitted = Proxy::client()
        .post(format!("{}/api/v1/fleets", proxies[1].url))
        .header("x-spotplan-token", common::proxy_process::TOKEN)
        .header("idempotency-key", "team-fleet-0001")
        .json(&fleet(4))
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status().as_u16(), 201);
    let placed: Value = submitted.json().await.unwrap();
    let id = placed["fleet"]["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(15);
    while fleet_view(&proxies[1], &id).await["running_units"] != 4 {
        assert!(
            Instant::now() < deadline,
            "the leader never followed the fleet to Running"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let created = |standin: &Standin| -> usize { standin.stats().by_token.values().map(Vec::len).sum() };
    assert_eq!(created(&standin), 4);

    // The leader dies; then the cloud announces it takes one instance back.
    proxies[0].kill_hard();
    let killed_at = Instant::now();
    let lost = standin.stats().by_token.values().flatten().next().cloned().unwrap();
    assert!(standin.lifecycle.reclaim(&lost));
    let survivor = &proxies[1];
    // The survivor takes over the following (it sees the notice) within 30 s …
    loop {
        let fleet = fleet_view(survivor, &id).await;
        if fleet["instances"]["being_reclaimed"] == 1 {
            break;
        }
        assert!(
            killed_at.elapsed() < Duration::from_secs(30),
            "no replica took over within 30 s: {fleet}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let took_over = killed_at.elapsed();
    // … and once the instance is gone, keeps the fleet at size.
    standin.lifecycle.advance(10 * 60_000);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let fleet = fleet_view(survivor, &id).await;
        if fleet["instances"]["reclaimed"] == 1 && fleet["running_units"] == 4 {
            assert_eq!(fleet["replacements"], 1, "{fleet}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new leader did not replace the reclaimed instance: {fleet}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("leader hand-over: the survivor saw the reclaim notice {took_over:?} after the leader was killed");
    assert_eq!(metric(survivor, "spotplan_background_leader").await, Some(1.0));
    // Kept at size with one replacement instance, never two: let the new leader run a few more rounds.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(created(&standin), 5, "one replacement, no double order");
    assert_eq!(fleet_view(survivor, &id).await["running_units"], 4);
}

/// `spotplan-proxy users …` against the shared database; its standard output.
fn users(url: &str, args: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_spotplan-proxy"))
        .arg("--data-dir")
        .arg(tempdir())
        .arg("users")
        .args(args)
        .env("SPOTPLAN_DATABASE_URL", url)
        .env_remove("SPOTPLAN_DATA_DIR")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "users {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

async fn submit_as(proxy: &Proxy, key: &str, order: &Value, idempotency_key: &str) -> (u16, Value) {
    let response = Proxy::client()
        .post(format!("{}/api/v1/orders", proxy.url))
        .header("authorization", format!("Bearer {key}"))
        .header("idempotency-key", idempotency_key)
        .json(order)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn people_sign_with_their_own_keys_each_order_says_who_and_budgets_and_revokes_hold_on_every_replica() {
    let Some(url) = common::postgres::fresh_database().await else {
        return;
    };
    let alice = users(&url, &["add", "alice"]).trim().to_owned();
    let bob = users(&url, &["add", "bob"]).trim().to_owned();
    assert!(alice.starts_with("spk_") && alice.len() > 40, "{alice}");
    assert_ne!(alice, bob);
    let (_, address) = standin(Kind::Alibaba).await;
    let proxies = replicas(2, &url, address);
    let mut order = example("alibaba");
    // "#!/bin/sh\necho $SECRET_TOKEN": a launch script is often a bootstrap secret.
    order["user_data"] = json!("IyEvYmluL3NoCmVjaG8gJFNFQ1JFVF9UT0tFTg==");

    // Alice orders through one replica; both list it as hers.
    let (status, placed) = submit_as(&proxies[1], &alice, &order, "people-0001-aaaa").await;
    assert_eq!(status, 201, "{placed}");
    let alice_order = placed.clone();
    assert_eq!(placed["placed_by"], "alice", "{placed}");
    // Bob sees her order, not its launch script or the request that carried it; nor may he settle it.
    let as_person =
        |key: &str, request: reqwest::RequestBuilder| request.header("authorization", format!("Bearer {key}"));
    let path = format!("{}/api/v1/orders/{}", proxies[0].url, placed["id"].as_str().unwrap());
    for (key, sees) in [(&alice, true), (&bob, false)] {
        let seen: Value = as_person(key, reqwest::Client::new().get(&path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(seen["order"]["user_data"] == order["user_data"], sees, "{seen}");
        assert_eq!(seen["request"].is_object(), sees, "{seen}");
        assert!(
            !seen.to_string().contains("IyEvYmluL3NoCmVjaG8gJFNFQ1JFVF9UT0tFTg") || sees,
            "{seen}"
        );
    }
    let lookup = as_person(&bob, reqwest::Client::new().post(format!("{path}/lookup")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(lookup.status().as_u16(), 403);
    for proxy in &proxies {
        let (_, hers) = proxy.get("/api/v1/orders?placed_by=alice").await;
        assert_eq!(hers["orders"].as_array().unwrap().len(), 1, "{hers}");
        let (_, his) = proxy.get("/api/v1/orders?placed_by=bob").await;
        assert_eq!(his["orders"], json!([]), "{his}");
    }

    // Her key is hers: Bob retrying under it (with a password of his own) is refused before anything is compared,
    // replayed or sent.
    let mut with_his_password = order.clone();
    with_his_password["login"] = json!({"password": "Bob-owns-this-1"});
    for body in [&order, &with_his_password] {
        let (status, refused) = submit_as(&proxies[0], &bob, body, "people-0001-aaaa").await;
        assert_eq!(
            (status, &refused["error"]["code"]),
            (409, &json!("idempotency_key_of_another")),
            "{refused}"
        );
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains("placed by alice"),
            "{refused}"
        );
        assert!(
            refused.get("instance_ids").is_none(),
            "nothing of hers is shown: {refused}"
        );
    }
    let (status, replayed) = submit_as(&proxies[0], &alice, &order, "people-0001-aaaa").await;
    assert_eq!(
        (status, &replayed["replayed"]),
        (200, &json!(true)),
        "she can: {replayed}"
    );

    // A budget that leaves room for less than another such order: refused, naming the field and the figures.
    let per_hour: f64 = placed["max_cost_per_hour"]["amount"].as_str().unwrap().parse().unwrap();
    users(
        &url,
        &["budget", "alice", "--per-hour", &format!("{} CNY", per_hour * 1.5)],
    );
    let (status, refused) = submit_as(&proxies[0], &alice, &order, "people-0002-aaaa").await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "spend_ceiling", "{refused}");
    assert_eq!(refused["error"]["field"], "budget.person.per_hour", "{refused}");
    assert!(
        refused["error"]["message"].as_str().unwrap().contains("alice's budget"),
        "{refused}"
    );
    // An idempotency key that reads like an internal lock's name is just a key: the spend gate's lock is apart
    // from every key (it once shared their namespace, and this order waited on its own lock forever).
    let (status, refused) = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        submit_as(&proxies[0], &alice, &order, "spend-gate"),
    )
    .await
    .expect("answered, not stuck on its own lock");
    assert_eq!(
        (status, &refused["error"]["code"]),
        (422, &json!("spend_ceiling")),
        "{refused}"
    );
    // Bob has no budget of his own, but the team's is now full too.
    users(
        &url,
        &["budget", "--team", "--per-hour", &format!("{} CNY", per_hour * 1.5)],
    );
    let (status, refused) = submit_as(&proxies[0], &bob, &order, "people-0003-bbbb").await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (422, &json!("budget.team.per_hour")),
        "{refused}"
    );
    users(&url, &["budget", "--team"]);
    let (status, placed) = submit_as(&proxies[0], &bob, &order, "people-0004-bbbb").await;
    assert_eq!((status, &placed["placed_by"]), (201, &json!("bob")), "{placed}");
    // The instances page filters by person too.
    let (_, his) = proxies[1].get("/api/v1/instances?placed_by=bob").await;
    let his = his["instances"].as_array().unwrap().clone();
    assert_eq!(his.len(), placed["instance_ids"].as_array().unwrap().len(), "{his:?}");
    assert!(his.iter().all(|instance| instance["placed_by"] == "bob"), "{his:?}");
    let (_, nobody) = proxies[1].get("/api/v1/instances?placed_by=carol").await;
    assert_eq!(nobody["instances"], json!([]));

    // A person signs in with their key from a link they opened themselves; a foreign page sending the browser to
    // `/?token=<a key>` (login CSRF: the attacker's own key) signs nobody in.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    // A browser that says nothing of where the navigation came from is not signed in by a link (it cannot be told
    // from a foreign page's); nor is one signed in under another credential (a link in a chat must not swap
    // Alice's session for the sender's key), while a link of the key it already holds is fine.
    let session_cookie_name = {
        let port: u16 = proxies[0]
            .url
            .rsplit(':')
            .next()
            .unwrap()
            .trim_end_matches('/')
            .parse()
            .unwrap();
        spotplan_proxy::token::cookie_name(port, false)
    };
    for (fetch_site, held, signed_in) in [
        (Some("none"), None, true),
        (Some("same-origin"), None, true),
        (Some("cross-site"), None, false),
        (Some("same-site"), None, false),
        (None, None, false),
        (Some("none"), Some(alice.as_str()), false),
        (Some("none"), Some(bob.as_str()), true),
        // A cookie that no longer works (a revoked key's) blocks nothing.
        (
            Some("none"),
            Some("spk_revoked0000000000000000000000000000000000"),
            true,
        ),
    ] {
        let mut request = browser.get(format!("{}/?token={bob}", proxies[0].url));
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        if let Some(held) = held {
            request = request.header("cookie", format!("{session_cookie_name}={held}"));
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status().as_u16(), 303, "{fetch_site:?}");
        assert_eq!(
            answer.headers().contains_key("set-cookie"),
            signed_in,
            "Sec-Fetch-Site: {fetch_site:?}, signed in as alice: {}",
            held == Some(alice.as_str())
        );
    }

    // Two other session cookies, neither a working credential: the link signs nobody in over them (checking each
    // was a database query per cookie, for anyone).
    let two_held = browser
        .get(format!("{}/?token={bob}", proxies[0].url))
        .header("sec-fetch-site", "none")
        .header(
            "cookie",
            format!(
                "{session_cookie_name}=spk_{}; {session_cookie_name}=spk_{}",
                "b".repeat(48),
                "c".repeat(48)
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(two_held.status().as_u16(), 303);
    assert!(!two_held.headers().contains_key("set-cookie"), "{two_held:?}");

    // The price refresher is the team's: a person reads it, only the operator's token sets it.
    let set_refresh = |credential: Option<&str>| {
        let request = browser
            .put(format!("{}/api/v1/refresh", proxies[0].url))
            .json(&json!({ "enabled": false }));
        match credential {
            Some(key) => request.header("authorization", format!("Bearer {key}")),
            None => request.header("x-spotplan-token", common::proxy_process::TOKEN),
        }
    };
    let by_bob = set_refresh(Some(&bob)).send().await.unwrap();
    assert_eq!(by_bob.status().as_u16(), 403);
    assert_eq!(by_bob.json::<Value>().await.unwrap()["error"]["code"], "operator_only");
    let read_by_bob = browser
        .get(format!("{}/api/v1/refresh", proxies[0].url))
        .header("authorization", format!("Bearer {bob}"))
        .send()
        .await
        .unwrap();
    assert_eq!(read_by_bob.status().as_u16(), 200);
    assert_eq!(set_refresh(None).send().await.unwrap().status().as_u16(), 200);
    // So is the instance book's door for instances started elsewhere: a person's key cannot add them.
    for (path, body) in [
        (
            "/api/v1/instances/watch",
            json!({ "cloud": "tencent", "region": "ap-guangzhou", "ids": ["ins-elsewhere1"] }),
        ),
        (
            "/api/v1/instances/discover",
            json!({ "cloud": "tencent", "region": "ap-guangzhou" }),
        ),
    ] {
        let refused = browser
            .post(format!("{}{path}", proxies[0].url))
            .header("authorization", format!("Bearer {bob}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status().as_u16(), 403, "{path}");
        assert_eq!(
            refused.json::<Value>().await.unwrap()["error"]["code"],
            "operator_only",
            "{path}"
        );
    }

    // Health names the person a key belongs to (the app's "release all" is theirs alone); the token, nobody.
    let (_, health) = {
        let answer = browser
            .get(format!("{}/api/v1/health", proxies[0].url))
            .header("authorization", format!("Bearer {bob}"))
            .send()
            .await
            .unwrap();
        (answer.status().as_u16(), answer.json::<Value>().await.unwrap())
    };
    assert_eq!(
        (health["signed_in"].clone(), health["person"].clone()),
        (json!(true), json!("bob"))
    );
    let (_, operator) = proxies[0].get("/api/v1/health").await;
    assert!(operator.get("person").is_none(), "{operator}");

    // One credential a request: Bob's key beside a second one (a cookie another local page planted, or a flood of
    // made-up keys) makes the request nobody's, and the flood costs no query (answered at once).
    let port: u16 = proxies[0]
        .url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let cookie = spotplan_proxy::token::cookie_name(port, false);
    let planted = browser
        .get(format!("{}/api/v1/orders", proxies[0].url))
        .header("authorization", format!("Bearer {bob}"))
        .header("cookie", format!("{cookie}=spk_{}", "a".repeat(48)))
        .send()
        .await
        .unwrap();
    assert_eq!(planted.status().as_u16(), 401);
    let flood: String = (0..5_000).map(|n| format!("{cookie}=spk_{n:048x}; ")).collect();
    let started = std::time::Instant::now();
    let flooded = browser
        .get(format!("{}/api/v1/orders", proxies[0].url))
        .header("cookie", flood)
        .send()
        .await
        .unwrap();
    assert_eq!(flooded.status().as_u16(), 401);
    eprintln!("5,000 keys in one cookie header answered in {:?}", started.elapsed());
    let same_twice = browser
        .get(format!("{}/api/v1/orders", proxies[0].url))
        .header("authorization", format!("Bearer {bob}"))
        .header("cookie", format!("{cookie}={bob}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        same_twice.status().as_u16(),
        200,
        "the same key twice is one credential"
    );

    // A person releases their own: Bob naming Alice's order is refused and nothing is sent; his "all" is all of his.
    let release_as = |key: &str, body: Value, idempotency_key: &str| {
        browser
            .post(format!("{}/api/v1/instances/release", proxies[1].url))
            .header("authorization", format!("Bearer {key}"))
            .header("idempotency-key", idempotency_key.to_owned())
            .json(&body)
            .send()
    };
    let hers = alice_order["id"].as_str().unwrap().to_owned();
    let refused = release_as(&bob, json!({ "order_id": hers }), "release-hers-0001")
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["error"]["code"], "not_yours", "{refused}");
    let mine: Value = release_as(&bob, json!({ "all": true }), "release-mine-0001")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut released: Vec<String> = mine["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|outcome| outcome["id"].as_str().unwrap().to_owned())
        .collect();
    released.sort();
    let mut his_ids: Vec<String> = serde_json::from_value(placed["instance_ids"].clone()).unwrap();
    his_ids.sort();
    assert_eq!(released, his_ids, "only his: {mine}");
    let (_, all) = proxies[0].get("/api/v1/instances?placed_by=alice").await;
    assert!(
        all["instances"]
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["state"] != "releasing" && row["state"] != "released"),
        "hers untouched: {all}"
    );
    // Her release's key is hers too: Bob retrying it is refused, and nothing is replayed to him.
    let (status, hers_released) = {
        let answer = release_as(&alice, json!({ "order_id": hers }), "release-hers-0002")
            .await
            .unwrap();
        (answer.status().as_u16(), answer.json::<Value>().await.unwrap())
    };
    assert_eq!(status, 200, "{hers_released}");
    let refused = release_as(&bob, json!({ "order_id": hers }), "release-hers-0002")
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 409);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["error"]["code"], "idempotency_key_of_another", "{refused}");
    assert!(refused.get("outcomes").is_none(), "{refused}");

    // A revoked key is refused everywhere at once; a made-up key never worked.
    users(&url, &["revoke", "alice"]);
    for proxy in &proxies {
        let (status, refused) = submit_as(proxy, &alice, &order, "people-0005-aaaa").await;
        assert_eq!(
            (status, &refused["error"]["code"]),
            (401, &json!("token_required")),
            "{refused}"
        );
        let (status, _) = submit_as(
            proxy,
            "spk_0123456789abcdef0123456789abcdef0123456789abcdef",
            &order,
            "people-0006-xxxx",
        )
        .await;
        assert_eq!(status, 401);
    }
    let listed = users(&url, &["list"]);
    assert!(
        listed.contains("alice: revoked") && listed.contains("bob: active"),
        "{listed}"
    );
    assert!(!listed.contains(&bob), "the list never shows a key");
}

/// More orders at once than the replica keeps lock connections (64), each of its own key, under an hourly spend
/// ceiling: every one holds its key's lock while it waits for the spend gate, and the gate's lock has connections
/// of its own — taken from the same pool, it would find none free and every order would wait out the pool's
/// 30 s and fail.
#[tokio::test(flavor = "multi_thread")]
async fn eighty_orders_at_once_under_a_spend_ceiling_all_pass_the_gate() {
    let Some(url) = common::postgres::fresh_database().await else {
        return;
    };
    let (standin, address) = standin(Kind::Alibaba).await;
    let proxies = std::sync::Arc::new(replicas_with(
        1,
        &url,
        address,
        &[("SPOTPLAN_MAX_SPEND_PER_HOUR", "1000000 CNY")],
    ));
    let started = Instant::now();
    let submissions: Vec<_> = (0..80)
        .map(|n| {
            let proxies = proxies.clone();
            tokio::spawn(async move { proxies[0].submit(&slow_order(), &format!("team-gate-{n:04}")).await })
        })
        .collect();
    let mut answers = Vec::new();
    for submission in submissions {
        answers.push(submission.await.unwrap());
    }
    let elapsed = started.elapsed();
    for (status, answer) in &answers {
        assert_eq!(*status, 201, "{answer}");
    }
    assert_eq!(creations(&standin).0, 80);
    assert!(
        elapsed < Duration::from_secs(25),
        "{elapsed:?}: nobody waited out the pool"
    );
}

//! Fleets against the real proxy and the Alibaba stand-in (which plays stock, creation and reclaims on a clock the
//! test moves): a maintained fleet of 20 stays at 20 through bursts of reclaims without ever exceeding its
//! ceiling or ordering twice, moves to the next pool when one runs out of stock, stops when every pool has, and a
//! proxy stopped mid-replacement sends that replacement once after its restart. Hostile submissions are refused
//! before anything is logged or sent. The keeper and the follower are driven round by round, never by sleeping.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod common;

use std::path::Path;
use std::time::Duration;

use common::{KEYS, TOKEN, example, tempdir};
use serde_json::{Value, json};
use spotplan_proxy::at_rest::InstallKey;
use spotplan_proxy::endpoints::{EndpointOverride, Endpoints};
use spotplan_proxy::fleet_keeper::keep_once;
use spotplan_proxy::follower::poll_once;
use spotplan_proxy::{AppState, app};
use spotplan_standin::{Kind, Standin};

const MINUTE_MS: i64 = 60_000;
const ZONES: [&str; 3] = ["cn-hangzhou-h", "cn-hangzhou-j", "cn-hangzhou-k"];

struct Rig {
    proxy: String,
    state: AppState,
    standin: Standin,
    server: tokio::task::JoinHandle<()>,
}

async fn standin() -> (Standin, String) {
    standin_of(Kind::Alibaba).await
}

async fn standin_of(kind: Kind) -> (Standin, String) {
    let index = match kind {
        Kind::Alibaba => 0,
        Kind::Tencent => 1,
        Kind::Baidu => 2,
    };
    let mut standin = Standin::new(kind, KEYS[index].1, KEYS[index].2);
    standin.lifecycle.pending_for = Duration::from_secs(60);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let router = spotplan_standin::router(standin.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (standin, address)
}

async fn proxy(dir: &Path, standin: Standin, standin_address: &str) -> Rig {
    proxy_with(dir, standin, standin_address, |_| {}).await
}

/// A rig whose proxy runs with `configure`'s changes to the test configuration (its spend ceilings, say).
async fn proxy_with(
    dir: &Path,
    standin: Standin,
    standin_address: &str,
    configure: impl FnOnce(&mut spotplan_proxy::config::Config),
) -> Rig {
    let cloud = standin.kind.cloud();
    let endpoints = Endpoints::default().with(
        cloud,
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
    configure(&mut config);
    let store = common::postgres::store_in(dir).await;
    let install_key = InstallKey::load_or_create(dir).unwrap();
    let mut state = AppState::new(config, common::credentials(), store, install_key).unwrap();
    state.upstream.backoff = Duration::from_millis(10);
    if let Some(shared) = state.store.shared() {
        spotplan_proxy::leader::campaign(shared.clone(), state.leadership.clone());
    }
    let served = state.clone();
    let server = tokio::spawn(async move { axum::serve(listener, app(served)).await.unwrap() });
    Rig {
        proxy: format!("http://{address}"),
        state,
        standin,
        server,
    }
}

async fn rig() -> Rig {
    let (standin, address) = standin().await;
    proxy(&tempdir(), standin, &address).await
}

/// A pool of `ecs.c7.xlarge` in `zone`, bidding 0.2 CNY an instance-hour.
fn pool(zone: &str, count: u32) -> Value {
    let mut order = example("alibaba");
    order["zone"] = json!(zone);
    order["count"] = json!(1);
    let object = order.as_object_mut().unwrap();
    object.remove("min_count");
    object.remove("data_disks");
    json!({
        "pool": { "cloud": "alibaba", "region": "cn-hangzhou", "zone": zone, "instance_type": "ecs.c7.xlarge" },
        "weight": 1,
        "count": count,
        "order": order,
    })
}

fn fleet(target: u32, counts: [u32; 3], ceiling: &str) -> Value {
    json!({
        "name": "render fleet",
        "target": target,
        "unit": "instances",
        "maintain": true,
        "ceiling_per_hour": { "amount": ceiling, "currency": "CNY" },
        "pools": ZONES.iter().zip(counts).map(|(zone, count)| pool(zone, count)).collect::<Vec<_>>(),
    })
}

impl Rig {
    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn submit(&self, body: &Value, key: &str) -> (u16, Value) {
        self.send(
            reqwest::Client::new()
                .post(format!("{}/api/v1/fleets", self.proxy))
                .header("x-spotplan-token", TOKEN)
                .header("idempotency-key", key)
                .json(body),
        )
        .await
    }

    async fn fleet(&self, id: &str) -> Value {
        let (status, answer) = self
            .send(
                reqwest::Client::new()
                    .get(format!("{}/api/v1/fleets/{id}", self.proxy))
                    .header("x-spotplan-token", TOKEN),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        answer["fleet"].clone()
    }

    /// Instances the stand-in created, in all.
    fn created(&self) -> usize {
        self.standin.stats().by_token.values().map(Vec::len).sum()
    }

    /// One round of the follower and the keeper, after the stand-in's clock moved `minutes`.
    async fn round(&self, minutes: i64) {
        self.standin.lifecycle.advance(minutes * MINUTE_MS);
        poll_once(&self.state).await.unwrap();
        keep_once(&self.state).await.unwrap();
        poll_once(&self.state).await.unwrap();
    }

    async fn live_ids(&self, fleet_id: &str) -> Vec<String> {
        let fleet = self.fleet(fleet_id).await;
        let order_ids: Vec<String> = fleet["orders"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|order| order["order_id"].as_str().map(str::to_owned))
            .collect();
        let (_, instances) = self
            .send(
                reqwest::Client::new()
                    .get(format!("{}/api/v1/instances", self.proxy))
                    .header("x-spotplan-token", TOKEN),
            )
            .await;
        instances["instances"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|row| {
                row["order_id"]
                    .as_str()
                    .is_some_and(|id| order_ids.iter().any(|o| o == id))
                    && row["state"] == "running"
            })
            .map(|row| row["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

fn units(fleet: &Value) -> u64 {
    fleet["running_units"].as_u64().unwrap() + fleet["pending_units"].as_u64().unwrap()
}

fn bound(fleet: &Value) -> f64 {
    fleet["hourly_bound"]["amount"].as_str().unwrap().parse().unwrap()
}

/// A member stopped by its reclaim with Alibaba's Stop behaviour still exists but bills no compute (economical
/// mode): the fleet replaces it within its ceiling instead of waiting under it for good.
#[tokio::test]
async fn a_member_stopped_by_its_reclaim_leaves_room_under_the_ceiling_for_its_replacement() {
    let rig = rig().await;
    // 4 instances at 0.2 CNY an hour: a ceiling of 0.8 leaves no room while all four may bill.
    let (status, placed) = rig.submit(&fleet(4, [2, 1, 1], "0.8"), "fleet-0009-stop").await;
    assert_eq!(status, 201, "{placed}");
    let id = placed["fleet"]["id"].as_str().unwrap().to_owned();
    rig.round(2).await;
    assert_eq!(rig.fleet(&id).await["running_units"], 4);
    let stopped = rig.live_ids(&id).await[0].clone();
    assert!(rig.standin.lifecycle.stop(&stopped));
    rig.round(1).await;
    rig.round(2).await;
    let fleet = rig.fleet(&id).await;
    assert_eq!(rig.created(), 5, "one replacement: {fleet}");
    assert_eq!(
        (&fleet["instances"]["stopped"], &fleet["instances"]["failed"]),
        (&json!(1), &json!(0)),
        "shown stopped, not failed: {fleet}"
    );
    assert_eq!(fleet["running_units"], 4, "{fleet}");
    assert!(bound(&fleet) <= 0.8, "{fleet}");
    let (_, instances) = rig
        .send(
            reqwest::Client::new()
                .get(format!("{}/api/v1/instances", rig.proxy))
                .header("x-spotplan-token", TOKEN),
        )
        .await;
    let row = instances["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["id"] == stopped.as_str())
        .unwrap();
    assert_eq!(row["state"], "stopped", "{row}");
    assert!(row["paused_since_ms"].is_i64(), "its stop is not billed: {row}");
}

/// The stopped member runs again (started by hand): the fleet, which replaced it, runs one above its target and — its
/// stop having billed nothing — above its ceiling. The keeper releases one (the newest, at equal prices), once.
#[tokio::test]
async fn a_replaced_member_that_runs_again_is_trimmed_back_to_the_target_and_the_ceiling() {
    let rig = rig().await;
    let (status, placed) = rig.submit(&fleet(4, [2, 1, 1], "0.8"), "fleet-0009-trim").await;
    assert_eq!(status, 201, "{placed}");
    let id = placed["fleet"]["id"].as_str().unwrap().to_owned();
    rig.round(2).await;
    let stopped = rig.live_ids(&id).await[0].clone();
    assert!(rig.standin.lifecycle.stop(&stopped));
    rig.round(1).await;
    rig.round(2).await;
    assert_eq!(rig.created(), 5, "one replacement");
    let running = rig.live_ids(&id).await;
    assert_eq!(running.len(), 4);
    assert!(rig.standin.lifecycle.start(&stopped));
    rig.round(1).await;
    let fleet = rig.fleet(&id).await;
    assert_eq!(fleet["reason"]["kind"], "trimmed", "{fleet}");
    // The replacement is the newest: the one released.
    let released: Vec<String> = rig.standin.lifecycle.counts().0.into_keys().collect();
    assert_eq!(released.len(), 1, "one released: {released:?}");
    assert!(
        running.contains(&released[0]) && released[0] != stopped,
        "{released:?} {stopped}"
    );
    let words = fleet["reason"]["en"].as_str().unwrap();
    assert!(words.starts_with("5 units ran above the target of 4"), "{fleet}");
    assert!(words.contains(released[0].as_str()), "{fleet}");
    for _ in 0..4 {
        rig.round(3).await;
    }
    let fleet = rig.fleet(&id).await;
    assert_eq!(
        (fleet["running_units"].as_u64(), fleet["pending_units"].as_u64()),
        (Some(4), Some(0)),
        "{fleet}"
    );
    assert!(bound(&fleet) <= 0.8, "back under its ceiling: {fleet}");
    assert_eq!(rig.created(), 5, "nothing ordered in its place");
    assert_eq!(
        rig.standin.lifecycle.counts().0.values().sum::<u32>(),
        1,
        "released once, nothing more"
    );
    assert!(
        rig.live_ids(&id).await.contains(&stopped),
        "the one that came back runs on"
    );
    assert_eq!(
        fleet["reason"]["kind"], "trimmed",
        "the note stays while nothing else happens"
    );
    // The next order (a replacement) clears the note.
    assert!(rig.standin.lifecycle.release_elsewhere(&stopped));
    rig.round(1).await;
    rig.round(2).await;
    let fleet = rig.fleet(&id).await;
    assert_eq!(rig.created(), 6, "{fleet}");
    assert_eq!(
        (fleet["running_units"].as_u64(), &fleet["reason"]),
        (Some(4), &Value::Null),
        "{fleet}"
    );
}

#[tokio::test]
async fn a_maintained_fleet_of_twenty_stays_at_twenty_through_reclaims_within_its_ceiling_and_waits_out_a_stock_out() {
    let rig = rig().await;
    // 20 instances at 0.2 CNY an hour each: a ceiling of 4.0 leaves no room while reclaimed instances still bill.
    let (status, placed) = rig.submit(&fleet(20, [8, 8, 4], "4.0"), "fleet-0001-aaaa").await;
    assert_eq!(status, 201, "{placed}");
    let id = placed["fleet"]["id"].as_str().unwrap().to_owned();
    assert_eq!(placed["fleet"]["state"], "maintaining", "{placed}");
    assert_eq!(units(&placed["fleet"]), 20);
    assert_eq!(rig.created(), 20, "three first orders: 8 + 8 + 4");
    rig.round(2).await;
    let fleet = rig.fleet(&id).await;
    assert_eq!(fleet["running_units"], 20, "{fleet}");
    assert!(bound(&fleet) <= 4.0);

    // A burst of six reclaims: while they are under notice they still bill, so the ceiling holds the replacements
    // back; once they are gone the fleet orders six more, once.
    let running = rig.live_ids(&id).await;
    for instance in running.iter().take(6) {
        assert!(rig.standin.lifecycle.reclaim(instance));
    }
    rig.round(1).await;
    let fleet = rig.fleet(&id).await;
    assert_eq!(fleet["instances"]["being_reclaimed"], 6, "{fleet}");
    assert_eq!(rig.created(), 20, "no room under the ceiling yet: {fleet}");
    assert_eq!(fleet["reason"]["kind"], "waiting_under_ceiling", "{fleet}");
    assert!(fleet["reason"]["waiting"].as_bool().unwrap(), "{fleet}");
    assert!(
        fleet["reason"]["en"].as_str().unwrap().contains("above the ceiling of"),
        "{fleet}"
    );
    assert!(
        fleet["reason"]["zh"].as_str().unwrap().contains("会超过上限"),
        "{fleet}"
    );
    assert!(bound(&fleet) <= 4.0);
    rig.round(10).await;
    let fleet = rig.fleet(&id).await;
    assert_eq!(fleet["instances"]["reclaimed"], 6, "{fleet}");
    assert_eq!(units(&fleet), 20, "{fleet}");
    assert_eq!(fleet["replacements"], 1, "one replacement order for six: {fleet}");
    assert_eq!(rig.created(), 26);
    assert!(bound(&fleet) <= 4.0, "{fleet}");
    // Rounds with nothing lost order nothing.
    rig.round(2).await;
    rig.round(2).await;
    assert_eq!(rig.created(), 26);
    assert_eq!(rig.fleet(&id).await["running_units"], 20);

    // The first pool runs out of stock: the next replacement fails there and moves to the next pool.
    rig.standin.stats().stock.insert(ZONES[0].into(), 0);
    for instance in rig.live_ids(&id).await.iter().take(3) {
        rig.standin.lifecycle.reclaim(instance);
    }
    rig.round(10).await;
    rig.round(2).await;
    let fleet = rig.fleet(&id).await;
    assert_eq!(units(&fleet), 20, "{fleet}");
    assert_eq!(fleet["exhausted_pools"][0]["zone"], ZONES[0], "{fleet}");
    assert_eq!(fleet["state"], "maintaining");
    assert_eq!(rig.created(), 29, "{fleet}");
    assert!(bound(&fleet) <= 4.0);

    // Every pool out of stock: the fleet stops ordering, says why, and waits.
    for zone in ZONES {
        rig.standin.stats().stock.insert(zone.into(), 0);
    }
    for instance in rig.live_ids(&id).await.iter().take(2) {
        rig.standin.lifecycle.reclaim(instance);
    }
    rig.round(10).await;
    rig.round(2).await;
    let fleet = rig.fleet(&id).await;
    assert_eq!(fleet["state"], "maintaining", "{fleet}");
    assert_eq!(fleet["reason"]["kind"], "waiting_for_stock", "{fleet}");
    assert!(
        fleet["reason"]["en"]
            .as_str()
            .unwrap()
            .contains("tried again 10 minutes after"),
        "{fleet}"
    );
    assert_eq!(rig.created(), 29, "nothing more was created");
    let ordered = rig.standin.stats().by_token.len();
    let steps = fleet["orders"].as_array().unwrap().len();
    rig.round(2).await;
    assert_eq!(rig.standin.stats().by_token.len(), ordered);
    assert_eq!(
        rig.fleet(&id).await["orders"].as_array().unwrap().len(),
        steps,
        "no order spent on a refusal"
    );
    // Ten minutes after its last order, stock is back in one zone: the fleet orders what it lacks there.
    rig.standin.stats().stock.insert(ZONES[0].into(), 5);
    let last_key = fleet["orders"].as_array().unwrap().last().unwrap()["idempotency_key"]
        .as_str()
        .unwrap()
        .to_owned();
    {
        use spotplan_proxy::sql::SqlValue;
        rig.state
            .store
            .execute(
                "UPDATE orders SET created_at_ms = created_at_ms - ?1, finished_at_ms = finished_at_ms - ?1 \
                 WHERE idempotency_key = ?2"
                    .into(),
                vec![SqlValue::from(11 * MINUTE_MS), SqlValue::Text(Some(last_key))],
            )
            .await
            .unwrap();
    }
    rig.round(2).await;
    rig.round(2).await;
    let fleet = rig.fleet(&id).await;
    assert!(rig.created() > 29, "ordered again once stock came back: {fleet}");
    assert_eq!(units(&fleet), 20, "{fleet}");
    assert!(bound(&fleet) <= 4.0, "{fleet}");
    // Every order of the fleet has its own key: no key was sent twice as two orders.
    let keys: Vec<String> = fleet["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|order| order["idempotency_key"].as_str().unwrap().to_owned())
        .collect();
    let mut unique = keys.clone();
    unique.dedup();
    assert_eq!(keys, unique);

    // The fleet's release keys (a stop's, a trim's) are its own: a release a person asks for under one (which the
    // fleet's next round would then find taken by a different release) is refused, and nothing is sent.
    let fleet_key = fleet["idempotency_key"].as_str().unwrap().to_owned();
    for purpose in ["stop", "trim"] {
        let (status, taken) = rig
            .send(
                reqwest::Client::new()
                    .post(format!("{}/api/v1/instances/release", rig.proxy))
                    .header("x-spotplan-token", TOKEN)
                    .header("idempotency-key", format!("{fleet_key}_{purpose}_0123456789ab_1"))
                    .json(&json!({ "all": true })),
            )
            .await;
        assert_eq!(
            (status, taken["error"]["code"].as_str()),
            (400, Some("idempotency_key_reserved")),
            "{purpose}: {taken}"
        );
    }
    assert_eq!(
        rig.standin.lifecycle.counts().0.values().sum::<u32>(),
        0,
        "nothing released"
    );
    // Stopping with release releases its live instances once, however often it is asked.
    let stop = |release: bool| {
        reqwest::Client::new()
            .post(format!("{}/api/v1/fleets/{id}/stop", rig.proxy))
            .header("x-spotplan-token", TOKEN)
            .json(&json!({ "release": release }))
    };
    let (status, stopped) = rig.send(stop(true)).await;
    assert_eq!(status, 200, "{stopped}");
    assert_eq!(stopped["fleet"]["state"], "stopped");
    let (releases, _) = rig.standin.lifecycle.counts();
    let released: u32 = releases.values().sum();
    assert!(released >= 18, "{releases:?}");
    rig.send(stop(true)).await;
    let (again, _) = rig.standin.lifecycle.counts();
    assert_eq!(again.values().sum::<u32>(), released, "a second stop sends nothing");
}

/// A stop whose release the cloud refused (throttled, acting on nothing) leaves the instances billing; the keeper
/// sends it again only after a back-off, and a stop asked again sends it again at once rather than replaying the
/// refusal — and then nothing more.
#[tokio::test]
async fn a_stop_asked_again_after_its_release_was_refused_releases_then() {
    let rig = rig().await;
    let (status, placed) = rig.submit(&fleet(4, [2, 2, 0], "10"), "fleet-0010-stop").await;
    assert_eq!(status, 201, "{placed}");
    let id = placed["fleet"]["id"].as_str().unwrap().to_owned();
    rig.round(2).await;
    assert_eq!(rig.live_ids(&id).await.len(), 4);
    let stop = || {
        reqwest::Client::new()
            .post(format!("{}/api/v1/fleets/{id}/stop", rig.proxy))
            .header("x-spotplan-token", TOKEN)
            .json(&json!({ "release": true }))
    };
    let released = || rig.standin.lifecycle.counts().0.values().sum::<u32>();

    rig.standin.lifecycle.throttle_releases(u32::MAX);
    let (status, stopped) = rig.send(stop()).await;
    assert_eq!(
        (status, &stopped["fleet"]["state"]),
        (200, &json!("stopped")),
        "{stopped}"
    );
    assert_eq!(released(), 0, "every release call was refused");
    assert_eq!(rig.live_ids(&id).await.len(), 4, "they still bill");
    // The keeper's rounds replay that refusal from the log: no delete call, no release logged each round.
    let logged_releases = || async {
        rig.state
            .store
            .select("SELECT idempotency_key FROM releases", Vec::new())
            .await
            .unwrap()
            .len()
    };
    let logged = logged_releases().await;
    for _ in 0..3 {
        keep_once(&rig.state).await.unwrap();
    }
    assert_eq!(
        logged_releases().await,
        logged,
        "the keeper sent the refused release again"
    );
    // Once the refusal is older than the settle time the keeper sends it again itself (a throttling passes) —
    // once, and then waits twice as long.
    rig.state
        .store
        .execute(
            "UPDATE releases SET created_at_ms = created_at_ms - 660000".into(),
            Vec::new(),
        )
        .await
        .unwrap();
    keep_once(&rig.state).await.unwrap();
    assert_eq!(logged_releases().await, logged + 1, "sent again after 10 minutes");
    keep_once(&rig.state).await.unwrap();
    assert_eq!(logged_releases().await, logged + 1, "and not again at once");
    // A person asking twice more meanwhile (refused too) does not stretch the keeper's wait: it is timed from the
    // chain's first release, not counted in keys.
    rig.send(stop()).await;
    rig.send(stop()).await;
    assert_eq!(logged_releases().await, logged + 3);
    rig.state
        .store
        .execute(
            "UPDATE releases SET created_at_ms = created_at_ms - 1800000".into(),
            Vec::new(),
        )
        .await
        .unwrap();
    keep_once(&rig.state).await.unwrap();
    assert_eq!(
        logged_releases().await,
        logged + 4,
        "sent again 30 minutes after the last"
    );

    rig.standin.lifecycle.throttle_releases(0);
    rig.send(stop()).await;
    assert_eq!(released(), 4, "the stop asked again released them");
    poll_once(&rig.state).await.unwrap();
    rig.send(stop()).await;
    assert_eq!(released(), 4, "and a third stop sends nothing");
}

/// A stop's release logged but never answered (the request dropped before the call went out, or a replica that
/// died mid-release) is sent again by the keeper once it is older than the release settle time: it used to be
/// replayed as "unknown" under its key every round, and the instances billed on.
#[tokio::test]
async fn a_stop_release_never_answered_is_sent_again_once_it_cannot_be_in_flight() {
    let rig = rig().await;
    let (status, placed) = rig.submit(&fleet(4, [2, 2, 0], "10"), "fleet-0011-stop").await;
    assert_eq!(status, 201, "{placed}");
    let id = placed["fleet"]["id"].as_str().unwrap().to_owned();
    rig.round(2).await;
    assert_eq!(rig.live_ids(&id).await.len(), 4);
    let released = || rig.standin.lifecycle.counts().0.values().sum::<u32>();
    rig.standin.lifecycle.throttle_releases(u32::MAX);
    let (status, stopped) = rig
        .send(
            reqwest::Client::new()
                .post(format!("{}/api/v1/fleets/{id}/stop", rig.proxy))
                .header("x-spotplan-token", TOKEN)
                .json(&json!({ "release": true })),
        )
        .await;
    assert_eq!(status, 200, "{stopped}");
    assert_eq!(released(), 0);
    rig.standin.lifecycle.throttle_releases(0);
    // As a release whose answer was never recorded leaves it, asked for 11 minutes ago.
    let unanswered = rig
        .state
        .store
        .execute(
            "UPDATE releases SET answer_json = NULL, created_at_ms = created_at_ms - 660000".into(),
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(unanswered, 1);
    keep_once(&rig.state).await.unwrap();
    assert_eq!(released(), 4, "the keeper sent the release again");
    poll_once(&rig.state).await.unwrap();
    keep_once(&rig.state).await.unwrap();
    assert_eq!(released(), 4, "once");
}

/// Team mode: what one person may not do to another's fleet. Its orders' keys (`{fleet key}_s{step}`) and the
/// proxy's ClientTokens (`spotplan-…`) are reserved — taken first by someone else, the keeper's next order was
/// answered "the key belongs to another" and the fleet stalled — a ClientToken another person's order used is
/// refused (the cloud would answer with that order's instances), and a fleet whose creator's key is revoked orders
/// nothing more in their name.
#[tokio::test]
async fn another_person_cannot_take_a_fleets_keys_or_tokens_and_a_revoked_creators_fleet_stops_ordering() {
    let rig = rig().await;
    let alice = spotplan_proxy::people::add(&rig.state.store, "alice", 1).await.unwrap();
    let bob = spotplan_proxy::people::add(&rig.state.store, "bob", 1).await.unwrap();
    let as_person = |key: &str, path: &str, idempotency_key: &str, body: &Value| {
        reqwest::Client::new()
            .post(format!("{}{path}", rig.proxy))
            .header("authorization", format!("Bearer {key}"))
            .header("idempotency-key", idempotency_key)
            .json(body)
    };
    let (status, placed) = rig
        .send(as_person(
            &alice,
            "/api/v1/fleets",
            "fleet-0013-alice",
            &fleet(4, [2, 2, 0], "10"),
        ))
        .await;
    assert_eq!(status, 201, "{placed}");
    let id = placed["fleet"]["id"].as_str().unwrap().to_owned();
    rig.round(2).await;
    let mut order = example("alibaba");
    order["dry_run"] = json!(true);
    // The status, code and field of a refusal.
    let refusal = |(status, answer): (u16, Value)| {
        let said = |key: &str| answer["error"][key].as_str().map(str::to_owned);
        (status, said("code"), said("field"))
    };
    let refused = rig
        .send(as_person(&bob, "/api/v1/orders", "fleet-0013-alice_s2", &order))
        .await;
    assert_eq!(
        refusal(refused),
        (
            400,
            Some("idempotency_key_reserved".into()),
            Some("Idempotency-Key".into())
        )
    );
    // Its creator may use them (the web's fleet panel prints a fleet's orders with them, to place by hand).
    let (status, hers) = rig
        .send(as_person(&alice, "/api/v1/orders", "fleet-0013-alice_s9", &order))
        .await;
    assert_eq!(
        (status, hers["status"].as_str()),
        (200, Some("dry_run_passed")),
        "{hers}"
    );
    let mut copied = example("alibaba");
    copied["client_token"] = json!("spotplan-fleet-0013-alice_s0");
    let refused = rig
        .send(as_person(&bob, "/api/v1/orders", "bob-order-0001", &copied))
        .await;
    assert_eq!(
        refusal(refused),
        (400, Some("client_token_reserved".into()), Some("client_token".into()))
    );
    // In another case too: whether a cloud tells the two apart is not documented.
    copied["client_token"] = json!("SPOTPLAN-fleet-0013-alice_s0");
    let refused = rig
        .send(as_person(&bob, "/api/v1/orders", "bob-order-0003", &copied))
        .await;
    assert_eq!(
        refusal(refused),
        (400, Some("client_token_reserved".into()), Some("client_token".into()))
    );
    // An order key of a fleet not made yet, taken first: the fleet is refused (it would count, and release, the
    // other person's instances as its own), and orders nothing.
    let (status, his) = rig
        .send(as_person(&bob, "/api/v1/orders", "fleet-0015-alice_s1", &order))
        .await;
    assert_eq!(status, 200, "{his}");
    let before = rig.created();
    let refused = rig
        .send(as_person(
            &alice,
            "/api/v1/fleets",
            "fleet-0015-alice",
            &fleet(4, [2, 2, 0], "10"),
        ))
        .await;
    let (_, said) = &refused;
    let message = said["error"]["message"].as_str().unwrap_or_default().to_owned();
    assert!(!message.contains("  "), "{message}");
    assert_eq!(
        refusal(refused),
        (409, Some("fleet_key_taken".into()), Some("Idempotency-Key".into()))
    );
    assert_eq!(rig.created(), before, "nothing ordered");
    let mut own_token = example("alibaba");
    own_token["client_token"] = json!("render-job-42");
    let (status, mine) = rig
        .send(as_person(&alice, "/api/v1/orders", "alice-order-0001", &own_token))
        .await;
    assert_eq!(status, 201, "{mine}");
    let (status, refused) = rig
        .send(as_person(&bob, "/api/v1/orders", "bob-order-0002", &own_token))
        .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (409, Some("client_token_of_another")),
        "{refused}"
    );
    // In another case too.
    own_token["client_token"] = json!("RENDER-JOB-42");
    let (status, refused) = rig
        .send(as_person(&bob, "/api/v1/orders", "bob-order-0004", &own_token))
        .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (409, Some("client_token_of_another")),
        "{refused}"
    );
    // A key of his own that differs from one of hers only in case derives the same ClientToken but for case: a cloud
    // that does not tell them apart would answer with her order's instances. Her fleet's order keys are hers in
    // any case, used yet (s9) or not (s7), and so is her fleet's key.
    let before = rig.created();
    for key in ["FLEET-0013-ALICE_S9", "fleet-0013-alice_S7"] {
        let refused = rig.send(as_person(&bob, "/api/v1/orders", key, &order)).await;
        assert_eq!(
            refusal(refused),
            (
                400,
                Some("idempotency_key_reserved".into()),
                Some("Idempotency-Key".into())
            ),
            "{key}"
        );
    }
    let refused = rig
        .send(as_person(
            &bob,
            "/api/v1/fleets",
            "FLEET-0013-ALICE",
            &fleet(4, [2, 2, 0], "10"),
        ))
        .await;
    let message = refused.1["error"]["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.starts_with("another person's fleet"), "{message}");
    assert_eq!(
        refusal(refused),
        (409, Some("fleet_key_taken".into()), Some("Idempotency-Key".into()))
    );
    // Hers too: two fleets of hers whose orders' tokens differ only in case would count the same instances.
    let refused = rig
        .send(as_person(
            &alice,
            "/api/v1/fleets",
            "Fleet-0013-Alice",
            &fleet(4, [2, 2, 0], "10"),
        ))
        .await;
    let message = refused.1["error"]["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.starts_with("your fleet"), "{message}");
    assert_eq!(
        refusal(refused),
        (409, Some("fleet_key_taken".into()), Some("Idempotency-Key".into()))
    );
    // An order key of hers outside any fleet too.
    let (status, hers) = rig
        .send(as_person(&alice, "/api/v1/orders", "alice-order-0009", &order))
        .await;
    assert_eq!(status, 200, "{hers}");
    let refused = rig
        .send(as_person(&bob, "/api/v1/orders", "ALICE-ORDER-0009", &order))
        .await;
    let (_, said) = &refused;
    let message = said["error"]["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("spotplan-ALICE-ORDER-0009"), "{message}");
    assert_eq!(
        refusal(refused),
        (
            409,
            Some("client_token_of_another".into()),
            Some("Idempotency-Key".into())
        )
    );
    // Hers in another case too: the cloud may not tell her two orders apart.
    let refused = rig
        .send(as_person(&alice, "/api/v1/orders", "Alice-Order-0009", &order))
        .await;
    let message = refused.1["error"]["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("an earlier order of yours"), "{message}");
    assert_eq!(
        refusal(refused),
        (
            409,
            Some("client_token_case_variant".into()),
            Some("Idempotency-Key".into())
        )
    );
    assert_eq!(rig.created(), before, "nothing sent");
    // Alice's key revoked: a reclaim is not replaced in her name, and the fleet says why.
    let created = rig.created();
    spotplan_proxy::people::revoke(&rig.state.store, "alice", spotplan_proxy::upstream::now_unix_millis())
        .await
        .unwrap();
    let lost = rig.live_ids(&id).await;
    rig.standin.lifecycle.reclaim(&lost[0]);
    rig.round(10).await;
    rig.round(1).await;
    let fleet = rig.fleet(&id).await;
    assert_eq!(fleet["state"], "stalled", "{fleet}");
    assert_eq!(fleet["reason"]["kind"], "creator_revoked", "{fleet}");
    assert!(
        fleet["reason"]["en"]
            .as_str()
            .unwrap()
            .starts_with("alice's key was revoked"),
        "{fleet}"
    );
    assert!(
        fleet["reason"]["zh"]
            .as_str()
            .unwrap()
            .starts_with("alice 的密钥已被吊销"),
        "{fleet}"
    );
    assert_eq!(rig.created(), created, "no replacement in a revoked person's name");
}

/// A Tencent pool whose order is accepted but whose instances all fail to launch (sold out after the order was
/// accepted) counts as out of stock: the keeper orders the shortfall from the next pool, not there again.
#[tokio::test]
async fn a_pool_whose_instances_all_fail_to_launch_is_out_of_stock_and_the_next_pool_fills() {
    let (standin, address) = standin_of(Kind::Tencent).await;
    let rig = proxy(&tempdir(), standin, &address).await;
    let tencent_pool = |zone: &str, image: &str, count: u32| {
        let mut order = example("tencent");
        order["zone"] = json!(zone);
        order["image_id"] = json!(image);
        order["count"] = json!(1);
        json!({
            "pool": { "cloud": "tencent", "region": "ap-guangzhou", "zone": zone, "instance_type": "S6.LARGE8" },
            "weight": 1,
            "count": count,
            "order": order,
        })
    };
    let body = json!({
        "name": "ci fleet",
        "target": 2,
        "unit": "instances",
        "maintain": true,
        "ceiling_per_hour": { "amount": "10", "currency": "CNY" },
        "pools": [
            tencent_pool("ap-guangzhou-6", "img-launchfail", 2),
            tencent_pool("ap-guangzhou-3", "img-487zeit5", 0),
        ],
    });
    let (status, placed) = rig.submit(&body, "fleet-0011-launch").await;
    assert_eq!(status, 201, "{placed}");
    let id = placed["fleet"]["id"].as_str().unwrap().to_owned();
    rig.round(2).await;
    rig.round(2).await;
    let fleet = rig.fleet(&id).await;
    let zones: Vec<&str> = fleet["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|order| order["pool"]["zone"].as_str().unwrap())
        .collect();
    assert_eq!(zones, ["ap-guangzhou-6", "ap-guangzhou-3"], "{fleet}");
    assert_eq!(
        fleet["exhausted_pools"],
        json!([{ "cloud": "tencent", "region": "ap-guangzhou", "zone": "ap-guangzhou-6", "instance_type": "S6.LARGE8" }]),
        "{fleet}"
    );
    assert_eq!(fleet["running_units"], 2, "{fleet}");
}

/// An order the cloud throttles (after the proxy's own retries) does not stall a fleet for good: it waits a minute
/// and orders again.
#[tokio::test]
async fn a_throttled_order_makes_the_fleet_wait_a_minute_not_stall() {
    let rig = rig().await;
    rig.standin.lifecycle.throttle_orders(u32::MAX);
    let (status, placed) = rig.submit(&fleet(2, [2, 0, 0], "10"), "fleet-0013-throttle").await;
    assert_eq!(status, 201, "{placed}");
    let id = placed["fleet"]["id"].as_str().unwrap().to_owned();
    let fleet = rig.fleet(&id).await;
    assert_eq!(fleet["state"], "placing", "{fleet}");
    assert_eq!(fleet["reason"]["kind"], "throttled", "{fleet}");
    assert!(
        fleet["reason"]["en"]
            .as_str()
            .unwrap()
            .contains("orders again 60 s after it"),
        "{fleet}"
    );
    assert_eq!(fleet["orders"].as_array().unwrap().len(), 1, "{fleet}");
    // Within the minute: nothing more is ordered.
    rig.standin.lifecycle.throttle_orders(0);
    keep_once(&rig.state).await.unwrap();
    assert_eq!(rig.fleet(&id).await["orders"].as_array().unwrap().len(), 1);
    // A minute later it orders again, and fills.
    rig.state
        .store
        .execute(
            "UPDATE orders SET finished_at_ms = finished_at_ms - 61000".into(),
            Vec::new(),
        )
        .await
        .unwrap();
    keep_once(&rig.state).await.unwrap();
    let fleet = rig.fleet(&id).await;
    assert_eq!(rig.created(), 2, "{fleet}");
    assert_eq!(units(&fleet), 2, "{fleet}");
}

#[tokio::test]
async fn a_retried_submission_places_each_order_once_and_a_proxy_stopped_mid_replacement_sends_it_once() {
    let (standin, address) = standin().await;
    let dir = tempdir();
    let rig = proxy(&dir, standin.clone(), &address).await;
    let body = fleet(4, [2, 2, 0], "10");
    let (status, first) = rig.submit(&body, "fleet-0002-bbbb").await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = rig.submit(&body, "fleet-0002-bbbb").await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["replayed"], true);
    assert_eq!(rig.created(), 4, "the retry placed nothing");
    let id = first["fleet"]["id"].as_str().unwrap().to_owned();
    // The same key with another fleet is refused.
    let (status, conflict) = rig.submit(&fleet(5, [2, 3, 0], "10"), "fleet-0002-bbbb").await;
    assert_eq!(status, 409, "{conflict}");

    rig.round(2).await;
    for instance in rig.live_ids(&id).await.iter().take(2) {
        standin.lifecycle.reclaim(instance);
    }
    standin.lifecycle.advance(10 * MINUTE_MS);
    poll_once(&rig.state).await.unwrap();
    // The keeper writes the replacement's step, then the proxy dies before sending it.
    let step = spotplan_proxy::fleet_book::StepRow {
        step: 2,
        pool: 0,
        count: 2,
        replacement: true,
        order_key: "fleet-0002-bbbb_s2".into(),
    };
    assert!(
        spotplan_proxy::fleet_book::add_step(&rig.state.store, &id, &step)
            .await
            .unwrap()
    );
    rig.server.abort();
    drop(rig);

    let restarted = proxy(&dir, standin.clone(), &address).await;
    keep_once(&restarted.state).await.unwrap();
    keep_once(&restarted.state).await.unwrap();
    restarted.round(2).await;
    let fleet = restarted.fleet(&id).await;
    assert_eq!(restarted.created(), 6, "the replacement was sent once: {fleet}");
    assert_eq!(fleet["replacements"], 1, "{fleet}");
    assert_eq!(units(&fleet), 4, "{fleet}");
}

#[tokio::test]
async fn hostile_fleet_submissions_are_refused_before_anything_is_logged_or_sent() {
    let rig = rig().await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/fleets", rig.proxy);
    let good = fleet(4, [2, 2, 0], "10");
    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        (
            "no token",
            client
                .post(&url)
                .header("idempotency-key", "fleet-hostile-1")
                .json(&good),
            401,
            "",
        ),
        (
            "foreign origin",
            client
                .post(&url)
                .header("x-spotplan-token", TOKEN)
                .header("origin", "http://evil.example")
                .header("idempotency-key", "fleet-hostile-2")
                .json(&good),
            403,
            "",
        ),
        (
            "rebinding host",
            client
                .post(&url)
                .header("host", "rebind.example:8787")
                .header("x-spotplan-token", TOKEN)
                .header("idempotency-key", "fleet-hostile-3")
                .json(&good),
            403,
            "host_not_allowed",
        ),
        (
            "no key",
            client.post(&url).header("x-spotplan-token", TOKEN).json(&good),
            400,
            "idempotency_key_required",
        ),
        (
            "a key too long for its orders' keys",
            client
                .post(&url)
                .header("x-spotplan-token", TOKEN)
                .header("idempotency-key", "k".repeat(41))
                .json(&good),
            400,
            "idempotency_key_invalid",
        ),
        (
            "form body",
            client
                .post(&url)
                .header("x-spotplan-token", TOKEN)
                .header("idempotency-key", "fleet-hostile-4")
                .header("content-type", "application/x-www-form-urlencoded")
                .body("target=4"),
            415,
            "",
        ),
    ];
    for (name, request, status, code) in cases {
        let (got, answer) = rig.send(request).await;
        assert_eq!(got, status, "{name}: {answer}");
        if !code.is_empty() {
            assert_eq!(answer["error"]["code"], code, "{name}: {answer}");
        }
    }
    let mut unknown_field = good.clone();
    unknown_field["surprise"] = json!(1);
    let mut dry_run = good.clone();
    dry_run["pools"][1]["order"]["dry_run"] = json!(true);
    let mut wrong_pool = good.clone();
    wrong_pool["pools"][0]["order"]["zone"] = json!("cn-hangzhou-i");
    let mut invalid_order = good.clone();
    invalid_order["pools"][2]["order"]["image_id"] = json!("");
    let mut zero = good.clone();
    zero["target"] = json!(0);
    // Four-vCPU instances counted as one vCPU each: a target of 64 vCPUs would keep 64 of them (256 vCPUs).
    let mut understated = good.clone();
    understated["unit"] = json!("vcpus");
    understated["target"] = json!(64);
    let mut heavy_instance = good.clone();
    heavy_instance["pools"][1]["weight"] = json!(2);
    // A market pool's image the cloud says is Windows, its os left at linux: bounded at the Linux price, the
    // ceiling would not hold.
    let mut windows = good.clone();
    windows["pools"][0]["order"]["bid"] = json!({ "mode": "market" });
    windows["pools"][0]["order"]["image_id"] = json!("img-win-fleet");
    let mut unbounded = good.clone();
    unbounded["pools"][0]["order"]["bid"] = json!({ "mode": "market" });
    unbounded["pools"][0]["order"]["instance_type"] = json!("ecs.unknown.type");
    unbounded["pools"][0]["pool"]["instance_type"] = json!("ecs.unknown.type");
    // A type the catalog does not know in a fleet counted in vCPUs, and no ceiling: a wrong weight would keep many
    // times the instances, and nothing would bound their cost.
    let mut unverifiable = good.clone();
    unverifiable["unit"] = json!("vcpus");
    unverifiable["target"] = json!(64);
    unverifiable.as_object_mut().unwrap().remove("ceiling_per_hour");
    unverifiable["pools"][0]["order"]["instance_type"] = json!("ecs.unknown.type");
    unverifiable["pools"][0]["pool"]["instance_type"] = json!("ecs.unknown.type");
    // Disks bill besides the instance and the ceiling counts the instance only: a pool may carry the proxy's
    // allowance of them, no more.
    let mut huge_disks = good.clone();
    huge_disks["pools"][1]["order"]["data_disks"] = json!([{ "category": "cloud_essd", "size_gb": 32768 }]);
    let bodies: Vec<(&str, Value, &str, &str)> = vec![
        (
            "a market pool's Windows image",
            windows,
            "ceiling_uncheckable",
            "pools[0].order.os",
        ),
        (
            "disks past the unpriced allowance",
            huge_disks,
            "fleet_over_ceiling",
            "pools[1].order.data_disks",
        ),
        (
            "an unknown type's weight, nothing bounding it",
            unverifiable,
            "weight_unverifiable",
            "pools[0].weight",
        ),
        // A ceiling near the decimal's limit once panicked the keeper of every fleet.
        (
            "a ceiling past any fleet",
            fleet(4, [2, 2, 0], "1e27"),
            "invalid_fleet",
            "ceiling_per_hour",
        ),
        // First orders are placed whole: 100 + 100 for a target of 4 would start 200 instances.
        (
            "first orders past the target",
            fleet(4, [100, 100, 0], "1000"),
            "invalid_fleet",
            "pools",
        ),
        (
            "a first order past the per-order limit",
            fleet(150, [101, 49, 0], "1000"),
            "invalid_fleet",
            "pools[0].count",
        ),
        ("unknown field", unknown_field, "malformed_fleet", ""),
        ("dry run", dry_run, "invalid_fleet", "pools[1].order.dry_run"),
        (
            "order not for its pool",
            wrong_pool,
            "invalid_fleet",
            "pools[0].order.zone",
        ),
        ("invalid order", invalid_order, "invalid_order", ""),
        ("zero target", zero, "invalid_fleet", "target"),
        (
            "a weight under the type's vCPUs",
            understated,
            "invalid_fleet",
            "pools[0].weight",
        ),
        (
            "an instance weighing 2 instances",
            heavy_instance,
            "invalid_fleet",
            "pools[1].weight",
        ),
        (
            "over the ceiling",
            fleet(20, [10, 10, 0], "1.0"),
            "fleet_over_ceiling",
            "ceiling_per_hour",
        ),
        (
            "nothing bounds a pool",
            unbounded,
            "ceiling_uncheckable",
            "pools[0].order.bid.max_price",
        ),
    ];
    for (index, (name, body, code, field)) in bodies.into_iter().enumerate() {
        let (status, answer) = rig.submit(&body, &format!("fleet-body-{index:04}")).await;
        let expected = if code == "invalid_order" { 422 } else { 400 };
        assert_eq!(status, expected, "{name}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{name}: {answer}");
        if code == "invalid_order" {
            assert_eq!(
                answer["error"]["problems"][0]["field"], "pools[2].order.image_id",
                "{answer}"
            );
        }
        if !field.is_empty() {
            assert_eq!(answer["error"]["field"], field, "{name}: {answer}");
        }
        if name == "order not for its pool" {
            assert_eq!(
                answer["error"]["message"],
                "the order is not for its pool alibaba ecs.c7.xlarge in cn-hangzhou-h: its zone is cn-hangzhou-i, the \
                 pool's cn-hangzhou-h",
                "{answer}"
            );
        }
        if name == "a weight under the type's vCPUs" {
            assert_eq!(
                answer["error"]["message"],
                "weight must be 4 for a target in vCPUs (what one ecs.c7.xlarge instance brings), got 1",
                "{answer}"
            );
        }
    }
    let (status, answer) = rig
        .send(
            client
                .post(format!("{}/api/v1/fleets/flt-nope/stop", rig.proxy))
                .header("x-spotplan-token", TOKEN)
                .json(&json!({ "release": true })),
        )
        .await;
    assert_eq!(status, 404, "{answer}");
    let (_, list) = rig.send(client.get(&url).header("x-spotplan-token", TOKEN)).await;
    assert_eq!(list["fleets"], json!([]), "nothing was logged");
    assert_eq!(rig.created(), 0, "nothing was sent");
}

#[tokio::test]
async fn pool_signals_come_from_each_clouds_own_call_and_hostile_asks_are_refused() {
    let post = |rig: &Rig, body: Value| {
        reqwest::Client::new()
            .post(format!("{}/api/v1/signals", rig.proxy))
            .header("x-spotplan-token", TOKEN)
            .json(&body)
    };
    // Alibaba: a bucket per zone and type, from DescribeSpotAdvice.
    let alibaba = rig().await;
    let ask = json!({ "cloud": "alibaba", "region": "cn-hangzhou", "instance_types": ["ecs.c7.xlarge"] });
    let (status, answer) = alibaba.send(post(&alibaba, ask.clone())).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["source"], "DescribeSpotAdvice");
    let buckets: Vec<(String, String)> = answer["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["zone"].as_str().unwrap().to_owned(),
                s["interruption"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        buckets.contains(&("cn-hangzhou-k".into(), "10-100%".into())),
        "{answer}"
    );
    assert!(buckets.contains(&("cn-hangzhou-h".into(), "0-3%".into())), "{answer}");
    let (_, again) = alibaba.send(post(&alibaba, ask)).await;
    assert_eq!(again["cached"], true);
    // Tencent: sold out where stock ran out, from DescribeZoneInstanceConfigInfos.
    let (standin, address) = standin_of(Kind::Tencent).await;
    standin.stats().stock.insert("ap-guangzhou-3".into(), 0);
    let tencent = proxy(&tempdir(), standin, &address).await;
    let (status, answer) = tencent
        .send(post(
            &tencent,
            json!({ "cloud": "tencent", "region": "ap-guangzhou", "instance_types": ["S5.LARGE8"] }),
        ))
        .await;
    assert_eq!(status, 200, "{answer}");
    let sold_out: Vec<&str> = answer["signals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["stock"]["status"] == "sold_out")
        .map(|s| s["zone"].as_str().unwrap())
        .collect();
    assert_eq!(sold_out, ["ap-guangzhou-3"], "{answer}");
    // Hostile or impossible asks name the field.
    let cases = [
        (
            json!({ "cloud": "alibaba", "region": "cn-hangzhou", "instance_types": [] }),
            400,
            "instance_types",
        ),
        (
            json!({ "cloud": "alibaba", "region": "cn-hangzhou", "instance_types": vec!["a"; 11] }),
            400,
            "instance_types",
        ),
        (
            json!({ "cloud": "alibaba", "region": "cn-hangzhou", "instance_types": ["ecs.c7&Action=DeleteInstances"] }),
            400,
            "instance_types",
        ),
        (
            json!({ "cloud": "alibaba", "region": "evil.example.com/x", "instance_types": ["ecs.c7.xlarge"] }),
            400,
            "region",
        ),
        (
            json!({ "cloud": "baidu", "region": "bj", "instance_types": ["bcc.g5.c2m8"] }),
            422,
            "cloud",
        ),
    ];
    for (body, status, field) in cases {
        let (got, answer) = alibaba.send(post(&alibaba, body.clone())).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
    }
    let (status, _) = alibaba
        .send(
            reqwest::Client::new()
                .post(format!("{}/api/v1/signals", alibaba.proxy))
                .json(&json!({ "cloud": "alibaba", "region": "cn-hangzhou", "instance_types": ["ecs.c7.xlarge"] })),
        )
        .await;
    assert_eq!(status, 401, "no token, no signals");
}

/// The proxy's own spend ceilings and a maintained fleet (0.2 CNY an instance-hour): a pool whose first order
/// alone is over the ceiling for one order is refused at submission, naming the pool; a replacement that would
/// cross the hourly ceiling waits — it lifts as the hour's orders age — instead of stalling the fleet for good, and
/// goes out once, after; a shortfall larger than one order may hold goes out as several orders, each within it.
#[tokio::test]
async fn a_maintained_fleet_waits_under_the_proxys_hourly_ceiling_and_splits_what_one_order_may_not_hold() {
    let (standin, address) = standin().await;
    let money = |text: &str| spotplan_proxy::spend::parse_ceiling(text).unwrap();
    let rig = proxy_with(&tempdir(), standin, &address, |config| {
        config.spend.max_order_per_hour = Some(money("0.4 CNY"));
        config.spend.max_spend_per_hour = Some(money("0.9 CNY"));
    })
    .await;
    // Three instances in one first order: 0.6 CNY an hour, over 0.4 for one order.
    let (status, refused) = rig.submit(&fleet(4, [3, 1, 0], "10"), "fleet-ceiling-0000").await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(
        (refused["error"]["code"].as_str(), refused["error"]["field"].as_str()),
        (Some("fleet_over_ceiling"), Some("pools[0].order.bid.max_price")),
        "{refused}"
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("SPOTPLAN_MAX_ORDER_PER_HOUR"),
        "{refused}"
    );
    assert_eq!(rig.created(), 0, "nothing was placed");
    // A type the catalog does not know, in a fleet counted in vCPUs: the proxy's ceilings bound one order and the
    // last hour's, not how many instances a wrong weight keeps for good. Only the fleet's own ceiling does.
    let mut unverifiable = fleet(4, [2, 2, 0], "10");
    unverifiable["unit"] = json!("vcpus");
    unverifiable["target"] = json!(64);
    unverifiable.as_object_mut().unwrap().remove("ceiling_per_hour");
    unverifiable["pools"][0]["order"]["instance_type"] = json!("ecs.unknown.type");
    unverifiable["pools"][0]["pool"]["instance_type"] = json!("ecs.unknown.type");
    let (status, refused) = rig.submit(&unverifiable, "fleet-ceiling-000w").await;
    assert_eq!(
        (
            status,
            refused["error"]["code"].as_str(),
            refused["error"]["field"].as_str()
        ),
        (400, Some("weight_unverifiable"), Some("pools[0].weight")),
        "{refused}"
    );
    assert_eq!(rig.created(), 0, "nothing was placed");
    // Four in two orders of two: 0.8 of the hour's 0.9.
    let (status, placed) = rig.submit(&fleet(4, [2, 2, 0], "10"), "fleet-ceiling-0001").await;
    assert_eq!(status, 201, "{placed}");
    let id = placed["fleet"]["id"].as_str().unwrap().to_owned();
    rig.round(2).await;
    assert_eq!(rig.created(), 4);
    // A reclaim: the replacement would bring the last hour's orders to 1.0 an hour. The fleet waits, asking again
    // each round, and sends nothing.
    reclaim_one_and_see_it_wait(&rig, &id, "is over a budget (SPOTPLAN_MAX_SPEND_PER_HOUR)").await;
    rig.round(1).await;
    assert_eq!(rig.created(), 4, "no replacement over the hourly ceiling");
    // An hour on, the first orders no longer count: the replacement goes out, once.
    assert_eq!(age_orders_two_hours(&rig).await, 2);
    rig.round(1).await;
    assert_eq!(rig.created(), 5, "the replacement, once");
    let fleet_now = rig.fleet(&id).await;
    assert!(fleet_now["reason"].is_null(), "{fleet_now}");
    // Three reclaims at once: 0.6 an hour to replace, over 0.4 for one order. They go out as two orders (two
    // instances, then one), each within the ceiling, and the fleet never stalls.
    age_orders_two_hours(&rig).await;
    rig.round(2).await;
    let live = rig.live_ids(&id).await;
    assert_eq!(live.len(), 4, "{live:?}");
    for lost in &live[..3] {
        rig.standin.lifecycle.reclaim(lost);
    }
    rig.round(10).await;
    for _ in 0..3 {
        rig.round(1).await;
    }
    let fleet_now = rig.fleet(&id).await;
    assert_eq!(fleet_now["state"], "maintaining", "{fleet_now}");
    assert_eq!(rig.created(), 8, "three replacements: {fleet_now}");
    let mut sizes: Vec<usize> = rig.standin.stats().by_token.values().map(Vec::len).collect();
    sizes.sort_unstable();
    assert_eq!(
        sizes,
        vec![1, 1, 2, 2, 2],
        "every order within two instances: {fleet_now}"
    );
}

/// A fleet submitted by a person (team mode's API key) places its orders in their name, and a replacement that
/// would cross their budget is refused: the fleet stalls saying so, and nothing more is ordered.
#[tokio::test]
async fn a_replacement_that_would_cross_the_persons_budget_is_refused_and_the_fleet_says_why() {
    let rig = rig().await;
    let key = spotplan_proxy::people::add(&rig.state.store, "alice", 1).await.unwrap();
    let (status, placed) = rig
        .send(
            reqwest::Client::new()
                .post(format!("{}/api/v1/fleets", rig.proxy))
                .header("authorization", format!("Bearer {key}"))
                .header("idempotency-key", "fleet-0009-alice")
                .json(&fleet(4, [2, 2, 0], "10")),
        )
        .await;
    assert_eq!(status, 201, "{placed}");
    let id = placed["fleet"]["id"].as_str().unwrap().to_owned();
    rig.round(2).await;
    let (_, hers) = rig
        .send(
            reqwest::Client::new()
                .get(format!("{}/api/v1/orders?placed_by=alice", rig.proxy))
                .header("x-spotplan-token", TOKEN),
        )
        .await;
    assert_eq!(
        hers["orders"].as_array().unwrap().len(),
        2,
        "both first orders are hers: {hers}"
    );
    // Her budget is 0.1 below what runs now (4 × 0.2): after a reclaim, the three left (0.6) and a replacement
    // (0.2) would cross it. (A reclaimed instance leaves its room: the budget counts instances that may bill.)
    let per_hour = bound(&rig.fleet(&id).await);
    assert_eq!(per_hour, 0.8);
    set_hourly_budget(&rig, "alice", rust_decimal::Decimal::new(7, 1)).await;
    // Over her budget for now: the fleet waits (a budget has room again as instances end, or a month begins),
    // its replacement unsent, asked again each round — never placed twice, never given up for good.
    let fleet = reclaim_one_and_see_it_wait(
        &rig,
        &id,
        "is over a budget (budget.person.per_hour): over alice's budget",
    )
    .await;
    assert_eq!(rig.created(), 4, "no replacement over the budget");
    let steps = fleet["orders"].as_array().unwrap().len();
    rig.round(3).await;
    assert_eq!(
        rig.fleet(&id).await["orders"].as_array().unwrap().len(),
        steps,
        "one step, waiting"
    );
    assert_eq!(rig.created(), 4, "still none over the budget");
    // Her budget raised to what the fleet runs at: the waiting replacement goes out, once.
    set_hourly_budget(&rig, "alice", rust_decimal::Decimal::new(8, 1)).await;
    rig.round(2).await;
    let fleet = rig.fleet(&id).await;
    assert_eq!(rig.created(), 5, "the replacement, once: {fleet}");
    assert_eq!(fleet["orders"].as_array().unwrap().len(), steps, "{fleet}");
    assert!(fleet["reason"].is_null(), "{fleet}");
    // A person stops their own fleets: Bob cannot stop hers (nothing changes); she can.
    let bob = spotplan_proxy::people::add(&rig.state.store, "bob", 1).await.unwrap();
    // Her fleet's key is hers: Bob submitting under it is refused, and nothing of hers is shown to him.
    let (status, refused) = rig
        .send(
            reqwest::Client::new()
                .post(format!("{}/api/v1/fleets", rig.proxy))
                .header("authorization", format!("Bearer {bob}"))
                .header("idempotency-key", "fleet-0009-alice")
                .json(&crate::fleet(4, [2, 2, 0], "10")),
        )
        .await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (409, &json!("idempotency_key_of_another")),
        "{refused}"
    );
    assert!(refused.get("fleet").is_none());
    let stop_as = |key: &str| {
        reqwest::Client::new()
            .post(format!("{}/api/v1/fleets/{id}/stop", rig.proxy))
            .header("authorization", format!("Bearer {key}"))
            .json(&json!({ "release": true }))
    };
    let (status, refused) = rig.send(stop_as(&bob)).await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (403, &json!("not_yours")),
        "{refused}"
    );
    assert_eq!(rig.fleet(&id).await["state"], "maintaining", "unchanged");
    let (status, stopped) = rig.send(stop_as(&key)).await;
    assert_eq!(
        (status, &stopped["fleet"]["state"]),
        (200, &json!("stopped")),
        "{stopped}"
    );
}

/// Moves a fleet step's order back: its first logging by two hours (past the ClientToken window), its last
/// attempt by `last_attempt_minutes`.
/// A fleet order past the resend window whose lookup concludes nothing (the cloud's list unreadable) writes
/// nothing: it is looked up again a minute later, not at every round of the keeper (each lookup may be 50 list
/// calls).
#[tokio::test]
async fn an_unknown_fleet_order_whose_lookup_concludes_nothing_is_not_looked_up_every_round() {
    let rig = rig().await;
    let mut body = fleet(2, [2, 0, 0], "10");
    body["pools"][0]["order"]["image_id"] = json!("img-gateway502");
    let (status, first) = rig.submit(&body, "fleet-0012-unkn").await;
    assert_eq!(status, 201, "{first}");
    backdate(&rig, "fleet-0012-unkn_s0", 120).await;
    rig.standin.lifecycle.throttle_lists(1000);
    let before = rig.standin.lifecycle.lists();
    keep_once(&rig.state).await.unwrap();
    let looked_up = rig.standin.lifecycle.lists();
    assert!(looked_up > before, "looked up once");
    keep_once(&rig.state).await.unwrap();
    keep_once(&rig.state).await.unwrap();
    assert_eq!(rig.standin.lifecycle.lists(), looked_up, "not again within the minute");
    let id = first["fleet"]["id"].as_str().unwrap().to_owned();
    assert_eq!(rig.fleet(&id).await["orders"][0]["status"], "unknown");
}

async fn backdate(rig: &Rig, order_key: &str, last_attempt_minutes: i64) {
    use spotplan_proxy::sql::SqlValue;
    let changed = rig
        .state
        .store
        .execute(
            "UPDATE orders SET created_at_ms = created_at_ms - ?1, finished_at_ms = finished_at_ms - ?2 \
             WHERE idempotency_key = ?3"
                .into(),
            vec![
                SqlValue::from(2 * 60 * MINUTE_MS),
                SqlValue::from(last_attempt_minutes * MINUTE_MS),
                SqlValue::Text(Some(order_key.into())),
            ],
        )
        .await
        .unwrap();
    assert_eq!(changed, 1, "{order_key}");
}

/// A fleet order whose outcome is unknown (the stand-in creates the instances, then answers 502 on every attempt)
/// counts as live and is not retried within a minute of its last attempt. Past the ClientToken window the keeper
/// processes it again under its key, which looks it up by its tag: found, its instances count and nothing is
/// created twice. A second fleet's order whose instances are gone by then stays unknown while its last attempt is
/// recent, then is `not_found`, and the keeper orders its units afresh, once. A fleet that is not maintained is not
/// `placed` while an order's outcome is unknown.
#[tokio::test]
async fn a_fleet_order_with_an_unknown_outcome_is_looked_up_and_one_found_gone_is_ordered_afresh() {
    let rig = rig().await;
    let mut body = fleet(2, [2, 0, 0], "10");
    body["pools"][0]["order"]["image_id"] = json!("img-gateway502");
    let (status, first) = rig.submit(&body, "fleet-0009-unkn").await;
    assert_eq!(status, 201, "{first}");
    let id = first["fleet"]["id"].as_str().unwrap().to_owned();
    let fleet = rig.fleet(&id).await;
    assert_eq!(fleet["orders"][0]["status"], "unknown", "{fleet}");
    assert_eq!((units(&fleet), rig.created()), (2, 2), "{fleet}");
    let attempts = rig.standin.stats().attempts_by_token.values().sum::<u32>();
    keep_once(&rig.state).await.unwrap();
    assert_eq!(
        rig.standin.stats().attempts_by_token.values().sum::<u32>(),
        attempts,
        "not retried within a minute of its last attempt"
    );

    backdate(&rig, "fleet-0009-unkn_s0", 120).await;
    rig.round(2).await;
    let fleet = rig.fleet(&id).await;
    assert_eq!(fleet["orders"][0]["status"], "succeeded", "{fleet}");
    assert_eq!(fleet["orders"].as_array().unwrap().len(), 1, "{fleet}");
    assert_eq!(
        (fleet["running_units"].as_u64(), rig.created()),
        (Some(2), 2),
        "{fleet}"
    );
    assert_eq!(
        rig.standin.stats().attempts_by_token.values().sum::<u32>(),
        attempts,
        "found by its tag, not sent again"
    );

    // Gone before the keeper looks: `not_found`, and one fresh order for its two units.
    let (status, second) = rig.submit(&body, "fleet-0010-gone").await;
    assert_eq!(status, 201, "{second}");
    let gone_id = second["fleet"]["id"].as_str().unwrap().to_owned();
    assert_eq!(rig.created(), 4);
    let token = spotplan_core::order::idempotency::client_token_for("fleet-0010-gone_s0").unwrap();
    let vanished = rig.standin.stats().by_token[&token].clone();
    assert_eq!(vanished.len(), 2);
    for instance in &vanished {
        assert!(rig.standin.lifecycle.reclaim(instance));
    }
    // Its last attempt two minutes ago: processed again, looked up, none listed yet — too recent to conclude.
    backdate(&rig, "fleet-0010-gone_s0", 2).await;
    rig.round(60).await;
    let fleet = rig.fleet(&gone_id).await;
    assert_eq!(fleet["orders"][0]["status"], "unknown", "{fleet}");
    assert_eq!(
        (fleet["orders"].as_array().unwrap().len(), rig.created()),
        (1, 4),
        "{fleet}"
    );
    backdate(&rig, "fleet-0010-gone_s0", 120).await;
    rig.round(60).await;
    let fleet = rig.fleet(&gone_id).await;
    let orders = fleet["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 2, "{fleet}");
    assert_eq!(orders[0]["status"], "not_found", "{fleet}");
    assert_eq!(orders[1]["pool"]["zone"], "cn-hangzhou-h", "{fleet}");
    assert_eq!(rig.created(), 6, "its two units ordered once more: {fleet}");
    assert_eq!(units(&fleet), 2, "{fleet}");

    let mut once = body.clone();
    once["maintain"] = json!(false);
    let (status, third) = rig.submit(&once, "fleet-0011-once").await;
    assert_eq!(status, 201, "{third}");
    let once_id = third["fleet"]["id"].as_str().unwrap().to_owned();
    rig.round(1).await;
    let fleet = rig.fleet(&once_id).await;
    assert_eq!(fleet["state"], "placing", "{fleet}");
    assert_eq!(fleet["reason"]["kind"], "waiting_for_outcome", "{fleet}");
    assert_eq!(
        fleet["reason"]["en"],
        "waiting for the outcome of fleet-0011-once_s0 (unknown: processed again under its key every minute)",
        "{fleet}"
    );
    backdate(&rig, "fleet-0011-once_s0", 120).await;
    rig.round(1).await;
    let fleet = rig.fleet(&once_id).await;
    assert_eq!(
        (
            fleet["state"].as_str(),
            fleet["orders"][0]["status"].as_str(),
            fleet["reason"].is_null()
        ),
        (Some("placed"), Some("succeeded"), true),
        "{fleet}"
    );
}

/// Sets an order's status in the log by hand (what a replica that died mid-order, or the reconciler after it,
/// leaves there).
async fn set_status(rig: &Rig, order_key: &str, status: &str) {
    use spotplan_proxy::sql::SqlValue;
    let changed = rig
        .state
        .store
        .execute(
            "UPDATE orders SET status = ?1 WHERE idempotency_key = ?2".into(),
            vec![
                SqlValue::Text(Some(status.into())),
                SqlValue::Text(Some(order_key.into())),
            ],
        )
        .await
        .unwrap();
    assert_eq!(changed, 1, "{order_key}");
}

/// A fleet that is not maintained is not `placed` while one of its orders is still logged `pending` (a replica
/// died while sending it): placed, it would never order again if that order then turned out refused or
/// `not_found`, and would stay short for good. Once the order is resolved (here: unknown, then found by its tag)
/// the fleet is placed.
#[tokio::test]
async fn a_fleet_that_is_not_maintained_is_not_placed_while_an_order_is_still_pending() {
    let rig = rig().await;
    let mut body = fleet(2, [2, 0, 0], "10");
    body["pools"][0]["order"]["image_id"] = json!("img-gateway502");
    body["maintain"] = json!(false);
    let (status, first) = rig.submit(&body, "fleet-0012-pend").await;
    assert_eq!(status, 201, "{first}");
    let id = first["fleet"]["id"].as_str().unwrap().to_owned();
    set_status(&rig, "fleet-0012-pend_s0", "pending").await;
    rig.round(1).await;
    let fleet = rig.fleet(&id).await;
    assert_eq!(fleet["state"], "placing", "{fleet}");
    assert_eq!(fleet["reason"]["kind"], "waiting_for_outcome", "{fleet}");
    assert_eq!(
        fleet["reason"]["en"],
        "waiting for the outcome of fleet-0012-pend_s0 (pending: being sent, or resolved once its replica is gone)",
        "{fleet}"
    );
    assert_eq!(
        (units(&fleet), rig.created()),
        (2, 2),
        "its units count as on their way: {fleet}"
    );

    set_status(&rig, "fleet-0012-pend_s0", "unknown").await;
    backdate(&rig, "fleet-0012-pend_s0", 120).await;
    rig.round(1).await;
    let fleet = rig.fleet(&id).await;
    assert_eq!(
        (
            fleet["state"].as_str(),
            fleet["orders"][0]["status"].as_str(),
            rig.created()
        ),
        (Some("placed"), Some("succeeded"), 2),
        "{fleet}"
    );
}

/// A fleet whose cloud cannot be reached: its first order is `not_sent`, counts as on its way, and each keeper
/// round sends it again once — never 64 times back to back, and never an order around it.
#[tokio::test]
async fn an_order_that_could_not_be_sent_is_tried_once_a_round_and_nothing_is_ordered_around_it() {
    let (standin, _) = standin().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let rig = proxy(&tempdir(), standin, &closed).await;
    let (status, first) = rig.submit(&fleet(2, [2, 0, 0], "10"), "fleet-0012-down").await;
    assert_eq!(status, 201, "{first}");
    let id = first["fleet"]["id"].as_str().unwrap().to_owned();
    let attempts = |rig: &Rig| {
        let state = rig.state.clone();
        async move {
            state
                .store
                .by_key("fleet-0012-down_s0")
                .await
                .unwrap()
                .unwrap()
                .view
                .attempts
        }
    };
    let after_submit = attempts(&rig).await;
    assert!(after_submit >= 1);
    for round in 1..=3 {
        keep_once(&rig.state).await.unwrap();
        let fleet = rig.fleet(&id).await;
        assert_eq!(fleet["orders"].as_array().unwrap().len(), 1, "round {round}: {fleet}");
        assert_eq!(fleet["orders"][0]["status"], "not_sent", "{fleet}");
        assert_eq!(units(&fleet), 2, "its units are on their way: {fleet}");
        assert_eq!(
            attempts(&rig).await,
            after_submit * (1 + round),
            "round {round}: sent once more"
        );
    }
    assert_eq!(rig.created(), 0);
}

/// Stopping a fleet with `release` while an order's outcome is unknown: the fleet says which order it cannot
/// release yet; once that order is settled (looked up at the cloud), the keeper releases what it created —
/// nobody has to stop the fleet again — once, however often the stop is asked for.
#[tokio::test]
async fn a_stop_names_the_orders_it_cannot_release_yet_and_the_keeper_releases_them_once_settled() {
    let rig = rig().await;
    let mut body = fleet(2, [2, 0, 0], "10");
    body["pools"][0]["order"]["image_id"] = json!("img-gateway502");
    let (status, first) = rig.submit(&body, "fleet-0013-stop").await;
    assert_eq!(status, 201, "{first}");
    let id = first["fleet"]["id"].as_str().unwrap().to_owned();
    let order_id = rig.fleet(&id).await["orders"][0]["order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stop = || {
        rig.send(
            reqwest::Client::new()
                .post(format!("{}/api/v1/fleets/{id}/stop", rig.proxy))
                .header("x-spotplan-token", TOKEN)
                .json(&json!({ "release": true })),
        )
    };
    let (status, stopped) = stop().await;
    assert_eq!(status, 200, "{stopped}");
    assert_eq!(stopped["fleet"]["state"], "stopped");
    assert_eq!(stopped["fleet"]["reason"]["kind"], "stopped", "{stopped}");
    assert!(
        stopped["fleet"]["reason"]["en"].as_str().unwrap().starts_with(&format!(
            "its instances released — but the outcome of order(s) {order_id} is not known"
        )),
        "{stopped}"
    );
    let releases = || rig.standin.lifecycle.counts().0.values().sum::<u32>();
    assert_eq!(releases(), 0, "nothing known to release yet");

    // The order is looked up at the cloud: found, it succeeded with its two instances.
    let (status, found) = rig
        .send(
            reqwest::Client::new()
                .post(format!("{}/api/v1/orders/{order_id}/lookup", rig.proxy))
                .header("x-spotplan-token", TOKEN)
                .json(&json!({})),
        )
        .await;
    assert_eq!(
        (status, &found["record"]["status"]),
        (200, &json!("succeeded")),
        "{found}"
    );
    keep_once(&rig.state).await.unwrap();
    assert_eq!(
        releases(),
        2,
        "the keeper released what the stopped fleet's order created"
    );
    for _ in 0..3 {
        keep_once(&rig.state).await.unwrap();
        let (status, again) = stop().await;
        assert_eq!(status, 200, "{again}");
    }
    assert_eq!(releases(), 2, "its two instances released, once");
}

/// An instance of a maintained fleet whose release is asked (and not yet seen to take) still counts toward the
/// target: the keeper orders no replacement for it. Ordered one, and then had the release not taken (the follower
/// puts the instance back to running after ten minutes), the fleet would stay a unit over its target for good.
#[tokio::test]
async fn an_instance_being_released_is_not_replaced_before_its_release_takes() {
    let rig = rig().await;
    let (status, placed) = rig.submit(&fleet(2, [2, 0, 0], "10"), "fleet-0020-rels").await;
    assert_eq!(status, 201, "{placed}");
    let id = placed["fleet"]["id"].as_str().unwrap().to_owned();
    rig.round(2).await;
    let fleet_now = rig.fleet(&id).await;
    assert_eq!(
        (fleet_now["running_units"].as_u64(), rig.created()),
        (Some(2), 2),
        "{fleet_now}"
    );

    // A release of one of them is logged eleven minutes ago and never reached the cloud (the proxy died).
    let running = rig.live_ids(&id).await;
    let target = spotplan_proxy::instance_book::all(&rig.state.store)
        .await
        .unwrap()
        .into_iter()
        .find(|row| row.id == running[0])
        .unwrap();
    let now = spotplan_proxy::upstream::now_unix_millis();
    spotplan_proxy::instance_book::log_release(
        &rig.state.store,
        "release-0020-lost",
        "hash",
        vec![target],
        spotplan_core::lifecycle::ReleaseOptions::default(),
        now - 11 * MINUTE_MS,
        None,
    )
    .await
    .unwrap();
    keep_once(&rig.state).await.unwrap();
    assert_eq!(rig.created(), 2, "no replacement while the release may still take");
    // The cloud still runs it ten minutes on: the release did not take, and the fleet is at its target.
    rig.round(1).await;
    rig.round(1).await;
    let fleet_now = rig.fleet(&id).await;
    assert_eq!(
        (fleet_now["running_units"].as_u64(), rig.created()),
        (Some(2), 2),
        "at its target, not over it: {fleet_now}"
    );
}

/// Reclaims one of the fleet's live instances and lets the keeper see it: the fleet, which must go on maintaining,
/// waiting over a budget or ceiling its reason names in `words`.
async fn reclaim_one_and_see_it_wait(rig: &Rig, id: &str, words: &str) -> Value {
    let live = rig.live_ids(id).await;
    rig.standin.lifecycle.reclaim(&live[0]);
    rig.round(10).await;
    rig.round(1).await;
    let fleet = rig.fleet(id).await;
    assert_eq!(fleet["state"], "maintaining", "{fleet}");
    let reason = &fleet["reason"];
    assert_eq!(
        (reason["kind"].as_str(), reason["waiting"].as_bool()),
        (Some("over_budget"), Some(true)),
        "{fleet}"
    );
    assert!(
        reason["en"].as_str().unwrap().contains(words),
        "the reason names the limit: {fleet}"
    );
    fleet
}

/// Moves every logged order two hours into the past (out of the hourly ceiling's window); how many it moved.
async fn age_orders_two_hours(rig: &Rig) -> u64 {
    rig.state
        .store
        .execute(
            "UPDATE orders SET created_at_ms = created_at_ms - 7200000, finished_at_ms = finished_at_ms - 7200000"
                .to_owned(),
            Vec::new(),
        )
        .await
        .unwrap()
}

/// Sets a person's budget per hour, in CNY, with none per month.
async fn set_hourly_budget(rig: &Rig, person: &str, per_hour: rust_decimal::Decimal) {
    let budget = spotplan_proxy::people::Budget {
        per_hour: Some(spotplan_core::Money::new(per_hour, spotplan_core::Currency::Cny)),
        per_month: None,
    };
    spotplan_proxy::people::set_budget(&rig.state.store, Some(person), &budget)
        .await
        .unwrap();
}

/// A replacement step written when it fitted under the fleet's ceiling, then held back (here by the proxy's hourly
/// ceiling) while the pool's price rose, is not sent at the new price past the fleet's ceiling: the fleet waits
/// under its ceiling. Sent as first written, the fleet's bound went past its ceiling.
#[tokio::test]
async fn a_held_step_is_not_sent_past_the_fleets_ceiling_after_the_price_rose() {
    // Two instances, and room under the fleet's ceiling for one more at today's price.
    let (rig, id, times) = market_fleet(2, 25, 25, "fleet-held-step-0001").await;
    // A reclaim: the replacement's step is written, and held by the proxy's hourly ceiling.
    reclaim_one_and_see_it_wait(&rig, &id, "SPOTPLAN_MAX_SPEND_PER_HOUR").await;
    assert_eq!(
        rig.fleet(&id).await["orders"].as_array().unwrap().len(),
        2,
        "one order, one held step"
    );
    // Meanwhile the account's list price doubles.
    common::raise_list_price(&rig.state.store, ZONES[2], rust_decimal::Decimal::TWO).await;
    // An hour on, the proxy's ceiling has room; the fleet's has not: one live instance and the replacement at twice
    // the price is three times the old bound, over 2.5.
    age_orders_two_hours(&rig).await;
    rig.round(1).await;
    rig.round(1).await;
    assert_eq!(rig.created(), 2, "no replacement past the fleet's ceiling");
    let fleet_now = rig.fleet(&id).await;
    assert_eq!(
        (
            fleet_now["reason"]["kind"].as_str(),
            fleet_now["reason"]["waiting"].as_bool()
        ),
        (Some("waiting_under_ceiling"), Some(true)),
        "{fleet_now}"
    );
    let bound: rust_decimal::Decimal = fleet_now["hourly_bound"]["amount"].as_str().unwrap().parse().unwrap();
    assert!(bound > times(25), "the held step counts at today's price: {fleet_now}");
}

/// A held replacement step of two that no longer fits under the fleet's ceiling at today's price, while one would,
/// is made a step of one and sent (nothing under its key was logged): the fleet gets what fits instead of waiting
/// for prices to fall.
#[tokio::test]
async fn a_held_step_that_no_longer_fits_is_made_smaller_and_sent() {
    let (rig, id, times) = market_fleet(3, 35, 36, "fleet-held-step-0002").await;
    // Two reclaims: a replacement step of two is written and held by the proxy's hourly ceiling (5 of 3.5).
    let live = rig.live_ids(&id).await;
    rig.standin.lifecycle.reclaim(&live[0]);
    rig.standin.lifecycle.reclaim(&live[1]);
    rig.round(10).await;
    rig.round(1).await;
    let held = rig.fleet(&id).await;
    assert_eq!(held["reason"]["kind"], "over_budget", "{held}");
    assert_eq!(held["orders"][1]["count"], 2, "{held}");
    assert!(held["orders"][1]["order_id"].is_null(), "{held}");
    // The price rises by half: two would bring the fleet to 1 + 2 × 1.5 = 4 of its 3.6; one fits (2.5).
    common::raise_list_price(&rig.state.store, ZONES[2], rust_decimal::Decimal::new(15, 1)).await;
    age_orders_two_hours(&rig).await;
    rig.round(1).await;
    assert_eq!(rig.created(), 4, "one replacement, the one that fits");
    let fleet_now = rig.fleet(&id).await;
    assert_eq!(fleet_now["orders"][1]["count"], 1, "{fleet_now}");
    let bound: rust_decimal::Decimal = fleet_now["hourly_bound"]["amount"].as_str().unwrap().parse().unwrap();
    assert!(bound <= times(36), "within the fleet's ceiling: {fleet_now}");
}

/// A maintained fleet of `target` market-bid `ecs.c7.xlarge` instances in one pool, placed and running, under the
/// proxy's hourly ceiling and the fleet's ceiling at `hourly` and `ceiling` tenths of one instance's bound: the
/// rig, the fleet's id, and what that many tenths of the bound are.
async fn market_fleet(
    target: u32,
    hourly: i64,
    ceiling: i64,
    key: &str,
) -> (Rig, String, impl Fn(i64) -> rust_decimal::Decimal) {
    let mut market = pool(ZONES[2], target);
    market["order"]["bid"] = json!({ "mode": "market", "spot_duration_hours": 1 });
    let one: spotplan_core::order::SpotOrder = serde_json::from_value(market["order"].clone()).unwrap();
    let catalog = spotplan_core::catalog::Catalog::embedded().unwrap();
    let fx = spotplan_core::ExchangeRate::default();
    let each = spotplan_proxy::spend::hourly_bound(&one, one.account_currency, Some(&catalog), &fx)
        .unwrap()
        .per_hour;
    let times = move |tenths: i64| {
        each.amount
            .checked_mul(rust_decimal::Decimal::new(tenths, 1))
            .unwrap()
            .round_dp(4)
    };
    let (standin, address) = standin().await;
    let hourly = spotplan_core::Money::new(times(hourly), each.currency);
    let rig = proxy_with(&tempdir(), standin, &address, |config| {
        config.spend.max_spend_per_hour = Some(hourly);
    })
    .await;
    let body = json!({
        "name": "market fleet",
        "target": target,
        "unit": "instances",
        "maintain": true,
        "ceiling_per_hour": { "amount": times(ceiling).to_string(), "currency": "CNY" },
        "pools": [market],
    });
    let (status, placed) = rig.submit(&body, key).await;
    assert_eq!(status, 201, "{placed}");
    let id = placed["fleet"]["id"].as_str().unwrap().to_owned();
    rig.round(2).await;
    assert_eq!(rig.created(), target as usize);
    (rig, id, times)
}

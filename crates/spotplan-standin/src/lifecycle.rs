//! The stand-in plays the lifecycle: each instance it created keeps a clock — pending, then running after
//! [`Lifecycle::pending_for`] (or `LAUNCH_FAILED` on Tencent when the image asks for it with `launchfail`) — answers
//! the describe call, takes releases (counting each per instance, deduplicating on the release token like the
//! cloud), and plays reclaims, stops and starts, throttling and instances started elsewhere on request through
//! `/__standin/*` controls. Its clock can be moved
//! forward (`/__standin/advance?ms=`), so tests walk through time without sleeping.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::{Kind, Standin, error, request_id, verify};

/// One instance the stand-in created.
#[derive(Debug, Clone)]
struct Instance {
    created_ms: i64,
    launch_fails: bool,
    released: bool,
    reclaim_notice_ms: Option<i64>,
    /// Stopped: on Alibaba by its reclaim with `SpotInterruptionBehavior=Stop` (economical mode, compute not
    /// billed); on Tencent and Baidu stopped as the console would (billing on).
    stopped: bool,
    /// Started pay-as-you-go, not as spot: the region's list reports it with the cloud's non-spot marker.
    on_demand: bool,
    /// The tags it was created with (key, value).
    tags: Vec<(String, String)>,
}

/// The instances and the lifecycle controls.
#[derive(Debug, Default)]
pub struct Book {
    instances: BTreeMap<String, Instance>,
    /// Release calls each instance received.
    pub releases: BTreeMap<String, u32>,
    release_tokens: HashSet<String>,
    /// Describe calls to answer with the cloud's throttling code.
    throttle_describes: u32,
    /// Release calls to answer with the cloud's throttling code (acting on nothing).
    throttle_releases: u32,
    /// Release calls to let through before `throttle_releases` starts counting.
    throttle_releases_after: u32,
    /// Refuse a release call, as a whole, that names an instance still pending (each cloud's state code).
    refuse_pending_releases: bool,
    /// Order calls to answer with the cloud's throttling code (creating nothing).
    throttle_orders: u32,
    /// Describe calls to answer with these (status, body) instead: what a gateway or a broken answer looks like.
    garbled_describes: Vec<(u16, String)>,
    /// Describe calls received.
    pub describes: u32,
    /// List calls (a describe naming no ids: a region's list, a lookup by tag) to answer with the cloud's
    /// throttling code.
    throttle_lists: u32,
    /// List calls received.
    pub lists: u32,
    /// The options of the last release acted on (Alibaba `Force`, Baidu's flags; Tencent takes none).
    pub last_release_options: Value,
    /// Milliseconds the stand-in's clock runs ahead of the wall clock.
    offset_ms: i64,
    /// Reclaim at a rate: every this long (on the stand-in's clock) the oldest running instance gets a notice.
    reclaim_every: Option<Duration>,
    /// Baidu: each bid order's instances, and the cancellations each order received.
    orders: BTreeMap<String, Vec<String>>,
    /// Baidu: `cancelBidOrder` calls acted on, per order.
    pub cancels: BTreeMap<String, u32>,
}

/// The lifecycle settings and book of a stand-in.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    /// How long a new instance stays pending.
    pub pending_for: Duration,
    /// How long a reclaim notice runs before the instance is gone.
    pub notice_for: Duration,
    /// How long a release takes to answer after it has acted.
    pub release_delay: Duration,
    book: Arc<Mutex<Book>>,
}

impl Default for Lifecycle {
    fn default() -> Lifecycle {
        Lifecycle {
            pending_for: Duration::from_secs(2),
            notice_for: Duration::from_secs(5 * 60),
            release_delay: Duration::ZERO,
            book: Arc::default(),
        }
    }
}

impl Lifecycle {
    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn now_ms(&self) -> i64 {
        wall_ms() + self.book().offset_ms
    }

    /// Records instances an order created.
    pub fn created(&self, ids: &[String], image: &str) {
        self.insert(ids, image, false, &[]);
    }

    /// Records instances an order created with its tags.
    pub fn created_with_tags(&self, ids: &[String], image: &str, tags: &[(String, String)]) {
        self.insert(ids, image, false, tags);
    }

    /// Records pay-as-you-go instances started outside Spotplan: the account has them, they are not spot.
    pub fn created_on_demand(&self, ids: &[String]) {
        self.insert(ids, "", true, &[]);
    }

    fn insert(&self, ids: &[String], image: &str, on_demand: bool, tags: &[(String, String)]) {
        let now = self.now_ms();
        let mut book = self.book();
        for id in ids {
            book.instances.entry(id.clone()).or_insert(Instance {
                created_ms: now,
                launch_fails: image.contains("launchfail"),
                released: false,
                reclaim_notice_ms: None,
                stopped: false,
                on_demand,
                tags: tags.to_vec(),
            });
        }
    }

    /// Changes the instance `id` with `change`; false when the stand-in does not know it.
    fn with_instance(&self, id: &str, change: impl FnOnce(&mut Instance)) -> bool {
        self.book().instances.get_mut(id).map(change).is_some()
    }

    /// Moves the stand-in's clock forward.
    pub fn advance(&self, ms: i64) {
        self.book().offset_ms += ms.max(0);
    }

    /// Releases an instance as the console would, behind the proxy's back; false when the stand-in does not know it.
    pub fn release_elsewhere(&self, id: &str) -> bool {
        self.with_instance(id, |instance| instance.released = true)
    }

    /// Stops an instance (on Alibaba: its reclaim, with the Stop behaviour); false when the stand-in does not know it.
    pub fn stop(&self, id: &str) -> bool {
        self.with_instance(id, |instance| instance.stopped = true)
    }

    /// Starts a stopped instance again, as the console would; false when the stand-in does not know it.
    pub fn start(&self, id: &str) -> bool {
        self.with_instance(id, |instance| instance.stopped = false)
    }

    /// Gives an instance a reclaim notice now; false when the stand-in does not know it.
    pub fn reclaim(&self, id: &str) -> bool {
        let now = self.now_ms();
        match self.book().instances.get_mut(id) {
            Some(instance) => {
                instance.reclaim_notice_ms = Some(now);
                true
            }
            None => false,
        }
    }

    /// The next describe calls get these answers, one each (a gateway's page, an object without the list).
    pub fn garble_describes(&self, answers: &[(u16, &str)]) {
        self.book().garbled_describes = answers
            .iter()
            .map(|(status, body)| (*status, (*body).to_owned()))
            .collect();
    }

    /// The next `count` describe calls get the cloud's throttling answer.
    pub fn throttle(&self, count: u32) {
        self.book().throttle_describes = count;
    }

    /// The next `count` order calls get the cloud's throttling answer and create nothing.
    pub fn throttle_orders(&self, count: u32) {
        self.book().throttle_orders = count;
    }

    /// Whether this order call is one to throttle (counting it down).
    pub(crate) fn order_throttled(&self) -> bool {
        let mut book = self.book();
        let throttled = book.throttle_orders > 0;
        book.throttle_orders = book.throttle_orders.saturating_sub(1);
        throttled
    }

    /// The next `count` release calls get the cloud's throttling answer and release nothing.
    pub fn throttle_releases(&self, count: u32) {
        self.book().throttle_releases = count;
    }

    /// After the next `after` release calls, `count` calls get the cloud's throttling answer and release nothing.
    pub fn throttle_releases_after(&self, after: u32, count: u32) {
        let mut book = self.book();
        book.throttle_releases_after = after;
        book.throttle_releases = count;
    }

    /// From now on, a release call naming an instance still pending is refused as a whole, releasing none (the
    /// clouds refuse the call, not the id): Tencent `UnsupportedOperation.InstanceStatePending`, Alibaba
    /// `IncorrectInstanceStatus`, Baidu `Instance.ReleaseWhileCreating`.
    pub fn refuse_pending_releases(&self) {
        self.book().refuse_pending_releases = true;
    }

    /// Baidu: remembers which instances a bid order created, for `cancelBidOrder`.
    pub fn ordered(&self, order_id: &str, ids: &[String]) {
        self.book().orders.insert(order_id.to_owned(), ids.to_vec());
    }

    /// Reclaims at a rate from now on: every `every` the oldest running instance gets a notice (`None`: never).
    pub fn reclaim_every(&self, every: Option<Duration>) {
        self.book().reclaim_every = every.filter(|every| !every.is_zero());
    }

    /// Gives notices due under [`Lifecycle::reclaim_every`]: one per period since the first instance was created,
    /// each to the oldest running instance without one.
    fn reclaim_at_rate(&self) {
        let now = self.now_ms();
        let (pending_for, notice_for) = (self.pending_for, self.notice_for);
        let mut book = self.book();
        let Some(every) = book.reclaim_every else { return };
        let Some(start) = book.instances.values().map(|instance| instance.created_ms).min() else {
            return;
        };
        let due = ((now - start) / every.as_millis() as i64).max(0) as usize;
        let given = book
            .instances
            .values()
            .filter(|instance| instance.reclaim_notice_ms.is_some())
            .count();
        for _ in given..due {
            let oldest = book
                .instances
                .values_mut()
                .filter(|instance| matches!(phase(instance, now, pending_for, notice_for), Phase::Running))
                .min_by_key(|instance| instance.created_ms);
            match oldest {
                Some(instance) => instance.reclaim_notice_ms = Some(now),
                None => break,
            }
        }
    }

    /// Baidu: `cancelBidOrder` calls acted on, per order.
    pub fn cancels(&self) -> BTreeMap<String, u32> {
        self.book().cancels.clone()
    }

    /// Release calls per instance, and describe calls, so far.
    pub fn counts(&self) -> (BTreeMap<String, u32>, u32) {
        let book = self.book();
        (book.releases.clone(), book.describes)
    }

    /// The next `count` list calls (no ids: a region's list, a lookup by tag) get the cloud's throttling answer.
    pub fn throttle_lists(&self, count: u32) {
        self.book().throttle_lists = count;
    }

    /// List calls received.
    pub fn lists(&self) -> u32 {
        self.book().lists
    }
}

fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// What the instance is now, in the stand-in's clock.
enum Phase {
    Pending,
    Running,
    LaunchFailed,
    Noticed,
    Stopped,
    Gone,
}

fn phase(instance: &Instance, now: i64, pending_for: Duration, notice_for: Duration) -> Phase {
    if instance.released {
        return Phase::Gone;
    }
    if instance.stopped {
        return Phase::Stopped;
    }
    if let Some(notice) = instance.reclaim_notice_ms {
        return if now >= notice + notice_for.as_millis() as i64 {
            Phase::Gone
        } else {
            Phase::Noticed
        };
    }
    if now < instance.created_ms + pending_for.as_millis() as i64 {
        Phase::Pending
    } else if instance.launch_fails {
        Phase::LaunchFailed
    } else {
        Phase::Running
    }
}

/// Whether `action` is `kind`'s release call.
pub(crate) fn is_release(kind: Kind, action: &str) -> bool {
    matches!(
        (kind, action),
        (Kind::Alibaba, "DeleteInstances") | (Kind::Tencent, "TerminateInstances") | (Kind::Baidu, "batchDelete")
    )
}

/// Answers the lifecycle calls (describe, release) of `kind`; `None` for any other call.
pub(crate) fn answer(standin: &Standin, action: &str, received: &verify::Received<'_>) -> Option<Response> {
    let kind = standin.kind;
    let describe = matches!(
        (kind, action, received.method),
        (Kind::Alibaba | Kind::Tencent, "DescribeInstances", _) | (Kind::Baidu, "instance", "GET")
    );
    let release = is_release(kind, action);
    if kind == Kind::Baidu && action == "cancelBidOrder" {
        let body: Value = serde_json::from_slice(received.body).unwrap_or(Value::Null);
        return Some(cancel_answer(standin, body["orderId"].as_str().unwrap_or_default()));
    }
    if !describe && !release {
        return None;
    }
    let query = verify::query_map(received.raw_query);
    let body: Value = serde_json::from_slice(received.body).unwrap_or(Value::Null);
    // A describe without ids lists every instance, a page at a time (Alibaba NextToken, Tencent Offset/Limit,
    // Baidu marker/maxKeys).
    if describe {
        let listing = match kind {
            Kind::Alibaba => !query.contains_key("InstanceIds"),
            Kind::Tencent => body.get("InstanceIds").is_none(),
            Kind::Baidu => !query.contains_key("instanceIds"),
        };
        if listing {
            return Some(list_answer(standin, &query, &body));
        }
    }
    let ids: Vec<String> = match kind {
        Kind::Alibaba if describe => query
            .get("InstanceIds")
            .and_then(|list| serde_json::from_str(list).ok())
            .unwrap_or_default(),
        Kind::Alibaba => (1..=100)
            .map_while(|n| query.get(&format!("InstanceId.{n}")).cloned())
            .collect(),
        Kind::Tencent => serde_json::from_value(body["InstanceIds"].clone()).unwrap_or_default(),
        Kind::Baidu if describe => query
            .get("instanceIds")
            .map(|list| list.split(',').filter(|id| !id.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default(),
        Kind::Baidu => serde_json::from_value(body["instanceIds"].clone()).unwrap_or_default(),
    };
    Some(if describe {
        describe_answer(standin, &ids)
    } else {
        release_answer(standin, &ids, &query, &body)
    })
}

fn describe_answer(standin: &Standin, ids: &[String]) -> Response {
    let garbled = {
        let mut book = standin.lifecycle.book();
        (!book.garbled_describes.is_empty()).then(|| book.garbled_describes.remove(0))
    };
    if let Some((status, body)) = garbled {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
        return (status, [(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response();
    }
    match describe_json(standin, ids) {
        Ok(body) => (StatusCode::OK, axum::Json(body)).into_response(),
        Err(throttled) => *throttled,
    }
}

/// The cloud's throttling answer: the gateway refused before the service acted.
pub(crate) fn throttled(kind: Kind) -> Response {
    match kind {
        Kind::Alibaba => error(
            kind,
            StatusCode::BAD_REQUEST,
            "Throttling.User",
            "Request was denied due to user flow control.",
        ),
        Kind::Tencent => error(
            kind,
            StatusCode::OK,
            "RequestLimitExceeded",
            "Your current request times exceed the limit.",
        ),
        Kind::Baidu => error(
            kind,
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "too many requests",
        ),
    }
}

/// The describe answer's JSON for `ids`, or the cloud's throttling answer.
fn describe_json(standin: &Standin, ids: &[String]) -> Result<Value, Box<Response>> {
    let (kind, lifecycle) = (standin.kind, &standin.lifecycle);
    lifecycle.reclaim_at_rate();
    {
        let mut book = lifecycle.book();
        book.describes += 1;
        if book.throttle_describes > 0 {
            book.throttle_describes -= 1;
            return Err(Box::new(throttled(kind)));
        }
    }
    let now = lifecycle.now_ms();
    let book = lifecycle.book();
    let created = |instance: &Instance| spotplan_core::time::format_iso8601(instance.created_ms / 1000);
    let mut found = Vec::new();
    for id in ids {
        let Some(instance) = book.instances.get(id) else {
            continue;
        };
        let phase = phase(instance, now, lifecycle.pending_for, lifecycle.notice_for);
        let row = match (kind, phase) {
            (_, Phase::Gone) => continue,
            (Kind::Alibaba, phase) => {
                let (status, locks) = match phase {
                    Phase::Pending => ("Pending", json!([])),
                    Phase::Noticed => (
                        "Running",
                        json!([{ "LockReason": "Recycling", "LockMsg": "The spot instance is about to be reclaimed." }]),
                    ),
                    Phase::Stopped => (
                        "Stopped",
                        json!([{ "LockReason": "Recycling", "LockMsg": "The spot instance was reclaimed and stopped." }]),
                    ),
                    _ => ("Running", json!([])),
                };
                json!({ "InstanceId": id, "Status": status, "ZoneId": "cn-hangzhou-k", "InstanceType": "ecs.c7.xlarge",
                        // ECS reports creation to the minute.
                        "CreationTime": created(instance).chars().take(16).collect::<String>() + "Z",
                        "SpotStrategy": if instance.on_demand { "NoSpot" } else { "SpotWithPriceLimit" },
                        "OperationLocks": { "LockReason": locks },
                        "SpotInterruptionBehavior": if matches!(phase, Phase::Stopped) { "Stop" } else { "Terminate" },
                        "Tags": { "Tag": tags_json(instance, "TagKey", "TagValue") } })
            }
            (Kind::Tencent, phase) => {
                let state = match phase {
                    Phase::Pending => "PENDING",
                    Phase::LaunchFailed => "LAUNCH_FAILED",
                    Phase::Stopped => "STOPPED",
                    _ => "RUNNING",
                };
                let mut row = json!({ "InstanceId": id, "InstanceState": state, "Placement": { "Zone": "ap-guangzhou-6" },
                                      "InstanceType": "S5.MEDIUM4", "CreatedTime": created(instance),
                                      "Tags": tags_json(instance, "Key", "Value"),
                                      "InstanceChargeType": if instance.on_demand { "POSTPAID_BY_HOUR" } else { "SPOTPAID" } });
                if matches!(phase, Phase::LaunchFailed) {
                    row["LatestOperationState"] = json!("FAILED");
                    row["LatestOperationErrorMsg"] =
                        json!("ResourceInsufficient.SpecifiedInstanceType: sold out after the order was accepted");
                }
                row
            }
            (Kind::Baidu, phase) => {
                let status = match phase {
                    Phase::Pending => "Starting",
                    Phase::Stopped => "Stopped",
                    _ => "Running",
                };
                json!({ "id": id, "status": status, "zoneName": "cn-bj-d", "spec": "bcc.g5.c2m8", "createTime": created(instance),
                        "paymentTiming": if instance.on_demand { "Postpaid" } else { "bidding" },
                        "tags": tags_json(instance, "tagKey", "tagValue") })
            }
        };
        found.push(row);
    }
    let body = match kind {
        Kind::Alibaba => json!({ "RequestId": request_id(), "Instances": { "Instance": found } }),
        Kind::Tencent => {
            json!({ "Response": { "TotalCount": found.len(), "InstanceSet": found, "RequestId": request_id() } })
        }
        Kind::Baidu => json!({ "marker": "", "isTruncated": false, "maxKeys": 100, "instances": found }),
    };
    Ok(body)
}

/// An instance's tags as the cloud lists them: `[{<key_name>: key, <value_name>: value}]`.
fn tags_json(instance: &Instance, key_name: &str, value_name: &str) -> Value {
    instance
        .tags
        .iter()
        .map(|(key, value)| json!({ key_name: key, value_name: value }))
        .collect()
}

/// The tag a list asks for, as the cloud takes it: Alibaba `Tag.1.Key`/`Tag.1.Value`, Tencent a `tag:<key>`
/// filter (Baidu's list is read whole).
fn tag_filter(kind: Kind, query: &std::collections::HashMap<String, String>, body: &Value) -> Option<(String, String)> {
    match kind {
        Kind::Alibaba => Some((query.get("Tag.1.Key")?.clone(), query.get("Tag.1.Value")?.clone())),
        Kind::Tencent => body["Filters"].as_array()?.iter().find_map(|filter| {
            let key = filter["Name"].as_str()?.strip_prefix("tag:")?;
            Some((key.to_owned(), filter["Values"][0].as_str()?.to_owned()))
        }),
        Kind::Baidu => None,
    }
}

fn list_answer(standin: &Standin, query: &std::collections::HashMap<String, String>, body: &Value) -> Response {
    // The cloud lists the instances that exist: released and reclaimed ones are not counted or paged over.
    let lifecycle = &standin.lifecycle;
    {
        let mut book = lifecycle.book();
        book.lists += 1;
        if book.throttle_lists > 0 {
            book.throttle_lists -= 1;
            return throttled(standin.kind);
        }
    }
    let now = lifecycle.now_ms();
    let wanted_tag = tag_filter(standin.kind, query, body);
    let all: Vec<String> = lifecycle
        .book()
        .instances
        .iter()
        .filter(|(_, instance)| {
            !matches!(
                phase(instance, now, lifecycle.pending_for, lifecycle.notice_for),
                Phase::Gone
            )
        })
        .filter(|(_, instance)| wanted_tag.as_ref().is_none_or(|tag| instance.tags.contains(tag)))
        .map(|(id, _)| id.clone())
        .collect();
    let (offset, limit) = match standin.kind {
        Kind::Alibaba => (
            query.get("NextToken").and_then(|token| token.parse().ok()).unwrap_or(0),
            100,
        ),
        // Baidu's marker is the id the page starts at; maxKeys at most 1000.
        Kind::Baidu => (
            query
                .get("marker")
                .and_then(|marker| all.iter().position(|id| id == marker))
                .unwrap_or(0),
            query
                .get("maxKeys")
                .and_then(|keys| keys.parse().ok())
                .unwrap_or(1000usize)
                .clamp(1, 1000),
        ),
        Kind::Tencent => (
            body["Offset"].as_u64().unwrap_or(0) as usize,
            body["Limit"].as_u64().unwrap_or(20).min(100) as usize,
        ),
    };
    let page: Vec<String> = all.iter().skip(offset).take(limit).cloned().collect();
    let mut json = match describe_json(standin, &page) {
        Ok(json) => json,
        Err(throttled) => return *throttled,
    };
    let more = offset + page.len() < all.len();
    // The paging fields each cloud adds.
    match standin.kind {
        Kind::Alibaba => {
            json["NextToken"] = json!(if more {
                (offset + page.len()).to_string()
            } else {
                String::new()
            });
        }
        Kind::Baidu => {
            let next = all.get(offset + page.len());
            json["marker"] = json!(query.get("marker").cloned().unwrap_or_default());
            json["maxKeys"] = json!(limit);
            json["isTruncated"] = json!(next.is_some());
            if let Some(next) = next {
                json["nextMarker"] = json!(next);
            }
        }
        Kind::Tencent => json["Response"]["TotalCount"] = json!(all.len()),
    }
    (StatusCode::OK, axum::Json(json)).into_response()
}

fn release_answer(
    standin: &Standin,
    ids: &[String],
    query: &std::collections::HashMap<String, String>,
    body: &Value,
) -> Response {
    let (kind, lifecycle) = (standin.kind, &standin.lifecycle);
    let token = match kind {
        Kind::Alibaba => query.get("ClientToken").cloned(),
        Kind::Baidu => query.get("clientToken").cloned(),
        Kind::Tencent => None,
    };
    let now = lifecycle.now_ms();
    let mut book = lifecycle.book();
    if book.throttle_releases_after > 0 {
        book.throttle_releases_after -= 1;
    } else if book.throttle_releases > 0 {
        book.throttle_releases -= 1;
        return throttled(kind);
    }
    let pending = ids.iter().find(|id| {
        book.instances.get(*id).is_some_and(|instance| {
            !instance.released
                && matches!(
                    phase(instance, now, lifecycle.pending_for, lifecycle.notice_for),
                    Phase::Pending
                )
        })
    });
    if book.refuse_pending_releases
        && let Some(id) = pending
    {
        return match kind {
            Kind::Alibaba => error(
                kind,
                StatusCode::FORBIDDEN,
                "IncorrectInstanceStatus",
                &format!("The current status of the resource does not support this operation: {id}."),
            ),
            Kind::Tencent => error(
                kind,
                StatusCode::OK,
                "UnsupportedOperation.InstanceStatePending",
                &format!("The instance `{id}` is pending."),
            ),
            Kind::Baidu => error(
                kind,
                StatusCode::BAD_REQUEST,
                "Instance.ReleaseWhileCreating",
                &format!("instance {id} is being created"),
            ),
        };
    }
    // Like the cloud: the same token again is the same release, answered as before and not acted on.
    if let Some(token) = &token
        && !book.release_tokens.insert(token.clone())
    {
        return success(kind);
    }
    let unknown: Vec<&String> = ids
        .iter()
        .filter(|id| book.instances.get(*id).is_none_or(|instance| instance.released))
        .collect();
    if let Some(id) = unknown.first() {
        return match kind {
            Kind::Alibaba => error(
                kind,
                StatusCode::NOT_FOUND,
                "InvalidInstanceId.NotFound",
                &format!("The specified instance {id} does not exist."),
            ),
            Kind::Tencent => error(
                kind,
                StatusCode::OK,
                "InvalidInstanceId.NotFound",
                &format!("The instance `{id}` does not exist."),
            ),
            Kind::Baidu => error(
                kind,
                StatusCode::NOT_FOUND,
                "InstanceNotFound",
                &format!("instance {id} not found"),
            ),
        };
    }
    book.last_release_options = match kind {
        Kind::Alibaba => json!({ "Force": query.get("Force") }),
        Kind::Tencent => json!({}),
        Kind::Baidu => {
            json!({ "relatedReleaseFlag": body["relatedReleaseFlag"], "deleteCdsSnapshotFlag": body["deleteCdsSnapshotFlag"] })
        }
    };
    for id in ids {
        *book.releases.entry(id.clone()).or_default() += 1;
        if let Some(instance) = book.instances.get_mut(id) {
            instance.released = true;
        }
    }
    success(kind)
}

/// Baidu's `cancelBidOrder`: the order's instances that have not started are gone; one that has started, or an
/// order it does not know, is refused with BCC's words.
fn cancel_answer(standin: &Standin, order_id: &str) -> Response {
    let lifecycle = &standin.lifecycle;
    let now = lifecycle.now_ms();
    let (pending_for, notice_for) = (lifecycle.pending_for, lifecycle.notice_for);
    let mut book = lifecycle.book();
    let Some(ids) = book.orders.get(order_id).cloned() else {
        return error(
            Kind::Baidu,
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "query order is null.",
        );
    };
    let started = ids.iter().any(|id| {
        book.instances
            .get(id)
            .is_some_and(|instance| !matches!(phase(instance, now, pending_for, notice_for), Phase::Pending))
    });
    if started {
        return error(
            Kind::Baidu,
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "the bid order is already fulfilled.",
        );
    }
    *book.cancels.entry(order_id.to_owned()).or_default() += 1;
    for id in &ids {
        if let Some(instance) = book.instances.get_mut(id) {
            instance.released = true;
        }
    }
    (StatusCode::OK, axum::Json(json!({ "orderId": order_id }))).into_response()
}

fn success(kind: Kind) -> Response {
    let body = match kind {
        Kind::Alibaba => json!({ "RequestId": request_id() }),
        Kind::Tencent => json!({ "Response": { "RequestId": request_id() } }),
        Kind::Baidu => json!({}),
    };
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// The controls' query: an instance id, a count, milliseconds.
#[derive(Debug, serde::Deserialize)]
pub struct Control {
    id: Option<String>,
    count: Option<u32>,
    ms: Option<i64>,
    /// `/__standin/create`: started pay-as-you-go rather than as spot.
    on_demand: Option<bool>,
}

/// 204 when a control found the instance it names and acted on it, 404 when the stand-in does not know it.
fn acted_on(found: bool) -> Response {
    if found {
        StatusCode::NO_CONTENT.into_response()
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

/// `POST /__standin/reclaim?id=`: the instance gets a reclaim notice now and is gone when it runs out.
pub async fn reclaim(State(standin): State<Standin>, Query(control): Query<Control>) -> Response {
    acted_on(standin.lifecycle.reclaim(control.id.as_deref().unwrap_or_default()))
}

/// `POST /__standin/stop?id=`: the instance stops (on Alibaba: its reclaim with the Stop behaviour).
pub async fn stop(State(standin): State<Standin>, Query(control): Query<Control>) -> Response {
    acted_on(standin.lifecycle.stop(control.id.as_deref().unwrap_or_default()))
}

/// `POST /__standin/start?id=`: a stopped instance runs again, started as the console would.
pub async fn start(State(standin): State<Standin>, Query(control): Query<Control>) -> Response {
    acted_on(standin.lifecycle.start(control.id.as_deref().unwrap_or_default()))
}

/// `POST /__standin/create?id=[&on_demand=true]`: an instance started outside Spotplan (the cloud knows it, no
/// order placed it), spot unless `on_demand`.
pub async fn create(State(standin): State<Standin>, Query(control): Query<Control>) -> Response {
    match control.id.filter(|id| !id.is_empty()) {
        Some(id) if control.on_demand == Some(true) => {
            standin.lifecycle.created_on_demand(&[id]);
            StatusCode::NO_CONTENT.into_response()
        }
        Some(id) => {
            standin.lifecycle.created(&[id], "");
            StatusCode::NO_CONTENT.into_response()
        }
        None => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// `POST /__standin/throttle?count=`: the next `count` describe calls get the cloud's throttling answer.
pub async fn throttle(State(standin): State<Standin>, Query(control): Query<Control>) -> Response {
    standin.lifecycle.throttle(control.count.unwrap_or(1));
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /__standin/advance?ms=`: moves the stand-in's clock forward.
pub async fn advance(State(standin): State<Standin>, Query(control): Query<Control>) -> Response {
    standin.lifecycle.advance(control.ms.unwrap_or(0));
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /__standin/lifecycle`: release calls per instance and describe calls.
pub async fn counts(State(standin): State<Standin>) -> Response {
    let (releases, describes) = standin.lifecycle.counts();
    let (options, cancels) = {
        let book = standin.lifecycle.book();
        (book.last_release_options.clone(), book.cancels.clone())
    };
    axum::Json(
        json!({ "releases": releases, "describes": describes, "last_release_options": options, "cancels": cancels }),
    )
    .into_response()
}

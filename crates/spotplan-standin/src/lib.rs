//! Stand-ins for the three clouds' order APIs, used by the proxy's loopback tests and the end-to-end tests.
//!
//! Each stand-in checks the signature of what it *received* — it rebuilds the request from the raw target, the
//! signed headers and the body bytes, as a server does, and signs that again with the shared secret — so a
//! request that was altered after signing, encoded differently from what was signed, or signed with another key
//! is refused with the cloud's own error. Like the clouds, it also refuses a stale signing time (Alibaba
//! `InvalidTimeStamp.Expired` after 15 minutes, Tencent `AuthFailure.SignatureExpire` after 5, Baidu
//! `RequestExpired` after the signature's own expiration), a reused Alibaba nonce (`SignatureNonceUsed`), and a
//! Baidu body that does not match its signed `x-bce-content-sha256` (which it requires, to prove the proxy binds
//! the body). (The signer itself is checked against the official SDKs elsewhere.)
//! It checks the parameters an order needs, answers like the cloud (success, the documented bid and stock
//! errors, dry-run answers), deduplicates on the ClientToken, and counts what it created.
//!
//! Behaviours for tests, chosen by the image id: one containing `slow` answers after [`SLOW`]; `garbage` answers
//! 200 with a non-JSON body; `flaky` fails its first attempt per token with HTTP 503; `nostock` answers the stock
//! error (after [`SLOW`] too when the image also says `slow`); `partial` creates half of the count asked for (a `MinAmount` partial fill). The faults that follow a
//! real creation — the cloud acted, the answer does not say so — are `gateway502` and `gateway504` (a gateway's
//! HTML page with that status), `internalerror` (HTTP 200 carrying `InternalError` in the cloud's envelope),
//! `thengone` (HTTP 503, then the stand-in stops listening, so the next attempt is refused), `huge` (a 1 GiB
//! answer) and `endless` (a chunked answer that never ends). A dry run with `gateway502` gets the gateway's page
//! too, having created nothing (the check's answer was lost). Asked for one image by id, the stand-in describes any
//! id as an image of the account: Windows when the id says `win`, Linux otherwise, none when it says `missing`;
//! Alibaba lists one whose id says `marketplace` only when the marketplace's images are asked for, and answers 503
//! for one that says `unanswered`.
//! A bid below [`MARKET_PRICE`] (per hour; Baidu: [`BAIDU_MARKET_PRICE_PER_MINUTE`]) gets the cloud's
//! below-market error. Price queries can be slowed ([`Standin::price_delay`]) to let concurrency build up; the
//! stand-in records the most requests it ever had in flight.

mod account;
mod admin_pass;
pub mod lifecycle;
pub mod market;
mod verify;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use spotplan_core::time as utc;

/// Which cloud a stand-in plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Alibaba ECS (ACS3-HMAC-SHA256).
    Alibaba,
    /// Tencent CVM (TC3-HMAC-SHA256).
    Tencent,
    /// Baidu BCC (bce-auth-v1).
    Baidu,
}

impl Kind {
    /// The cloud this stand-in plays.
    pub fn cloud(self) -> spotplan_core::Cloud {
        match self {
            Kind::Alibaba => spotplan_core::Cloud::Alibaba,
            Kind::Tencent => spotplan_core::Cloud::Tencent,
            Kind::Baidu => spotplan_core::Cloud::Baidu,
        }
    }
}

/// How long a `slow` order takes to answer.
pub const SLOW: Duration = Duration::from_secs(5);
/// The market price the stand-ins quote per instance-hour (Alibaba, Tencent).
pub const MARKET_PRICE: f64 = 0.05;
/// Alibaba's newest spot price for a Windows image (`OSType=windows`), its licence included.
pub const WINDOWS_MARKET_PRICE: f64 = 0.15;
/// Baidu's market price per instance-minute (0.06 CNY per hour).
pub const BAIDU_MARKET_PRICE_PER_MINUTE: f64 = 0.001;

/// What a stand-in has seen.
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests received (all, including refused ones).
    pub requests: u64,
    /// Requests whose signature verified.
    pub verified: u64,
    /// Distinct orders created.
    pub created: u64,
    /// Instance ids created per ClientToken.
    pub by_token: HashMap<String, Vec<String>>,
    /// Attempts per ClientToken (for `flaky`).
    pub attempts_by_token: HashMap<String, u32>,
    /// Alibaba signature nonces seen.
    pub nonces: HashSet<String>,
    /// Requests refused for a stale time or a reused nonce.
    pub replays_refused: u64,
    /// Spot stock left per zone, where a test limited it (`POST /__standin/stock?zone=&available=`); zones not
    /// named have unlimited stock.
    pub stock: HashMap<String, u32>,
    /// Alibaba: the tags each ClientToken was first sent with; the same token with other tags is refused
    /// (`IdempotentParameterMismatch`: https://help.aliyun.com/document_detail/25693.html; the HTTP 400 is assumed).
    pub tags_by_token: HashMap<String, Vec<(String, String)>>,
}

/// A stand-in's state.
#[derive(Debug, Clone)]
pub struct Standin {
    /// The cloud played.
    pub kind: Kind,
    /// The access key id it accepts.
    pub access_key_id: String,
    /// The secret it verifies with.
    pub secret: String,
    /// What it has seen.
    pub stats: Arc<Mutex<Stats>>,
    /// How long price queries take to answer.
    pub price_delay: Duration,
    /// How long a `slow` order takes to answer ([`SLOW`] unless set).
    pub slow: Duration,
    /// Whether price queries answer from the synthetic market ([`market`]) instead of the fixed market price.
    pub market: bool,
    /// Requests in flight now, and the most ever.
    in_flight: Arc<(AtomicU64, AtomicU64)>,
    /// Signals the server to stop listening (the `thengone` behaviour).
    gone: Arc<tokio::sync::Notify>,
    /// The instances it created, with their clocks (see [`lifecycle`]).
    pub lifecycle: lifecycle::Lifecycle,
}

impl Standin {
    /// A stand-in for `kind` accepting one key pair.
    pub fn new(kind: Kind, access_key_id: &str, secret: &str) -> Standin {
        Standin {
            kind,
            access_key_id: access_key_id.into(),
            secret: secret.into(),
            stats: Arc::default(),
            price_delay: Duration::ZERO,
            slow: SLOW,
            market: false,
            in_flight: Arc::default(),
            gone: Arc::default(),
            lifecycle: lifecycle::Lifecycle::default(),
        }
    }

    /// The most requests this stand-in ever had in flight at once.
    pub fn max_in_flight(&self) -> u64 {
        self.in_flight.1.load(Ordering::Relaxed)
    }

    /// Resolves when the stand-in has decided to stop listening (see `thengone`).
    pub async fn gone(&self) {
        self.gone.notified().await;
    }

    /// What it has seen (and the stock a test set), locked.
    pub fn stats(&self) -> std::sync::MutexGuard<'_, Stats> {
        self.stats.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Serves a stand-in on `listener` until it decides to go (`thengone`) or `stop` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    standin: Standin,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let gone = standin.clone();
    axum::serve(listener, router(standin))
        .with_graceful_shutdown(async move {
            tokio::select! {
                () = gone.gone() => {}
                () = stop => {}
            }
        })
        .await
}

/// Counts a request in flight while it lives.
struct InFlight(Arc<(AtomicU64, AtomicU64)>);

impl InFlight {
    fn enter(counters: &Arc<(AtomicU64, AtomicU64)>) -> InFlight {
        let now = counters.0.fetch_add(1, Ordering::SeqCst) + 1;
        counters.1.fetch_max(now, Ordering::SeqCst);
        InFlight(counters.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The stand-in's routes: the cloud's API plus `GET /__standin/stats`.
pub fn router(standin: Standin) -> Router {
    Router::new()
        .route("/__standin/stats", get(stats))
        .route("/__standin/lifecycle", get(lifecycle::counts))
        .route("/__standin/reclaim", post(lifecycle::reclaim))
        .route("/__standin/stop", post(lifecycle::stop))
        .route("/__standin/start", post(lifecycle::start))
        .route("/__standin/create", post(lifecycle::create))
        .route("/__standin/throttle", post(lifecycle::throttle))
        .route("/__standin/advance", post(lifecycle::advance))
        .route("/__standin/stock", post(set_stock))
        .route("/", post(handle))
        .route("/v2/instance/bid", post(handle))
        .fallback(handle)
        .with_state(standin)
}

async fn stats(State(standin): State<Standin>) -> Response {
    let stats = standin.stats();
    axum::Json(json!({
        "requests": stats.requests,
        "verified": stats.verified,
        "created": stats.created,
        "by_token": stats.by_token,
        "replays_refused": stats.replays_refused,
        "max_in_flight": standin.max_in_flight(),
    }))
    .into_response()
}

async fn handle(
    State(standin): State<Standin>,
    method: Method,
    uri: Uri,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let _in_flight = InFlight::enter(&standin.in_flight);
    standin.stats().requests += 1;
    let received = verify::Received {
        method: method.as_str(),
        path: uri.path(),
        raw_query: raw_query.as_deref().unwrap_or(""),
        headers: &headers,
        body: &body,
    };
    if let Err(reason) = verify::check(standin.kind, &received, &standin.access_key_id, &standin.secret) {
        return error(
            standin.kind,
            StatusCode::BAD_REQUEST,
            signature_code(standin.kind),
            &reason,
        );
    }
    if let Err((code, reason)) = verify::fresh(standin.kind, &received, now_unix_seconds()) {
        standin.stats().replays_refused += 1;
        return error(standin.kind, StatusCode::BAD_REQUEST, code, &reason);
    }
    if standin.kind == Kind::Alibaba {
        let nonce = headers
            .get("x-acs-signature-nonce")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let mut stats = standin.stats();
        if !stats.nonces.insert(nonce.clone()) {
            stats.replays_refused += 1;
            return error(
                standin.kind,
                StatusCode::BAD_REQUEST,
                "SignatureNonceUsed",
                &format!("Specified signature nonce {nonce} was used already."),
            );
        }
    }
    standin.stats().verified += 1;
    let action = match standin.kind {
        Kind::Alibaba => headers
            .get("x-acs-action")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        Kind::Tencent => headers
            .get("x-tc-action")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        Kind::Baidu => uri.path().rsplit('/').next().unwrap_or_default().to_owned(),
    };
    if let Some(answer) = lifecycle::answer(&standin, &action, &received) {
        // A slow release has acted before it answers (the cloud did it; the answer is late).
        if lifecycle::is_release(standin.kind, &action) && !standin.lifecycle.release_delay.is_zero() {
            tokio::time::sleep(standin.lifecycle.release_delay).await;
        }
        return answer;
    }
    if let Some(answer) = account::answer(standin.kind, &action, &received) {
        return answer;
    }
    if let Some(answer) = signals_answer(&standin, &action, &received) {
        return answer;
    }
    if let Some(answer) = price_answer(&standin, &action, &received) {
        if !standin.price_delay.is_zero() {
            tokio::time::sleep(standin.price_delay).await;
        }
        return answer;
    }
    if standin.kind == Kind::Baidu
        && let Err(reason) = admin_pass::check(&body, &standin.secret)
    {
        return error(standin.kind, StatusCode::BAD_REQUEST, "BadRequest", &reason);
    }
    let params = match verify::params(standin.kind, &received) {
        Ok(params) => params,
        Err(reason) => return error(standin.kind, StatusCode::BAD_REQUEST, "MalformedRequest", &reason),
    };
    order(&standin, &params).await
}

fn signature_code(kind: Kind) -> &'static str {
    match kind {
        Kind::Alibaba => "SignatureDoesNotMatch",
        Kind::Tencent => "AuthFailure.SignatureFailure",
        Kind::Baidu => "SignatureDoesNotMatch",
    }
}

/// The zones the stand-in reports pool signals for, per region it is asked about.
const SIGNAL_ZONES: [&str; 3] = ["h", "j", "k"];

/// Answers the clouds' pool-signal calls: Alibaba `DescribeSpotAdvice` (zones `<region>-h` and `-j` in the `0-3%`
/// bucket, `-k` in `10-100%`, for every type asked) and Tencent `DescribeZoneInstanceConfigInfos` (zones
/// `<region>-3`, `-4`, `-6`: `SOLD_OUT` where a test set the zone's stock to zero, `SELL` otherwise).
fn signals_answer(standin: &Standin, action: &str, received: &verify::Received<'_>) -> Option<Response> {
    let body = match (standin.kind, action) {
        (Kind::Alibaba, "DescribeSpotAdvice") => {
            let query = verify::query_map(received.raw_query);
            let region = query.get("RegionId").cloned().unwrap_or_default();
            let types: Vec<String> = (1..=10)
                .filter_map(|n| query.get(&format!("InstanceTypes.{n}")).cloned())
                .collect();
            let zones: Vec<serde_json::Value> = SIGNAL_ZONES
                .iter()
                .map(|suffix| {
                    let bucket = if *suffix == "k" {
                        ("10-100%", 14.0)
                    } else {
                        ("0-3%", 1.5)
                    };
                    let resources: Vec<serde_json::Value> = types
                        .iter()
                        .map(|kind| {
                            json!({ "InstanceType": kind, "AverageSpotDiscount": 20,
                                            "InterruptionRate": bucket.1, "InterruptRateDesc": bucket.0 })
                        })
                        .collect();
                    json!({ "ZoneId": format!("{region}-{suffix}"),
                            "AvailableSpotResources": { "AvailableSpotResource": resources } })
                })
                .collect();
            json!({ "RequestId": request_id(), "RegionId": region,
                    "AvailableSpotZones": { "AvailableSpotZone": zones } })
        }
        (Kind::Tencent, "DescribeZoneInstanceConfigInfos") => {
            let asked: serde_json::Value = serde_json::from_slice(received.body).unwrap_or_default();
            let types: Vec<String> = asked["Filters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|filter| filter["Name"] == "instance-type")
                .flat_map(|filter| filter["Values"].as_array().cloned().unwrap_or_default())
                .filter_map(|value| value.as_str().map(str::to_owned))
                .collect();
            let region = received
                .headers
                .get("x-tc-region")
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let stock = standin.stats().stock.clone();
            let items: Vec<serde_json::Value> = ["3", "4", "6"]
                .iter()
                .flat_map(|suffix| {
                    let zone = format!("{region}-{suffix}");
                    let sold_out = stock.get(&zone) == Some(&0);
                    types.iter().map(move |kind| {
                        if sold_out {
                            json!({ "Zone": zone, "InstanceType": kind, "InstanceChargeType": "SPOTPAID",
                                    "Status": "SOLD_OUT", "StatusCategory": "WithoutStock", "SoldOutReason": "no stock" })
                        } else {
                            json!({ "Zone": zone, "InstanceType": kind, "InstanceChargeType": "SPOTPAID",
                                    "Status": "SELL", "StatusCategory": "EnoughStock" })
                        }
                    })
                })
                .collect();
            json!({ "Response": { "RequestId": request_id(), "InstanceTypeQuotaSet": items } })
        }
        _ => return None,
    };
    Some((StatusCode::OK, axum::Json(body)).into_response())
}

/// Answers the clouds' price queries (DescribeSpotPriceHistory, InquiryPriceRunInstances, bidPrice) with the
/// stand-in's market prices; `None` for any other action.
fn price_answer(standin: &Standin, action: &str, received: &verify::Received<'_>) -> Option<Response> {
    let kind = standin.kind;
    if standin.market {
        return market_answer(kind, action, received);
    }
    let body = match (kind, action) {
        (Kind::Alibaba, "DescribeSpotPriceHistory") => {
            let query = verify::query_map(received.raw_query);
            let zone = query.get("ZoneId").cloned().unwrap_or_else(|| "cn-hangzhou-k".into());
            let instance_type = query.get("InstanceType").cloned().unwrap_or_default();
            // The history ends where the query's window ends (now, when it names none), so the newest record
            // is always "today" for whoever asks, whatever the date.
            let end = query
                .get("EndTime")
                .and_then(|text| utc::parse_iso8601(text))
                .unwrap_or_else(now_unix_seconds);
            let record = |at: i64, price: f64| {
                json!({
                    "ZoneId": zone, "InstanceType": instance_type, "IoOptimized": "optimized", "NetworkType": "vpc",
                    "SpotPrice": price, "OriginPrice": 0.45, "Timestamp": utc::format_iso8601(at)
                })
            };
            // Windows' market includes the licence.
            let newest = if query.get("OSType").is_some_and(|os| os == "windows") {
                WINDOWS_MARKET_PRICE
            } else {
                MARKET_PRICE
            };
            json!({ "RequestId": request_id(), "Currency": "CNY", "NextOffset": 0,
                    "SpotPrices": { "SpotPriceType": [record(end - 3600, 0.048), record(end, newest)] } })
        }
        (Kind::Tencent, "InquiryPriceRunInstances") => json!({ "Response": {
            "Price": { "InstancePrice": { "UnitPrice": 0.63, "UnitPriceDiscount": MARKET_PRICE, "ChargeUnit": "HOUR", "Discount": 8 } },
            "RequestId": request_id() } }),
        (Kind::Baidu, "bidPrice") => {
            json!({ "money": "0.12", "count": "1", "perMoney": BAIDU_MARKET_PRICE_PER_MINUTE.to_string() })
        }
        _ => return None,
    };
    Some((StatusCode::OK, axum::Json(body)).into_response())
}

/// Records one `DescribeSpotPriceHistory` page holds in market mode.
pub const MARKET_PAGE: usize = 100;

/// The price queries answered from the synthetic [`market`]: Alibaba's history of changes in the asked window,
/// 100 records a page (`Offset`, `NextOffset`); Tencent's and Baidu's price of the current hour; a pool with no
/// market answers as each cloud does when it has no stock.
fn market_answer(kind: Kind, action: &str, received: &verify::Received<'_>) -> Option<Response> {
    let yuan = |milli: i64| milli as f64 / 1000.0;
    let now = now_unix_seconds();
    let body = match (kind, action) {
        (Kind::Alibaba, "DescribeSpotPriceHistory") => {
            let query = verify::query_map(received.raw_query);
            let zone = query.get("ZoneId").cloned().unwrap_or_else(|| "cn-hangzhou-k".into());
            let instance_type = query.get("InstanceType").cloned().unwrap_or_default();
            let end = query.get("EndTime").and_then(|t| utc::parse_iso8601(t)).unwrap_or(now);
            let start = query
                .get("StartTime")
                .and_then(|t| utc::parse_iso8601(t))
                .unwrap_or(end - 86_400);
            let offset: usize = query.get("Offset").and_then(|o| o.parse().ok()).unwrap_or(0);
            let points = market::changes(&zone, &instance_type, start, end);
            let page: Vec<serde_json::Value> = points
                .iter()
                .skip(offset)
                .take(MARKET_PAGE)
                .map(|(at, milli)| {
                    json!({
                        "ZoneId": zone, "InstanceType": instance_type, "IoOptimized": "optimized", "NetworkType": "vpc",
                        "SpotPrice": yuan(*milli), "OriginPrice": yuan(market::on_demand_milli(&zone, &instance_type)),
                        "Timestamp": utc::format_iso8601(*at)
                    })
                })
                .collect();
            let next = if offset + page.len() < points.len() {
                offset + page.len()
            } else {
                0
            };
            json!({ "RequestId": request_id(), "Currency": "CNY", "NextOffset": next,
                    "SpotPrices": { "SpotPriceType": page } })
        }
        (Kind::Tencent, "InquiryPriceRunInstances") => {
            let asked: serde_json::Value = serde_json::from_slice(received.body).unwrap_or_default();
            let zone = asked["Placement"]["Zone"].as_str().unwrap_or_default();
            let instance_type = asked["InstanceType"].as_str().unwrap_or_default();
            let Some(spot) = market::spot_milli(zone, instance_type, now.div_euclid(market::HOUR)) else {
                return Some(error(
                    kind,
                    StatusCode::OK,
                    "ResourceInsufficient.SpecifiedInstanceType",
                    "The specified instance type is sold out.",
                ));
            };
            json!({ "Response": {
                "Price": { "InstancePrice": { "UnitPrice": yuan(market::on_demand_milli(zone, instance_type)),
                    "UnitPriceDiscount": yuan(spot), "ChargeUnit": "HOUR", "Discount": 20 } },
                "RequestId": request_id() } })
        }
        (Kind::Baidu, "bidPrice") => {
            let asked: serde_json::Value = serde_json::from_slice(received.body).unwrap_or_default();
            let zone = asked["zoneName"].as_str().unwrap_or_default();
            let spec = asked["spec"].as_str().unwrap_or_default();
            let Some(spot) = market::spot_milli(zone, spec, now.div_euclid(market::HOUR)) else {
                return Some(error(
                    kind,
                    StatusCode::BAD_REQUEST,
                    "Instance.NotSupportInstanceTypeException",
                    "not support the instance type.",
                ));
            };
            // Baidu quotes per minute.
            json!({ "money": format!("{:.6}", yuan(spot) / 60.0), "count": "1",
                    "perMoney": format!("{:.6}", yuan(spot) / 60.0) })
        }
        _ => return None,
    };
    Some((StatusCode::OK, axum::Json(body)).into_response())
}

/// The order parameters, normalised across clouds.
#[derive(Debug, Default)]
pub struct Params {
    /// ClientToken.
    pub client_token: Option<String>,
    /// Image id.
    pub image: Option<String>,
    /// The zone, when the order names one.
    pub zone: Option<String>,
    /// Instance count.
    pub count: u32,
    /// Dry run requested.
    pub dry_run: bool,
    /// The bid, when a limit is set (native unit).
    pub max_price: Option<f64>,
    /// What is missing, if anything.
    pub missing: Vec<&'static str>,
    /// The tags the instances are created with (key, value).
    pub tags: Vec<(String, String)>,
}

/// Where `POST /__standin/stock` limits stock.
#[derive(Debug, serde::Deserialize)]
pub struct StockControl {
    zone: String,
    available: u32,
}

/// `POST /__standin/stock?zone=&available=`: from now on the zone has `available` spot instances left; an order for
/// more gets the cloud's stock error, and each order placed there takes its count.
async fn set_stock(State(standin): State<Standin>, Query(control): Query<StockControl>) -> Response {
    standin.stats().stock.insert(control.zone, control.available);
    StatusCode::NO_CONTENT.into_response()
}

async fn order(standin: &Standin, params: &Params) -> Response {
    let kind = standin.kind;
    if let Some(missing) = params.missing.first() {
        return error(
            kind,
            StatusCode::BAD_REQUEST,
            "MissingParameter",
            &format!("the parameter {missing} is required"),
        );
    }
    let image = params.image.clone().unwrap_or_default();
    let token = params.client_token.clone().unwrap_or_default();
    let market = if kind == Kind::Baidu {
        BAIDU_MARKET_PRICE_PER_MINUTE
    } else {
        MARKET_PRICE
    };
    if params.max_price.is_some_and(|price| price < market) {
        // The refusal each cloud documents, from the core's one copy of it.
        let refusal = spotplan_core::clouds::api(kind.cloud()).bid_price_codes().below_market;
        let status = StatusCode::from_u16(refusal.http_status).unwrap_or(StatusCode::BAD_REQUEST);
        return error(kind, status, refusal.code, refusal.message);
    }
    if standin.lifecycle.order_throttled() {
        return lifecycle::throttled(kind);
    }
    let stock_left = |standin: &Standin| {
        let stats = standin.stats();
        params.zone.as_ref().and_then(|zone| stats.stock.get(zone).copied())
    };
    let known_token = !token.is_empty() && standin.stats().by_token.contains_key(&token);
    if image.contains("nostock") || !known_token && stock_left(standin).is_some_and(|left| left < params.count.max(1)) {
        if image.contains("slow") {
            tokio::time::sleep(standin.slow).await;
        }
        return match kind {
            Kind::Alibaba => error(
                kind,
                StatusCode::FORBIDDEN,
                "OperationDenied.NoStock",
                "The resource is out of stock in the specified zone.",
            ),
            Kind::Tencent => error(
                kind,
                StatusCode::OK,
                "ResourceInsufficient.SpecifiedInstanceType",
                "The specified instance type is sold out.",
            ),
            Kind::Baidu => error(
                kind,
                StatusCode::BAD_REQUEST,
                "Instance.NotSupportInstanceTypeException",
                "not support the instance type.",
            ),
        };
    }
    if params.dry_run {
        if image.contains("gateway502") {
            return gateway_page(StatusCode::BAD_GATEWAY);
        }
        return match kind {
            Kind::Alibaba => error(
                kind,
                StatusCode::BAD_REQUEST,
                "DryRunOperation",
                "Request validation has been passed with DryRun flag set.",
            ),
            Kind::Tencent => (
                StatusCode::OK,
                axum::Json(json!({ "Response": { "RequestId": request_id() } })),
            )
                .into_response(),
            Kind::Baidu => error(kind, StatusCode::BAD_REQUEST, "BadRequest", "dry run is not supported"),
        };
    }
    let attempt = {
        let mut stats = standin.stats();
        let attempts = stats.attempts_by_token.entry(token.clone()).or_default();
        *attempts += 1;
        *attempts
    };
    // Like ECS: a ClientToken is one request; the same token with different parameters is refused.
    if kind == Kind::Alibaba && !token.is_empty() {
        let mut stats = standin.stats();
        let first = stats
            .tags_by_token
            .entry(token.clone())
            .or_insert_with(|| params.tags.clone());
        if *first != params.tags {
            return error(
                kind,
                StatusCode::BAD_REQUEST,
                "IdempotentParameterMismatch",
                "The client token used in a previous request that was not identical.",
            );
        }
    }
    if image.contains("flaky") && attempt == 1 {
        return error(kind, StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "try again");
    }
    let ids = {
        let mut stats = standin.stats();
        match stats.by_token.get(&token) {
            Some(ids) if !token.is_empty() => ids.clone(),
            _ => {
                stats.created += 1;
                // `partial`: a partial fill (Alibaba's `MinAmount`): half of what was asked, at least one.
                let made = if image.contains("partial") {
                    params.count.div_ceil(2).max(1)
                } else {
                    params.count.max(1)
                };
                let ids: Vec<String> = (0..made).map(|i| instance_id(kind, stats.created, i)).collect();
                if let Some(left) = params.zone.as_ref().and_then(|zone| stats.stock.get_mut(zone)) {
                    *left = left.saturating_sub(params.count.max(1));
                }
                stats.by_token.insert(token.clone(), ids.clone());
                ids
            }
        }
    };
    standin.lifecycle.created_with_tags(&ids, &image, &params.tags);
    if image.contains("slow") {
        tokio::time::sleep(standin.slow).await;
    }
    if image.contains("garbage") {
        return (StatusCode::OK, "<html><body>502 Bad Gateway</body></html>").into_response();
    }
    if let Some(fault) = fault_after_creating(standin, &image) {
        return fault;
    }
    let body = match kind {
        Kind::Alibaba => json!({ "RequestId": request_id(), "InstanceIdSets": { "InstanceIdSet": ids } }),
        Kind::Tencent => json!({ "Response": { "InstanceIdSet": ids, "RequestId": request_id() } }),
        Kind::Baidu => {
            let order_id = format!("order-{}", &token.chars().rev().take(8).collect::<String>());
            standin.lifecycle.ordered(&order_id, &ids);
            json!({ "orderId": order_id, "instanceIds": ids })
        }
    };
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// A gateway's HTML error page with `status`: what a load balancer answers when the API behind it did not.
fn gateway_page(status: StatusCode) -> Response {
    let page = format!("<html><head><title>{status}</title></head><body><h1>{status}</h1></body></html>");
    (status, [("content-type", "text/html")], page).into_response()
}

/// The answers that follow a real creation but do not say so: the cloud acted, the answer is ambiguous.
fn fault_after_creating(standin: &Standin, image: &str) -> Option<Response> {
    let kind = standin.kind;
    if image.contains("gateway502") {
        return Some(gateway_page(StatusCode::BAD_GATEWAY));
    }
    if image.contains("gateway504") {
        return Some(gateway_page(StatusCode::GATEWAY_TIMEOUT));
    }
    if image.contains("internalerror") {
        let mut answer = error(
            kind,
            StatusCode::OK,
            "InternalError",
            "An internal error occurred; try again later.",
        );
        *answer.status_mut() = StatusCode::OK;
        return Some(answer);
    }
    if image.contains("thengone") {
        standin.gone.notify_one();
        return Some(error(
            kind,
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        ));
    }
    if image.contains("huge") {
        const GIB: u64 = 1 << 30;
        const CHUNK: usize = 64 * 1024;
        let chunks = (GIB / CHUNK as u64) as usize;
        let stream =
            futures_util::stream::iter((0..chunks).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b' '; CHUNK]))));
        return Some(
            Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .header("content-length", GIB.to_string())
                .body(Body::from_stream(stream))
                .unwrap_or_default(),
        );
    }
    if image.contains("endless") {
        let stream = futures_util::stream::repeat_with(|| Ok::<_, std::io::Error>(Bytes::from_static(&[b' '; 8192])));
        return Some(
            Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .body(Body::from_stream(stream))
                .unwrap_or_default(),
        );
    }
    None
}

fn instance_id(kind: Kind, order: u64, index: u32) -> String {
    match kind {
        Kind::Alibaba => format!("i-standin{order:04}{index:03}"),
        Kind::Tencent => format!("ins-standin{order:04}{index:03}"),
        Kind::Baidu => format!("i-Standin{order:04}{index:03}"),
    }
}

fn now_unix_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("standin-{:08}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The cloud's error envelope.
fn error(kind: Kind, status: StatusCode, code: &str, message: &str) -> Response {
    let body: Value = match kind {
        Kind::Alibaba => json!({ "RequestId": request_id(), "HostId": "standin", "Code": code, "Message": message }),
        Kind::Tencent => {
            json!({ "Response": { "Error": { "Code": code, "Message": message }, "RequestId": request_id() } })
        }
        Kind::Baidu => json!({ "requestId": request_id(), "code": code, "message": message }),
    };
    // Tencent answers every error with HTTP 200.
    let status = if kind == Kind::Tencent { StatusCode::OK } else { status };
    (status, axum::Json(body)).into_response()
}

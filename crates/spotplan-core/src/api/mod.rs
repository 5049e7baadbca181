//! The one typed API between the browser (and scripts) and the proxy: every endpoint's path, request and answer
//! types, serialised by the proxy and read by the web app's one client, so changing a field of an answer breaks
//! the build of both. The proxy's OpenAPI document is generated from these types (feature `schema`).

pub mod catalog;
pub mod error;
pub mod fleet_reason;
mod fleet_reason_wire;
pub mod fleets;
pub mod health;
pub mod instances;
pub mod orders;
pub mod prices;
pub mod refresh;
pub mod resources;
pub mod sign_in;
pub mod signals;

/// `GET`: the proxy's version, whether the caller is signed in, and what each cloud can do. Open without the token.
pub const HEALTH: &str = "/api/v1/health";
/// Liveness: the process answers.
pub const LIVE: &str = "/api/v1/live";
/// Readiness: the database is reachable and migrated.
pub const READY: &str = "/api/v1/ready";
/// `POST` an order, `GET` the order log.
pub const ORDERS: &str = "/api/v1/orders";
/// `GET` every instance Spotplan placed, with its state and cost so far.
pub const INSTANCES: &str = "/api/v1/instances";
/// `GET` every reclaim recorded, with how long the instance ran.
pub const RECLAIMS: &str = "/api/v1/reclaims";
/// `POST` a region whose spot instances Spotplan should watch too.
pub const DISCOVER: &str = "/api/v1/instances/discover";
/// `POST` instances started outside Spotplan, to watch.
pub const WATCH: &str = "/api/v1/instances/watch";
/// `POST` a release (with an [`IDEMPOTENCY_KEY`]).
pub const RELEASE: &str = "/api/v1/instances/release";
/// `POST` a fleet (with an [`IDEMPOTENCY_KEY`]), `GET` every fleet.
pub const FLEETS: &str = "/api/v1/fleets";
/// `POST` a region's pools to read the cloud's interruption and stock signals for.
pub const SIGNALS: &str = "/api/v1/signals";
/// `POST` what to list of the account's resources in a region (images, VPCs, subnets, security groups, key pairs).
pub const RESOURCES: &str = "/api/v1/resources";
/// `GET` the price observations the proxy stored since a point (`?since=`).
pub const CATALOG: &str = "/api/v1/catalog";
/// `PUT` the price refresher's settings, `GET` its progress.
pub const REFRESH: &str = "/api/v1/refresh";
/// `POST` offers to quote live.
pub const PRICES: &str = "/api/v1/prices";
/// `POST`: the app's sign-in form — a token, one-time code or person's key in a body, for the cookie. Open.
pub const SIGN_IN: &str = "/api/v1/sign-in";
/// `GET` the OpenAPI document.
pub const OPENAPI: &str = "/api/openapi.json";
/// The header an order's idempotency key travels in.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// The header scripts send the proxy's token in.
pub const TOKEN_HEADER: &str = "X-Spotplan-Token";

/// `GET` one fleet: `/api/v1/fleets/{id}`.
pub fn fleet_path(id: &str) -> String {
    format!("{FLEETS}/{id}")
}

/// `POST` to stop a fleet: `/api/v1/fleets/{id}/stop`.
pub fn fleet_stop_path(id: &str) -> String {
    format!("{FLEETS}/{id}/stop")
}

/// `GET` one logged order: `/api/v1/orders/{id}`.
pub fn order_path(id: &str) -> String {
    format!("{ORDERS}/{id}")
}

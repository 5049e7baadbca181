//! Spotplan's signing proxy as a library: [`app`] builds the whole HTTP surface so tests can drive it with
//! `oneshot` and no socket; [`serve::serve`] runs it on a socket (HTTP or HTTPS); `main.rs` only parses flags,
//! checks the listen policy, loads credentials, binds, prints the sign-in link and serves.
//!
//! Architecture invariant: this is the only crate that ever holds cloud credentials. It rebuilds every request
//! from a typed order with the core (it never forwards an arbitrary request), contacts only the clouds' API
//! hosts (or configured overrides), and never logs or returns a secret.
//!
//! Architecture invariant: every request passes the `Host` allow-list first ([`host_check`]); every API call
//! but health, the live/ready probes and the sign-in form (which trades a one-time code for the cookie) needs the
//! token ([`security`]); a browser gets the token only through a sign-in link or that form ([`sign_in`]); every error answer has one JSON shape ([`json_errors`]).

pub mod at_rest;
pub mod call_counters;
pub mod config;
pub mod credentials;
pub mod database_link;
pub mod detached;
pub mod endpoints;
pub mod error;
pub mod exactly_once;
pub mod fleet_book;
pub mod fleet_keeper;
pub mod fleet_release;
mod fleet_trim;
pub mod fleets;
pub mod follower;
pub mod health;
pub mod host_check;
pub mod image_os;
pub mod instance_book;
pub mod instances;
pub mod json_errors;
pub mod leader;
pub mod listen_policy;
pub mod live_book;
pub mod metrics;
pub mod openapi;
pub mod order_lookup;
pub mod orders;
pub mod people;
pub mod price_store;
pub mod prices;
pub mod read_call;
pub mod refresher;
pub mod resources;
pub mod security;
pub mod security_headers;
pub mod serve;
pub mod settle_by_hand;
pub mod settler;
pub mod shared_log;
pub mod short_cache;
pub mod sign_in;
pub mod signals;
pub mod signing;
pub mod spend;
pub mod sql;
pub mod static_files;
pub mod store;
pub mod stored;
pub mod tls;
pub mod token;
pub mod upstream;
pub mod wal_checkpointer;
pub mod write_retry;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post, put};
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub use at_rest::InstallKey;
pub use config::Config;
pub use credentials::CloudCredentials;
pub use error::ApiError;
pub use store::Store;

/// Largest accepted request body.
pub const BODY_LIMIT_BYTES: usize = 256 * 1024;
/// API calls handled at once; more wait.
pub const MAX_CONCURRENT_API_CALLS: usize = 512;
/// Releases and fleet stops handled at once, apart from the other API calls; more wait.
pub const MAX_CONCURRENT_RELEASE_CALLS: usize = 64;
/// How long one API call may take before the proxy answers 504.
pub const API_CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// What every request handler can see.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The configuration the proxy was started with.
    pub config: Arc<Config>,
    /// Each cloud's credentials, when configured.
    pub credentials: Arc<CloudCredentials>,
    /// The order log.
    pub store: Store,
    /// The per-install key: keyed order hashes and sealed passwords.
    pub install_key: Arc<InstallKey>,
    /// The HTTP client for the clouds.
    pub upstream: upstream::Upstream,
    /// One lock per idempotency key.
    pub key_locks: exactly_once::KeyLocks,
    /// Held while an order is checked against the hourly spend ceiling and logged.
    pub spend_gate: Arc<tokio::sync::Mutex<()>>,
    /// Live quotes of the last five minutes.
    pub quotes: prices::QuoteCache,
    /// Pool signals of the last five minutes.
    pub signals: signals::SignalsCache,
    /// The account's resources listed in the last minute.
    pub resources: resources::ResourcesCache,
    /// The OS of the images market bids named in the last ten minutes.
    pub image_os: image_os::ImageOsCache,
    /// The embedded catalog (pay-as-you-go prices bound market bids), decoded on first use.
    catalog: Arc<OnceLock<Option<spotplan_core::catalog::Catalog>>>,
    /// The `Host` names (and so the `Origin`s) this proxy answers to.
    pub allowed_hosts: Arc<host_check::AllowedHosts>,
    /// Sign-in codes handed out and not yet used.
    pub sign_in: sign_in::SignInCodes,
    /// Whether this replica runs the background work (always, for a proxy alone).
    pub leadership: leader::Leadership,
    /// Writes of what the clouds answered that the book has not taken yet, retried in the background.
    pub pending_writes: write_retry::PendingWrites,
    /// The API calls this proxy handles at once, all routes together ([`MAX_CONCURRENT_API_CALLS`]); more wait.
    pub api_call_permits: Arc<tokio::sync::Semaphore>,
    /// The releases and fleet stops it handles at once, apart from the other calls
    /// ([`MAX_CONCURRENT_RELEASE_CALLS`]): a person stopping spend never waits behind calls waiting on the clouds.
    pub release_call_permits: Arc<tokio::sync::Semaphore>,
    /// Places for the work API calls run in tasks of their own ([`detached`]), held until the work ends: a client
    /// that goes away frees its call's place, not its work's.
    pub detached_work_permits: Arc<tokio::sync::Semaphore>,
    /// The same for releases and fleet stops, apart, as their calls are.
    pub detached_release_permits: Arc<tokio::sync::Semaphore>,
    /// The newest live price the store holds per offer, for the spend check's bound of a market bid.
    pub live_prices: live_book::LiveBook,
}

impl AppState {
    /// State for a proxy started with `config`, `credentials`, an order log and the install key.
    pub fn new(
        config: Config,
        credentials: CloudCredentials,
        store: Store,
        install_key: InstallKey,
    ) -> Result<AppState, upstream::UpstreamError> {
        let upstream = upstream::Upstream::new(&upstream::UpstreamLimits {
            timeout: config.upstream_timeout,
            in_flight: config.upstream_in_flight,
            proxy: config.upstream_proxy.clone(),
            extra_hosts: config.endpoints.hosts(),
            ..upstream::UpstreamLimits::default()
        })?;
        let allowed_hosts = host_check::AllowedHosts::new(config.listen, config.tls, &config.allowed_hosts);
        let store_is_shared = store.is_shared();
        Ok(AppState {
            allowed_hosts: Arc::new(allowed_hosts),
            sign_in: sign_in::SignInCodes::default(),
            config: Arc::new(config),
            credentials: Arc::new(credentials),
            store,
            install_key: Arc::new(install_key),
            upstream,
            key_locks: exactly_once::KeyLocks::default(),
            spend_gate: Arc::default(),
            quotes: prices::QuoteCache::new(prices::CACHE_FOR),
            signals: signals::SignalsCache::new(prices::CACHE_FOR),
            resources: resources::ResourcesCache::new(resources::CACHE_FOR),
            image_os: image_os::ImageOsCache::new(image_os::CACHE_FOR),
            catalog: Arc::default(),
            pending_writes: write_retry::PendingWrites::default(),
            api_call_permits: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_API_CALLS)),
            release_call_permits: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_RELEASE_CALLS)),
            detached_work_permits: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_API_CALLS)),
            detached_release_permits: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_RELEASE_CALLS)),
            live_prices: live_book::LiveBook::default(),
            leadership: if store_is_shared {
                leader::Leadership::replica()
            } else {
                leader::Leadership::alone()
            },
        })
    }

    /// The prices a market bid's bound reads: the embedded catalog and the store's live quotes as last caught up
    /// ([`AppState::catch_up_live_prices`]).
    pub fn known_prices(&self) -> spend::KnownPrices<'_> {
        spend::KnownPrices {
            catalog: self.catalog(),
            live: Some(&self.live_prices),
        }
    }

    /// Reads the live quotes stored since the last read (one query when there are none). On a failure the bound
    /// reads what was read before, and says nothing newer exists: logged, not an error of the caller's.
    pub async fn catch_up_live_prices(&self) {
        if let Err(error) = self.live_prices.catch_up(&self.store).await {
            tracing::warn!(%error, "live prices not read: market bids are bounded by the prices read before");
        }
    }

    /// The embedded price catalog, or `None` if it does not decode (it always does in a released build).
    pub fn catalog(&self) -> Option<&spotplan_core::catalog::Catalog> {
        self.catalog
            .get_or_init(|| match spotplan_core::catalog::Catalog::embedded() {
                Ok(catalog) => Some(catalog),
                Err(error) => {
                    tracing::error!(%error, "the embedded catalog does not decode");
                    None
                }
            })
            .as_ref()
    }
}

/// The proxy's whole HTTP surface: the JSON API under `/api/` and the built web app at `/`, behind the `Host`
/// allow-list, with one JSON error shape and the security headers on every answer.
pub fn app(state: AppState) -> Router {
    // The work that waits on the clouds is bounded; health stays outside that bound, so it answers at once
    // however many orders and quotes are waiting.
    let with_token = Router::new()
        .route("/openapi.json", get(openapi::openapi))
        .route(
            "/v1/orders",
            get(orders::list).merge(post(orders::submit).route_layer(from_fn(security::json_body_only))),
        )
        .route("/v1/orders/{id}", get(orders::get))
        .route(
            "/v1/orders/{id}/lookup",
            post(orders::lookup).route_layer(from_fn(security::json_body_only)),
        )
        .route("/v1/instances", get(instances::list))
        .route("/v1/reclaims", get(instances::reclaims))
        .route(
            "/v1/instances/discover",
            post(instances::discover).route_layer(from_fn(security::json_body_only)),
        )
        .route(
            "/v1/instances/watch",
            post(instances::watch).route_layer(from_fn(security::json_body_only)),
        )
        .route(
            "/v1/fleets",
            get(fleets::list).merge(post(fleets::submit).route_layer(from_fn(security::json_body_only))),
        )
        .route("/v1/fleets/{id}", get(fleets::get))
        // The delta can hold tens of thousands of rows: compressed when the client accepts it.
        .route(
            "/v1/catalog",
            get(price_store::catalog).layer(tower_http::compression::CompressionLayer::new()),
        )
        .route(
            "/v1/refresh",
            get(refresher::get).merge(put(refresher::put).route_layer(from_fn(security::json_body_only))),
        )
        .route(
            "/v1/resources",
            post(resources::resources).route_layer(from_fn(security::json_body_only)),
        )
        .route(
            "/v1/signals",
            post(signals::signals).route_layer(from_fn(security::json_body_only)),
        )
        .route(
            "/v1/prices",
            post(prices::prices).route_layer(from_fn(security::json_body_only)),
        )
        // One limit for all routes together (a layer of its own per route would multiply it), counted only for
        // calls that carry the token.
        .layer(GlobalConcurrencyLimitLayer::with_semaphore(
            state.api_call_permits.clone(),
        ))
        // Stopping spend never waits behind calls that wait on the clouds: releases and fleet stops have places of
        // their own.
        .merge(
            Router::new()
                .route(
                    "/v1/instances/release",
                    post(instances::release).route_layer(from_fn(security::json_body_only)),
                )
                .route(
                    "/v1/fleets/{id}/stop",
                    post(fleets::stop).route_layer(from_fn(security::json_body_only)),
                )
                .layer(GlobalConcurrencyLimitLayer::with_semaphore(
                    state.release_call_permits.clone(),
                )),
        )
        .route_layer(from_fn_with_state(state.clone(), security::token_required));
    let api = Router::new()
        .route("/v1/health", get(health::health))
        .route("/v1/live", get(health::live))
        .route("/v1/ready", get(health::ready))
        .route(
            "/v1/sign-in",
            post(sign_in::form).route_layer(from_fn(security::json_body_only)),
        )
        .merge(with_token)
        .route_layer(from_fn_with_state(state.clone(), security::same_origin_only))
        .fallback(error::api_not_found)
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            API_CALL_TIMEOUT,
        ))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .layer(from_fn(security_headers::api));
    let site = static_files::router(&state.config.static_dir)
        .layer(from_fn_with_state(state.clone(), sign_in::exchange))
        .layer(from_fn_with_state(
            security_headers::AppPolicy::for_dir(&state.config.static_dir),
            security_headers::app_html,
        ));
    let allowed_hosts = state.allowed_hosts.clone();
    // Prometheus scrapes `/metrics` (its default path) with the token, like any API call.
    let metrics = Router::new()
        .route("/metrics", get(metrics::metrics))
        .route_layer(from_fn_with_state(state.clone(), security::token_required))
        .route_layer(from_fn_with_state(state.clone(), security::same_origin_only))
        .layer(from_fn(security_headers::api));
    Router::new()
        .nest("/api", api)
        .merge(metrics)
        .with_state(state)
        .fallback_service(site)
        .layer(from_fn(json_errors::one_shape))
        .layer(from_fn_with_state(allowed_hosts, host_check::require_allowed_host))
        .layer(from_fn(security_headers::common))
}

//! `GET /metrics` (token required): the proxy in Prometheus' text format. What the database knows is read at
//! scrape time — orders by cloud and outcome, outcomes still unknown or pending, instances running and what they
//! cost per hour, reclaims, fleets' targets against what runs — so every replica of a team reports the same
//! truth; what only this process sees is counted as it happens: each call to a cloud's API by how long it took,
//! and throttling answers.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use rust_decimal::prelude::ToPrimitive;
use spotplan_core::lifecycle::InstanceState;

use crate::AppState;
use crate::call_counters::CloudLabel;
use crate::error::ApiError;

/// A cloud and a state or outcome.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CloudState {
    cloud: String,
    state: String,
}

/// A cloud and a currency.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CloudCurrency {
    cloud: String,
    currency: String,
}

/// A fleet.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FleetLabel {
    fleet: String,
}

/// Handles `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let text = render(&state).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// The whole exposition.
pub async fn render(state: &AppState) -> Result<String, ApiError> {
    let mut registry = Registry::with_prefix("spotplan");
    let counters = state.upstream.counters.clone();
    registry.register(
        "upstream_call_seconds",
        "Seconds each call to a cloud's API took, by what it came to",
        counters.upstream_seconds,
    );
    registry.register(
        "upstream_throttled",
        "Answers in which a cloud said it throttles",
        counters.throttled,
    );

    let orders: Family<CloudState, Gauge> = Family::default();
    let mut unresolved = 0;
    for ((cloud, status), count) in state.store.counts_by_cloud_and_status().await? {
        if status == "unknown" || status == "pending" {
            unresolved += count;
        }
        orders.get_or_create(&CloudState { cloud, state: status }).set(count);
    }
    registry.register("orders", "Orders in the log by cloud and outcome", orders);
    let unknown: Gauge = Gauge::default();
    unknown.set(unresolved);
    registry.register(
        "orders_unresolved",
        "Orders whose outcome is still unknown or pending (may exist at the cloud)",
        unknown,
    );

    let now_ms = crate::upstream::now_unix_millis();
    let instances: Family<CloudState, Gauge> = Family::default();
    let cost: Family<CloudCurrency, Gauge<f64, AtomicU64>> = Family::default();
    let reclaims: Family<CloudLabel, Gauge> = Family::default();
    let mut hourly: BTreeMap<(String, String), f64> = BTreeMap::new();
    for row in crate::instance_book::all(&state.store).await? {
        let view = row.view(now_ms);
        let cloud = view.cloud.id().to_owned();
        instances
            .get_or_create(&CloudState {
                cloud: cloud.clone(),
                state: view.state.id().into(),
            })
            .inc();
        if view.state == InstanceState::Reclaimed {
            reclaims.get_or_create(&CloudLabel { cloud: cloud.clone() }).inc();
        }
        if view.bills_now()
            && let Some(price) = view.price_per_hour
        {
            *hourly.entry((cloud, price.currency.code().into())).or_default() +=
                price.amount.to_f64().unwrap_or_default();
        }
    }
    for ((cloud, currency), per_hour) in hourly {
        cost.get_or_create(&CloudCurrency { cloud, currency }).set(per_hour);
    }
    registry.register(
        "instances",
        "Instances Spotplan placed or watches, by cloud and state",
        instances,
    );
    registry.register(
        "running_cost_per_hour",
        "What billing instances cost per hour together, by cloud and currency (price they were placed at)",
        cost,
    );
    registry.register("reclaims", "Instances the cloud reclaimed, by cloud", reclaims);

    let target: Family<FleetLabel, Gauge> = Family::default();
    let running: Family<FleetLabel, Gauge> = Family::default();
    for fleet in crate::fleet_book::active(&state.store).await? {
        let view = crate::fleets::shown(state, &fleet).await?;
        let label = FleetLabel { fleet: view.id.clone() };
        target.get_or_create(&label).set(i64::from(view.target));
        running.get_or_create(&label).set(i64::from(view.running_units));
    }
    registry.register("fleet_target_units", "Each active fleet's target", target);
    registry.register("fleet_running_units", "What each active fleet runs now", running);

    let leader: Gauge = Gauge::default();
    leader.set(i64::from(state.leadership.is_leader()));
    registry.register(
        "background_leader",
        "Whether this replica runs the background work (following instances, keeping fleets, refreshing prices)",
        leader,
    );
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry)
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("encoding metrics: {error}")))?;
    Ok(text)
}

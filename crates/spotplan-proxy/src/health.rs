//! `GET /api/v1/health`, the one API call open without the token: the proxy's version, whether the caller is
//! signed in (presented the token), per cloud whether it can submit orders and — to those signed in only — where its
//! credentials came from (never the credentials themselves) and any endpoint override, and the spend ceilings (types in [`spotplan_core::api::health`]); and the
//! probes a load balancer or orchestrator asks, open too: `GET /api/v1/live` (the process answers) and
//! `GET /api/v1/ready` (the order log's database answers with every migration applied; 503 otherwise).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use spotplan_core::Cloud;
use spotplan_core::api::health::{CloudHealth, CloudMode, Health, Probe, SpendCeilings};

use crate::AppState;
use crate::error::ApiError;

fn database(state: &AppState) -> String {
    if state.store.is_shared() {
        "postgresql"
    } else {
        "sqlite"
    }
    .into()
}

/// Handles `GET /api/v1/live`.
pub async fn live(State(state): State<AppState>) -> Json<Probe> {
    Json(Probe {
        status: "live".into(),
        database: database(&state),
    })
}

/// Handles `GET /api/v1/ready`: 503 `order_log_unavailable` while the database cannot take orders.
pub async fn ready(State(state): State<AppState>) -> Result<Json<Probe>, ApiError> {
    state.store.ready().await?;
    Ok(Json(Probe {
        status: "ready".into(),
        database: database(&state),
    }))
}

/// Handles `GET /api/v1/health`.
pub async fn health(State(state): State<AppState>, headers: HeaderMap) -> Json<Health> {
    let caller = crate::security::identify(&headers, &state).await.ok().flatten();
    let signed_in = caller.is_some();
    let spend = &state.config.spend;
    let clouds = Cloud::ALL
        .into_iter()
        .map(|cloud| {
            let loaded = state.credentials.get(cloud);
            CloudHealth {
                cloud,
                name: cloud.display_name().to_owned(),
                credentials_configured: loaded.is_some(),
                // Where things are (file paths, private endpoints) is for those signed in.
                credentials_source: loaded.filter(|_| signed_in).map(|loaded| loaded.source.clone()),
                mode: if loaded.is_some() {
                    CloudMode::Submit
                } else {
                    CloudMode::Planning
                },
                endpoint_override: state
                    .config
                    .endpoints
                    .get(cloud)
                    .filter(|_| signed_in)
                    .map(|endpoint| format!("{}://{}", endpoint.scheme, endpoint.authority)),
                account_currency: loaded.map(|loaded| loaded.account_currency),
                account_currency_source: loaded
                    .filter(|_| signed_in)
                    .map(|loaded| loaded.account_currency_source.clone()),
            }
        })
        .collect();
    Json(Health {
        service: "spotplan-proxy".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        signed_in,
        person: caller.and_then(|caller| caller.name()),
        clouds,
        spend: SpendCeilings {
            max_order_per_hour: spend.max_order_per_hour,
            max_spend_per_hour: spend.max_spend_per_hour,
            max_instances_per_order: spend.max_instances_per_order,
        },
    })
}

//! `GET /api/v1/health`, the one API call open without the token: the proxy's version, whether the caller is
//! signed in (presented the token), per cloud whether it can submit orders and where its credentials came from
//! — never the credentials themselves — and the spend ceilings (types in [`spotplan_core::api::health`]).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use spotplan_core::Cloud;
use spotplan_core::api::health::{CloudHealth, CloudMode, Health, SpendCeilings};

use crate::AppState;

/// Handles `GET /api/v1/health`.
pub async fn health(State(state): State<AppState>, headers: HeaderMap) -> Json<Health> {
    let spend = &state.config.spend;
    let clouds = Cloud::ALL
        .into_iter()
        .map(|cloud| {
            let loaded = state.credentials.get(cloud);
            CloudHealth {
                cloud,
                name: cloud.display_name().to_owned(),
                credentials_configured: loaded.is_some(),
                credentials_source: loaded.map(|loaded| loaded.source.clone()),
                mode: if loaded.is_some() {
                    CloudMode::Submit
                } else {
                    CloudMode::Planning
                },
                endpoint_override: state
                    .config
                    .endpoints
                    .get(cloud)
                    .map(|endpoint| format!("{}://{}", endpoint.scheme, endpoint.authority)),
                account_currency: loaded.map(|loaded| loaded.account_currency),
                account_currency_source: loaded.map(|loaded| loaded.account_currency_source.clone()),
            }
        })
        .collect();
    Json(Health {
        service: "spotplan-proxy".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        signed_in: crate::security::presents_token(&headers, &state),
        clouds,
        spend: SpendCeilings {
            max_order_per_hour: spend.max_order_per_hour,
            max_spend_per_hour: spend.max_spend_per_hour,
            max_instances_per_order: spend.max_instances_per_order,
        },
    })
}

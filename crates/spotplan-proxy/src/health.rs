//! `GET /api/v1/health`, the one API call open without the token: the proxy's version, whether the caller is
//! signed in (presented the token), and per cloud whether it can submit orders and where its credentials came
//! from — never the credentials themselves.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;
use spotplan_core::Cloud;

use crate::AppState;

/// The health answer.
#[derive(Debug, Serialize)]
pub struct Health {
    /// Always `"spotplan-proxy"`.
    pub service: &'static str,
    /// The proxy's version (the workspace version).
    pub version: &'static str,
    /// Whether this request carried the proxy's token (header or sign-in cookie): without it every other API
    /// call is refused, and the app tells the person to open the sign-in link.
    pub signed_in: bool,
    /// One entry per cloud, in [`Cloud::ALL`] order.
    pub clouds: Vec<CloudHealth>,
}

/// Whether one cloud can be used for submitting, and why.
#[derive(Debug, Serialize)]
pub struct CloudHealth {
    /// The cloud's id.
    pub cloud: Cloud,
    /// The cloud's display name.
    pub name: &'static str,
    /// Whether credentials are configured for the cloud.
    pub credentials_configured: bool,
    /// Where the credentials came from (an environment variable or file name), when configured.
    pub credentials_source: Option<String>,
    /// `"submit"` when orders can be placed, `"planning"` when the cloud is plan-only.
    pub mode: &'static str,
    /// The endpoint override in force, when one is set (a base URL, never a secret).
    pub endpoint_override: Option<String>,
}

/// Handles `GET /api/v1/health`.
pub async fn health(State(state): State<AppState>, headers: HeaderMap) -> Json<Health> {
    let clouds = Cloud::ALL
        .into_iter()
        .map(|cloud| {
            let loaded = state.credentials.get(cloud);
            CloudHealth {
                cloud,
                name: cloud.display_name(),
                credentials_configured: loaded.is_some(),
                credentials_source: loaded.map(|loaded| loaded.source.clone()),
                mode: if loaded.is_some() { "submit" } else { "planning" },
                endpoint_override: state
                    .config
                    .endpoints
                    .get(cloud)
                    .map(|endpoint| format!("{}://{}", endpoint.scheme, endpoint.authority)),
            }
        })
        .collect();
    Json(Health {
        service: "spotplan-proxy",
        version: env!("CARGO_PKG_VERSION"),
        signed_in: crate::security::presents_token(&headers, &state),
        clouds,
    })
}

//! `GET /api/v1/health`: the proxy's version and, per cloud, whether it could submit orders.

use axum::Json;
use axum::extract::State;
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
    /// Whether credentials are configured for the cloud. Never the credentials themselves.
    pub credentials_configured: bool,
    /// Where the credentials came from (an environment variable or file name), when configured.
    pub credentials_source: Option<String>,
    /// `"submit"` when orders can be placed, `"planning"` when the cloud is plan-only.
    pub mode: &'static str,
}

/// Handles `GET /api/v1/health`. Credential loading arrives with order submission; until then every cloud is
/// in planning mode.
pub async fn health(State(_state): State<AppState>) -> Json<Health> {
    let clouds = Cloud::ALL
        .into_iter()
        .map(|cloud| CloudHealth {
            cloud,
            name: cloud.display_name(),
            credentials_configured: false,
            credentials_source: None,
            mode: "planning",
        })
        .collect();
    Json(Health {
        service: "spotplan-proxy",
        version: env!("CARGO_PKG_VERSION"),
        clouds,
    })
}

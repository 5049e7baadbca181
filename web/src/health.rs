//! Asks the proxy whether it is there and which clouds it can submit to (`GET /api/v1/health`).

use serde::Deserialize;
use spotplan_core::Cloud;

/// The proxy's health answer, as the app reads it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProxyHealth {
    /// The proxy's version.
    pub version: String,
    /// Per cloud: whether orders can be placed.
    pub clouds: Vec<CloudHealth>,
}

/// One cloud's line in [`ProxyHealth`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CloudHealth {
    /// Which cloud.
    pub cloud: Cloud,
    /// Whether the proxy holds credentials for it.
    pub credentials_configured: bool,
    /// `"submit"` or `"planning"`.
    pub mode: String,
}

/// What the app knows about the proxy.
#[derive(Debug, Clone, PartialEq)]
pub enum ProxyStatus {
    /// The request is in flight.
    Checking,
    /// The proxy answered.
    Reachable(ProxyHealth),
    /// No proxy answered (the app is served statically, or the proxy is down): planning still works.
    Unreachable(String),
}

/// Fetches the health answer from the proxy that served the page.
pub async fn fetch_health() -> ProxyStatus {
    let response = match gloo_net::http::Request::get("/api/v1/health").send().await {
        Ok(response) => response,
        Err(error) => return ProxyStatus::Unreachable(format!("no answer: {error}")),
    };
    if !response.ok() {
        return ProxyStatus::Unreachable(format!("HTTP {} from /api/v1/health", response.status()));
    }
    match response.json::<ProxyHealth>().await {
        Ok(health) => ProxyStatus::Reachable(health),
        Err(error) => ProxyStatus::Unreachable(format!("not a Spotplan proxy answer: {error}")),
    }
}

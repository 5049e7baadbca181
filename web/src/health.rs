//! Asks the proxy whether it is there, whether this browser is signed in (holds the token cookie the proxy's
//! sign-in link sets) and which clouds it can submit to (`GET /api/v1/health`, the one call open without it).

use serde::Deserialize;
use spotplan_core::Cloud;

/// The proxy's health answer, as the app reads it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProxyHealth {
    /// The proxy's version.
    pub version: String,
    /// Whether this browser presented the proxy's token (an older proxy without the field: not signed in).
    #[serde(default)]
    pub signed_in: bool,
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
    /// The proxy answered and this browser is signed in: live prices and submitting work.
    Reachable(ProxyHealth),
    /// The proxy answered but this browser is not signed in: every call but health would be refused until the
    /// person opens the sign-in link the proxy printed. Planning still works.
    NotSignedIn(ProxyHealth),
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
        Ok(health) => ProxyStatus::from_health(health),
        Err(error) => ProxyStatus::Unreachable(format!("not a Spotplan proxy answer: {error}")),
    }
}

impl ProxyStatus {
    /// The status a health answer means.
    pub fn from_health(health: ProxyHealth) -> ProxyStatus {
        if health.signed_in {
            ProxyStatus::Reachable(health)
        } else {
            ProxyStatus::NotSignedIn(health)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_health_answer_without_the_token_means_not_signed_in() {
        let answer = |signed_in: &str| {
            serde_json::from_str::<ProxyHealth>(&format!(
                r#"{{"service": "spotplan-proxy", "version": "0.1.0", {signed_in} "clouds": []}}"#
            ))
            .unwrap()
        };
        assert!(matches!(
            ProxyStatus::from_health(answer(r#""signed_in": true,"#)),
            ProxyStatus::Reachable(_)
        ));
        assert!(matches!(
            ProxyStatus::from_health(answer(r#""signed_in": false,"#)),
            ProxyStatus::NotSignedIn(_)
        ));
        assert!(matches!(
            ProxyStatus::from_health(answer("")),
            ProxyStatus::NotSignedIn(_)
        ));
    }
}

//! Asks the proxy whether it is there, whether this browser is signed in (holds the token cookie the proxy's
//! sign-in link sets) and which clouds it can submit to (`GET /api/v1/health`, the one call open without it).

use spotplan_core::Cloud;
use spotplan_core::api::health::Health;

use crate::api::{self, ApiError};

/// What the app knows about the proxy.
#[derive(Debug, Clone, PartialEq)]
pub enum ProxyStatus {
    /// The request is in flight.
    Checking,
    /// The proxy answered and this browser is signed in: live prices and submitting work.
    Reachable(Health),
    /// The proxy answered but this browser is not signed in: every call but health would be refused until the
    /// person opens the sign-in link the proxy printed. Planning still works.
    NotSignedIn(Health),
    /// No proxy answered (the app is served statically, or the proxy is down): planning still works.
    Unreachable(String),
}

/// Fetches the health answer from the proxy that served the page.
pub async fn fetch_health() -> ProxyStatus {
    match api::health().await {
        Ok(health) => ProxyStatus::from_health(health),
        Err(ApiError::Unreadable { status, .. }) => {
            ProxyStatus::Unreachable(format!("not a Spotplan proxy answer (HTTP {status})"))
        }
        Err(error) => ProxyStatus::Unreachable(error.to_string()),
    }
}

impl ProxyStatus {
    /// The status a health answer means.
    pub fn from_health(health: Health) -> ProxyStatus {
        if health.signed_in {
            ProxyStatus::Reachable(health)
        } else {
            ProxyStatus::NotSignedIn(health)
        }
    }

    /// Whether orders for `cloud` can be sent: the proxy is there, this browser is signed in, and it holds the
    /// cloud's credentials.
    pub fn can_submit(&self, cloud: Cloud) -> bool {
        match self {
            ProxyStatus::Reachable(health) => health.cloud(cloud).is_some_and(|line| line.credentials_configured),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotplan_core::api::health::{CloudHealth, CloudMode, SpendCeilings};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn health(signed_in: bool, alibaba_credentials: bool) -> Health {
        Health {
            service: "spotplan-proxy".into(),
            version: "0.1.0".into(),
            signed_in,
            person: None,
            clouds: vec![CloudHealth {
                cloud: Cloud::Alibaba,
                name: "Alibaba Cloud ECS".into(),
                credentials_configured: alibaba_credentials,
                credentials_source: None,
                mode: if alibaba_credentials {
                    CloudMode::Submit
                } else {
                    CloudMode::Planning
                },
                endpoint_override: None,
                account_currency: None,
                account_currency_source: None,
            }],
            spend: SpendCeilings {
                max_order_per_hour: None,
                max_spend_per_hour: None,
                max_instances_per_order: 100,
            },
        }
    }

    #[test]
    fn a_health_answer_without_the_token_means_not_signed_in() {
        assert!(matches!(
            ProxyStatus::from_health(health(true, true)),
            ProxyStatus::Reachable(_)
        ));
        assert!(matches!(
            ProxyStatus::from_health(health(false, true)),
            ProxyStatus::NotSignedIn(_)
        ));
    }

    #[test]
    fn submitting_needs_the_sign_in_and_the_clouds_credentials() {
        assert!(ProxyStatus::from_health(health(true, true)).can_submit(Cloud::Alibaba));
        assert!(!ProxyStatus::from_health(health(true, false)).can_submit(Cloud::Alibaba));
        assert!(!ProxyStatus::from_health(health(false, true)).can_submit(Cloud::Alibaba));
        assert!(!ProxyStatus::from_health(health(true, true)).can_submit(Cloud::Tencent));
        assert!(!ProxyStatus::Unreachable("down".into()).can_submit(Cloud::Alibaba));
    }
}

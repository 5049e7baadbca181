//! The app's one client of the proxy: each endpoint as a typed call taking and returning the core's API types
//! (`spotplan_core::api`), and one way of reading an answer — the typed body on success, the proxy's one error
//! shape otherwise — so a field changed in the core breaks this crate's build, not a page at run time.

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;
use spotplan_core::api::error::ErrorBody;
use spotplan_core::api::health::Health;
use spotplan_core::api::orders::{LookupAnswer, LookupBody, OrderList, QuotedOrder, SubmitAnswer};
use spotplan_core::api::prices::{PricesAnswer, PricesBody};
use spotplan_core::api::{self, IDEMPOTENCY_KEY};

/// Why a call gave no typed answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The request could not be built or no answer came (the proxy is down, or the page is served statically).
    /// (The browser's own words, such as "TypeError: Failed to fetch", stay in the value and are not shown.)
    #[error("the proxy did not answer")]
    NoAnswer(String),
    /// The proxy answered with its error shape: the code, and the message naming the field and the rule.
    #[error("{}", .0.error.message)]
    Refused(ErrorBody),
    /// The proxy answered with its error shape and a server error's status (its order log unavailable, an
    /// internal error): it may have acted before it failed — a money action's outcome is unknown, not refused.
    #[error("{} (HTTP {status})", .body.error.message)]
    ServerFault {
        /// The HTTP status (5xx).
        status: u16,
        /// The proxy's error.
        body: ErrorBody,
    },
    /// An answer that is neither the expected type nor the error shape (a gateway page, another server).
    #[error("an answer that is not the proxy's (HTTP {status})")]
    Unreadable {
        /// The HTTP status.
        status: u16,
        /// What did not parse.
        detail: String,
    },
}

impl ApiError {
    /// Whether this answer to `POST /api/v1/orders` says that nothing was placed under the key it was sent with.
    /// Two kinds of refusal say so:
    /// - those the proxy gives only after it found nothing logged under the key (a rule, a region, a ceiling, the
    ///   credentials, the account's currency, a ClientToken): a logged key is answered from its log whatever a
    ///   retry's own refusal, and an order an earlier attempt may have sent stays unknown even where this attempt
    ///   cannot send it (`exactly_once::process_held`, `stays_unknown`) — so these hold on a retry too;
    /// - those it gives before it looks at the key at all (who may call, the request's form, the key's own form):
    ///   they say nothing of an earlier send under the key, so only of a first send (`resending` false).
    ///
    /// Every other answer — no answer, a server fault, a gateway page, `outcome_unknown`, a key already holding
    /// another order, a request timeout while the order's task went on, a code this list does not know — may mean
    /// an order exists.
    pub fn placed_nothing(&self, resending: bool) -> bool {
        let ApiError::Refused(body) = self else {
            return false;
        };
        let after_the_log = matches!(
            body.error.code.as_str(),
            "invalid_order"
                | "invalid_region"
                | "spend_ceiling"
                | "no_credentials"
                | "account_currency_mismatch"
                | "client_token_reserved"
                | "client_token_of_another"
                | "client_token_case_variant"
                | "image_unchecked"
        );
        let before_the_key = matches!(
            body.error.code.as_str(),
            "malformed_order"
                | "idempotency_key_required"
                | "idempotency_key_invalid"
                | "idempotency_key_reserved"
                | "token_required"
                | "host_not_allowed"
                | "foreign_origin"
                | "unsupported_media_type"
                | "body_too_large"
                | "invalid_json"
        );
        after_the_log || (before_the_key && !resending)
    }
}

/// Sends a request and reads its answer as `T`, or the proxy's error shape.
async fn call<T: DeserializeOwned>(request: Result<Request, gloo_net::Error>) -> Result<T, ApiError> {
    let request = request.map_err(|error| ApiError::NoAnswer(error.to_string()))?;
    let response = request
        .send()
        .await
        .map_err(|error| ApiError::NoAnswer(error.to_string()))?;
    read(response).await
}

async fn read<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    let status = response.status();
    let body = response.text().await.map_err(|error| ApiError::Unreadable {
        status,
        detail: error.to_string(),
    })?;
    let unreadable = |error: serde_json::Error| ApiError::Unreadable {
        status,
        detail: error.to_string(),
    };
    if response.ok() {
        serde_json::from_str(&body).map_err(unreadable)
    } else {
        Err(
            serde_json::from_str::<ErrorBody>(&body).map_or_else(unreadable, |body| {
                if status >= 500 {
                    ApiError::ServerFault { status, body }
                } else {
                    ApiError::Refused(body)
                }
            }),
        )
    }
}

/// `POST /api/v1/sign-in`: the session cookie for the proxy's token, a sign-in code or a person's key (204), or
/// the proxy's refusal.
pub async fn sign_in(token: &str) -> Result<(), ApiError> {
    let body = spotplan_core::api::sign_in::SignInBody {
        token: token.to_owned(),
    };
    let request = Request::post(api::SIGN_IN)
        .json(&body)
        .map_err(|error| ApiError::NoAnswer(error.to_string()))?;
    let response = request
        .send()
        .await
        .map_err(|error| ApiError::NoAnswer(error.to_string()))?;
    if response.status() == 204 {
        return Ok(());
    }
    read::<serde_json::Value>(response).await.map(drop)
}

/// `GET /api/v1/health`: open without the token.
pub async fn health() -> Result<Health, ApiError> {
    call(Request::get(api::HEALTH).build()).await
}

/// `POST /api/v1/orders` under the draft's idempotency key (kept on retries, so a resend places nothing twice).
pub async fn submit_order(order: &QuotedOrder, idempotency_key: &str) -> Result<SubmitAnswer, ApiError> {
    call(
        Request::post(api::ORDERS)
            .header(IDEMPOTENCY_KEY, idempotency_key)
            .json(order),
    )
    .await
}

/// `POST /api/v1/orders/{id}/lookup`: looks an unknown order up at the cloud by its tag.
pub async fn lookup_order(id: &str) -> Result<LookupAnswer, ApiError> {
    call(Request::post(&format!("{}/{id}/lookup", api::ORDERS)).json(&LookupBody {})).await
}

/// `GET /api/v1/orders`: the order log, newest first.
pub async fn orders() -> Result<OrderList, ApiError> {
    call(Request::get(api::ORDERS).build()).await
}

/// `GET /api/v1/instances`: the instances Spotplan placed, newest first, with cost so far — every one, or (with
/// `ended_since_ms`) the live ones and those that ended since then, with a count of the others.
pub async fn instances(
    ended_since_ms: Option<i64>,
) -> Result<spotplan_core::api::instances::InstancesAnswer, ApiError> {
    match ended_since_ms {
        None => call(Request::get(api::INSTANCES).build()).await,
        Some(since) => call(Request::get(&format!("{}?ended_since_ms={since}", api::INSTANCES)).build()).await,
    }
}

/// `POST /api/v1/instances/discover`: the region's spot instances the book lacks join it.
pub async fn discover(
    body: &spotplan_core::api::instances::DiscoverBody,
) -> Result<spotplan_core::api::instances::WatchAnswer, ApiError> {
    call(Request::post(api::DISCOVER).json(body)).await
}

/// `POST /api/v1/instances/watch`: instances started outside Spotplan join the instance book.
pub async fn watch(
    body: &spotplan_core::api::instances::WatchBody,
) -> Result<spotplan_core::api::instances::WatchAnswer, ApiError> {
    call(Request::post(api::WATCH).json(body)).await
}

/// `POST /api/v1/instances/release` under one idempotency key per confirmed release (kept on retries).
pub async fn release(
    body: &spotplan_core::api::instances::ReleaseBody,
    idempotency_key: &str,
) -> Result<spotplan_core::api::instances::ReleaseAnswer, ApiError> {
    call(
        Request::post(api::RELEASE)
            .header(IDEMPOTENCY_KEY, idempotency_key)
            .json(body),
    )
    .await
}

/// `POST /api/v1/prices`: live quotes of the offers asked.
pub async fn prices(body: &PricesBody) -> Result<PricesAnswer, ApiError> {
    call(Request::post(api::PRICES).json(body)).await
}

/// `GET /api/v1/catalog?since=`: the prices the proxy stored after a point (changes only).
pub async fn catalog_delta(since: i64) -> Result<spotplan_core::api::catalog::CatalogDelta, ApiError> {
    call(Request::get(&format!("{}?since={since}", api::CATALOG)).build()).await
}

/// `GET /api/v1/refresh`: where the proxy's price refresher stands.
pub async fn refresh_progress() -> Result<spotplan_core::api::refresh::RefreshProgress, ApiError> {
    call(Request::get(api::REFRESH).build()).await
}

/// `PUT /api/v1/refresh`: turn the price refresher on (with its pools) or off.
pub async fn set_refresh(
    settings: &spotplan_core::api::refresh::RefreshSettings,
) -> Result<spotplan_core::api::refresh::RefreshProgress, ApiError> {
    call(Request::put(api::REFRESH).json(settings)).await
}

/// `POST /api/v1/signals`: what the cloud says of a region's pools (Alibaba's interruption buckets, Tencent's
/// sold-out status).
pub async fn signals(
    body: &spotplan_core::api::signals::SignalsBody,
) -> Result<spotplan_core::api::signals::SignalsAnswer, ApiError> {
    call(Request::post(api::SIGNALS).json(body)).await
}

/// `POST /api/v1/resources`: one list of the account's resources in a region (images, VPCs, subnets, security
/// groups, key pairs).
pub async fn resources(
    body: &spotplan_core::api::resources::ResourcesBody,
) -> Result<spotplan_core::api::resources::ResourcesAnswer, ApiError> {
    call(Request::post(api::RESOURCES).json(body)).await
}

/// `POST /api/v1/fleets` under the fleet draft's idempotency key (kept on retries, so a resend places nothing twice).
pub async fn submit_fleet(
    body: &spotplan_core::api::fleets::FleetSubmission,
    idempotency_key: &str,
) -> Result<spotplan_core::api::fleets::FleetAnswer, ApiError> {
    call(
        Request::post(api::FLEETS)
            .header(IDEMPOTENCY_KEY, idempotency_key)
            .json(body),
    )
    .await
}

/// `GET /api/v1/fleets`: every fleet, newest first.
pub async fn fleets() -> Result<spotplan_core::api::fleets::FleetList, ApiError> {
    call(Request::get(api::FLEETS).build()).await
}

/// `POST /api/v1/fleets/{id}/stop`: stop maintaining the fleet, and release its instances when asked.
pub async fn stop_fleet(id: &str, release: bool) -> Result<spotplan_core::api::fleets::FleetAnswer, ApiError> {
    let path = api::fleet_stop_path(&String::from(js_sys::encode_uri_component(id)));
    call(Request::post(&path).json(&spotplan_core::api::fleets::StopFleet { release })).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotplan_core::api::error::ErrorDetail;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn body(code: &str) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message: String::new(),
                field: None,
                problems: None,
            },
        }
    }

    fn refused(code: &str) -> ApiError {
        ApiError::Refused(body(code))
    }

    #[test]
    fn only_a_refusal_before_anything_was_logged_says_nothing_was_placed() {
        for code in [
            "spend_ceiling",
            "image_unchecked",
            "invalid_order",
            "no_credentials",
            "token_required",
        ] {
            assert!(refused(code).placed_nothing(false), "{code}");
        }
        // On a retry, a refusal before the key was looked at says nothing of the earlier send (a proxy restarted
        // with a new token answers token_required to an order it may have placed); one after the log does.
        assert!(!refused("token_required").placed_nothing(true));
        assert!(refused("spend_ceiling").placed_nothing(true));
        // The order may exist: the key holds an order (unknown, or another body), the request timed out while the
        // order's own task went on, or a code this build does not know.
        for code in [
            "outcome_unknown",
            "idempotency_key_reused",
            "request_timeout",
            "a_new_code",
        ] {
            assert!(!refused(code).placed_nothing(false), "{code}");
        }
        let server_fault = ApiError::ServerFault {
            status: 503,
            body: body("spend_ceiling"),
        };
        assert!(!server_fault.placed_nothing(false), "a server fault may follow a send");
        assert!(!ApiError::NoAnswer("connection refused".into()).placed_nothing(false));
    }
}

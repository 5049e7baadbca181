//! One read-only call to a cloud, for what only reads (pool signals, the account's resources, the refresher's
//! quotes): routed to the cloud's own host (or its configured override), signed with the cloud's credentials, sent
//! through the bounded upstream client, and its answer's body returned — or, in words, why no answer came.
//! [`answer_body_once`] sends it once, never again whatever the answer: for callers that count their calls
//! against a budget (the refresher) and ask again later themselves.

use spotplan_core::Cloud;
use spotplan_core::order::request::HttpRequest;

use crate::AppState;
use crate::credentials::Loaded;
use crate::upstream::Exchange;

/// Sends `request` to `cloud` with `credentials` and returns the body the cloud answered (whatever its status:
/// the cloud's folder reads its error envelope), or why nothing was answered.
pub async fn answer_body(
    state: &AppState,
    cloud: Cloud,
    credentials: &Loaded,
    request: HttpRequest,
) -> Result<Vec<u8>, String> {
    answer(state, cloud, credentials, request).await.map(|(_, body)| body)
}

/// Like [`answer_body`], with the HTTP status the cloud answered with.
pub async fn answer(
    state: &AppState,
    cloud: Cloud,
    credentials: &Loaded,
    mut request: HttpRequest,
) -> Result<(u16, Vec<u8>), String> {
    state
        .config
        .endpoints
        .route(cloud, &mut request)
        .map_err(|error| error.to_string())?;
    let sent = state
        .upstream
        .send(cloud, &request, &credentials.credentials)
        .await
        .map_err(|error| error.to_string())?;
    match sent.exchange {
        Exchange::Answered { status, body } => Ok((status, body)),
        Exchange::NoAnswer { reason } | Exchange::NotSent { reason } => Err(reason),
    }
}

/// Like [`answer_body`], sent once: a throttled or failed call is not retried here, so each call is one request
/// (a budget of queries a minute counts what reaches the cloud, and a throttling cloud is not asked three times).
pub async fn answer_body_once(
    state: &AppState,
    cloud: Cloud,
    credentials: &Loaded,
    mut request: HttpRequest,
) -> Result<Vec<u8>, String> {
    state
        .config
        .endpoints
        .route(cloud, &mut request)
        .map_err(|error| error.to_string())?;
    match state
        .upstream
        .send_once(cloud, &request, &credentials.credentials)
        .await
        .map_err(|error| error.to_string())?
    {
        Exchange::Answered { body, .. } => Ok(body),
        Exchange::NoAnswer { reason } | Exchange::NotSent { reason } => Err(reason),
    }
}

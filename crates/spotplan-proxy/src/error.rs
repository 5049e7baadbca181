//! The one JSON error shape every error answer of the proxy has: `{"error": {"code", "message", "field"?,
//! "problems"?}}`. User errors carry their own message; internal errors are logged and answered generically.
//! Answers other layers make in plain text are re-worded into this shape by [`crate::json_errors`].

use axum::Json;
use axum::extract::OriginalUri;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use spotplan_core::Cloud;
use spotplan_core::api::error::{ErrorBody, ErrorDetail};
use spotplan_core::order::Problem;

/// An error answered to an API caller.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No API route matches the path.
    #[error("no API endpoint at {path}")]
    NotFound {
        /// The path that was asked for.
        path: String,
    },
    /// No order has this id.
    #[error("no order with id {id}")]
    OrderNotFound {
        /// The id asked for.
        id: String,
    },
    /// The `Host` header (or the request's authority) is not a name this proxy answers to: a DNS-rebinding page,
    /// or a name that was not configured with `--allowed-host`.
    #[error(
        "this proxy does not answer to host {host}: open it at {expected}, or start it with --allowed-host NAME to add a name"
    )]
    HostNotAllowed {
        /// The Host asked for (shortened), or `(none)`.
        host: String,
        /// The address to use instead.
        expected: String,
    },
    /// An API call (anything but health) without the proxy's token.
    #[error(
        "this call needs the proxy's token: sign this browser in with the link the proxy printed at start, or send the token in the X-Spotplan-Token header"
    )]
    TokenRequired,
    /// A request body that is not declared as JSON.
    #[error("the body must be JSON: send it with Content-Type: application/json (got {content_type})")]
    NotJson {
        /// The Content-Type that was sent, or `(none)`.
        content_type: String,
    },
    /// An error another layer answered in plain text (an extractor rejection, 405, 413, a timeout), re-worded
    /// into the one shape by [`crate::json_errors`].
    #[error("{message}")]
    Rejected {
        /// The status the other layer chose.
        status: StatusCode,
        /// A stable code derived from the status.
        code: &'static str,
        /// What went wrong.
        message: String,
        /// The field, when the rejection named one.
        field: Option<String>,
    },
    /// A call from another site.
    #[error("requests from origin {origin} are refused: only the page this proxy serves may call it")]
    ForeignOrigin {
        /// The Origin header, or the browser's `Sec-Fetch-Site` word in brackets.
        origin: String,
        /// The header that said so (`Origin` or `Sec-Fetch-Site`).
        header: &'static str,
    },
    /// A malformed request, naming the field.
    #[error("{message}")]
    BadRequest {
        /// A stable code.
        code: &'static str,
        /// What is wrong.
        message: String,
        /// The field, when there is one.
        field: Option<String>,
    },
    /// The order breaks the cloud's rules.
    #[error("the order has {} problem(s); nothing was sent", problems.len())]
    InvalidOrder {
        /// Every problem, as the core reports them.
        problems: Vec<Problem>,
    },
    /// The idempotency key was used for a different order.
    #[error("idempotency key {key} was already used for a different order; use a new key for a changed order")]
    KeyConflict {
        /// The key.
        key: String,
    },
    /// No credentials for the cloud: planning mode.
    #[error("no credentials for {cloud} (planning mode): set {hint} and restart the proxy; nothing was sent")]
    NoCredentials {
        /// The cloud.
        cloud: Cloud,
        /// The variables to set.
        hint: &'static str,
    },
    /// The order is over a configured spend ceiling; nothing was logged or sent.
    #[error("{message}; nothing was sent")]
    SpendCeiling {
        /// The field to change.
        field: &'static str,
        /// The ceiling, the order's figure and how it was computed.
        message: String,
        /// The limit, when it lifts by itself — a budget as instances end or a month begins, the hourly ceiling as
        /// orders age out of the hour — so the same order may go out later (the fleet keeper waits for it); `None`
        /// when the order itself must change (a ceiling for one order, a bid nothing bounds).
        lifts_by_itself: Option<&'static str>,
    },
    /// An order whose outcome is unknown and whose ClientToken the cloud may no longer honour: not resent.
    #[error(
        "order {id} may exist at the cloud, and it was first sent too long ago for Spotplan to resend it safely \
         (the cloud may have forgotten ClientToken {client_token}): look for instances with that ClientToken in the \
         cloud console; submit a new order only if there are none"
    )]
    OutcomeUnknown {
        /// The order's id.
        id: String,
        /// Its ClientToken.
        client_token: String,
    },
    /// The order log could not be read or written; the details go to the log only.
    #[error("{}", store_message(.0))]
    Store(#[from] crate::stored::StoreError),
    /// Calls to the cloud went out (a release, a fleet's first orders), then writing what they answered failed:
    /// the cloud may have acted, so the answer must not say "nothing was sent".
    #[error("{}", after_sending_message(what))]
    StoreAfterSending {
        /// What was sent ("release", "fleet").
        what: &'static str,
        /// The store's failure (to the log only).
        #[source]
        source: crate::stored::StoreError,
    },
    /// Something failed inside the proxy; the details go to the log only.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// The header a caller changes to get past this error, for those whose cause is always the same header
    /// (`None` for the rest: a field is named where such an error is built, and a store or internal fault, or an
    /// outcome to look up first, is not the request's fault).
    /// The field or header the answer names (an invalid order names each problem's instead).
    pub fn field(&self) -> Option<String> {
        match self {
            ApiError::BadRequest { field, .. } | ApiError::Rejected { field, .. } => field.clone(),
            ApiError::SpendCeiling { field, .. } => Some((*field).to_owned()),
            other => other.header_or_field().map(str::to_owned),
        }
    }

    /// The answer's stable code (`spend_ceiling`, `no_credentials`, …).
    pub fn code(&self) -> &'static str {
        self.status_and_code().1
    }

    fn header_or_field(&self) -> Option<&'static str> {
        match self {
            ApiError::HostNotAllowed { .. } => Some("Host"),
            ApiError::TokenRequired => Some("X-Spotplan-Token"),
            ApiError::NotJson { .. } => Some("Content-Type"),
            ApiError::ForeignOrigin { header, .. } => Some(header),
            ApiError::KeyConflict { .. } => Some("Idempotency-Key"),
            _ => None,
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::OrderNotFound { .. } => (StatusCode::NOT_FOUND, "order_not_found"),
            ApiError::HostNotAllowed { .. } => (StatusCode::FORBIDDEN, "host_not_allowed"),
            ApiError::TokenRequired => (StatusCode::UNAUTHORIZED, "token_required"),
            ApiError::NotJson { .. } => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            ApiError::Rejected { status, code, .. } => (*status, code),
            ApiError::ForeignOrigin { .. } => (StatusCode::FORBIDDEN, "foreign_origin"),
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::InvalidOrder { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_order"),
            ApiError::KeyConflict { .. } => (StatusCode::CONFLICT, "idempotency_key_reused"),
            ApiError::NoCredentials { .. } => (StatusCode::PRECONDITION_FAILED, "no_credentials"),
            ApiError::SpendCeiling { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "spend_ceiling"),
            ApiError::OutcomeUnknown { .. } => (StatusCode::CONFLICT, "outcome_unknown"),
            ApiError::Store(crate::stored::StoreError::WriteUnconfirmed(_)) => {
                (StatusCode::SERVICE_UNAVAILABLE, "order_log_unconfirmed")
            }
            ApiError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "order_log_unavailable"),
            ApiError::StoreAfterSending { .. } => (StatusCode::SERVICE_UNAVAILABLE, "log_failed_after_sending"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        match &self {
            ApiError::Internal(source) => tracing::error!(error = %source, "internal error"),
            ApiError::Store(source) => tracing::error!(error = %source, "order log error"),
            ApiError::StoreAfterSending { what, source } => {
                tracing::error!(error = %source, what, "log error after calls were sent")
            }
            _ => {}
        }
        let (field, problems) = match &self {
            ApiError::InvalidOrder { problems } => (None, Some(problems.clone())),
            other => (other.field(), None),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message: self.to_string(),
                field,
                problems,
            },
        };
        (status, Json(body)).into_response()
    }
}

/// What a person is told when the log failed after calls may have gone out: that the cloud may have acted, and how
/// to learn the outcome (a stop has no key: asking for it again is safe).
fn after_sending_message(what: &str) -> String {
    let retry = if what == "fleet stop" {
        "ask for the stop again (it never releases one set twice) to learn the outcome"
    } else {
        "retry with the same idempotency key to learn the outcome, never under a new key"
    };
    format!(
        "the {what} is logged and its calls to the cloud may have gone out, but the log could not record what came \
         back: the cloud may have acted — {retry}"
    )
}

/// What a person is told when the order log failed: nothing of the failure's details (they go to the log), and
/// — when the write may have landed — that it may have, so nobody resubmits under a new key what may be sent.
fn store_message(error: &crate::stored::StoreError) -> &'static str {
    match error {
        crate::stored::StoreError::WriteUnconfirmed(_) => {
            "the order log's database stopped answering before it confirmed the write: it may have been logged, and \
             a logged order is sent — retry with the same idempotency key to learn the outcome, never under a new key"
        }
        _ => {
            "the order log is unavailable; if this was a new order, nothing was sent — retry with the same \
             idempotency key"
        }
    }
}

/// Answers any unknown `/api/…` path with a JSON 404 rather than the web app's HTML.
pub async fn api_not_found(OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::NotFound {
        path: uri.path().to_owned(),
    }
}

//! The one JSON error shape every API endpoint answers with: `{"error": {"code", "message", "field"?,
//! "problems"?}}`. User errors carry their own message; internal errors are logged and answered generically.

use axum::Json;
use axum::extract::OriginalUri;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use spotplan_core::Cloud;
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
    /// A mutating call without the per-start token.
    #[error(
        "this call needs the proxy's token: send it in the X-Spotplan-Token header (the proxy printed it at start)"
    )]
    TokenRequired,
    /// A call from another site.
    #[error("requests from origin {origin} are refused: only the page this proxy serves may call it")]
    ForeignOrigin {
        /// The Origin header.
        origin: String,
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
    /// Something failed inside the proxy; the details go to the log only.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Debug, Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problems: Option<&'a [Problem]>,
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::OrderNotFound { .. } => (StatusCode::NOT_FOUND, "order_not_found"),
            ApiError::TokenRequired => (StatusCode::UNAUTHORIZED, "token_required"),
            ApiError::ForeignOrigin { .. } => (StatusCode::FORBIDDEN, "foreign_origin"),
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::InvalidOrder { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_order"),
            ApiError::KeyConflict { .. } => (StatusCode::CONFLICT, "idempotency_key_reused"),
            ApiError::NoCredentials { .. } => (StatusCode::PRECONDITION_FAILED, "no_credentials"),
            ApiError::SpendCeiling { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "spend_ceiling"),
            ApiError::OutcomeUnknown { .. } => (StatusCode::CONFLICT, "outcome_unknown"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(source) = &self {
            tracing::error!(error = %source, "internal error");
        }
        let (field, problems) = match &self {
            ApiError::BadRequest { field, .. } => (field.as_deref(), None),
            ApiError::SpendCeiling { field, .. } => (Some(*field), None),
            ApiError::InvalidOrder { problems } => (None, Some(problems.as_slice())),
            _ => (None, None),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.to_string(),
                field,
                problems,
            },
        };
        (status, Json(body)).into_response()
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> ApiError {
        ApiError::Internal(error.into())
    }
}

/// Answers any unknown `/api/…` path with a JSON 404 rather than the web app's HTML.
pub async fn api_not_found(OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::NotFound {
        path: uri.path().to_owned(),
    }
}

//! The one JSON error shape every API endpoint answers with: `{"error": {"code", "message", "field"}}`.

use axum::Json;
use axum::extract::OriginalUri;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answered to an API caller. User errors carry their own message; internal errors are logged and
/// answered with a generic one.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No API route matches the path.
    #[error("no API endpoint at {path}")]
    NotFound {
        /// The path that was asked for.
        path: String,
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
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            ApiError::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Internal(source) => {
                tracing::error!(error = %source, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.to_string(),
                field: None,
            },
        };
        (status, Json(body)).into_response()
    }
}

/// Answers any unknown `/api/…` path with a JSON 404 rather than the web app's HTML.
pub async fn api_not_found(OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::NotFound {
        path: uri.path().to_owned(),
    }
}

//! One JSON error shape for every error answer: a layer over the whole app that re-words what other layers answer
//! in plain text or with an empty body — axum's query, JSON and path rejections, 405, the body limit's 413, the
//! timeout's 504 — into `{"error": {"code", "message", "field"?}}` with the same status.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The longest plain-text message taken over from another layer.
const MAX_MESSAGE_BYTES: usize = 2048;

/// Re-words non-JSON error answers; everything else passes untouched.
pub async fn one_shape(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(response.headers()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let plain_text = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/plain"))
        && !parts.headers.contains_key(header::CONTENT_ENCODING);
    let text = if plain_text && status.is_client_error() {
        axum::body::to_bytes(body, MAX_MESSAGE_BYTES)
            .await
            .ok()
            .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
            .filter(|text| !text.trim().is_empty())
    } else {
        None
    };
    let (code, field) = code_and_field(status, text.as_deref());
    let message = match text {
        Some(text) if status != StatusCode::PAYLOAD_TOO_LARGE => text.trim().to_owned(),
        _ => default_message(status, &method, &path),
    };
    let mut rewritten = ApiError::Rejected {
        status,
        code,
        message,
        field,
    }
    .into_response();
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(value) = parts.headers.get(&name) {
            rewritten.headers_mut().insert(name, value.clone());
        }
    }
    rewritten
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"))
}

/// A stable code for the status; for axum's query and JSON rejections, also the field they name
/// (`"Failed to deserialize query string: limit: invalid digit found in string"` names `limit`).
fn code_and_field(status: StatusCode, text: Option<&str>) -> (&'static str, Option<String>) {
    let named = |prefix: &str| {
        text.and_then(|text| text.strip_prefix(prefix))
            .and_then(|rest| rest.split_once(": "))
            .map(|(path, _)| path)
            .filter(|path| {
                *path != "."
                    && path
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'[' | b']' | b'-'))
            })
            .map(str::to_owned)
    };
    if let Some(field) = named("Failed to deserialize query string: ") {
        return ("invalid_query", Some(field));
    }
    if let Some(field) = named("Failed to deserialize the JSON body into the target type: ") {
        return ("invalid_json", Some(field));
    }
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        StatusCode::GATEWAY_TIMEOUT => "timeout",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        status if status.is_client_error() => "client_error",
        _ => "internal",
    };
    (code, None)
}

fn default_message(status: StatusCode, method: &Method, path: &str) -> String {
    let path: String = path.chars().take(100).collect();
    match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            format!("{path} does not take {method}; see /api/openapi.json for what it takes")
        }
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "the request body is larger than the {} KiB the proxy accepts",
            crate::BODY_LIMIT_BYTES / 1024
        ),
        StatusCode::GATEWAY_TIMEOUT | StatusCode::REQUEST_TIMEOUT => format!(
            "the proxy stopped waiting after {} s; an order's outcome may be unknown: look it up in the order log before resending it with the same Idempotency-Key",
            crate::API_CALL_TIMEOUT.as_secs()
        ),
        StatusCode::NOT_FOUND => format!("nothing at {path}"),
        status if status.is_client_error() => format!(
            "the request was refused ({})",
            status.canonical_reason().unwrap_or("client error").to_ascii_lowercase()
        ),
        _ => "internal error".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axum_rejections_name_their_field() {
        assert_eq!(
            code_and_field(
                StatusCode::BAD_REQUEST,
                Some("Failed to deserialize query string: limit: invalid digit found in string")
            ),
            ("invalid_query", Some("limit".to_owned()))
        );
        assert_eq!(
            code_and_field(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(
                    "Failed to deserialize the JSON body into the target type: offers[0].cloud: unknown variant `aws` at line 1 column 9"
                )
            ),
            ("invalid_json", Some("offers[0].cloud".to_owned()))
        );
        assert_eq!(
            code_and_field(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("Failed to parse the request body as JSON: x")
            ),
            ("invalid_body", None)
        );
        assert_eq!(
            code_and_field(StatusCode::METHOD_NOT_ALLOWED, None),
            ("method_not_allowed", None)
        );
        assert_eq!(code_and_field(StatusCode::BAD_GATEWAY, None), ("internal", None));
    }

    #[test]
    fn default_messages_say_what_to_do() {
        assert_eq!(
            default_message(StatusCode::METHOD_NOT_ALLOWED, &Method::PUT, "/api/v1/health"),
            "/api/v1/health does not take PUT; see /api/openapi.json for what it takes"
        );
        assert!(default_message(StatusCode::PAYLOAD_TOO_LARGE, &Method::POST, "/").contains("256 KiB"));
        assert_eq!(
            default_message(StatusCode::INTERNAL_SERVER_ERROR, &Method::GET, "/"),
            "internal error"
        );
    }
}

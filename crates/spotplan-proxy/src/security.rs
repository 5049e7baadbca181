//! Who may call the API. Every API route refuses requests from a foreign `Origin` (compared with the allowed
//! hosts of [`crate::host_check`], not with the request's own `Host`) or a cross-site `Sec-Fetch-Site`; there is
//! no CORS. Every route but `GET /api/v1/health`, `/live` and `/ready` also needs the proxy's token, from the `X-Spotplan-Token` header
//! (scripts, the curl snippet) or the `HttpOnly; SameSite=Strict` cookie a browser gets by signing in
//! ([`crate::sign_in`]), and bodies must be declared as JSON.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;
use crate::host_check::AllowedHosts;
use crate::token::tokens_match;

/// The header scripts send the token in.
pub const TOKEN_HEADER: &str = "x-spotplan-token";

/// Refuses foreign origins: applied to every API route.
pub async fn same_origin_only(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Err(error) = check_origin(request.headers(), &state.allowed_hosts) {
        tracing::warn!(path = %request.uri().path(), %error, "refused a cross-origin API call");
        return error.into_response();
    }
    next.run(request).await
}

/// Refuses calls without the token: applied to every API route but health and the probes.
pub async fn token_required(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !presents_token(request.headers(), &state) {
        tracing::info!(method = %request.method(), path = %request.uri().path(), "refused an API call without the token");
        return ApiError::TokenRequired.into_response();
    }
    next.run(request).await
}

/// Refuses a body not declared as JSON: applied to the handlers that take one (any other method on their paths is
/// the router's to answer 405).
pub async fn json_body_only(request: Request, next: Next) -> Response {
    if let Err(error) = check_json_body(request.method(), request.headers()) {
        return error.into_response();
    }
    next.run(request).await
}

/// Whether the request carries the proxy's token, in the header or in this proxy's cookie.
pub fn presents_token(headers: &HeaderMap, state: &AppState) -> bool {
    let token = state.config.token.expose_secret();
    let cookie_name = crate::token::cookie_name(state.config.listen.port());
    let from_header = headers
        .get_all(TOKEN_HEADER)
        .iter()
        .filter_map(|value| value.to_str().ok());
    let from_cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == cookie_name)
        .map(|(_, value)| value);
    from_header.chain(from_cookies).any(|given| tokens_match(given, token))
}

fn check_origin(headers: &HeaderMap, allowed: &AllowedHosts) -> Result<(), ApiError> {
    // `same-site` is refused too: another port of the same host (any local web server) is the same site, and
    // SameSite cookies travel with its requests.
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(site @ ("cross-site" | "same-site")) = fetch_site {
        return Err(ApiError::ForeignOrigin {
            origin: format!("({site})"),
        });
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("(not text)");
    if allowed.allows_origin(origin) {
        Ok(())
    } else {
        Err(ApiError::ForeignOrigin {
            origin: origin.chars().take(100).collect(),
        })
    }
}

/// A request with a body must say it is JSON: a cross-site HTML form can only send form or plain-text bodies.
fn check_json_body(method: &Method, headers: &HeaderMap) -> Result<(), ApiError> {
    // Only the methods that carry a body to a handler; any other (TRACE, DELETE…) is the router's to answer 405.
    if !matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
        return Ok(());
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let essence = content_type
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some("application/json") => Ok(()),
        Some(other) if other.starts_with("application/") && other.ends_with("+json") => Ok(()),
        _ => Err(ApiError::NotJson {
            content_type: content_type.unwrap_or("(none)").chars().take(100).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn loopback() -> AllowedHosts {
        AllowedHosts::new("127.0.0.1:8787".parse().unwrap(), false, &[])
    }

    #[test]
    fn allowed_origin_or_no_origin_passes() {
        assert!(check_origin(&headers(&[]), &loopback()).is_ok());
        assert!(check_origin(&headers(&[("origin", "http://127.0.0.1:8787")]), &loopback()).is_ok());
        assert!(check_origin(&headers(&[("origin", "http://localhost:8787")]), &loopback()).is_ok());
        assert!(
            check_origin(
                &headers(&[("origin", "http://127.0.0.1:8787"), ("sec-fetch-site", "same-origin")]),
                &loopback()
            )
            .is_ok()
        );
    }

    #[test]
    fn foreign_origins_are_refused_even_when_host_and_origin_agree() {
        // A rebinding page sends Origin and Host with the attacker's name: they agree with each other, and that
        // is exactly what the old check let through.
        assert!(check_origin(&headers(&[("origin", "http://rebind.example:8787")]), &loopback()).is_err());
        assert!(check_origin(&headers(&[("origin", "https://evil.example")]), &loopback()).is_err());
        assert!(check_origin(&headers(&[("origin", "http://127.0.0.1:3000")]), &loopback()).is_err());
        assert!(check_origin(&headers(&[("origin", "null")]), &loopback()).is_err());
        assert!(check_origin(&headers(&[("sec-fetch-site", "cross-site")]), &loopback()).is_err());
        assert!(check_origin(&headers(&[("sec-fetch-site", "same-site")]), &loopback()).is_err());
    }

    #[test]
    fn bodies_must_be_declared_json() {
        let json = headers(&[("content-type", "application/json; charset=utf-8")]);
        assert!(check_json_body(&Method::POST, &json).is_ok());
        assert!(check_json_body(&Method::POST, &headers(&[("content-type", "text/plain")])).is_err());
        assert!(check_json_body(&Method::POST, &headers(&[])).is_err());
        assert!(check_json_body(&Method::GET, &headers(&[])).is_ok());
    }
}

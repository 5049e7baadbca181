//! Who may call the API: same-origin pages and scripts that hold the per-start token. Requests with a foreign
//! `Origin` (or a cross-site `Sec-Fetch-Site`) are refused outright; there is no CORS. Mutating endpoints also
//! need the token, from the `X-Spotplan-Token` header (scripts, the curl snippet) or the `SameSite=Strict`
//! cookie the proxy sets on the page it serves.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;

/// The header scripts send the token in.
pub const TOKEN_HEADER: &str = "x-spotplan-token";
/// The cookie the served page carries the token in.
pub const TOKEN_COOKIE: &str = "spotplan_token";

/// Refuses foreign origins on every API call and missing tokens on mutating ones.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    if let Err(error) = check_origin(headers) {
        return error.into_response();
    }
    let mutating = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if mutating && !has_token(headers, state.config.token.expose_secret()) {
        return ApiError::TokenRequired.into_response();
    }
    next.run(request).await
}

fn check_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site == "cross-site");
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return if cross_site {
            Err(ApiError::ForeignOrigin {
                origin: "(cross-site)".into(),
            })
        } else {
            Ok(())
        };
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let same = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|rest| rest == host);
    if same && !cross_site {
        Ok(())
    } else {
        Err(ApiError::ForeignOrigin {
            origin: origin.to_owned(),
        })
    }
}

fn has_token(headers: &HeaderMap, token: &str) -> bool {
    let from_header = headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok());
    let from_cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|cookies| {
            cookies
                .split(';')
                .find_map(|pair| pair.trim().strip_prefix(&format!("{TOKEN_COOKIE}=")))
        });
    [from_header, from_cookie]
        .into_iter()
        .flatten()
        .any(|given| constant_time_eq(given.as_bytes(), token.as_bytes()))
}

/// Compares without an early exit, so timing does not reveal how much of the token matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The `Set-Cookie` value the served page carries.
pub fn token_cookie(token: &str) -> String {
    format!("{TOKEN_COOKIE}={token}; Path=/api; SameSite=Strict; HttpOnly")
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

    #[test]
    fn same_origin_or_no_origin_passes() {
        assert!(check_origin(&headers(&[("host", "127.0.0.1:8787")])).is_ok());
        assert!(
            check_origin(&headers(&[
                ("host", "127.0.0.1:8787"),
                ("origin", "http://127.0.0.1:8787")
            ]))
            .is_ok()
        );
        assert!(
            check_origin(&headers(&[
                ("host", "127.0.0.1:8787"),
                ("origin", "https://evil.example")
            ]))
            .is_err()
        );
        assert!(
            check_origin(&headers(&[
                ("host", "127.0.0.1:8787"),
                ("sec-fetch-site", "cross-site")
            ]))
            .is_err()
        );
    }

    #[test]
    fn token_from_header_or_cookie() {
        assert!(has_token(&headers(&[("x-spotplan-token", "abc123")]), "abc123"));
        assert!(has_token(
            &headers(&[("cookie", "a=1; spotplan_token=abc123")]),
            "abc123"
        ));
        assert!(!has_token(&headers(&[("x-spotplan-token", "abc124")]), "abc123"));
        assert!(!has_token(&headers(&[]), "abc123"));
    }
}

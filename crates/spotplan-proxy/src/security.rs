//! Who may call the API. Every API route refuses requests from a foreign `Origin` (compared with the allowed
//! hosts of [`crate::host_check`], not with the request's own `Host`) or a cross-site `Sec-Fetch-Site`; there is
//! no CORS. Every route but `GET /api/v1/health`, `/live`, `/ready` and `POST /api/v1/sign-in` (which trades a
//! one-time sign-in code for the cookie) also needs the proxy's token (or, in team mode,
//! a person's API key), from the `X-Spotplan-Token` or `Authorization: Bearer` header
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

/// Who is calling: the holder of the proxy's own token, or a person by their API key (team mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The proxy's token (`SPOTPLAN_TOKEN` or the one it printed).
    Operator,
    /// A person, by name.
    Person(String),
}

impl Caller {
    /// The name orders and fleets record (none for the proxy's own token).
    pub fn name(&self) -> Option<String> {
        match self {
            Caller::Operator => None,
            Caller::Person(name) => Some(name.clone()),
        }
    }
}

/// Refuses calls without the token or a person's valid key: applied to every API route but health, the probes
/// and the sign-in form. The caller is handed to the handler as a request extension.
pub async fn token_required(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    match identify(request.headers(), &state).await {
        Ok(Some(caller)) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Ok(None) => {
            tracing::info!(method = %request.method(), path = %request.uri().path(), "refused an API call without the token");
            ApiError::TokenRequired.into_response()
        }
        Err(error) => ApiError::Store(error).into_response(),
    }
}

/// Who presents what in this request: the proxy's token or a person's key that is not revoked, from the
/// `X-Spotplan-Token` header, an `Authorization: Bearer` header or this proxy's cookie. A request must present one
/// credential (the same value in several places counts once): with two different ones it is nobody's — a page of
/// another local site could otherwise plant a cookie of its own beside the person's and have their orders recorded
/// under its name — and a flood of keys costs no database query.
pub async fn identify(headers: &HeaderMap, state: &AppState) -> Result<Option<Caller>, crate::store::StoreError> {
    let token = state.config.token.expose_secret();
    // Only what can be a credential counts: a load balancer's own bearer token or an empty header is not one.
    let mut presented: Vec<String> = presented(headers, state)
        .into_iter()
        .filter(|given| tokens_match(given, token) || crate::people::is_well_formed_key(given))
        .collect();
    presented.sort();
    presented.dedup();
    let [given] = presented.as_slice() else {
        return Ok(None);
    };
    if tokens_match(given, token) {
        return Ok(Some(Caller::Operator));
    }
    Ok(crate::people::by_key(&state.store, given)
        .await?
        .map(|person| Caller::Person(person.name)))
}

fn presented(headers: &HeaderMap, state: &AppState) -> Vec<String> {
    let cookie_name = crate::token::cookie_name(state.config.listen.port(), state.config.tls);
    let from_header = headers
        .get_all(TOKEN_HEADER)
        .iter()
        .filter_map(|value| value.to_str().ok());
    let from_bearer = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.strip_prefix("Bearer "));
    from_header
        .chain(from_bearer)
        .chain(session_cookies(headers, &cookie_name))
        .map(|given| given.trim().to_owned())
        .collect()
}

/// The values of the session cookie `cookie_name` a request carries.
pub(crate) fn session_cookies<'a>(headers: &'a HeaderMap, cookie_name: &'a str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(move |(name, _)| *name == cookie_name)
        .map(|(_, value)| value)
}

/// Refuses a body not declared as JSON: applied to the handlers that take one (any other method on their paths is
/// the router's to answer 405).
pub async fn json_body_only(request: Request, next: Next) -> Response {
    if let Err(error) = check_json_body(request.method(), request.headers()) {
        return error.into_response();
    }
    next.run(request).await
}

fn check_origin(headers: &HeaderMap, allowed: &AllowedHosts) -> Result<(), ApiError> {
    // `same-site` is refused too: another port of the same host (any local web server) is the same site, and
    // SameSite cookies travel with its requests.
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(site @ ("cross-site" | "same-site")) = fetch_site {
        return Err(ApiError::ForeignOrigin {
            origin: format!("({site})"),
            header: "Sec-Fetch-Site",
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
            header: "Origin",
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

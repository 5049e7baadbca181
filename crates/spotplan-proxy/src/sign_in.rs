//! How a browser gets the token cookie: only by opening a sign-in link, never by loading the page. At start the
//! proxy prints `…/?token=<code>`; the code is random, works once and expires after
//! [`SIGN_IN_LINK_LIFETIME`]. The long-lived API token is accepted the same way (reusable, as Jupyter's token is),
//! so scripts and tests can open the app. Any page URL with a `token` parameter answers `303 See Other` to the
//! same URL without it (the app keeps its plan in the other parameters), with the cookie only when the code or
//! token was right.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::token::{sign_in_cookies, tokens_match};

/// How long a printed sign-in link works (it also stops working at its first use).
pub const SIGN_IN_LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// The query parameter a sign-in link carries its code in.
pub const TOKEN_PARAMETER: &str = "token";
/// At most this many unused codes are kept; the oldest go first.
const MAX_PENDING_CODES: usize = 16;

/// The one-time codes handed out and not yet used. Cheap to clone (shared).
#[derive(Clone, Default)]
pub struct SignInCodes {
    pending: Arc<Mutex<Vec<PendingCode>>>,
}

struct PendingCode {
    code: String,
    expires: Instant,
}

/// No randomness for a sign-in code.
#[derive(Debug, thiserror::Error)]
#[error("no randomness for a sign-in code")]
pub struct NoRandomness(#[source] getrandom::Error);

impl SignInCodes {
    /// Makes a new random code valid for `lifetime` and until its first use.
    pub fn issue(&self, lifetime: Duration) -> Result<String, NoRandomness> {
        let code = crate::upstream::random_hex(16).map_err(NoRandomness)?;
        let now = Instant::now();
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending.retain(|pending| pending.expires > now);
        if pending.len() >= MAX_PENDING_CODES {
            pending.remove(0);
        }
        pending.push(PendingCode {
            code: code.clone(),
            expires: now + lifetime,
        });
        Ok(code)
    }

    /// Uses up `code`: true once if it was issued and has not expired, false ever after.
    pub fn redeem(&self, code: &str) -> bool {
        let now = Instant::now();
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending.retain(|pending| pending.expires > now);
        // Compare with every pending code (no early exit) before removing the match.
        let matches: Vec<bool> = pending
            .iter()
            .map(|pending| tokens_match(code, &pending.code))
            .collect();
        match matches.iter().position(|matched| *matched) {
            Some(index) => {
                pending.remove(index);
                true
            }
            None => false,
        }
    }
}

impl fmt::Debug for SignInCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.pending.lock().map_or(0, |pending| pending.len());
        f.debug_struct("SignInCodes").field("pending", &count).finish()
    }
}

/// Exchanges `?token=…` on a page URL for the cookie (when right) and a redirect to the URL without it.
pub async fn exchange(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // GET only: a HEAD (a link checker, a preview) must not use a one-time code up.
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let Some(split) = request.uri().query().and_then(SplitQuery::new) else {
        return next.run(request).await;
    };
    let api_token = state.config.token.expose_secret();
    // One credential a link: a link carrying thousands of `token=` would be thousands of guesses for one request.
    let one = match split.tokens.as_slice() {
        [one] => Some(one),
        _ => None,
    };
    let mut session = one
        .is_some_and(|given| tokens_match(given, api_token) || state.sign_in.redeem(given))
        .then(|| api_token.to_owned());
    // Team mode: a person signs in once with their API key; the cookie then carries it. Only from a link the
    // person opened themselves (typed, pasted, a bookmark: `Sec-Fetch-Site: none`) or from this app: anyone may own
    // a key, so a foreign page sending a browser to `/?token=<its own key>` would sign the person in as someone
    // else, and their orders would be placed and charged under that name.
    let fetched_from = request
        .headers()
        .get("sec-fetch-site")
        .and_then(|value| value.to_str().ok());
    // The header is required: a browser that does not send it cannot tell its own navigation from a foreign
    // page's (it signs in with the form instead). And a link in a chat opened by someone already signed in
    // (`none` too) must not swap their session for the sender's key: the session cookie is the whole origin's,
    // so it reaches this page, and a session held under another credential stays.
    let own_navigation = matches!(fetched_from, Some("none" | "same-origin"));
    let cookie_name = crate::token::cookie_name(state.config.listen.port(), state.config.tls);
    let mut held: Vec<String> = one
        .map(|given| {
            crate::security::session_cookies(request.headers(), &cookie_name)
                .map(|held| held.trim().to_owned())
                .filter(|held| !tokens_match(held, given))
                .collect()
        })
        .unwrap_or_default();
    held.sort_unstable();
    held.dedup();
    // Only a session that still works counts: a revoked key's old cookie must not block its person's new link.
    // Two or more other credentials count as a session held otherwise, unchecked: which one the browser's next
    // request would be taken for is not known (two credentials are nobody's), and checking each was a database
    // query per cookie for anyone who sends a `?token=` link with a header full of made-up keys.
    let signed_in_otherwise = match held.as_slice() {
        [] => false,
        [held] => {
            tokens_match(held, api_token) || matches!(crate::people::by_key(&state.store, held).await, Ok(Some(_)))
        }
        _ => true,
    };
    if let Some(given) = one
        && session.is_none()
        && own_navigation
        && !signed_in_otherwise
        && matches!(crate::people::by_key(&state.store, given).await, Ok(Some(_)))
    {
        session = Some(given.clone());
    }
    let signed_in = session.is_some();
    let location = location_without_token(request.uri().path(), &split.rest);
    let mut response = (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response();
    if signed_in {
        tracing::info!("a browser signed in");
        set_session(&mut response, &state, session.as_deref().unwrap_or_default());
    } else {
        tracing::warn!("refused a sign-in link: wrong, used or expired code");
    }
    response
}

/// Handles `POST /api/v1/sign-in`, the app's sign-in form: what a sign-in link carries — the proxy's token, a
/// one-time code, or (team mode) a person's active key — in a JSON body instead of a URL, so it stays out of
/// browser history and access logs. 204 with the cookie, or 401 `sign_in_refused` and no cookie. Same-origin and
/// JSON only, like every API call, so a foreign page cannot sign a browser in as someone else.
pub async fn form(
    State(state): State<AppState>,
    axum::Json(body): axum::Json<spotplan_core::api::sign_in::SignInBody>,
) -> Result<Response, crate::error::ApiError> {
    let given = body.token.trim();
    let api_token = state.config.token.expose_secret();
    let session = if tokens_match(given, api_token) || state.sign_in.redeem(given) {
        Some(api_token.to_owned())
    } else if crate::people::by_key(&state.store, given).await?.is_some() {
        Some(given.to_owned())
    } else {
        None
    };
    let Some(session) = session else {
        tracing::warn!("refused a sign-in: wrong token, key or code");
        return Err(crate::error::ApiError::Rejected {
            status: StatusCode::UNAUTHORIZED,
            code: "sign_in_refused",
            message: "that is not the proxy's token, a sign-in code it printed (each works once, for 15 minutes) or \
                      an active person's key"
                .into(),
            field: Some("token".into()),
        });
    };
    tracing::info!("a browser signed in with the form");
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_session(&mut response, &state, &session);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Signs the browser that receives `response` in with `session` (see [`sign_in_cookies`]).
fn set_session(response: &mut Response, state: &AppState, session: &str) {
    for cookie in sign_in_cookies(state.config.listen.port(), session, state.config.tls) {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
}

/// A query string with its `token` parameters taken out; the other parameters are kept byte for byte.
#[derive(Debug, PartialEq, Eq)]
struct SplitQuery {
    tokens: Vec<String>,
    rest: String,
}

impl SplitQuery {
    /// `None` when the query has no `token` parameter.
    fn new(query: &str) -> Option<SplitQuery> {
        let mut tokens = Vec::new();
        let mut kept = Vec::new();
        for pair in query.split('&') {
            match form_urlencoded::parse(pair.as_bytes()).next() {
                Some((name, value)) if name == TOKEN_PARAMETER => tokens.push(value.into_owned()),
                _ => kept.push(pair),
            }
        }
        (!tokens.is_empty()).then(|| SplitQuery {
            tokens,
            rest: kept.join("&"),
        })
    }
}

/// A same-site path to redirect to. Leading slashes and backslashes collapse into one, so `//evil.example/?token=x`
/// cannot become a redirect to another site.
fn location_without_token(path: &str, rest: &str) -> String {
    let path = format!("/{}", path.trim_start_matches(['/', '\\']));
    if rest.is_empty() {
        path
    } else {
        format!("{path}?{rest}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_works_once() {
        let codes = SignInCodes::default();
        let code = codes.issue(SIGN_IN_LINK_LIFETIME).unwrap();
        assert_eq!(code.len(), 32);
        assert!(!codes.redeem("0123"));
        assert!(codes.redeem(&code));
        assert!(!codes.redeem(&code));
    }

    #[test]
    fn an_expired_code_does_not_work() {
        let codes = SignInCodes::default();
        let code = codes.issue(Duration::ZERO).unwrap();
        assert!(!codes.redeem(&code));
    }

    #[test]
    fn only_so_many_codes_wait() {
        let codes = SignInCodes::default();
        let first = codes.issue(SIGN_IN_LINK_LIFETIME).unwrap();
        for _ in 0..MAX_PENDING_CODES {
            codes.issue(SIGN_IN_LINK_LIFETIME).unwrap();
        }
        assert!(!codes.redeem(&first));
        assert!(!format!("{codes:?}").contains(&first));
    }

    #[test]
    fn the_token_parameter_is_taken_out_and_the_rest_kept() {
        assert_eq!(SplitQuery::new("v=2-2&m=8-8"), None);
        assert_eq!(
            SplitQuery::new("v=2-2&token=abc&bench&r=cn%2Dhangzhou"),
            Some(SplitQuery {
                tokens: vec!["abc".into()],
                rest: "v=2-2&bench&r=cn%2Dhangzhou".into()
            })
        );
        assert_eq!(
            SplitQuery::new("token=a&token=b"),
            Some(SplitQuery {
                tokens: vec!["a".into(), "b".into()],
                rest: String::new()
            })
        );
    }

    #[test]
    fn redirects_stay_on_this_site() {
        assert_eq!(location_without_token("/", ""), "/");
        assert_eq!(location_without_token("/orders", "v=1"), "/orders?v=1");
        assert_eq!(location_without_token("//evil.example/", ""), "/evil.example/");
        assert_eq!(location_without_token("/\\evil.example", ""), "/evil.example");
    }
}

//! The API token: how a given value is compared with it (in constant time) and the cookie it travels in once a
//! browser has signed in. Shared by the API guard ([`crate::security`]) and the sign-in exchange
//! ([`crate::sign_in`]).

use subtle::ConstantTimeEq;

/// Compares a presented token or code with the real one without an early exit, so timing does not reveal how much
/// of it matched.
pub fn tokens_match(given: &str, token: &str) -> bool {
    bool::from(given.as_bytes().ct_eq(token.as_bytes()))
}

/// The cookie the token travels in. Cookies do not keep ports apart, so the port is in the name: two proxies on
/// one machine do not overwrite each other's cookie.
pub fn cookie_name(port: u16) -> String {
    format!("spotplan_token_{port}")
}

/// The `Set-Cookie` value that signs a browser in: only sent to `/api`, never readable by scripts, never sent
/// with a request another site starts, and only over HTTPS when the proxy serves HTTPS.
pub fn session_cookie(port: u16, token: &str, https: bool) -> String {
    let secure = if https { "; Secure" } else { "" };
    format!(
        "{}={token}; Path=/api; SameSite=Strict; HttpOnly{secure}",
        cookie_name(port)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(tokens_match("abc123", "abc123"));
        assert!(!tokens_match("abc124", "abc123"));
        assert!(!tokens_match("abc12", "abc123"));
        assert!(!tokens_match("", "abc123"));
    }

    #[test]
    fn the_cookie_is_per_port_http_only_and_secure_over_https() {
        assert_eq!(
            session_cookie(8787, "t0k", false),
            "spotplan_token_8787=t0k; Path=/api; SameSite=Strict; HttpOnly"
        );
        assert!(session_cookie(8443, "t0k", true).ends_with("; Secure"));
    }
}

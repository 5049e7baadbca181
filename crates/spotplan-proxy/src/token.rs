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
/// one machine do not overwrite each other's cookie. Over HTTPS it is a `__Host-` cookie, which a browser accepts
/// only from this secure origin itself — no page of a sibling name or another port can plant or shadow one.
pub fn cookie_name(port: u16, https: bool) -> String {
    if https {
        format!("__Host-spotplan_token_{port}")
    } else {
        format!("spotplan_token_{port}")
    }
}

/// The `Set-Cookie` value that signs a browser in: never readable by scripts, never sent with a request another
/// site starts, for the whole origin (over HTTPS only over HTTPS, as a `__Host-` cookie must be). The whole origin
/// over plain HTTP too: the page that reads a sign-in link (`/?token=`) must see the session a browser already
/// holds, or a link with someone else's key would swap it.
pub fn session_cookie(port: u16, token: &str, https: bool) -> String {
    let name = cookie_name(port, https);
    if https {
        format!("{name}={token}; Path=/; SameSite=Strict; HttpOnly; Secure")
    } else {
        format!("{name}={token}; Path=/; SameSite=Strict; HttpOnly")
    }
}

/// The `Set-Cookie` values of a sign-in: the session cookie and, over plain HTTP, the end of the `/api`-only one
/// earlier versions set (kept, a browser would send both, and two credentials are nobody's).
pub fn sign_in_cookies(port: u16, token: &str, https: bool) -> Vec<String> {
    let mut cookies = vec![session_cookie(port, token, https)];
    if !https {
        cookies.push(format!(
            "{}=; Path=/api; Max-Age=0; SameSite=Strict; HttpOnly",
            cookie_name(port, https)
        ));
    }
    cookies
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
            sign_in_cookies(8787, "t0k", false),
            [
                "spotplan_token_8787=t0k; Path=/; SameSite=Strict; HttpOnly",
                "spotplan_token_8787=; Path=/api; Max-Age=0; SameSite=Strict; HttpOnly"
            ]
        );
        assert_eq!(
            sign_in_cookies(8443, "t0k", true),
            ["__Host-spotplan_token_8443=t0k; Path=/; SameSite=Strict; HttpOnly; Secure"]
        );
    }
}

//! What a listen address requires before the proxy may start. Loopback needs nothing. Remote mode (a
//! non-loopback `--listen`) needs `--allow-remote`, TLS (`--tls-cert` and `--tls-key`) and a fixed token of at
//! least [`MIN_REMOTE_TOKEN_CHARS`] characters in `SPOTPLAN_TOKEN`: nothing secret may cross the network in clear
//! text, and a per-start random token would have to be copied off the machine on every start.

use std::net::SocketAddr;

/// The shortest `SPOTPLAN_TOKEN` accepted on loopback.
pub const MIN_TOKEN_CHARS: usize = 16;
/// The shortest `SPOTPLAN_TOKEN` accepted in remote mode.
pub const MIN_REMOTE_TOKEN_CHARS: usize = 32;

/// How the proxy was asked to listen.
#[derive(Debug, Clone)]
pub struct ListenRequest<'a> {
    /// The `--listen` address.
    pub listen: SocketAddr,
    /// Whether `--allow-remote` was given.
    pub allow_remote: bool,
    /// Whether `--tls-cert` was given.
    pub tls_cert: bool,
    /// Whether `--tls-key` was given.
    pub tls_key: bool,
    /// `SPOTPLAN_TOKEN`, when set.
    pub fixed_token: Option<&'a str>,
}

/// Where the proxy can be reached from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// Loopback only.
    Loopback,
    /// Other machines too (over TLS, with a fixed token).
    Remote,
}

/// Why the proxy refuses to start.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ListenPolicyError {
    /// A non-loopback address without `--allow-remote`.
    #[error(
        "refusing to listen on non-loopback address {listen} without --allow-remote (anyone who can reach it could place orders with your credentials)"
    )]
    RemoteNotAllowed {
        /// The address.
        listen: SocketAddr,
    },
    /// Remote mode with something missing; every missing piece is listed.
    #[error("refusing to listen on {listen} (remote mode) without {}", missing.join(" and "))]
    RemoteIncomplete {
        /// The address.
        listen: SocketAddr,
        /// What to add.
        missing: Vec<&'static str>,
    },
    /// Only one of the two TLS files.
    #[error("--tls-cert and --tls-key go together: give both PEM files, or neither")]
    HalfTls,
    /// A token too short to be one.
    #[error("SPOTPLAN_TOKEN must be at least {min} characters (it has {len})")]
    TokenTooShort {
        /// The minimum.
        min: usize,
        /// Its length.
        len: usize,
    },
    /// A token that cannot travel in a URL or a cookie as it is.
    #[error("SPOTPLAN_TOKEN may hold only letters, digits, '-', '_', '.' and '~' (it travels in a link and a cookie)")]
    TokenCharacters,
}

/// Decides whether the proxy may start as asked.
pub fn check(request: &ListenRequest<'_>) -> Result<Exposure, ListenPolicyError> {
    if request.tls_cert != request.tls_key {
        return Err(ListenPolicyError::HalfTls);
    }
    if let Some(token) = request.fixed_token {
        if !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
        {
            return Err(ListenPolicyError::TokenCharacters);
        }
        if token.len() < MIN_TOKEN_CHARS {
            return Err(ListenPolicyError::TokenTooShort {
                min: MIN_TOKEN_CHARS,
                len: token.len(),
            });
        }
    }
    if request.listen.ip().is_loopback() {
        return Ok(Exposure::Loopback);
    }
    if !request.allow_remote {
        return Err(ListenPolicyError::RemoteNotAllowed { listen: request.listen });
    }
    let mut missing = Vec::new();
    if !request.tls_cert {
        missing.push("TLS (--tls-cert FILE and --tls-key FILE, PEM)");
    }
    if request
        .fixed_token
        .is_none_or(|token| token.len() < MIN_REMOTE_TOKEN_CHARS)
    {
        missing.push("a token of at least 32 characters in SPOTPLAN_TOKEN");
    }
    if missing.is_empty() {
        Ok(Exposure::Remote)
    } else {
        Err(ListenPolicyError::RemoteIncomplete {
            listen: request.listen,
            missing,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: &str = "0123456789abcdef0123456789abcdef";

    fn request(listen: &str) -> ListenRequest<'static> {
        ListenRequest {
            listen: listen.parse().unwrap(),
            allow_remote: false,
            tls_cert: false,
            tls_key: false,
            fixed_token: None,
        }
    }

    #[test]
    fn loopback_needs_nothing() {
        assert_eq!(check(&request("127.0.0.1:8787")), Ok(Exposure::Loopback));
        assert_eq!(check(&request("[::1]:8787")), Ok(Exposure::Loopback));
        let tls = ListenRequest {
            tls_cert: true,
            tls_key: true,
            ..request("127.0.0.1:8787")
        };
        assert_eq!(check(&tls), Ok(Exposure::Loopback));
    }

    #[test]
    fn remote_needs_the_flag_tls_and_a_long_token() {
        assert!(matches!(
            check(&request("0.0.0.0:8443")),
            Err(ListenPolicyError::RemoteNotAllowed { .. })
        ));
        let bare = ListenRequest {
            allow_remote: true,
            ..request("0.0.0.0:8443")
        };
        let error = check(&bare).unwrap_err();
        assert_eq!(
            error.to_string(),
            "refusing to listen on 0.0.0.0:8443 (remote mode) without TLS (--tls-cert FILE and --tls-key FILE, PEM) and a token of at least 32 characters in SPOTPLAN_TOKEN"
        );
        let short_token = ListenRequest {
            tls_cert: true,
            tls_key: true,
            fixed_token: Some("0123456789abcdef"),
            ..bare.clone()
        };
        assert!(matches!(
            check(&short_token),
            Err(ListenPolicyError::RemoteIncomplete { missing, .. }) if missing.len() == 1
        ));
        let complete = ListenRequest {
            fixed_token: Some(LONG),
            ..short_token
        };
        assert_eq!(check(&complete), Ok(Exposure::Remote));
    }

    #[test]
    fn tls_files_come_in_pairs_and_tokens_are_plain() {
        let half = ListenRequest {
            tls_cert: true,
            ..request("127.0.0.1:8787")
        };
        assert_eq!(check(&half), Err(ListenPolicyError::HalfTls));
        let short = ListenRequest {
            fixed_token: Some("short"),
            ..request("127.0.0.1:8787")
        };
        assert_eq!(check(&short), Err(ListenPolicyError::TokenTooShort { min: 16, len: 5 }));
        let odd = ListenRequest {
            fixed_token: Some("0123456789abcdef; Path=/"),
            ..request("127.0.0.1:8787")
        };
        assert_eq!(check(&odd), Err(ListenPolicyError::TokenCharacters));
    }
}

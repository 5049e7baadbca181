//! Which `Host` names the proxy answers to, on every route: `127.0.0.1`, `localhost` and `[::1]` with the port it
//! actually bound, the address it listens on, and names configured with `--allowed-host NAME[:PORT]`. Anything
//! else — above all a DNS-rebinding page such as `http://rebind.example:8787` that now resolves to loopback — gets
//! a JSON 403 before any handler (and before any cookie) is reached. The same list decides which `Origin`s the API
//! accepts ([`crate::security`]).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// A name given with `--allowed-host` / `SPOTPLAN_ALLOWED_HOSTS`: a DNS name or an IP literal (IPv6 in brackets),
/// with an optional port. Stored lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredHost {
    name: String,
    port: Option<u16>,
}

/// Why an `--allowed-host` value was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfiguredHostError {
    /// Not a DNS name, an IPv4 address or a bracketed IPv6 address.
    #[error("--allowed-host {value:?} is not a host name: use NAME or NAME:PORT (letters, digits, '-' and '.')")]
    NotAName {
        /// The value given.
        value: String,
    },
    /// The part after the colon is not a port.
    #[error("--allowed-host {value:?} has a bad port: use a number from 1 to 65535")]
    BadPort {
        /// The value given.
        value: String,
    },
}

impl ConfiguredHost {
    /// The name, lowercase (IPv6 literals keep their brackets).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The port, when one was given.
    pub fn port(&self) -> Option<u16> {
        self.port
    }
}

impl FromStr for ConfiguredHost {
    type Err = ConfiguredHostError;

    fn from_str(value: &str) -> Result<ConfiguredHost, ConfiguredHostError> {
        let trimmed = value.trim().to_ascii_lowercase();
        let not_a_name = || ConfiguredHostError::NotAName {
            value: value.to_owned(),
        };
        let (name, port) = split_authority(&trimmed).ok_or_else(not_a_name)?;
        let port = match port {
            None => None,
            Some(text) => {
                Some(
                    parse_port(text)
                        .filter(|port| *port != 0)
                        .ok_or_else(|| ConfiguredHostError::BadPort {
                            value: value.to_owned(),
                        })?,
                )
            }
        };
        let valid = if let Some(inner) = name.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
            inner.parse::<std::net::Ipv6Addr>().is_ok()
        } else {
            is_dns_name(name)
        };
        if !valid {
            return Err(not_a_name());
        }
        Ok(ConfiguredHost {
            name: name.to_owned(),
            port,
        })
    }
}

impl fmt::Display for ConfiguredHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// The `Host` values (and `Origin` authorities) the proxy accepts. Built once from the bound address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHosts {
    /// (lowercase host, port) pairs; `None` means "no port in the header", which browsers send for the scheme's
    /// default port.
    entries: Vec<(String, Option<u16>)>,
    /// The address people should open, for messages and the printed links.
    base_url: String,
}

impl AllowedHosts {
    /// The hosts a proxy bound to `listen` (the real, bound address: never port 0) accepts, served over HTTPS when
    /// `tls`, plus the `configured` names.
    pub fn new(listen: SocketAddr, tls: bool, configured: &[ConfiguredHost]) -> AllowedHosts {
        let port = listen.port();
        let default_port = if tls { 443 } else { 80 };
        let mut entries = Vec::new();
        let allow_on_bound_port = |entries: &mut Vec<(String, Option<u16>)>, name: String| {
            if port == default_port {
                entries.push((name.clone(), None));
            }
            entries.push((name, Some(port)));
        };
        for loopback in ["127.0.0.1", "localhost", "[::1]"] {
            allow_on_bound_port(&mut entries, loopback.to_owned());
        }
        let listen_ip = (!listen.ip().is_unspecified()).then(|| ip_literal(listen.ip()));
        if let Some(ip) = &listen_ip {
            allow_on_bound_port(&mut entries, ip.clone());
        }
        for host in configured {
            match host.port {
                Some(configured_port) => entries.push((host.name.clone(), Some(configured_port))),
                None => {
                    // A name without a port is also reached through a forwarded default port (80 or 443).
                    entries.push((host.name.clone(), None));
                    entries.push((host.name.clone(), Some(port)));
                }
            }
        }
        entries.dedup();
        let scheme = if tls { "https" } else { "http" };
        let browse_authority = match (listen.ip().is_loopback(), configured.first(), &listen_ip) {
            (false, Some(host), _) => host.port.map_or_else(
                || format!("{}:{port}", host.name),
                |configured_port| format!("{}:{configured_port}", host.name),
            ),
            (_, _, Some(ip)) => format!("{ip}:{port}"),
            (_, _, None) if listen.is_ipv6() => format!("[::1]:{port}"),
            (_, _, None) => format!("127.0.0.1:{port}"),
        };
        AllowedHosts {
            entries,
            base_url: format!("{scheme}://{browse_authority}/"),
        }
    }

    /// Whether `authority` (a `Host` header value, or the part of an `Origin` after `scheme://`) is allowed.
    /// Case-insensitive; anything malformed is refused.
    pub fn allows(&self, authority: &str) -> bool {
        let lowercase = authority.to_ascii_lowercase();
        let Some((host, port)) = split_authority(&lowercase) else {
            return false;
        };
        let port = match port {
            None => None,
            Some(text) => match parse_port(text) {
                Some(port) => Some(port),
                None => return false,
            },
        };
        self.entries
            .iter()
            .any(|(allowed_host, allowed_port)| allowed_host == host && *allowed_port == port)
    }

    /// Whether an `Origin` header value names an allowed host (no path). A proxy serving HTTPS itself accepts only
    /// `https://` origins: a page of `http://` the same name is another origin — whoever answers plain HTTP for the
    /// name. One serving plain HTTP accepts both, since a front that ends TLS for it (a forwarded 443) is reached
    /// by `https://` pages.
    pub fn allows_origin(&self, origin: &str) -> bool {
        let lowercase = origin.to_ascii_lowercase();
        let authority = if self.base_url.starts_with("https://") {
            lowercase.strip_prefix("https://")
        } else {
            lowercase
                .strip_prefix("http://")
                .or_else(|| lowercase.strip_prefix("https://"))
        };
        authority.is_some_and(|authority| self.allows(authority))
    }

    /// The address to open the app at, e.g. `http://127.0.0.1:8787/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

/// Refuses any request whose `Host` (or absolute-form authority) is missing, repeated or not allowed.
pub async fn require_allowed_host(State(allowed): State<Arc<AllowedHosts>>, request: Request, next: Next) -> Response {
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let host = match (hosts.next(), hosts.next()) {
        (Some(value), None) => value.to_str().ok(),
        _ => None,
    };
    let authority_allowed = request
        .uri()
        .authority()
        .is_none_or(|authority| allowed.allows(authority.as_str()));
    match host {
        Some(host) if authority_allowed && allowed.allows(host) => next.run(request).await,
        _ => {
            let shown = host.map_or_else(|| "(none)".to_owned(), shorten);
            tracing::warn!(host = ?shown, path = %request.uri().path(), "refused a request for a host this proxy does not answer to");
            ApiError::HostNotAllowed {
                host: shown,
                expected: allowed.base_url().to_owned(),
            }
            .into_response()
        }
    }
}

/// An IP address as it appears in a `Host` header: IPv6 in brackets.
fn ip_literal(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// Splits `host[:port]` (IPv6 literals in brackets); `None` when the brackets do not close or the host is empty.
fn split_authority(authority: &str) -> Option<(&str, Option<&str>)> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, rest) = authority.split_at(end + 1);
        match rest {
            "" => (host, None),
            _ => (host, Some(rest.strip_prefix(':')?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    (!host.is_empty()).then_some((host, port))
}

fn parse_port(text: &str) -> Option<u16> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Letters, digits and hyphens in dot-separated labels (this also admits IPv4 literals).
fn is_dns_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Attacker-chosen text for a log line or a message: at most 100 characters.
fn shorten(text: &str) -> String {
    text.chars().take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(listen: &str, tls: bool, configured: &[&str]) -> AllowedHosts {
        let configured: Vec<ConfiguredHost> = configured.iter().map(|name| name.parse().unwrap()).collect();
        AllowedHosts::new(listen.parse().unwrap(), tls, &configured)
    }

    #[test]
    fn loopback_names_on_the_bound_port_only() {
        let allowed = hosts("127.0.0.1:8787", false, &[]);
        for host in ["127.0.0.1:8787", "localhost:8787", "LocalHost:8787", "[::1]:8787"] {
            assert!(allowed.allows(host), "{host}");
        }
        for host in [
            "attacker.example:8787",
            "rebind.example:8787",
            "127.0.0.1:8788",
            "127.0.0.1",
            "localhost",
            "localhost.:8787",
            "127.0.0.1:+8787",
            "127.0.0.1:8787:1",
            "[::1",
            "",
            ":8787",
        ] {
            assert!(!allowed.allows(host), "{host}");
        }
        assert_eq!(allowed.base_url(), "http://127.0.0.1:8787/");
    }

    #[test]
    fn default_ports_may_be_left_out() {
        let allowed = hosts("127.0.0.1:80", false, &[]);
        assert!(allowed.allows("localhost") && allowed.allows("localhost:80"));
        let tls = hosts("127.0.0.1:443", true, &[]);
        assert!(tls.allows("127.0.0.1") && tls.base_url() == "https://127.0.0.1:443/");
    }

    #[test]
    fn configured_names_with_and_without_a_port() {
        let allowed = hosts(
            "0.0.0.0:8443",
            true,
            &["Planner.Example.com", "gpu-box:9443", "[fd00::1]"],
        );
        assert!(allowed.allows("planner.example.com:8443"));
        assert!(allowed.allows("planner.example.com"));
        assert!(allowed.allows("gpu-box:9443"));
        assert!(!allowed.allows("gpu-box:8443"));
        assert!(allowed.allows("[fd00::1]:8443"));
        assert!(!allowed.allows("0.0.0.0:8443"), "the unspecified address is not a name");
        assert_eq!(allowed.base_url(), "https://planner.example.com:8443/");
    }

    #[test]
    fn a_specific_listen_address_is_allowed() {
        let allowed = hosts("192.168.1.5:8443", true, &[]);
        assert!(allowed.allows("192.168.1.5:8443"));
        assert_eq!(allowed.base_url(), "https://192.168.1.5:8443/");
        let v6 = hosts("[::1]:9000", false, &[]);
        assert_eq!(v6.base_url(), "http://[::1]:9000/");
    }

    #[test]
    fn origins_are_checked_against_the_same_list() {
        let allowed = hosts("127.0.0.1:8787", false, &[]);
        assert!(allowed.allows_origin("http://127.0.0.1:8787"));
        assert!(allowed.allows_origin("http://localhost:8787"));
        for origin in [
            "http://127.0.0.1:3000",
            "https://evil.example",
            "http://rebind.example:8787",
            "null",
            "http://127.0.0.1:8787/path",
            "ftp://127.0.0.1:8787",
        ] {
            assert!(!allowed.allows_origin(origin), "{origin}");
        }
        // Over HTTPS only the https origin is this one.
        let secure = hosts("127.0.0.1:8443", true, &[]);
        assert!(secure.allows_origin("https://127.0.0.1:8443"));
        assert!(!secure.allows_origin("http://127.0.0.1:8443"));
        // Served in plain HTTP, a front ending TLS is reached by https:// pages of the same name.
        assert!(allowed.allows_origin("https://127.0.0.1:8787"));
    }

    #[test]
    fn configured_names_are_validated() {
        assert_eq!(
            "planner.example.com:8443"
                .parse::<ConfiguredHost>()
                .unwrap()
                .to_string(),
            "planner.example.com:8443"
        );
        for bad in [
            "",
            "*.example.com",
            "a b",
            "host:0",
            "host:99999",
            "host:",
            "[zz]:1",
            "-bad.example",
        ] {
            assert!(bad.parse::<ConfiguredHost>().is_err(), "{bad}");
        }
    }
}

//! Sends a routed request to its cloud: signs each attempt afresh (new time and nonce, same ClientToken),
//! retries only what is safe to retry, reports a timeout as "no outcome known" rather than guessing, and tells
//! whether any attempt may have reached the cloud.
//!
//! Bounded on every side: at most [`UpstreamLimits::in_flight`] calls to the clouds at once across the whole
//! proxy (600 concurrent price requests do not become 2,400 signed calls), answers capped at
//! [`UpstreamLimits::max_answer_bytes`] (a 1 GiB or endless answer ends as "unknown", never in memory), proxy
//! environment variables ignored unless a proxy is configured, and names resolved only inside the clouds' own
//! domains or the configured endpoint overrides.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use spotplan_core::Cloud;
use spotplan_core::order::request::HttpRequest;
use spotplan_sign::Credentials;
use tokio::sync::Semaphore;

use crate::signing::{SignedRequest, sign};
use spotplan_core::order::outcome::{read_order_answer, retryable};

/// How many attempts an order call gets (the first plus retries with the same ClientToken).
pub const MAX_ATTEMPTS: u32 = 3;

/// The bounds of the HTTP client.
#[derive(Debug, Clone)]
pub struct UpstreamLimits {
    /// How long one call may take before its outcome is "unknown".
    pub timeout: Duration,
    /// Calls to the clouds in flight at once, across every request the proxy serves.
    pub in_flight: usize,
    /// The largest answer read; a longer one ends the exchange as "no answer".
    pub max_answer_bytes: usize,
    /// An HTTP(S) proxy to reach the clouds through (`SPOTPLAN_UPSTREAM_PROXY`); the usual `HTTPS_PROXY`
    /// variables are ignored so a stray setting cannot route credentials elsewhere.
    pub proxy: Option<String>,
    /// Host names outside the clouds' API domains that may be resolved (the endpoint overrides).
    pub extra_hosts: Vec<String>,
}

impl Default for UpstreamLimits {
    fn default() -> UpstreamLimits {
        UpstreamLimits {
            timeout: Duration::from_secs(30),
            in_flight: 32,
            max_answer_bytes: 4 * 1024 * 1024,
            proxy: None,
            extra_hosts: Vec::new(),
        }
    }
}

/// The HTTP client for the clouds.
#[derive(Debug, Clone)]
pub struct Upstream {
    client: reqwest::Client,
    permits: Arc<Semaphore>,
    max_answer_bytes: usize,
    /// Pause before a retry (doubled each time).
    pub backoff: Duration,
    /// Each call's duration and throttling answers, for `/metrics`.
    pub counters: crate::call_counters::Counters,
}

/// What one exchange with the cloud came to.
#[derive(Debug)]
pub enum Exchange {
    /// The cloud answered (any status) with a body within the size cap.
    Answered {
        /// HTTP status.
        status: u16,
        /// Body bytes.
        body: Vec<u8>,
    },
    /// The request may have reached the cloud but no usable answer came back (timeout, broken connection,
    /// an answer over the size cap).
    NoAnswer {
        /// Why.
        reason: String,
    },
    /// The request never left (connection refused, no such host): it certainly did not reach the cloud.
    NotSent {
        /// Why.
        reason: String,
    },
}

/// The result of sending with retries.
#[derive(Debug)]
pub struct Sent {
    /// The last exchange.
    pub exchange: Exchange,
    /// Whether an attempt before the last may have reached the cloud (answered with a 5xx, a server error code
    /// or an unreadable body, or never answered).
    pub earlier_maybe_acted: bool,
    /// The last request sent, for the log (redact before storing).
    pub request: Option<SignedRequest>,
    /// Attempts made.
    pub attempts: u32,
    /// Time spent on the wire, signing included.
    pub elapsed: Duration,
}

/// Why a request could not even be prepared; nothing was sent.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// Signing refused the request.
    #[error("signing failed: {0}")]
    Signing(#[from] spotplan_sign::SigningError),
    /// The HTTP client could not be built.
    #[error("http client: {0}")]
    Client(String),
}

impl Upstream {
    /// A client within `limits`. TLS is rustls with the ring provider and the platform's roots.
    pub fn new(limits: &UpstreamLimits) -> Result<Upstream, UpstreamError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .timeout(limits.timeout)
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("spotplan-proxy/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(CloudsOnly {
                extra_hosts: limits
                    .extra_hosts
                    .iter()
                    .map(|host| host.to_ascii_lowercase())
                    .collect(),
            }));
        builder = match &limits.proxy {
            Some(proxy) => builder.proxy(
                reqwest::Proxy::all(proxy)
                    .map_err(|error| UpstreamError::Client(format!("SPOTPLAN_UPSTREAM_PROXY: {error}")))?,
            ),
            None => builder.no_proxy(),
        };
        let client = builder
            .build()
            .map_err(|error| UpstreamError::Client(error.to_string()))?;
        Ok(Upstream {
            client,
            permits: Arc::new(Semaphore::new(limits.in_flight.max(1))),
            max_answer_bytes: limits.max_answer_bytes,
            backoff: Duration::from_millis(300),
            counters: crate::call_counters::Counters::default(),
        })
    }

    /// Calls to the clouds that could start now without waiting.
    pub fn idle_permits(&self) -> usize {
        self.permits.available_permits()
    }

    /// Signs and sends, retrying with the same ClientToken when the request surely did not arrive or the cloud
    /// answered with a transient error. A timeout is never retried here: it ends as [`Exchange::NoAnswer`].
    pub async fn send(
        &self,
        cloud: Cloud,
        request: &HttpRequest,
        credentials: &Credentials,
    ) -> Result<Sent, UpstreamError> {
        let started = Instant::now();
        let mut attempts = 0;
        let mut backoff = self.backoff;
        let mut earlier_maybe_acted = false;
        let mut last: Option<(Exchange, SignedRequest)> = None;
        loop {
            attempts += 1;
            let signed = nonce()
                .map_err(|error| UpstreamError::Client(format!("no random nonce: {error}")))
                .and_then(|nonce| Ok(sign(cloud, request, credentials, now_unix_seconds(), &nonce)?));
            let signed = match (signed, last.take()) {
                (Ok(signed), _) => signed,
                (Err(error), None) => return Err(error),
                // A retry that cannot be signed ends the retries with the last attempt's exchange: that attempt,
                // or one before it, may have reached the cloud, which an error here would hide.
                (Err(error), Some((exchange, signed))) => {
                    tracing::warn!(%cloud, %error, "a retry could not be signed; the last attempt's exchange stands");
                    return Ok(Sent {
                        exchange,
                        earlier_maybe_acted,
                        request: Some(signed),
                        attempts: attempts - 1,
                        elapsed: started.elapsed(),
                    });
                }
            };
            let exchange = self.exchange(cloud, &signed).await;
            let again = match &exchange {
                Exchange::NotSent { .. } => true,
                Exchange::Answered { status, body } => retryable(cloud, *status, body),
                Exchange::NoAnswer { .. } => false,
            };
            if !again || attempts >= MAX_ATTEMPTS {
                return Ok(Sent {
                    exchange,
                    earlier_maybe_acted,
                    request: Some(signed),
                    attempts,
                    elapsed: started.elapsed(),
                });
            }
            earlier_maybe_acted |= maybe_acted(cloud, &exchange);
            last = Some((exchange, signed));
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
    }

    /// Signs and sends `request` once, never again whatever the answer: for calls a retry could repeat at the
    /// cloud (a release without an idempotency token).
    pub async fn send_once(
        &self,
        cloud: Cloud,
        request: &HttpRequest,
        credentials: &Credentials,
    ) -> Result<Exchange, UpstreamError> {
        let nonce = nonce().map_err(|error| UpstreamError::Client(format!("no random nonce: {error}")))?;
        let signed = sign(cloud, request, credentials, now_unix_seconds(), &nonce)?;
        Ok(self.exchange(cloud, &signed).await)
    }

    async fn exchange(&self, cloud: Cloud, signed: &SignedRequest) -> Exchange {
        let started = Instant::now();
        let exchange = self.exchange_uncounted(signed).await;
        let result = match exchange {
            Exchange::Answered { .. } => "answered",
            Exchange::NoAnswer { .. } => "no_answer",
            Exchange::NotSent { .. } => "not_sent",
        };
        self.counters.call(cloud, result, started.elapsed().as_secs_f64());
        exchange
    }

    async fn exchange_uncounted(&self, signed: &SignedRequest) -> Exchange {
        let Ok(_permit) = self.permits.acquire().await else {
            return Exchange::NotSent {
                reason: "the proxy is shutting down".into(),
            };
        };
        let method = reqwest::Method::from_bytes(signed.method.as_bytes()).unwrap_or(reqwest::Method::POST);
        let mut builder = self.client.request(method, &signed.url);
        for (name, value) in &signed.headers {
            if !name.eq_ignore_ascii_case("host") {
                builder = builder.header(name, value);
            }
        }
        let mut response = match builder.body(signed.body.clone()).send().await {
            Ok(response) => response,
            Err(error) if error.is_connect() => {
                return Exchange::NotSent {
                    reason: describe(&error),
                };
            }
            Err(error) => {
                return Exchange::NoAnswer {
                    reason: describe(&error),
                };
            }
        };
        let status = response.status().as_u16();
        let too_large = || Exchange::NoAnswer {
            reason: format!(
                "the answer (HTTP {status}) is larger than {} bytes and was not read",
                self.max_answer_bytes
            ),
        };
        if response
            .content_length()
            .is_some_and(|length| length > self.max_answer_bytes as u64)
        {
            return too_large();
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > self.max_answer_bytes {
                        return too_large();
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Exchange::Answered { status, body },
                Err(error) => {
                    return Exchange::NoAnswer {
                        reason: describe(&error),
                    };
                }
            }
        }
    }
}

/// Whether an exchange may have led the cloud to act: anything but a definite, readable refusal or a request
/// that never left.
fn maybe_acted(cloud: Cloud, exchange: &Exchange) -> bool {
    match exchange {
        Exchange::NotSent { .. } => false,
        Exchange::NoAnswer { .. } => true,
        Exchange::Answered { status, body } => read_order_answer(cloud, false, *status, body).maybe_acted(),
    }
}

/// Resolves only the clouds' API domains and the configured overrides, so no request of the proxy can look up
/// (let alone reach) another host, whatever a region or zone id says.
#[derive(Debug)]
struct CloudsOnly {
    extra_hosts: Vec<String>,
}

/// Whether a host name may be resolved.
pub fn resolvable(host: &str, extra_hosts: &[String]) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    Cloud::ALL
        .into_iter()
        .map(|cloud| spotplan_core::clouds::wire(cloud).api_domain())
        .any(|domain| host.strip_suffix(domain).is_some_and(|rest| rest.ends_with('.')))
        || extra_hosts.contains(&host)
}

impl reqwest::dns::Resolve for CloudsOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let allowed = resolvable(&host, &self.extra_hosts);
        Box::pin(async move {
            if !allowed {
                tracing::warn!(%host, "refused to resolve a host outside the clouds' domains");
                return Err(format!("refusing to resolve `{host}`: not a cloud API host").into());
            }
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

/// An error without the URL (which could carry query parameters).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the answer broke off"
    } else {
        "request failed"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}

/// Now, in Unix seconds (the proxy may read the clock; the core may not).
pub fn now_unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// Now, in Unix milliseconds.
pub fn now_unix_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// 16 random bytes as 32 lower-case hex digits (the SDKs' nonce shape).
pub fn nonce() -> Result<String, getrandom::Error> {
    random_hex(16)
}

/// `bytes` random bytes as hex, from the operating system's generator.
pub fn random_hex(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buffer = vec![0_u8; bytes];
    getrandom::fill(&mut buffer)?;
    Ok(hex::encode(buffer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_clouds_domains_and_overrides_resolve() {
        let extra = vec!["ecs.internal.example".to_owned()];
        for host in [
            "ecs.cn-beijing.aliyuncs.com",
            "cvm.tencentcloudapi.com",
            "bcc.bj.baidubce.com",
            "ECS.CN-X.ALIYUNCS.COM.",
        ] {
            assert!(resolvable(host, &extra), "{host}");
        }
        assert!(resolvable("ecs.internal.example", &extra));
        for host in [
            "evil.com",
            "aliyuncs.com",
            "evilaliyuncs.com",
            "aliyuncs.com.evil.net",
            "a.evil.com",
            "internal.example",
        ] {
            assert!(!resolvable(host, &extra), "{host}");
        }
    }
}

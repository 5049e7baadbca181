//! Sends a routed order request to its cloud: signs each attempt afresh (new time and nonce, same ClientToken),
//! retries only what is safe to retry, and reports a timeout as "no outcome known" rather than guessing.

use std::time::{Duration, Instant};

use spotplan_core::Cloud;
use spotplan_core::order::request::HttpRequest;
use spotplan_sign::Credentials;

use crate::outcome::retryable;
use crate::signing::{SignedRequest, sign};

/// How many attempts an order call gets (the first plus retries with the same ClientToken).
pub const MAX_ATTEMPTS: u32 = 3;

/// The HTTP client for the clouds.
#[derive(Debug, Clone)]
pub struct Upstream {
    client: reqwest::Client,
    /// Pause before a retry (doubled each time).
    pub backoff: Duration,
}

/// What one exchange with the cloud came to.
#[derive(Debug)]
pub enum Exchange {
    /// The cloud answered (any status).
    Answered {
        /// HTTP status.
        status: u16,
        /// Body bytes.
        body: Vec<u8>,
    },
    /// The request may have reached the cloud but no answer came back in time.
    NoAnswer {
        /// Why.
        reason: String,
    },
    /// The request never left (connection refused, DNS): it certainly did not reach the cloud.
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
    /// The last request sent, for the log (redact before storing).
    pub request: Option<SignedRequest>,
    /// Attempts made.
    pub attempts: u32,
    /// Time spent on the wire.
    pub elapsed: Duration,
}

/// Why a request could not even be prepared.
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
    /// A client with a per-request timeout. TLS is rustls with the ring provider and the platform's roots.
    pub fn new(timeout: Duration) -> Result<Upstream, UpstreamError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("spotplan-proxy/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| UpstreamError::Client(error.to_string()))?;
        Ok(Upstream {
            client,
            backoff: Duration::from_millis(300),
        })
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
        loop {
            attempts += 1;
            let nonce = nonce().map_err(|error| UpstreamError::Client(format!("no random nonce: {error}")))?;
            let signed = sign(cloud, request, credentials, now_unix_seconds(), &nonce)?;
            let exchange = self.exchange(&signed).await;
            let again = match &exchange {
                Exchange::NotSent { .. } => true,
                Exchange::Answered { status, body } => retryable(cloud, *status, body),
                Exchange::NoAnswer { .. } => false,
            };
            if !again || attempts >= MAX_ATTEMPTS {
                return Ok(Sent {
                    exchange,
                    request: Some(signed),
                    attempts,
                    elapsed: started.elapsed(),
                });
            }
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
    }

    async fn exchange(&self, signed: &SignedRequest) -> Exchange {
        let method = reqwest::Method::from_bytes(signed.method.as_bytes()).unwrap_or(reqwest::Method::POST);
        let mut builder = self.client.request(method, &signed.url);
        for (name, value) in &signed.headers {
            if !name.eq_ignore_ascii_case("host") {
                builder = builder.header(name, value);
            }
        }
        let response = match builder.body(signed.body.clone()).send().await {
            Ok(response) => response,
            Err(error) if error.is_connect() => {
                return Exchange::NotSent {
                    reason: describe(error),
                };
            }
            Err(error) => {
                return Exchange::NoAnswer {
                    reason: describe(error),
                };
            }
        };
        let status = response.status().as_u16();
        match response.bytes().await {
            Ok(body) => Exchange::Answered {
                status,
                body: body.to_vec(),
            },
            Err(error) => Exchange::NoAnswer {
                reason: describe(error),
            },
        }
    }
}

/// An error without the URL (which could carry query parameters).
fn describe(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the answer broke off"
    } else {
        "request failed"
    };
    format!("{kind}: {}", error.without_url())
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

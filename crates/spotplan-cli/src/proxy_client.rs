//! Talking to the local proxy from the command line: where it is (loopback only), its token from
//! `SPOTPLAN_TOKEN`, an HTTP client that keeps the token on this machine, and reading its typed answers and its one
//! error shape.

use anyhow::Context;
use clap::Args;
use spotplan_core::api;

/// Where the proxy is and how to reach it.
#[derive(Debug, Args)]
pub(crate) struct ProxyArgs {
    /// The local proxy (plain HTTP on loopback).
    #[arg(long, default_value = "http://127.0.0.1:8787", env = "SPOTPLAN_PROXY_URL")]
    proxy_url: String,
}

pub(crate) fn token() -> anyhow::Result<String> {
    std::env::var("SPOTPLAN_TOKEN")
        .ok()
        .filter(|token| !token.is_empty())
        .context("set SPOTPLAN_TOKEN to the proxy's API token (the proxy prints it at start, or set it there too)")
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    // reqwest is built with rustls and no provider in this workspace; plain HTTP still needs one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the HTTP runtime")
}

/// The proxy's URL for `path`. The token travels with every call, so the proxy must be this machine's, read as a
/// URL (not by how the text starts: `http://127.0.0.1:8787@evil.example/` is evil.example with a user name).
pub(crate) fn endpoint(proxy: &ProxyArgs, path: &str) -> anyhow::Result<String> {
    let base = proxy.proxy_url.trim_end_matches('/');
    let refuse = || {
        anyhow::anyhow!(
            "--proxy-url (or SPOTPLAN_PROXY_URL) `{base}`: the CLI talks to a proxy on this machine, \
             http://127.0.0.1:PORT, http://localhost:PORT or http://[::1]:PORT, with no user, path or query"
        )
    };
    let url = reqwest::Url::parse(base).map_err(|_| refuse())?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    let bare = url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    if url.scheme() != "http" || !loopback || url.port().is_none() || !bare {
        return Err(refuse());
    }
    Ok(format!("{}{path}", url.as_str().trim_end_matches('/')))
}

/// A proxy's address for a printed command (`request --format curl`): an http or https URL with a host and
/// nothing else — no user, path, query or fragment, which would send the token or the order somewhere else.
pub(crate) fn printed_proxy_url(text: &str) -> Result<String, String> {
    let refuse =
        || format!("`{text}` is not a proxy's address like http://127.0.0.1:8787 (http or https, a host, no path)");
    let url = reqwest::Url::parse(text.trim()).map_err(|_| refuse())?;
    let bare = url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() || !bare {
        return Err(refuse());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// The HTTP client for the local proxy: no proxy from the environment (`HTTP_PROXY` would see the token) and no
/// redirects (a redirect would carry the token header elsewhere).
pub(crate) fn client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("cannot build the HTTP client")
}

/// An error answer's code, and the error naming status, code and message (every proxy error has one shape).
pub(crate) async fn refusal(response: reqwest::Response) -> (String, anyhow::Error) {
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    let message = body["error"]["message"].as_str().unwrap_or("no message");
    let code = body["error"]["code"].as_str().unwrap_or("unknown");
    (
        code.to_owned(),
        anyhow::anyhow!("the proxy answered {status} {code}: {message}"),
    )
}

/// An error answer as an error.
pub(crate) async fn failure(response: reqwest::Response) -> anyhow::Error {
    refusal(response).await.1
}

/// A proxy answer read as `T` (`what` names it in the error), or the proxy's error.
pub(crate) async fn read_answer<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
    what: &str,
) -> anyhow::Result<T> {
    if !response.status().is_success() {
        return Err(failure(response).await);
    }
    response
        .json()
        .await
        .with_context(|| format!("the proxy's answer is not {what}"))
}

/// `GET path` of the local proxy with the token, read as `T` (`what` names it in the error).
pub(crate) async fn fetch<T: serde::de::DeserializeOwned>(
    proxy: &ProxyArgs,
    token: &str,
    path: &str,
    what: &str,
) -> anyhow::Result<T> {
    let response = client()?
        .get(endpoint(proxy, path)?)
        .header(api::TOKEN_HEADER, token)
        .send()
        .await
        .context("cannot reach the proxy (is `cargo xtask serve` running?)")?;
    read_answer(response, what).await
}

//! The exact API request each cloud expects for a valid order, as a neutral value (method, scheme, host, path,
//! ordered query, headers, body bytes) that the proxy signs without rebuilding anything, and that the snippet
//! formats render. Time, nonce and client token are arguments or added by the signer.

#[cfg(all(test, not(target_arch = "wasm32")))]
mod parse;

use serde::{Deserialize, Serialize};

use super::ValidOrder;

pub use crate::clouds::alibaba::order::{ALIBABA_API_VERSION, alibaba_host};
pub use crate::clouds::baidu::order::{ADMIN_PASS_PLACEHOLDER, baidu_host};
pub use crate::clouds::tencent::order::{TENCENT_API_VERSION, TENCENT_HOST};

/// An unsigned HTTP request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// `POST` for every order call.
    pub method: String,
    /// `https`.
    pub scheme: String,
    /// The API host.
    pub host: String,
    /// The path (`/`, `/v2/instance/bid`).
    pub path: String,
    /// Query parameters in order, unencoded.
    pub query: Vec<(String, String)>,
    /// Headers in order (names lower-case).
    pub headers: Vec<(String, String)>,
    /// The body bytes (empty for Alibaba).
    pub body: Vec<u8>,
    /// The API action (`RunInstances`, `CreateBidInstance`), for logs and signers that need it.
    pub action: String,
}

impl HttpRequest {
    /// The body as text (every body built here is UTF-8 JSON or empty).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The value of a query parameter.
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The value of a header (names compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// What a Baidu administrator password becomes on the wire: Baidu wants it AES-encrypted with the secret key,
/// which only the proxy holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminPass {
    /// The proxy's encrypted form (lower-case hex).
    Encrypted(String),
    /// A placeholder for snippets shown to people.
    Placeholder,
}

/// Arguments of request construction that are not part of the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOptions {
    /// The idempotency token sent to the cloud (the order's own, when it has one, wins).
    pub client_token: String,
    /// How a Baidu password is sent.
    pub baidu_admin_pass: AdminPass,
}

/// Builds the order call for a valid order.
pub fn build_order_request(order: &ValidOrder, options: &BuildOptions) -> HttpRequest {
    let token = order
        .order()
        .client_token
        .clone()
        .unwrap_or_else(|| options.client_token.clone());
    crate::clouds::api(order.cloud()).order_request(order, &token, &options.baidu_admin_pass)
}

#[cfg(test)]
mod tests;

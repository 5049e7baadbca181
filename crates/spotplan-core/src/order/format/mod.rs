//! The formats a person copies for a valid order: the raw HTTP request (unsigned, with placeholders where the
//! signature goes), a curl command that submits through the local proxy, and — rendered by the order's cloud
//! from the built request, through its one mapping — the official CLI command, Python SDK code and Terraform.
//! Secrets never appear in a snippet: passwords are read from environment variables.

pub mod curl;
mod http;
pub(crate) mod literal;
pub(crate) mod mapping;

use serde::{Deserialize, Serialize};

use super::ValidOrder;
use super::request::{AdminPass, BuildOptions, HttpRequest, build_order_request};
use crate::clouds::PasswordPlace;

/// A snippet format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// The raw HTTP request.
    Http,
    /// curl through the local proxy.
    Curl,
    /// The cloud's official CLI.
    Cli,
    /// The cloud's official Python SDK.
    Python,
    /// Terraform HCL.
    Terraform,
}

impl Format {
    /// Every format, in the order the UI shows them.
    pub const ALL: [Format; 5] = [
        Format::Http,
        Format::Curl,
        Format::Cli,
        Format::Python,
        Format::Terraform,
    ];

    /// The format's id (`http`, `curl`, …).
    pub fn id(self) -> &'static str {
        match self {
            Format::Http => "http",
            Format::Curl => "curl",
            Format::Cli => "cli",
            Format::Python => "python",
            Format::Terraform => "terraform",
        }
    }

    /// Parses [`Format::id`].
    pub fn from_id(id: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|format| format.id() == id)
    }
}

/// A rendered snippet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snippet {
    /// Which format.
    pub format: Format,
    /// The language for highlighting: `http`, `bash`, `python` or `hcl`.
    pub language: String,
    /// The text to copy.
    pub text: String,
}

/// What the snippets need besides the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetOptions {
    /// The client token the request carries.
    pub client_token: String,
    /// The idempotency key the curl command sends to the proxy.
    pub idempotency_key: String,
    /// The proxy's base URL, e.g. `http://127.0.0.1:8787`.
    pub proxy_url: String,
}

/// Renders one format for a valid order.
pub fn render(order: &ValidOrder, format: Format, options: &SnippetOptions) -> Snippet {
    let request = unsigned_request(order, options);
    let cloud = crate::clouds::api(order.cloud());
    let (language, text) = match format {
        Format::Http => ("http", http::render(&request, order.cloud())),
        Format::Curl => ("bash", curl::render(order, options)),
        Format::Cli => ("bash", cloud.cli_snippet(&request)),
        Format::Python => ("python", cloud.python_snippet(&request)),
        Format::Terraform => ("hcl", cloud.terraform_snippet(&request)),
    };
    Snippet {
        format,
        language: language.into(),
        text,
    }
}

/// The raw HTTP text of any built request of `cloud` (the fleet requests use it too).
pub(crate) fn http_text(request: &HttpRequest, cloud: crate::clouds::Cloud) -> String {
    http::render(request, cloud)
}

/// Renders every format.
pub fn render_all(order: &ValidOrder, options: &SnippetOptions) -> Vec<Snippet> {
    Format::ALL
        .into_iter()
        .map(|format| render(order, format, options))
        .collect()
}

/// The request as snippets show it: the password replaced by [`PASSWORD_PLACEHOLDER`] (each format then reads it
/// from `$SPOTPLAN_INSTANCE_PASSWORD`), Baidu's encrypted password by its placeholder. (What a tool prints as the
/// request, too: never the password.)
pub fn unsigned_request(order: &ValidOrder, options: &SnippetOptions) -> HttpRequest {
    let mut request = build_order_request(
        order,
        &BuildOptions {
            client_token: options.client_token.clone(),
            baidu_admin_pass: AdminPass::Placeholder,
        },
    );
    match crate::clouds::api(order.cloud()).password_place() {
        PasswordPlace::Query(parameter) => {
            for (name, value) in &mut request.query {
                if name == parameter {
                    *value = PASSWORD_PLACEHOLDER.into();
                }
            }
        }
        // Baidu's body carries its own placeholder for the encrypted form already.
        PasswordPlace::Body(pointer) => {
            if let Ok(mut body) = serde_json::from_slice::<serde_json::Value>(&request.body)
                && let Some(password) = body.pointer_mut(pointer)
                && password.as_str() != Some(crate::order::request::ADMIN_PASS_PLACEHOLDER)
            {
                *password = serde_json::Value::String(PASSWORD_PLACEHOLDER.into());
                request.body = serde_json::to_vec(&body).unwrap_or_default();
            }
        }
    }
    request
}

/// Where a password goes in the raw HTTP snippet.
pub const PASSWORD_PLACEHOLDER: &str = "<your instance password>";

/// The environment variable snippets read an instance password from.
pub const PASSWORD_ENV: &str = "SPOTPLAN_INSTANCE_PASSWORD";

#[cfg(test)]
mod tests;

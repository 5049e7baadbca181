//! `POST /api/v1/sign-in`: the app's sign-in form. What a sign-in link carries in its URL — the proxy's token, a
//! one-time code it printed, or (team mode) a person's key — sent in a body instead, so it stays out of browser
//! history and access logs. The answer is 204 with the session cookie, or 401 with none.

use serde::{Deserialize, Serialize};

/// The body of `POST /api/v1/sign-in`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SignInBody {
    /// The proxy's token, a one-time sign-in code, or a person's API key (`spk_…`).
    pub token: String,
}

impl std::fmt::Debug for SignInBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInBody").field("token", &"<redacted>").finish()
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let body = super::SignInBody {
            token: "spk_0123456789abcdef".into(),
        };
        assert!(!format!("{body:?}").contains("0123456789abcdef"));
    }
}

//! Request signing for the clouds Spotplan bids on: Alibaba Cloud ACS3-HMAC-SHA256 ([`acs3`]), Tencent Cloud
//! TC3-HMAC-SHA256 ([`tc3`]) and Baidu AI Cloud bce-auth-v1 ([`bce`]).
//!
//! Architecture invariant: this crate is pure. It does no I/O, reads no clock and draws no randomness: time and
//! nonce are arguments, and each scheme's `sign()` returns what to add to the request without sending anything.
//!
//! The model is smithy-rs's `aws-sigv4`: a neutral [`SignableRequest`] goes in; one type per spec step (canonical
//! request, string to sign, signing key, signature) comes out inside [`SigningOutput::steps`], and each step's
//! `Display` prints the spec's exact text so it can be compared with a published vector. Secrets and derived
//! keys print `<redacted>` in `Debug`.
//!
//! Each cloud percent-encodes and sorts differently; the rules live in the scheme modules, all matched byte for
//! byte against the official Python SDKs (`tests/sdk_crosscheck.rs`, feature `sdk-crosscheck`).
//!
//! ```
//! use spotplan_sign::{Credentials, SignableRequest, tc3};
//!
//! let headers = [("Content-Type".to_owned(), "application/json".to_owned())];
//! let request = SignableRequest {
//!     method: "POST",
//!     host: "cvm.tencentcloudapi.com",
//!     path: "/",
//!     query: &[],
//!     headers: &headers,
//!     body: br#"{"Limit":1}"#,
//! };
//! let credentials = Credentials::new("AKIDexample", "secret");
//! let output = tc3::sign(&request, &credentials, &tc3::Params { unix_seconds: 1_551_113_065, service: "cvm" })?;
//! assert_eq!(output.header("X-TC-Timestamp"), Some("1551113065"));
//! let authorization = output.header("Authorization").unwrap_or_default();
//! assert!(authorization.starts_with("TC3-HMAC-SHA256 Credential=AKIDexample/2019-02-25/cvm/tc3_request, "));
//! # Ok::<(), spotplan_sign::SigningError>(())
//! ```

/// `Display` for signing steps that are text: writes their `as_str()`, so a step prints exactly what is signed.
macro_rules! display_as_str {
    ($($step:ty),+ $(,)?) => {$(
        impl std::fmt::Display for $step {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )+};
}

pub mod acs3;
pub mod bce;
mod digest;
mod encode;
mod error;
mod request;
pub mod tc3;

pub use error::SigningError;
pub use request::{Credentials, Secret, SignableRequest, SigningOutput};
pub use spotplan_time::{UtcDate, UtcTime};

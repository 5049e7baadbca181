//! Live price queries: what every cloud's price query shares — the query ([`QuoteAsk`]), the reading of an answer
//! into dated, sourced catalog observations ([`ExternalObservation`]), the errors, the provenance of a live quote —
//! while each cloud's own request and parser live in its folder (`clouds/<cloud>/prices.rs`).
//!
//! The proxy signs and sends those requests and hands the response bodies back to the parsers; neither
//! side reads a clock: the fetch time is an argument. Every parser
//! - returns [`QuoteError::Cloud`] when the body is the cloud's error envelope ([`CloudError`]),
//! - returns a typed [`QuoteError`] naming the field when the answer's structure is missing or malformed,
//! - never reads a missing, zero or negative price as a price: it leaves it out and reports it in `skipped`,
//! - never panics, whatever the bytes (a property test feeds them garbage).
//!
//! Units, where the clouds' documents are silent, are decided once per parser and written in its doc comment and in
//! the [`Source`] of its observations: Alibaba prices per instance-hour (`PriceUnit=Hour`), Tencent per hour when
//! `ChargeUnit` is `HOUR`, Baidu's `perMoney` read as the account's currency per instance per minute (the `bidPrice`
//! unit; unconfirmed).

pub(crate) mod json;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::{ExternalObservation, LiveBasis, LiveQuote, Source};
use crate::clouds::Cloud;
use spotplan_time::format_date;

/// The error answer of a cloud API: Alibaba `{RequestId, Code, Message}` (HTTP 4xx/5xx), Tencent
/// `{"Response": {"Error": {Code, Message}, RequestId}}` (HTTP 200), Baidu `{requestId, code, message}` (HTTP 4xx/5xx).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudError {
    /// The cloud that answered.
    pub cloud: Cloud,
    /// The cloud's error code, e.g. `InvalidParams.InstanceType`, `ResourceInsufficient.SpecifiedInstanceType`.
    pub code: String,
    /// The cloud's message, as sent (empty when it sent none).
    pub message: String,
    /// The request id to quote to the cloud's support, when the answer carried one.
    pub request_id: Option<String>,
}

impl fmt::Display for CloudError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} answered `{}`", self.cloud.display_name(), self.code)?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for CloudError {}

/// Why a price answer could not be read at all. (A single unusable price is not an error: it is left out and
/// reported in the result's `skipped` list.)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    /// The body is the cloud's error envelope.
    #[error(transparent)]
    Cloud(#[from] CloudError),
    /// The body is not JSON (an HTML error page, a truncated answer, garbage).
    #[error("the response is not JSON ({reason}); it starts with `{start}`")]
    NotJson {
        /// What the JSON reader said.
        reason: String,
        /// The first characters of the body, for recognising what came back.
        start: String,
    },
    /// A field the answer must have is absent (or `null`).
    #[error("the response has no `{field}`")]
    MissingField {
        /// The field's path, e.g. `PriceInfo.Price`.
        field: String,
    },
    /// A field has the wrong JSON type or an unexpected value.
    #[error("`{field}` is `{value}`, expected {expected}")]
    UnexpectedValue {
        /// The field's path.
        field: String,
        /// The value found, as compact JSON (shortened).
        value: String,
        /// What was expected.
        expected: String,
    },
    /// A currency this project does not handle.
    #[error("`{field}` is `{value}`, a currency Spotplan does not handle (expected CNY or USD)")]
    UnsupportedCurrency {
        /// The field's path.
        field: String,
        /// The currency code found.
        value: String,
    },
}

/// Why a query could not be built (the arguments break a documented limit of the API).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A time outside 1970-01-01T00:00:00Z ..= 9999-12-31T23:59:59Z.
    #[error("{field} {value} is not a time between 1970 and 9999 (Unix seconds)")]
    TimeOutOfRange {
        /// `start` or `end`.
        field: &'static str,
        /// The Unix seconds given.
        value: i64,
    },
    /// The window ends before it starts.
    #[error("the window starts at {start}, after its end {end}")]
    TimeWindowReversed {
        /// The start, formatted.
        start: String,
        /// The end, formatted.
        end: String,
    },
    /// The window is longer than the API allows.
    #[error("the window {start} .. {end} is longer than {max_days} days (the API's limit)")]
    TimeWindowTooLong {
        /// The start, formatted.
        start: String,
        /// The end, formatted.
        end: String,
        /// The longest window allowed, in days.
        max_days: u32,
    },
}

/// Why one value of an answer was not used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SkipReason {
    /// The field is absent, `null` or an empty string.
    Missing,
    /// The price is zero: an unknown or free price is never read as a price.
    Zero,
    /// The number is negative.
    Negative {
        /// The value as sent.
        value: String,
    },
    /// The value is not what the field holds (not a number, not a time, not text).
    Malformed {
        /// The value as sent (compact JSON, shortened).
        value: String,
        /// What the field should hold.
        expected: String,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Missing => f.write_str("is missing"),
            SkipReason::Zero => f.write_str("is zero (a zero price is never used as a price)"),
            SkipReason::Negative { value } => write!(f, "is negative (`{value}`)"),
            SkipReason::Malformed { value, expected } => write!(f, "is `{value}`, expected {expected}"),
        }
    }
}

/// A value of the answer that was left out, and what was lost with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The field's path in the answer, e.g. `SpotPrices.SpotPriceType[3].SpotPrice`.
    pub field: String,
    /// Why it was not used.
    pub reason: SkipReason,
    /// What was left out because of it, e.g. `the spot price of ecs.g7.large in cn-hangzhou-h`.
    pub left_out: String,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "left out {}: `{}` {}", self.left_out, self.field, self.reason)
    }
}

/// The prices read from one answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// The prices, ready for [`crate::catalog::Catalog::with_observations`]: every amount is positive.
    pub observations: Vec<ExternalObservation>,
    /// Prices (or records) the answer held but that could not be used, with the reason.
    pub skipped: Vec<Skipped>,
}

/// One offer to quote live, as the app asks the proxy for it (`POST /api/v1/prices`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct QuoteAsk {
    /// The offer.
    pub offer: crate::catalog::OfferKey,
    /// Tencent: the image the inquiry prices with (its API needs one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// Baidu: vCPUs of the spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_count: Option<u32>,
    /// Baidu: memory (GB) of the spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_gb: Option<u32>,
    /// Baidu: the instance class (`instanceType`, e.g. `N5`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_class: Option<String>,
    /// Alibaba: the operating system the order runs (`OSType`; Linux when not given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<crate::order::model::OsFamily>,
    /// Alibaba: whether the order keeps the one-hour protection (`SpotDuration=1`, the API's default, when not
    /// given) or has none (`false`: `SpotDuration=0`), so the quote is of the market the order joins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_hour_protection: Option<bool>,
}

impl QuoteAsk {
    /// Whether the quote is of the offer's default market — Linux, with the one-hour protection (Alibaba's
    /// `SpotDuration=1`, the API's default) — which an offer's price series holds. A quote for a draft without the
    /// protection (a cheaper market, pricing.md) or for Windows (its licence included) is of another market: right
    /// for that draft, wrong as the offer's price for everyone else.
    pub fn is_default_market(&self) -> bool {
        self.os.is_none_or(|os| os == crate::order::model::OsFamily::Linux) && self.one_hour_protection != Some(false)
    }
}

/// One page of a cloud's price history ([`crate::clouds::CloudWire::history_request`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPage {
    /// The dated prices on the page.
    pub observations: Vec<crate::catalog::ExternalObservation>,
    /// The next page, when there is one.
    pub next_page: Option<u32>,
}

impl QuoteAsk {
    /// The first of the ask's ids that is not a cloud id ([`crate::cloud_id`]), as its field path (`offer.zone`)
    /// and the value as errors show it. The region has its own, stricter check where hosts are made from it.
    pub fn malformed_id(&self) -> Option<(&'static str, String)> {
        [
            ("offer.zone", self.offer.zone.as_deref()),
            ("offer.instance_type", Some(self.offer.instance_type.as_str())),
            ("image_id", self.image_id.as_deref()),
            ("instance_class", self.instance_class.as_deref()),
        ]
        .into_iter()
        .find_map(|(field, value)| {
            value
                .filter(|value| !crate::cloud_id::is_cloud_id(value))
                .map(|value| (field, crate::cloud_id::shown(value)))
        })
    }

    /// An ask for an offer with nothing more (each cloud's `quote_ask` adds what its query needs).
    pub fn new(offer: crate::catalog::OfferKey) -> QuoteAsk {
        QuoteAsk {
            offer,
            image_id: None,
            cpu_count: None,
            memory_gb: None,
            instance_class: None,
            os: None,
            one_hour_protection: None,
        }
    }
}

/// What a person's draft tells the price queries: each cloud's [`crate::clouds::CloudApi::quote_ask`] takes the
/// parts its own query needs (Tencent an image, Alibaba the OS and protection period of its draft).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuoteDraft {
    /// The draft's cloud, when there is a draft: its OS, protection period and image apply to that cloud only.
    pub cloud: Option<Cloud>,
    /// The draft's image (or one typed for quotes, for clouds that price with an image).
    pub image_id: Option<String>,
    /// The draft's operating system.
    pub os: Option<crate::order::model::OsFamily>,
    /// Whether the draft keeps the one-hour protection.
    pub one_hour_protection: Option<bool>,
}

impl QuoteDraft {
    /// What applies to an offer of `cloud`: the draft's own values only for its own cloud, an image typed for
    /// quotes for any cloud.
    pub fn for_cloud(&self, cloud: Cloud, quote_image: Option<&str>) -> QuoteDraft {
        let own = self.cloud == Some(cloud);
        QuoteDraft {
            cloud: Some(cloud),
            // A draft of this cloud with no image yet is priced with the image for quotes, like any other.
            image_id: self
                .image_id
                .clone()
                .filter(|image| own && !image.trim().is_empty())
                .or_else(|| quote_image.map(str::to_owned))
                .filter(|image| !image.trim().is_empty()),
            os: self.os.filter(|_| own),
            one_hour_protection: self.one_hour_protection.filter(|_| own),
        }
    }
}

/// Why an offer has no live quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct QuoteFailure {
    /// A stable code (`needs_image`, `needs_zone`, `unreadable_answer`, the cloud's own error code…).
    pub code: String,
    /// What happened, for a person.
    pub message: String,
}

impl QuoteFailure {
    /// A failure with a code and a message.
    pub fn new(code: &str, message: impl Into<String>) -> QuoteFailure {
        QuoteFailure {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl From<QuoteError> for QuoteFailure {
    fn from(error: QuoteError) -> QuoteFailure {
        let code = match &error {
            QuoteError::Cloud(cloud) => cloud.code.clone(),
            _ => "unreadable_answer".into(),
        };
        QuoteFailure {
            code,
            message: error.to_string(),
        }
    }
}

impl From<QueryError> for QuoteFailure {
    fn from(error: QueryError) -> QuoteFailure {
        QuoteFailure::new("bad_query", error.to_string())
    }
}

/// What one live quote came to: observations ready to merge, and what was left out (in words).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteReading {
    /// The prices.
    pub observations: Vec<ExternalObservation>,
    /// What the answer held but could not be used, with the reason.
    pub skipped: Vec<String>,
}

impl From<Quote> for QuoteReading {
    fn from(quote: Quote) -> QuoteReading {
        QuoteReading {
            observations: quote.observations,
            skipped: quote.skipped.iter().map(ToString::to_string).collect(),
        }
    }
}

/// The provenance of a live quote: one source per cloud, API and fetch day, so merged catalogs keep it apart.
///
/// `detail` is appended to the name in parentheses (the unit decision, where the API does not state it); the
/// attribution says how the figures are read (`basis`), and [`Source::live`] keeps the same facts as values.
pub(crate) fn live_source(
    cloud: Cloud,
    action: &str,
    url: &str,
    detail: Option<&str>,
    basis: LiveBasis,
    fetched_at: i64,
) -> Source {
    let date = format_date(fetched_at);
    let vendor = cloud.vendor();
    let name = match detail {
        Some(detail) => format!("live quote via the proxy ({vendor} {action}; {detail})"),
        None => format!("live quote via the proxy ({vendor} {action})"),
    };
    Source {
        key: format!("live-{}-{action}-{date}", cloud.id()),
        name,
        url: url.to_owned(),
        licence: "none stated (your account's own answer from the cloud's API)".into(),
        date,
        attribution: format!(
            "{} {action} answered your account at {} through the proxy{}",
            cloud.display_name(),
            spotplan_time::format_iso8601(fetched_at),
            basis.english_note()
        ),
        live: Some(LiveQuote {
            cloud,
            action: action.to_owned(),
            fetched_at,
            basis,
        }),
    }
}

/// The error envelope of `cloud` in a response body, if the body is one. The proxy can call this on the answer to
/// any call (orders included); the parsers here call it first.
pub fn cloud_error(cloud: Cloud, body: &[u8]) -> Option<CloudError> {
    let object = json::parse_object(body).ok()?;
    json::cloud_error_in(cloud, &object)
}

#[cfg(test)]
mod tests;

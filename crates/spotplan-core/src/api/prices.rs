//! `POST /api/v1/prices`: live quotes of a list of offers, each with its fetch time, in the catalog's observation
//! shape so the app merges them (newest wins, provenance kept).

use serde::{Deserialize, Serialize};

use crate::catalog::{ExternalObservation, OfferKey};
use crate::quote::{QuoteAsk, QuoteFailure};

/// The most offers one request may ask for.
pub const MAX_OFFERS: usize = 50;

/// The request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PricesBody {
    /// The offers to quote (at most [`MAX_OFFERS`]).
    #[cfg_attr(feature = "schema", schemars(length(max = 50)))]
    pub offers: Vec<QuoteAsk>,
}

/// The answer: one quote per offer asked, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PricesAnswer {
    /// The quotes.
    pub quotes: Vec<OfferQuote>,
}

/// One offer's quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OfferQuote {
    /// The offer.
    pub offer: OfferKey,
    /// When it was fetched (Unix seconds).
    pub fetched_at: i64,
    /// Whether it came from the proxy's five-minute cache.
    pub cached: bool,
    /// The prices, ready to merge.
    pub observations: Vec<ExternalObservation>,
    /// Prices the answer held but that could not be used, with the reason.
    pub skipped: Vec<String>,
    /// Why there is no quote, when there is none.
    pub error: Option<QuoteFailure>,
}

//! `POST /api/v1/prices`: live quotes for a list of offers, each cloud's own price query (its folder in the core
//! builds the request and reads the answer: Alibaba DescribeSpotPriceHistory, Tencent InquiryPriceRunInstances,
//! Baidu bidPrice) — fetched a few at a time, cached for five minutes, each answered with its fetch time in the
//! core's observation shape so the app merges them into its catalog (newest wins, provenance kept).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use spotplan_core::api::prices::{MAX_OFFERS, OfferQuote, PricesAnswer, PricesBody};
use spotplan_core::quote::{QuoteAsk, QuoteFailure};
use tokio::sync::Semaphore;

use crate::AppState;
use crate::error::ApiError;
use crate::upstream::{Exchange, now_unix_seconds, random_hex};

/// How long a quote is served from the cache.
pub const CACHE_FOR: Duration = Duration::from_secs(5 * 60);
/// Quotes one request fetches at once (the upstream client also bounds calls across all requests).
pub const CONCURRENT_QUOTES: usize = 4;

/// One offer to quote (the core's [`QuoteAsk`]).
pub type PriceRequest = QuoteAsk;

/// The cache of quotes, kept [`CACHE_FOR`].
pub type QuoteCache = crate::short_cache::ShortCache<PriceRequest, OfferQuote>;

/// Handles `POST /api/v1/prices`.
pub async fn prices(
    State(state): State<AppState>,
    Json(body): Json<PricesBody>,
) -> Result<Json<PricesAnswer>, ApiError> {
    if body.offers.len() > MAX_OFFERS {
        return Err(ApiError::BadRequest {
            code: "too_many_offers",
            message: format!("at most {MAX_OFFERS} offers per request, not {}", body.offers.len()),
            field: Some("offers".into()),
        });
    }
    let semaphore = Arc::new(Semaphore::new(CONCURRENT_QUOTES));
    let mut tasks = Vec::new();
    for request in body.offers {
        let (state, semaphore) = (state.clone(), semaphore.clone());
        tasks.push(tokio::spawn(async move {
            if let Some(cached) = state.quotes.get(&request) {
                return OfferQuote { cached: true, ..cached };
            }
            let _permit = semaphore.acquire_owned().await;
            let quote = fetch(&state, &request).await;
            if quote.error.is_none() {
                let default_market = request.is_default_market();
                state.quotes.put(request, quote.clone());
                // Another market's quote (no protection period, Windows) answers its draft but is not the offer's
                // price: stored, it would become everyone's newest price for the offer.
                if !default_market {
                    return quote;
                }
                // Kept, changes only, for the app's next reload and for bid advice; a store that cannot be written
                // does not hold the quote back.
                let now_ms = crate::upstream::now_unix_millis();
                if let Err(error) = crate::price_store::record(&state.store, quote.observations.clone(), now_ms).await {
                    tracing::warn!(%error, "a live quote was not stored");
                }
            }
            quote
        }));
    }
    let mut quotes = Vec::new();
    for task in tasks {
        quotes.push(
            task.await
                .map_err(|error| ApiError::Internal(anyhow::anyhow!("quote task failed: {error}")))?,
        );
    }
    Ok(Json(PricesAnswer { quotes }))
}

fn failure(request: &PriceRequest, fetched_at: i64, code: &str, message: String) -> OfferQuote {
    OfferQuote {
        offer: request.offer.clone(),
        fetched_at,
        cached: false,
        observations: Vec::new(),
        skipped: Vec::new(),
        error: Some(QuoteFailure::new(code, message)),
    }
}

async fn fetch(state: &AppState, request: &PriceRequest) -> OfferQuote {
    let now = now_unix_seconds() as i64;
    let offer = &request.offer;
    let Some(credentials) = state.credentials.get(offer.cloud).cloned() else {
        return failure(
            request,
            now,
            "no_credentials",
            format!("no credentials for {} (planning mode)", offer.cloud),
        );
    };
    if let Err(error) = crate::endpoints::check_region(&offer.region) {
        return failure(request, now, "invalid_region", error.to_string());
    }
    if let Some((field, value)) = request.malformed_id() {
        return failure(
            request,
            now,
            "invalid_id",
            format!(
                "{field} “{value}” is not a cloud id ({})",
                spotplan_core::cloud_id::RULE
            ),
        );
    }
    let cloud = spotplan_core::clouds::wire(offer.cloud);
    let token = match random_hex(16) {
        Ok(token) => token,
        Err(error) => return failure(request, now, "no_random", error.to_string()),
    };
    let mut http = match cloud.quote_request(request, now, &token) {
        Ok(http) => http,
        Err(error) => return failure(request, now, &error.code, error.message),
    };
    if let Err(error) = state.config.endpoints.route(offer.cloud, &mut http) {
        return failure(request, now, "endpoint_refused", error.to_string());
    }
    let sent = match state.upstream.send(offer.cloud, &http, &credentials.credentials).await {
        Ok(sent) => sent,
        Err(error) => return failure(request, now, "signing", error.to_string()),
    };
    let body = match sent.exchange {
        Exchange::Answered { body, .. } => body,
        Exchange::NoAnswer { reason } | Exchange::NotSent { reason } => {
            return failure(request, now, "unreachable", reason);
        }
    };
    match cloud.read_quote(request, credentials.account_currency, now, &body) {
        Ok(reading) => OfferQuote {
            offer: offer.clone(),
            fetched_at: now,
            cached: false,
            observations: reading.observations,
            skipped: reading.skipped,
            error: None,
        },
        Err(error) => failure(request, now, &error.code, error.message),
    }
}

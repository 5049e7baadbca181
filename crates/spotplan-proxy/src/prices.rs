//! `POST /api/v1/prices`: live quotes for a list of offers — Alibaba DescribeSpotPriceHistory (the last three
//! days, spot and pay-as-you-go per zone), Tencent InquiryPriceRunInstances (SPOTPAID), Baidu bidPrice — fetched
//! a few at a time, cached for five minutes, each answered with its fetch time in the core's observation shape
//! so the app merges them into its catalog (newest wins, provenance kept).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use spotplan_core::Cloud;
use spotplan_core::catalog::{ExternalObservation, OfferKey};
use spotplan_core::clouds::{alibaba::prices as alibaba, baidu::prices as baidu, tencent::prices as tencent};
use spotplan_core::money::Currency;
use spotplan_core::order::request::HttpRequest;
use tokio::sync::Semaphore;

use crate::AppState;
use crate::error::ApiError;
use crate::upstream::{Exchange, now_unix_seconds, random_hex};

/// How long a quote is served from the cache.
pub const CACHE_FOR: Duration = Duration::from_secs(5 * 60);
/// Quotes one request fetches at once (the upstream client also bounds calls across all requests).
pub const CONCURRENT_QUOTES: usize = 4;
/// Offers per request.
pub const MAX_OFFERS: usize = 50;

/// One offer to quote.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceRequest {
    /// The offer.
    pub offer: OfferKey,
    /// Tencent: the image the inquiry prices with (its API needs one).
    #[serde(default)]
    pub image_id: Option<String>,
    /// Baidu: vCPUs of the spec.
    #[serde(default)]
    pub cpu_count: Option<u32>,
    /// Baidu: memory (GB) of the spec.
    #[serde(default)]
    pub memory_gb: Option<u32>,
    /// Baidu: the instance class (`instanceType`, e.g. `N5`).
    #[serde(default)]
    pub instance_class: Option<String>,
}

/// The body of `POST /api/v1/prices`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricesBody {
    /// The offers to quote (at most [`MAX_OFFERS`]).
    pub offers: Vec<PriceRequest>,
}

/// One offer's quote.
#[derive(Debug, Clone, Serialize)]
pub struct OfferQuote {
    /// The offer.
    pub offer: OfferKey,
    /// When it was fetched (Unix seconds).
    pub fetched_at: i64,
    /// Whether it came from the cache.
    pub cached: bool,
    /// The prices, ready to merge.
    pub observations: Vec<ExternalObservation>,
    /// Prices the answer held but that could not be used, with the reason.
    pub skipped: Vec<String>,
    /// Why there is no quote, when there is none.
    pub error: Option<QuoteFailure>,
}

/// Why an offer has no quote.
#[derive(Debug, Clone, Serialize)]
pub struct QuoteFailure {
    /// A stable code (`no_credentials`, `needs_image`, the cloud's own code…).
    pub code: String,
    /// What happened.
    pub message: String,
}

/// The cache of quotes.
#[derive(Debug, Default, Clone)]
pub struct QuoteCache {
    entries: Arc<Mutex<HashMap<PriceRequest, (Instant, OfferQuote)>>>,
}

impl QuoteCache {
    fn get(&self, request: &PriceRequest) -> Option<OfferQuote> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (stored, quote) = entries.get(request)?;
        (stored.elapsed() < CACHE_FOR).then(|| OfferQuote {
            cached: true,
            ..quote.clone()
        })
    }

    fn put(&self, request: PriceRequest, quote: &OfferQuote) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.retain(|_, (stored, _)| stored.elapsed() < CACHE_FOR);
        entries.insert(request, (Instant::now(), quote.clone()));
    }
}

/// Handles `POST /api/v1/prices`.
pub async fn prices(
    State(state): State<AppState>,
    Json(body): Json<PricesBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
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
                return cached;
            }
            let _permit = semaphore.acquire_owned().await;
            let quote = fetch(&state, &request).await;
            if quote.error.is_none() {
                state.quotes.put(request, &quote);
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
    Ok(Json(serde_json::json!({ "quotes": quotes })))
}

fn failure(request: &PriceRequest, fetched_at: i64, code: &str, message: String) -> OfferQuote {
    OfferQuote {
        offer: request.offer.clone(),
        fetched_at,
        cached: false,
        observations: Vec::new(),
        skipped: Vec::new(),
        error: Some(QuoteFailure {
            code: code.into(),
            message,
        }),
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
    let built: Result<(HttpRequest, Reader), QuoteFailure> = build(request, now);
    let (mut http, reader) = match built {
        Ok(built) => built,
        Err(error) => {
            return OfferQuote {
                error: Some(error),
                ..failure(request, now, "", String::new())
            };
        }
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
    match reader(&body, now) {
        Ok((observations, skipped)) => OfferQuote {
            offer: offer.clone(),
            fetched_at: now,
            cached: false,
            observations,
            skipped,
            error: None,
        },
        Err((code, message)) => failure(request, now, &code, message),
    }
}

/// Reads a cloud's answer into observations and skipped notes, or (code, message).
type Reader = Box<dyn Fn(&[u8], i64) -> Result<(Vec<ExternalObservation>, Vec<String>), (String, String)> + Send>;

fn quote_error(error: spotplan_core::quote::QuoteError) -> (String, String) {
    match &error {
        spotplan_core::quote::QuoteError::Cloud(cloud) => (cloud.code.clone(), error.to_string()),
        _ => ("unreadable_answer".into(), error.to_string()),
    }
}

fn build(request: &PriceRequest, now: i64) -> Result<(HttpRequest, Reader), QuoteFailure> {
    let offer = request.offer.clone();
    let bad = |code: &str, message: String| QuoteFailure {
        code: code.into(),
        message,
    };
    match offer.cloud {
        Cloud::Alibaba => {
            let window =
                alibaba::TimeWindow::new(now - 3 * 86_400, now).map_err(|e| bad("bad_window", e.to_string()))?;
            let query = alibaba::SpotPriceHistoryQuery {
                region: offer.region.clone(),
                zone: offer.zone.clone(),
                instance_type: offer.instance_type.clone(),
                spot_duration: Some(alibaba::SpotDuration::OneHour),
                window,
                offset: None,
            };
            let http = alibaba::describe_spot_price_history(&query);
            let reader: Reader = Box::new(move |body, fetched_at| {
                alibaba::parse_describe_spot_price_history(body, &query, fetched_at)
                    .map(|page| {
                        (
                            page.observations,
                            page.skipped.iter().map(ToString::to_string).collect(),
                        )
                    })
                    .map_err(quote_error)
            });
            Ok((http, reader))
        }
        Cloud::Tencent => {
            let image_id = request.image_id.clone().filter(|id| !id.is_empty()).ok_or_else(|| {
                bad(
                    "needs_image",
                    "Tencent's price inquiry prices a full configuration: give an image id".into(),
                )
            })?;
            let zone = offer
                .zone
                .clone()
                .ok_or_else(|| bad("needs_zone", "Tencent prices per zone: give a zone".into()))?;
            let query = tencent::SpotInquiry {
                region: offer.region.clone(),
                zone,
                instance_type: offer.instance_type.clone(),
                image_id,
                instance_count: NonZeroU32::MIN,
                currency: Currency::Cny,
            };
            let http = tencent::inquiry_price_run_instances(&query);
            let reader: Reader = Box::new(move |body, fetched_at| {
                tencent::parse_inquiry_price_run_instances(body, &query, fetched_at)
                    .map(|quote| {
                        (
                            quote.observations,
                            quote.skipped.iter().map(ToString::to_string).collect(),
                        )
                    })
                    .map_err(quote_error)
            });
            Ok((http, reader))
        }
        Cloud::Baidu => {
            let (Some(cpu_count), Some(memory_gb)) = (request.cpu_count, request.memory_gb) else {
                return Err(bad(
                    "needs_shape",
                    "Baidu's bidPrice needs the spec's cpu_count and memory_gb".into(),
                ));
            };
            let query = baidu::BidPriceQuery {
                region: offer.region.clone(),
                zone: offer.zone.clone(),
                spec: offer.instance_type.clone(),
                instance_type: request.instance_class.clone().unwrap_or_else(|| "N5".into()),
                cpu_count,
                memory_gb,
                root_disk_size_gb: None,
                root_disk_storage_type: None,
                purchase_count: NonZeroU32::MIN,
            };
            let token = random_hex(16).map_err(|e| bad("no_random", e.to_string()))?;
            let http = baidu::bid_price(&query, &format!("spotplan-quote-{token}"));
            let reader: Reader = Box::new(move |body, fetched_at| {
                baidu::parse_bid_price(body, &query, fetched_at)
                    .map(|quote| {
                        (
                            quote.observations,
                            quote.skipped.iter().map(ToString::to_string).collect(),
                        )
                    })
                    .map_err(quote_error)
            });
            Ok((http, reader))
        }
    }
}

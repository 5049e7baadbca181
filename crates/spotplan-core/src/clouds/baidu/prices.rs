//! Baidu BCC's spot market price query on `bcc.<region>.baidubce.com`, `POST /v2/instance/bidPrice` (the current
//! market price of a spec), and its answer.
//!
//! It carries `clientToken` in the query like the order call in [`crate::order::request`]; the token is an
//! argument. Bodies are JSON with `content-type: application/json`.

use std::num::NonZeroU32;

use serde_json::{Map, json};

use super::order::post;
use crate::catalog::{ExternalObservation, LiveBasis, OfferKey, PriceKind};
use crate::clouds::Cloud;
use crate::money::{Currency, Money, PriceRate, TimeUnit};
use crate::order::request::HttpRequest;
use crate::quote::json;
use crate::quote::{Quote, QuoteError, live_source};

/// The unit decision for `perMoney`, shown in the name of every bidPrice observation's source.
pub const PER_MONEY_UNIT_NOTE: &str =
    "perMoney read as the account's currency per instance per minute, the bidPrice unit; unconfirmed";

/// A `bidPrice` call: the market price of one spec (also the context its answer is read in).
///
/// The body carries what SDK 0.9.79 sends (`instanceType`, `cpuCount`, `memoryCapacityInGB`, `rootDiskSizeInGb`,
/// `rootDiskStorageType`, `purchaseCount`) plus `spec` and, when given, `zoneName`, which the current Chinese doc
/// requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidPriceQuery {
    /// The region of the endpoint, e.g. `bj`.
    pub region: String,
    /// `zoneName`, e.g. `cn-bj-d`.
    pub zone: Option<String>,
    /// `spec`, e.g. `bcc.g5.c2m8`: also the name the catalog knows the offer by, so always sent.
    pub spec: String,
    /// `instanceType`, e.g. `N5` (required by the SDK).
    pub instance_type: String,
    /// `cpuCount`.
    pub cpu_count: u32,
    /// `memoryCapacityInGB`.
    pub memory_gb: u32,
    /// `rootDiskSizeInGb`; left out when `None` (SDK 0.9.79 sends `null` then).
    pub root_disk_size_gb: Option<u32>,
    /// `rootDiskStorageType`, e.g. `cloud_hp1`.
    pub root_disk_storage_type: Option<String>,
    /// `purchaseCount`.
    pub purchase_count: NonZeroU32,
    /// The account's currency, which the answer does not name (CNY on the China site, USD on the international
    /// site); not sent.
    pub currency: Currency,
}

/// The `POST /v2/instance/bidPrice?clientToken=…` request.
pub fn bid_price(query: &BidPriceQuery, client_token: &str) -> HttpRequest {
    let mut body = Map::new();
    body.insert("instanceType".into(), json!(query.instance_type));
    body.insert("spec".into(), json!(query.spec));
    body.insert("cpuCount".into(), json!(query.cpu_count));
    body.insert("memoryCapacityInGB".into(), json!(query.memory_gb));
    if let Some(size) = query.root_disk_size_gb {
        body.insert("rootDiskSizeInGb".into(), json!(size));
    }
    if let Some(storage) = &query.root_disk_storage_type {
        body.insert("rootDiskStorageType".into(), json!(storage));
    }
    body.insert("purchaseCount".into(), json!(query.purchase_count.get()));
    if let Some(zone) = &query.zone {
        body.insert("zoneName".into(), json!(zone));
    }
    post(
        &query.region,
        "/v2/instance/bidPrice",
        "GetBidInstancePrice",
        client_token,
        body,
    )
}

/// Reads a `bidPrice` answer `{"money", "count", "perMoney"}` (strings, per bce-sdk-go's result type).
///
/// Gives one spot observation from `perMoney` for the query's spec and zone, observed at the fetch time. The
/// answer states no unit. Decision: `perMoney` is read as **the account's currency per instance per minute** (CNY
/// on the China site), the unit of Baidu's
/// `bidPrice` bid field (the SDK source comment says 元/分钟) and of Baidu's per-minute spot billing, and `money`
/// as the total for `count` instances (not used). The decision is written in the source's name
/// ([`PER_MONEY_UNIT_NOTE`]) so every figure shown from it carries it. Confirm against a live account.
pub fn parse_bid_price(body: &[u8], query: &BidPriceQuery, fetched_at: i64) -> Result<Quote, QuoteError> {
    let root = json::parse_answer(Cloud::Baidu, body)?;
    let source = live_source(
        Cloud::Baidu,
        "bidPrice",
        "https://cloud.baidu.com/doc/BCC/index.html",
        Some(PER_MONEY_UNIT_NOTE),
        LiveBasis::PerInstanceMinuteUnconfirmed {
            currency: query.currency,
        },
        fetched_at,
    );
    let offer = OfferKey {
        cloud: Cloud::Baidu,
        region: query.region.clone(),
        zone: query.zone.clone(),
        instance_type: query.spec.clone(),
    };
    let mut quote = Quote::default();
    match json::price(&root, "perMoney") {
        Ok(amount) => quote.observations.push(ExternalObservation {
            offer,
            kind: PriceKind::Spot,
            rate: PriceRate::new(Money::new(amount, query.currency), TimeUnit::Minute),
            observed_at: fetched_at,
            source,
        }),
        Err(reason) => json::report(
            &mut quote.skipped,
            "perMoney".into(),
            reason,
            format!("the spot price of {offer}"),
        ),
    }
    Ok(quote)
}

#[cfg(test)]
#[path = "prices_tests.rs"]
mod tests;

//! Baidu BCC spot market queries on `bcc.<region>.baidubce.com`: `POST /v2/instance/bidPrice` (the current market
//! price of a spec) and `POST /v2/instance/bidFlavor` (the specs sold as spot, per zone), and their answers.
//!
//! Both carry `clientToken` in the query like the order call in [`crate::order::request`]; the token is an
//! argument. Bodies are JSON with `content-type: application/json`.

use std::num::NonZeroU32;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::order::post;
use crate::catalog::{ExternalObservation, OfferKey, PriceKind};
use crate::clouds::Cloud;
use crate::money::{Currency, Money, PriceRate, TimeUnit};
use crate::order::request::HttpRequest;
use crate::quote::json::{self, Object};
use crate::quote::{Quote, QuoteError, SkipReason, Skipped, live_source};

/// The unit decision for `perMoney`, shown in the name of every bidPrice observation's source.
pub const PER_MONEY_UNIT_NOTE: &str = "perMoney read as CNY per instance per minute, the bidPrice unit; unconfirmed";

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
}

/// A `bidFlavor` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidFlavorQuery {
    /// The region of the endpoint, e.g. `bj`.
    pub region: String,
    /// `zoneName`; `None` asks for every zone (and sends no body, like the SDK).
    pub zone: Option<String>,
}

/// One spec sold as spot in one zone (`zoneResources[].bccResources[].flavors[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidFlavor {
    /// `zoneName`, e.g. `cn-bj-a`.
    pub zone: String,
    /// The group's `instanceType`, e.g. `N1`, when given.
    pub instance_type: Option<String>,
    /// `spec`, e.g. `bcc.c1.c1m2`.
    pub spec: String,
    /// `specId`, e.g. `c1`, when given.
    pub spec_id: Option<String>,
    /// `cpuCount`.
    pub cpu_count: u32,
    /// `memoryCapacityInGB`.
    pub memory_gb: u32,
    /// `productType` (`bidding` for spot), when given.
    pub product_type: Option<String>,
}

/// A `bidFlavor` answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidFlavorList {
    /// The flavors, in the answer's order.
    pub flavors: Vec<BidFlavor>,
    /// Flavors (or zones) left out, with the reason.
    pub skipped: Vec<Skipped>,
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
        Some(body),
    )
}

/// The `POST /v2/instance/bidFlavor?clientToken=…` request: body `{"zoneName"}` when a zone is given, else none.
pub fn bid_flavor(query: &BidFlavorQuery, client_token: &str) -> HttpRequest {
    let body = query.zone.as_ref().map(|zone| {
        let mut body = Map::new();
        body.insert("zoneName".into(), json!(zone));
        body
    });
    post(
        &query.region,
        "/v2/instance/bidFlavor",
        "ListBidFlavor",
        client_token,
        body,
    )
}

/// Reads a `bidPrice` answer `{"money", "count", "perMoney"}` (strings, per bce-sdk-go's result type).
///
/// Gives one spot observation from `perMoney` for the query's spec and zone, observed at the fetch time. The
/// answer states no unit. Decision: `perMoney` is read as **CNY per instance per minute**, the unit of Baidu's
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
        "; perMoney taken as CNY per instance per minute (the response states no unit)",
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
            rate: PriceRate::new(Money::new(amount, Currency::Cny), TimeUnit::Minute),
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

/// Reads a `bidFlavor` answer: `zoneResources[]` with `zoneName` and `bccResources[]`, each with `instanceType`
/// and `flavors[]` (`specId`, `cpuCount`, `memoryCapacityInGB`, `productType`, `spec`). A flavor without `spec`,
/// a positive `cpuCount` or a positive `memoryCapacityInGB` is left out and reported.
pub fn parse_bid_flavor(body: &[u8]) -> Result<BidFlavorList, QuoteError> {
    let root = json::parse_answer(Cloud::Baidu, body)?;
    let zones = json::require_array(&root, "zoneResources", "zoneResources")?;
    let mut list = BidFlavorList::default();
    for (zone_index, zone) in zones.iter().enumerate() {
        let zone_path = format!("zoneResources[{zone_index}]");
        let Some(zone) = object_or_report(zone, &zone_path, "the flavors of this zone", &mut list.skipped) else {
            continue;
        };
        let Some(resources) = array_or_report(zone, "bccResources", &zone_path, &mut list.skipped) else {
            continue;
        };
        let zone_name = match json::text(zone, "zoneName") {
            Ok(name) => name,
            Err(reason) => {
                if !resources.is_empty() {
                    let left_out = "the flavors of this zone".to_owned();
                    json::report(&mut list.skipped, format!("{zone_path}.zoneName"), reason, left_out);
                }
                continue;
            }
        };
        for (resource_index, resource) in resources.iter().enumerate() {
            let resource_path = format!("{zone_path}.bccResources[{resource_index}]");
            let left_out = format!("the flavors of this group in {zone_name}");
            let Some(resource) = object_or_report(resource, &resource_path, &left_out, &mut list.skipped) else {
                continue;
            };
            let Some(flavors) = array_or_report(resource, "flavors", &resource_path, &mut list.skipped) else {
                continue;
            };
            let instance_type = json::text(resource, "instanceType").ok();
            for (index, flavor) in flavors.iter().enumerate() {
                let path = format!("{resource_path}.flavors[{index}]");
                let left_out = format!("a flavor in {zone_name}");
                let Some(flavor) = object_or_report(flavor, &path, &left_out, &mut list.skipped) else {
                    continue;
                };
                if let Some(flavor) = read_flavor(flavor, &path, zone_name, instance_type, &mut list.skipped) {
                    list.flavors.push(flavor);
                }
            }
        }
    }
    Ok(list)
}

fn read_flavor(
    flavor: &Object,
    path: &str,
    zone: &str,
    instance_type: Option<&str>,
    skipped: &mut Vec<Skipped>,
) -> Option<BidFlavor> {
    let spec = match json::text(flavor, "spec") {
        Ok(spec) => spec,
        Err(reason) => return json::skip(skipped, format!("{path}.spec"), reason, format!("a flavor in {zone}")),
    };
    let left_out = || format!("the flavor {spec} in {zone}");
    let cpu_count = match json::positive_count(flavor, "cpuCount") {
        Ok(count) => count,
        Err(reason) => return json::skip(skipped, format!("{path}.cpuCount"), reason, left_out()),
    };
    let memory_gb = match json::positive_count(flavor, "memoryCapacityInGB") {
        Ok(count) => count,
        Err(reason) => return json::skip(skipped, format!("{path}.memoryCapacityInGB"), reason, left_out()),
    };
    Some(BidFlavor {
        zone: zone.to_owned(),
        instance_type: instance_type.map(str::to_owned),
        spec: spec.to_owned(),
        spec_id: json::text(flavor, "specId").ok().map(str::to_owned),
        cpu_count,
        memory_gb,
        product_type: json::text(flavor, "productType").ok().map(str::to_owned),
    })
}

fn object_or_report<'v>(
    value: &'v Value,
    path: &str,
    left_out: &str,
    skipped: &mut Vec<Skipped>,
) -> Option<&'v Object> {
    match value {
        Value::Object(object) => Some(object),
        other => {
            let reason = SkipReason::Malformed {
                value: json::show(other),
                expected: "an object".into(),
            };
            json::skip(skipped, path.to_owned(), reason, left_out.to_owned())
        }
    }
}

/// A list that may be absent (an empty zone); present but not a list is reported.
fn array_or_report<'v>(object: &'v Object, key: &str, path: &str, skipped: &mut Vec<Skipped>) -> Option<&'v [Value]> {
    match object.get(key) {
        None | Some(Value::Null) => Some(&[]),
        Some(Value::Array(items)) => Some(items),
        Some(other) => {
            let reason = SkipReason::Malformed {
                value: json::show(other),
                expected: "an array".into(),
            };
            json::skip(
                skipped,
                format!("{path}.{key}"),
                reason,
                format!("everything under {path}"),
            )
        }
    }
}

#[cfg(test)]
#[path = "prices_tests.rs"]
mod tests;

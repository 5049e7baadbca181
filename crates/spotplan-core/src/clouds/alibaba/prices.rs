//! Alibaba ECS price queries (RPC style, API version 2014-05-26) and their answers: `DescribeSpotPriceHistory`
//! (spot and pay-as-you-go prices per zone over up to 30 days), `DescribePrice` (today's price of one
//! configuration) and `DescribeSpotAdvice` (30-day average spot price share and release rate per zone and type).
//!
//! Requests are shaped like `RunInstances` in [`crate::order::request`]: every parameter in the query, `POST /`,
//! empty body, headers `host`, `x-acs-action`, `x-acs-version`, `accept`. Prices are per instance-hour in the
//! account's currency, which the answers name (`CNY` on the China site, `USD` on the international site).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::order::rpc_request;
use crate::catalog::{ExternalObservation, OfferKey, PriceKind, Source};
use crate::clouds::Cloud;
use crate::money::{Currency, Money, PriceRate, TimeUnit};
use crate::order::request::HttpRequest;
use crate::quote::json::{self, Object};
use crate::quote::{QueryError, Quote, QuoteError, SkipReason, Skipped, live_source};
use spotplan_time::SECONDS_PER_DAY;
use spotplan_time::{MAX_UNIX_SECONDS, format_iso8601, parse_iso8601};

/// The longest `StartTime`..`EndTime` span `DescribeSpotPriceHistory` accepts, in days.
pub const MAX_HISTORY_DAYS: u32 = 30;
/// The most instance types `DescribeSpotAdvice` takes in one call (`InstanceTypes.N`).
pub const MAX_ADVICE_INSTANCE_TYPES: usize = 10;

/// The protection period a spot price is for (`SpotDuration`): prices without one are lower.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpotDuration {
    /// `SpotDuration=0`: the instance may be reclaimed at any time.
    NoProtection,
    /// `SpotDuration=1` (the API's default): not reclaimed during the first hour.
    OneHour,
}

impl SpotDuration {
    /// The hours sent as `SpotDuration`.
    pub fn hours(self) -> u8 {
        match self {
            SpotDuration::NoProtection => 0,
            SpotDuration::OneHour => 1,
        }
    }
}

/// A validated `StartTime`..`EndTime` window: start ≤ end, at most [`MAX_HISTORY_DAYS`] long, both between 1970
/// and 9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    start: i64,
    end: i64,
}

impl TimeWindow {
    /// A window from `start` to `end` (Unix seconds, UTC).
    pub fn new(start: i64, end: i64) -> Result<TimeWindow, QueryError> {
        for (field, value) in [("start", start), ("end", end)] {
            if !(0..=MAX_UNIX_SECONDS).contains(&value) {
                return Err(QueryError::TimeOutOfRange { field, value });
            }
        }
        if start > end {
            return Err(QueryError::TimeWindowReversed {
                start: format_iso8601(start),
                end: format_iso8601(end),
            });
        }
        if end - start > i64::from(MAX_HISTORY_DAYS) * SECONDS_PER_DAY {
            return Err(QueryError::TimeWindowTooLong {
                start: format_iso8601(start),
                end: format_iso8601(end),
                max_days: MAX_HISTORY_DAYS,
            });
        }
        Ok(TimeWindow { start, end })
    }

    /// The window's start (Unix seconds).
    pub fn start(&self) -> i64 {
        self.start
    }

    /// The window's end (Unix seconds).
    pub fn end(&self) -> i64 {
        self.end
    }
}

/// A `DescribeSpotPriceHistory` call (also the context its answer is read in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpotPriceHistoryQuery {
    /// `RegionId`, e.g. `cn-hangzhou`.
    pub region: String,
    /// `ZoneId`; `None` asks for every zone of the region.
    pub zone: Option<String>,
    /// `InstanceType`, e.g. `ecs.g7.large`.
    pub instance_type: String,
    /// `SpotDuration`; `None` leaves the API's default (1 hour).
    pub spot_duration: Option<SpotDuration>,
    /// `StartTime`..`EndTime`.
    pub window: TimeWindow,
    /// `Offset` for the next page (a previous page's [`SpotPriceHistoryPage::next_offset`]); `None` for the first.
    pub offset: Option<u32>,
}

/// One page of `DescribeSpotPriceHistory`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpotPriceHistoryPage {
    /// The answer's `Currency`.
    pub currency: Currency,
    /// Per record: the spot price (`SpotPrice`) and the pay-as-you-go price (`OriginPrice`), per instance-hour,
    /// observed at the record's `Timestamp`.
    pub observations: Vec<ExternalObservation>,
    /// Records or prices left out, with the reason.
    pub skipped: Vec<Skipped>,
    /// The `Offset` of the next page, when there is one (a `NextOffset` that does not move past this page's
    /// offset is treated as the end, so paging always stops).
    pub next_offset: Option<u32>,
}

/// Which spot price `DescribePrice` quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SpotStrategy {
    /// `SpotAsPriceGo`: the market price (capped at the pay-as-you-go price).
    SpotAsPriceGo,
    /// `SpotWithPriceLimit`: the market price under a price limit.
    SpotWithPriceLimit,
}

impl SpotStrategy {
    /// The API value.
    pub fn as_str(self) -> &'static str {
        match self {
            SpotStrategy::SpotAsPriceGo => "SpotAsPriceGo",
            SpotStrategy::SpotWithPriceLimit => "SpotWithPriceLimit",
        }
    }
}

/// The spot part of a `DescribePrice` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpotPricing {
    /// `SpotStrategy`.
    pub strategy: SpotStrategy,
    /// `SpotDuration`; `None` leaves the API's default (1 hour).
    pub duration: Option<SpotDuration>,
}

/// A `DescribePrice` call for one instance of a type, per hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribePriceQuery {
    /// `RegionId`.
    pub region: String,
    /// `ZoneId` (recommended for spot prices, which differ per zone).
    pub zone: Option<String>,
    /// `InstanceType`.
    pub instance_type: String,
    /// `None` asks the pay-as-you-go price (`SpotStrategy=NoSpot`); `Some` the spot price.
    pub spot: Option<SpotPricing>,
}

/// What `DescribeSpotAdvice` is asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdviceSelection {
    /// `InstanceTypes.N`: named types.
    InstanceTypes(InstanceTypeList),
    /// `Cores` and `Memory`: every type of that shape.
    Shape {
        /// vCPUs.
        cores: u32,
        /// Memory in GiB (sent as a float, e.g. `8.0`).
        memory_gib: Decimal,
    },
}

/// 1 to [`MAX_ADVICE_INSTANCE_TYPES`] non-empty instance type names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceTypeList(Vec<String>);

impl InstanceTypeList {
    /// Checks the API's limits.
    pub fn new(names: Vec<String>) -> Result<InstanceTypeList, QueryError> {
        if names.is_empty() {
            return Err(QueryError::NoInstanceTypes {
                max: MAX_ADVICE_INSTANCE_TYPES,
            });
        }
        if names.len() > MAX_ADVICE_INSTANCE_TYPES {
            return Err(QueryError::TooManyInstanceTypes {
                count: names.len(),
                max: MAX_ADVICE_INSTANCE_TYPES,
            });
        }
        if let Some(index) = names.iter().position(|name| name.trim().is_empty()) {
            return Err(QueryError::EmptyInstanceType { index });
        }
        Ok(InstanceTypeList(names))
    }

    /// The names.
    pub fn names(&self) -> &[String] {
        &self.0
    }
}

/// A `DescribeSpotAdvice` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpotAdviceQuery {
    /// `RegionId`.
    pub region: String,
    /// `ZoneId`; `None` asks for every zone.
    pub zone: Option<String>,
    /// The types asked about.
    pub selection: AdviceSelection,
}

/// The 30-day spot statistics of one instance type in one zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpotAdvice {
    /// The region.
    pub region: String,
    /// `ZoneId`.
    pub zone: String,
    /// `InstanceType`.
    pub instance_type: String,
    /// `AverageSpotDiscount`: the average spot price over the previous 30 days as a percentage **of** the
    /// pay-as-you-go price (20 means spot cost 20 % of pay-as-you-go, i.e. 80 % off), per the API doc. `None` when
    /// absent, zero or malformed (reported in `skipped`).
    pub average_spot_price_percent_of_on_demand: Option<Decimal>,
    /// `InterruptionRate`: the average release rate over the previous 30 days, in percent (0 is a real value).
    pub interruption_rate_percent: Option<Decimal>,
    /// `InterruptRateDesc`: the release-rate band as the API words it (`0-3%`, `3-5%`, `5-10%`, `10-100%`).
    pub interruption_rate_band: Option<String>,
}

/// A `DescribeSpotAdvice` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpotAdviceList {
    /// When it was fetched (Unix seconds): the 30 days end here.
    pub fetched_at: i64,
    /// One entry per zone and type, in the answer's order.
    pub entries: Vec<SpotAdvice>,
    /// Records or values left out, with the reason.
    pub skipped: Vec<Skipped>,
}

/// How far back a live quote looks: three days of spot and pay-as-you-go prices.
pub const LIVE_QUOTE_DAYS: i64 = 3;

/// The `DescribeSpotPriceHistory` query a live quote of one offer sends: the last [`LIVE_QUOTE_DAYS`] days up to
/// `now`, for the offer's zone and type, with the one-hour protection period.
pub fn live_history_query(ask: &crate::quote::QuoteAsk, now: i64) -> Result<SpotPriceHistoryQuery, QueryError> {
    Ok(SpotPriceHistoryQuery {
        region: ask.offer.region.clone(),
        zone: ask.offer.zone.clone(),
        instance_type: ask.offer.instance_type.clone(),
        spot_duration: Some(SpotDuration::OneHour),
        window: TimeWindow::new(now - LIVE_QUOTE_DAYS * SECONDS_PER_DAY, now)?,
        offset: None,
    })
}

/// The `DescribeSpotPriceHistory` request: `RegionId`, `InstanceType`, `NetworkType=vpc`, `ZoneId` (when given),
/// `OSType=linux`, `SpotDuration` (when given), `StartTime`, `EndTime`, `Offset` (when given).
pub fn describe_spot_price_history(query: &SpotPriceHistoryQuery) -> HttpRequest {
    let mut params = Params::default();
    params.put("RegionId", &query.region);
    params.put("InstanceType", &query.instance_type);
    params.put("NetworkType", "vpc");
    if let Some(zone) = &query.zone {
        params.put("ZoneId", zone);
    }
    params.put("OSType", "linux");
    if let Some(duration) = query.spot_duration {
        params.put("SpotDuration", &duration.hours().to_string());
    }
    params.put("StartTime", &format_iso8601(query.window.start()));
    params.put("EndTime", &format_iso8601(query.window.end()));
    if let Some(offset) = query.offset {
        params.put("Offset", &offset.to_string());
    }
    rpc_request(&query.region, "DescribeSpotPriceHistory", params.0)
}

/// The `DescribePrice` request for one instance for one hour: `RegionId`, `ResourceType=instance`,
/// `InstanceType`, `ZoneId` (when given), `SpotStrategy` (`NoSpot` for the pay-as-you-go price), `SpotDuration`
/// (when given), `PriceUnit=Hour`, `Period=1`.
pub fn describe_price(query: &DescribePriceQuery) -> HttpRequest {
    let mut params = Params::default();
    params.put("RegionId", &query.region);
    params.put("ResourceType", "instance");
    params.put("InstanceType", &query.instance_type);
    if let Some(zone) = &query.zone {
        params.put("ZoneId", zone);
    }
    match query.spot {
        None => params.put("SpotStrategy", "NoSpot"),
        Some(spot) => {
            params.put("SpotStrategy", spot.strategy.as_str());
            if let Some(duration) = spot.duration {
                params.put("SpotDuration", &duration.hours().to_string());
            }
        }
    }
    params.put("PriceUnit", "Hour");
    params.put("Period", "1");
    rpc_request(&query.region, "DescribePrice", params.0)
}

/// The `DescribeSpotAdvice` request: `RegionId`, `ZoneId` (when given), then `InstanceTypes.1..N` or
/// `Cores` + `Memory`.
pub fn describe_spot_advice(query: &SpotAdviceQuery) -> HttpRequest {
    let mut params = Params::default();
    params.put("RegionId", &query.region);
    if let Some(zone) = &query.zone {
        params.put("ZoneId", zone);
    }
    match &query.selection {
        AdviceSelection::InstanceTypes(list) => {
            for (index, name) in list.names().iter().enumerate() {
                params.put(&format!("InstanceTypes.{}", index + 1), name);
            }
        }
        AdviceSelection::Shape { cores, memory_gib } => {
            params.put("Cores", &cores.to_string());
            params.put("Memory", &python_float(*memory_gib));
        }
    }
    rpc_request(&query.region, "DescribeSpotAdvice", params.0)
}

/// Reads a `DescribeSpotPriceHistory` answer: `Currency`, `NextOffset`, `SpotPrices.SpotPriceType[]` with
/// `ZoneId`, `InstanceType`, `SpotPrice`, `OriginPrice`, `Timestamp`.
///
/// Each record gives a spot observation (`SpotPrice`) and a pay-as-you-go one (`OriginPrice`), per instance-hour
/// in `Currency`, for the record's zone and type, observed at its `Timestamp`. A record without a zone, type or
/// valid time is left out whole; a missing, zero or negative price is left out alone. Both are reported.
pub fn parse_describe_spot_price_history(
    body: &[u8],
    query: &SpotPriceHistoryQuery,
    fetched_at: i64,
) -> Result<SpotPriceHistoryPage, QuoteError> {
    let root = json::parse_answer(Cloud::Alibaba, body)?;
    let currency = json::require_currency(&root, "Currency", "Currency")?;
    let records = json::require_array(&root, "SpotPrices.SpotPriceType", "SpotPrices.SpotPriceType")?;
    let note = match query.spot_duration {
        Some(SpotDuration::NoProtection) => "; spot prices without a protection period (SpotDuration=0)",
        Some(SpotDuration::OneHour) => "; spot prices with a 1-hour protection period (SpotDuration=1)",
        None => "; spot prices with the API's default 1-hour protection period",
    };
    let source = live_source(
        Cloud::Alibaba,
        "DescribeSpotPriceHistory",
        "https://api.alibabacloud.com/document/Ecs/2014-05-26/DescribeSpotPriceHistory",
        None,
        note,
        fetched_at,
    );
    let mut observations = Vec::new();
    let mut skipped = Vec::new();
    for (index, record) in records.iter().enumerate() {
        let path = format!("SpotPrices.SpotPriceType[{index}]");
        let Some(record) = record_object(record, &path, "this record", &mut skipped) else {
            continue;
        };
        let whole = || format!("record {index}");
        let Some(zone) = required_text(record, "ZoneId", &path, whole, &mut skipped) else {
            continue;
        };
        let Some(instance_type) = required_text(record, "InstanceType", &path, whole, &mut skipped) else {
            continue;
        };
        let observed_at = match json::text(record, "Timestamp") {
            Ok(text) => match parse_iso8601(text) {
                Some(time) => time,
                None => {
                    let reason = SkipReason::Malformed {
                        value: text.to_owned(),
                        expected: "a UTC time such as 2026-11-23T06:00:00Z".into(),
                    };
                    json::report(&mut skipped, format!("{path}.Timestamp"), reason, whole());
                    continue;
                }
            },
            Err(reason) => {
                json::report(&mut skipped, format!("{path}.Timestamp"), reason, whole());
                continue;
            }
        };
        let offer = OfferKey {
            cloud: Cloud::Alibaba,
            region: query.region.clone(),
            zone: Some(zone.to_owned()),
            instance_type: instance_type.to_owned(),
        };
        for (field, kind) in [("SpotPrice", PriceKind::Spot), ("OriginPrice", PriceKind::OnDemand)] {
            let left_out = || {
                format!(
                    "the {} price of {offer} at {}",
                    kind_name(kind),
                    format_iso8601(observed_at)
                )
            };
            match json::price(record, field) {
                Ok(amount) => observations.push(observation(&offer, kind, amount, currency, observed_at, &source)),
                Err(reason) => json::report(&mut skipped, format!("{path}.{field}"), reason, left_out()),
            }
        }
    }
    let next_offset = next_offset(&root, query.offset, &mut skipped);
    Ok(SpotPriceHistoryPage {
        currency,
        observations,
        skipped,
        next_offset,
    })
}

/// Reads a `DescribePrice` answer: `PriceInfo.Price.{OriginalPrice, DiscountPrice, TradePrice, Currency}` and,
/// when present, `PriceInfo.Price.DetailInfos.DetailInfo[]`.
///
/// The pay-as-you-go call gives an on-demand observation from `OriginalPrice` (the list price, before the
/// account's own discounts); a spot call gives a spot observation from `TradePrice` (what the account would pay).
/// Both per instance-hour (`PriceUnit=Hour`, `Period=1`) in `Currency`, observed at the fetch time. The totals
/// include the default system disk the API prices with the instance, so the `instanceType` line of
/// `DetailInfos` is used when the answer has one; the observation's source says which was used.
pub fn parse_describe_price(body: &[u8], query: &DescribePriceQuery, fetched_at: i64) -> Result<Quote, QuoteError> {
    let root = json::parse_answer(Cloud::Alibaba, body)?;
    let price = json::require_object(&root, "PriceInfo.Price", "PriceInfo.Price")?;
    let currency = json::require_currency(price, "Currency", "PriceInfo.Price.Currency")?;
    let details = json::optional_array(
        price,
        "DetailInfos.DetailInfo",
        "PriceInfo.Price.DetailInfos.DetailInfo",
    )?;
    let instance_line = details.iter().enumerate().find_map(|(index, detail)| {
        let detail = detail.as_object()?;
        let resource = detail.get("Resource").and_then(Value::as_str)?;
        resource.eq_ignore_ascii_case("instanceType").then_some((index, detail))
    });
    let (basis, path, detail_name) = match instance_line {
        Some((index, detail)) => (
            detail,
            format!("PriceInfo.Price.DetailInfos.DetailInfo[{index}]"),
            "the instanceType line, without disks",
        ),
        None => (
            price,
            "PriceInfo.Price".to_owned(),
            "the whole configuration, including the default system disk",
        ),
    };
    let (field, kind) = match query.spot {
        None => ("OriginalPrice", PriceKind::OnDemand),
        Some(_) => ("TradePrice", PriceKind::Spot),
    };
    let source = live_source(
        Cloud::Alibaba,
        "DescribePrice",
        "https://api.alibabacloud.com/document/Ecs/2014-05-26/DescribePrice",
        None,
        &format!("; {field} of {detail_name}, per instance-hour"),
        fetched_at,
    );
    let offer = OfferKey {
        cloud: Cloud::Alibaba,
        region: query.region.clone(),
        zone: query.zone.clone(),
        instance_type: query.instance_type.clone(),
    };
    let mut quote = Quote::default();
    match json::price(basis, field) {
        Ok(amount) => quote
            .observations
            .push(observation(&offer, kind, amount, currency, fetched_at, &source)),
        Err(reason) => json::report(
            &mut quote.skipped,
            format!("{path}.{field}"),
            reason,
            format!("the {} price of {offer}", kind_name(kind)),
        ),
    }
    Ok(quote)
}

/// Reads a `DescribeSpotAdvice` answer: `AvailableSpotZones.AvailableSpotZone[]` with `ZoneId` and
/// `AvailableSpotResources.AvailableSpotResource[]` (`InstanceType`, `AverageSpotDiscount`, `InterruptionRate`,
/// `InterruptRateDesc`). Numbers may come as JSON numbers or strings (both appear in Alibaba's examples).
pub fn parse_describe_spot_advice(
    body: &[u8],
    query: &SpotAdviceQuery,
    fetched_at: i64,
) -> Result<SpotAdviceList, QuoteError> {
    let root = json::parse_answer(Cloud::Alibaba, body)?;
    let zones = json::require_array(
        &root,
        "AvailableSpotZones.AvailableSpotZone",
        "AvailableSpotZones.AvailableSpotZone",
    )?;
    let region = json::text(&root, "RegionId").unwrap_or(&query.region).to_owned();
    let mut entries = Vec::new();
    let mut skipped = Vec::new();
    for (zone_index, zone) in zones.iter().enumerate() {
        let zone_path = format!("AvailableSpotZones.AvailableSpotZone[{zone_index}]");
        let Some(zone) = record_object(zone, &zone_path, "the advice of this zone", &mut skipped) else {
            continue;
        };
        let resources_path = format!("{zone_path}.AvailableSpotResources.AvailableSpotResource");
        let resources = match json::at(zone, "AvailableSpotResources.AvailableSpotResource") {
            None => &[][..],
            Some(Value::Array(resources)) => resources.as_slice(),
            Some(other) => {
                let reason = SkipReason::Malformed {
                    value: json::show(other),
                    expected: "an array".into(),
                };
                json::report(&mut skipped, resources_path, reason, "the advice of this zone".into());
                continue;
            }
        };
        let zone_id = match json::text(zone, "ZoneId") {
            Ok(zone_id) => zone_id,
            Err(reason) => {
                if !resources.is_empty() {
                    let left_out = format!("the advice for {} instance types", resources.len());
                    json::report(&mut skipped, format!("{zone_path}.ZoneId"), reason, left_out);
                }
                continue;
            }
        };
        for (index, resource) in resources.iter().enumerate() {
            let path = format!("{resources_path}[{index}]");
            let Some(resource) = record_object(resource, &path, "this advice", &mut skipped) else {
                continue;
            };
            let whole = || format!("an advice in {zone_id}");
            let Some(instance_type) = required_text(resource, "InstanceType", &path, whole, &mut skipped) else {
                continue;
            };
            let about = |what: &str| format!("the {what} of {instance_type} in {zone_id}");
            let average = match json::price(resource, "AverageSpotDiscount") {
                Ok(percent) => Some(percent),
                Err(reason) => json::skip(
                    &mut skipped,
                    format!("{path}.AverageSpotDiscount"),
                    reason,
                    about("average spot price share"),
                ),
            };
            let rate = match json::decimal(resource, "InterruptionRate") {
                Ok(rate) if rate.is_sign_negative() && !rate.is_zero() => json::skip(
                    &mut skipped,
                    format!("{path}.InterruptionRate"),
                    SkipReason::Negative {
                        value: rate.to_string(),
                    },
                    about("release rate"),
                ),
                Ok(rate) => Some(rate),
                Err(reason) => json::skip(
                    &mut skipped,
                    format!("{path}.InterruptionRate"),
                    reason,
                    about("release rate"),
                ),
            };
            entries.push(SpotAdvice {
                region: region.clone(),
                zone: zone_id.to_owned(),
                instance_type: instance_type.to_owned(),
                average_spot_price_percent_of_on_demand: average,
                interruption_rate_percent: rate,
                interruption_rate_band: json::text(resource, "InterruptRateDesc").ok().map(str::to_owned),
            });
        }
    }
    Ok(SpotAdviceList {
        fetched_at,
        entries,
        skipped,
    })
}

/// Query parameters in the order given.
#[derive(Default)]
struct Params(Vec<(String, String)>);

impl Params {
    fn put(&mut self, name: &str, value: &str) {
        self.0.push((name.to_owned(), value.to_owned()));
    }
}

/// A decimal as the Python SDKs send a float (`str(float)`): shortest form, always with a fraction (`8.0`).
fn python_float(value: Decimal) -> String {
    let text = value.normalize().to_string();
    if text.contains('.') { text } else { format!("{text}.0") }
}

fn observation(
    offer: &OfferKey,
    kind: PriceKind,
    amount: Decimal,
    currency: Currency,
    observed_at: i64,
    source: &Source,
) -> ExternalObservation {
    ExternalObservation {
        offer: offer.clone(),
        kind,
        rate: PriceRate::new(Money::new(amount, currency), TimeUnit::Hour),
        observed_at,
        source: source.clone(),
    }
}

fn kind_name(kind: PriceKind) -> &'static str {
    match kind {
        PriceKind::Spot => "spot",
        PriceKind::OnDemand => "pay-as-you-go",
    }
}

/// The record as an object, or a report that it is not one.
fn record_object<'v>(record: &'v Value, path: &str, left_out: &str, skipped: &mut Vec<Skipped>) -> Option<&'v Object> {
    match record {
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

/// A text field a record cannot do without; its absence leaves the whole record out.
fn required_text<'v>(
    record: &'v Object,
    key: &str,
    path: &str,
    whole: impl Fn() -> String,
    skipped: &mut Vec<Skipped>,
) -> Option<&'v str> {
    match json::text(record, key) {
        Ok(text) => Some(text),
        Err(reason) => json::skip(skipped, format!("{path}.{key}"), reason, whole()),
    }
}

/// `NextOffset`, when it moves past the offset asked for; absent, empty, zero or not moving means the last page.
fn next_offset(root: &Object, asked: Option<u32>, skipped: &mut Vec<Skipped>) -> Option<u32> {
    match json::positive_count(root, "NextOffset") {
        Ok(next) => (next > asked.unwrap_or(0)).then_some(next),
        Err(SkipReason::Missing | SkipReason::Zero) => None,
        Err(reason) => json::skip(skipped, "NextOffset".into(), reason, "the following pages".into()),
    }
}

#[cfg(test)]
#[path = "prices_tests.rs"]
mod tests;

//! Alibaba ECS's price query (RPC style, API version 2014-05-26) and its answer: `DescribeSpotPriceHistory` (spot
//! and pay-as-you-go prices per zone over up to 30 days).
//!
//! Requests are shaped like `RunInstances` in [`crate::order::request`]: every parameter in the query, `POST /`,
//! empty body, headers `host`, `x-acs-action`, `x-acs-version`, `accept`. Prices are per instance-hour in the
//! account's currency, which the answers name (`CNY` on the China site, `USD` on the international site).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::order::rpc_request;
use crate::catalog::{ExternalObservation, LiveBasis, OfferKey, PriceKind, Source};
use crate::clouds::Cloud;
use crate::money::{Currency, Money, PriceRate, TimeUnit};
use crate::order::model::OsFamily;
use crate::order::request::HttpRequest;
use crate::quote::json::{self, Object};
use crate::quote::{QueryError, QuoteError, SkipReason, Skipped, live_source};
use spotplan_time::SECONDS_PER_DAY;
use spotplan_time::{MAX_UNIX_SECONDS, format_iso8601, parse_iso8601};

/// The longest `StartTime`..`EndTime` span `DescribeSpotPriceHistory` accepts, in days.
pub const MAX_HISTORY_DAYS: u32 = 30;

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
    /// `OSType`: the operating system the prices are for.
    pub os: OsFamily,
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

/// How far back a live quote looks: three days of spot and pay-as-you-go prices.
pub const LIVE_QUOTE_DAYS: i64 = 3;

/// The `DescribeSpotPriceHistory` query a live quote of one offer sends: the last [`LIVE_QUOTE_DAYS`] days up to
/// `now`, for the offer's zone and type, and for what the order will ask — its OS and its protection period (the
/// one-hour protected market unless the ask says `0`), so a bid is compared with the market it joins.
pub fn live_history_query(ask: &crate::quote::QuoteAsk, now: i64) -> Result<SpotPriceHistoryQuery, QueryError> {
    Ok(SpotPriceHistoryQuery {
        region: ask.offer.region.clone(),
        zone: ask.offer.zone.clone(),
        instance_type: ask.offer.instance_type.clone(),
        spot_duration: Some(match ask.one_hour_protection {
            Some(false) => SpotDuration::NoProtection,
            _ => SpotDuration::OneHour,
        }),
        os: ask.os.unwrap_or_default(),
        window: TimeWindow::new(now - LIVE_QUOTE_DAYS * SECONDS_PER_DAY, now)?,
        offset: None,
    })
}

/// The live quote's query ([`live_history_query`]) from `since` to `now` (Unix seconds) instead, from `offset` on:
/// the refresher's walk over a pool's history.
pub fn history_query(
    ask: &crate::quote::QuoteAsk,
    now: i64,
    since: i64,
    offset: Option<u32>,
) -> Result<SpotPriceHistoryQuery, QueryError> {
    Ok(SpotPriceHistoryQuery {
        window: TimeWindow::new(since, now)?,
        offset,
        ..live_history_query(ask, now)?
    })
}

/// The `DescribeSpotPriceHistory` request: `RegionId`, `InstanceType`, `NetworkType=vpc`, `ZoneId` (when given),
/// `OSType` (`linux` or `windows`), `SpotDuration` (when given), `StartTime`, `EndTime`, `Offset` (when given).
pub fn describe_spot_price_history(query: &SpotPriceHistoryQuery) -> HttpRequest {
    let mut params = Params::default();
    params.put("RegionId", &query.region);
    params.put("InstanceType", &query.instance_type);
    params.put("NetworkType", "vpc");
    if let Some(zone) = &query.zone {
        params.put("ZoneId", zone);
    }
    params.put(
        "OSType",
        match query.os {
            OsFamily::Linux => "linux",
            OsFamily::Windows => "windows",
        },
    );
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
    let basis = match query.spot_duration {
        Some(SpotDuration::NoProtection) => LiveBasis::SpotWithoutProtection,
        Some(SpotDuration::OneHour) => LiveBasis::SpotOneHourProtection,
        None => LiveBasis::SpotDefaultProtection,
    };
    let source = live_source(
        Cloud::Alibaba,
        "DescribeSpotPriceHistory",
        "https://api.alibabacloud.com/document/Ecs/2014-05-26/DescribeSpotPriceHistory",
        None,
        basis,
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

/// Query parameters in the order given.
#[derive(Default)]
struct Params(Vec<(String, String)>);

impl Params {
    fn put(&mut self, name: &str, value: &str) {
        self.0.push((name.to_owned(), value.to_owned()));
    }
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

//! Tencent CVM `InquiryPriceRunInstances` for spot instances (`InstanceChargeType=SPOTPAID`, API version
//! 2017-03-12) and its answer: the spot price (`UnitPriceDiscount`) and the pay-as-you-go list price (`UnitPrice`).
//!
//! The request is shaped like `RunInstances` in [`crate::order::request`]: a JSON body, headers `host`,
//! `content-type`, `x-tc-action`, `x-tc-version`, `x-tc-region`; the signer adds `x-tc-timestamp` and
//! `authorization`.

use std::num::NonZeroU32;

use rust_decimal::Decimal;
use serde_json::json;

use super::order::api_request;
use crate::catalog::{ExternalObservation, LiveBasis, OfferKey, PriceKind};
use crate::clouds::Cloud;
use crate::money::{Currency, Money, PriceRate, TimeUnit};
use crate::order::request::HttpRequest;
use crate::quote::json;
use crate::quote::{Quote, QuoteError, live_source};

/// An `InquiryPriceRunInstances` call for spot instances (also the context its answer is read in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpotInquiry {
    /// The region (`X-TC-Region`), e.g. `ap-guangzhou`.
    pub region: String,
    /// `Placement.Zone`, e.g. `ap-guangzhou-6`.
    pub zone: String,
    /// `InstanceType`, e.g. `S5.MEDIUM4`.
    pub instance_type: String,
    /// `ImageId`: the API requires one to price a configuration (e.g. a public Linux image `img-…`).
    pub image_id: String,
    /// `InstanceCount`. The answer's prices are totals for this many instances (see
    /// [`parse_inquiry_price_run_instances`]); ask for 1 to avoid the question.
    pub instance_count: NonZeroU32,
    /// The account's currency. The answer carries none ("单位：元" in the SDK): CNY for China-site accounts; give
    /// USD for an international-site account.
    pub currency: Currency,
}

/// The `InquiryPriceRunInstances` request: body `{"Placement": {"Zone"}, "ImageId", "InstanceType",
/// "InstanceChargeType": "SPOTPAID", "InstanceCount"}` and no `InstanceMarketOptions`, which prices at the market
/// (no price limit).
pub fn inquiry_price_run_instances(query: &SpotInquiry) -> HttpRequest {
    let body = json!({
        "Placement": { "Zone": query.zone },
        "ImageId": query.image_id,
        "InstanceType": query.instance_type,
        "InstanceChargeType": "SPOTPAID",
        "InstanceCount": query.instance_count.get(),
    });
    api_request(&query.region, "InquiryPriceRunInstances", &body)
}

/// Reads an `InquiryPriceRunInstances` answer: `Response.Price.InstancePrice.{UnitPrice, UnitPriceDiscount,
/// ChargeUnit, Discount}`, or `Response.Error` as a [`super::CloudError`].
///
/// Gives a spot observation from `UnitPriceDiscount` and a pay-as-you-go one from `UnitPrice`, per instance-hour
/// in the query's currency, observed at the fetch time. Decisions where the documents are silent:
/// - `ChargeUnit` must be `HOUR` (the post-paid unit); anything else is an error rather than a guessed unit.
/// - The SDK calls both prices "合计" (totals), so they are divided by `InstanceCount` to give a per-instance price
///   (exact for one instance). They also include the default system disk the API prices with the instance, which
///   spot does not discount; the source says so.
/// - When tiers are returned (`UnitPriceSecondStep`…), `UnitPrice` is the first tier (0–96 hours) per the SDK;
///   the later, cheaper tiers are not read.
pub fn parse_inquiry_price_run_instances(
    body: &[u8],
    query: &SpotInquiry,
    fetched_at: i64,
) -> Result<Quote, QuoteError> {
    let root = json::parse_answer(Cloud::Tencent, body)?;
    let price = json::require_object(&root, "Response.Price.InstancePrice", "Response.Price.InstancePrice")?;
    let unit_field = "Response.Price.InstancePrice.ChargeUnit";
    match json::text(price, "ChargeUnit") {
        Ok(unit) if unit.eq_ignore_ascii_case("HOUR") => {}
        Ok(unit) => {
            return Err(QuoteError::UnexpectedValue {
                field: unit_field.into(),
                value: unit.to_owned(),
                expected: "HOUR (the post-paid unit)".into(),
            });
        }
        Err(_) => {
            return Err(QuoteError::MissingField {
                field: unit_field.into(),
            });
        }
    }
    let count = query.instance_count.get();
    let basis = LiveBasis::WholeConfigurationPerInstanceHour { instances: count };
    let source = live_source(
        Cloud::Tencent,
        "InquiryPriceRunInstances",
        "https://console.cloud.tencent.com/api/explorer?Product=cvm&Version=2017-03-12&Action=InquiryPriceRunInstances",
        None,
        basis,
        fetched_at,
    );
    let offer = OfferKey {
        cloud: Cloud::Tencent,
        region: query.region.clone(),
        zone: Some(query.zone.clone()),
        instance_type: query.instance_type.clone(),
    };
    let mut quote = Quote::default();
    for (field, kind, name) in [
        ("UnitPriceDiscount", PriceKind::Spot, "spot"),
        ("UnitPrice", PriceKind::OnDemand, "pay-as-you-go"),
    ] {
        let per_instance = json::price(price, field).map(|total| per_instance(total, count));
        match per_instance {
            Ok(amount) => quote.observations.push(ExternalObservation {
                offer: offer.clone(),
                kind,
                rate: PriceRate::new(Money::new(amount, query.currency), TimeUnit::Hour),
                observed_at: fetched_at,
                source: source.clone(),
            }),
            Err(reason) => json::report(
                &mut quote.skipped,
                format!("Response.Price.InstancePrice.{field}"),
                reason,
                format!("the {name} price of {offer}"),
            ),
        }
    }
    Ok(quote)
}

/// A total for `count` instances as a price per instance (unchanged for one; 28 significant digits otherwise).
fn per_instance(total: Decimal, count: u32) -> Decimal {
    if count == 1 {
        return total;
    }
    // Dividing a decimal by 2 or more cannot overflow; the fallback is never taken.
    total.checked_div(Decimal::from(count)).unwrap_or(total)
}

#[cfg(test)]
#[path = "prices_tests.rs"]
mod tests;

//! Tests of the Tencent spot inquiry: the exact request, and the answer parser on a success fixture, the error
//! envelope, missing fields, a zero price and garbage.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use serde_json::Value;

use super::*;
use crate::quote::{CloudError, SkipReason};

/// 2026-11-23T10:00:00Z.
const FETCHED: i64 = 1_795_428_000;
const SUCCESS: &str = include_str!("fixtures/inquiry_spot.json");

fn inquiry(count: u32) -> SpotInquiry {
    SpotInquiry {
        region: "ap-guangzhou".into(),
        zone: "ap-guangzhou-6".into(),
        instance_type: "S5.MEDIUM4".into(),
        image_id: "img-487zeit5".into(),
        instance_count: NonZeroU32::new(count).unwrap(),
        currency: Currency::Cny,
    }
}

#[test]
fn request_asks_a_spotpaid_price_at_the_market() {
    let request = inquiry_price_run_instances(&inquiry(1));
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        json!({
            "Placement": { "Zone": "ap-guangzhou-6" },
            "ImageId": "img-487zeit5",
            "InstanceType": "S5.MEDIUM4",
            "InstanceChargeType": "SPOTPAID",
            "InstanceCount": 1
        })
    );
    assert_eq!(
        request.headers,
        [
            ("host".to_owned(), "cvm.tencentcloudapi.com".to_owned()),
            ("content-type".to_owned(), "application/json".to_owned()),
            ("x-tc-action".to_owned(), "InquiryPriceRunInstances".to_owned()),
            ("x-tc-version".to_owned(), "2017-03-12".to_owned()),
            ("x-tc-region".to_owned(), "ap-guangzhou".to_owned()),
        ]
    );
    assert_eq!(
        (request.method.as_str(), request.host.as_str(), request.path.as_str()),
        ("POST", "cvm.tencentcloudapi.com", "/")
    );
    assert!(request.query.is_empty());
    assert_eq!(request.action, "InquiryPriceRunInstances");
}

#[test]
fn answer_gives_spot_and_on_demand_per_hour() {
    let quote = parse_inquiry_price_run_instances(SUCCESS.as_bytes(), &inquiry(1), FETCHED).unwrap();
    assert!(quote.skipped.is_empty());
    let seen: Vec<(PriceKind, String)> = quote
        .observations
        .iter()
        .map(|o| (o.kind, o.rate.to_string()))
        .collect();
    assert_eq!(
        seen,
        [
            (PriceKind::Spot, "0.086 CNY/hour".into()),
            (PriceKind::OnDemand, "0.43 CNY/hour".into())
        ]
    );
    let spot = &quote.observations[0];
    assert_eq!(spot.observed_at, FETCHED);
    assert_eq!(spot.offer.region, "ap-guangzhou");
    assert_eq!(spot.offer.zone.as_deref(), Some("ap-guangzhou-6"));
    assert_eq!(spot.offer.instance_type, "S5.MEDIUM4");
    assert_eq!(
        spot.source.name,
        "live quote via the proxy (Tencent InquiryPriceRunInstances)"
    );
    assert_eq!(spot.source.key, "live-tencent-InquiryPriceRunInstances-2026-11-23");
}

#[test]
fn totals_for_several_instances_are_divided_per_instance() {
    let quote = parse_inquiry_price_run_instances(SUCCESS.as_bytes(), &inquiry(2), FETCHED).unwrap();
    assert_eq!(quote.observations[0].rate.money.amount, Decimal::new(43, 3));
    assert_eq!(quote.observations[1].rate.money.amount, Decimal::new(215, 3));
    let source = &quote.observations[0].source;
    assert!(source.attribution.contains("divided by 2"));
    assert_eq!(
        source.live,
        Some(crate::catalog::LiveQuote {
            cloud: Cloud::Tencent,
            action: "InquiryPriceRunInstances".into(),
            fetched_at: FETCHED,
            basis: crate::catalog::LiveBasis::WholeConfigurationPerInstanceHour { instances: 2 },
        }),
        "the facts of the English line, as values"
    );
}

#[test]
fn the_account_currency_is_the_querys() {
    let mut query = inquiry(1);
    query.currency = Currency::Usd;
    let quote = parse_inquiry_price_run_instances(SUCCESS.as_bytes(), &query, FETCHED).unwrap();
    assert_eq!(quote.observations[0].rate.money.currency, Currency::Usd);
}

#[test]
fn error_envelope_is_a_cloud_error() {
    let body = include_str!("fixtures/error.json");
    assert_eq!(
        parse_inquiry_price_run_instances(body.as_bytes(), &inquiry(1), FETCHED),
        Err(QuoteError::Cloud(CloudError {
            cloud: Cloud::Tencent,
            code: "ResourceInsufficient.SpecifiedInstanceType".into(),
            message: "The specified instance type is sold out in the zone.".into(),
            request_id: Some("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d".into()),
        }))
    );
}

#[test]
fn missing_structure_and_unit_are_named() {
    assert_eq!(
        parse_inquiry_price_run_instances(br#"{"Response": {"RequestId": "x"}}"#, &inquiry(1), FETCHED),
        Err(QuoteError::MissingField {
            field: "Response.Price.InstancePrice".into()
        })
    );
    let no_unit = br#"{"Response": {"Price": {"InstancePrice": {"UnitPrice": 0.43, "UnitPriceDiscount": 0.086}}}}"#;
    assert_eq!(
        parse_inquiry_price_run_instances(no_unit, &inquiry(1), FETCHED),
        Err(QuoteError::MissingField {
            field: "Response.Price.InstancePrice.ChargeUnit".into()
        })
    );
    let monthly = br#"{"Response": {"Price": {"InstancePrice": {"ChargeUnit": "MONTH", "UnitPrice": 300}}}}"#;
    assert_eq!(
        parse_inquiry_price_run_instances(monthly, &inquiry(1), FETCHED),
        Err(QuoteError::UnexpectedValue {
            field: "Response.Price.InstancePrice.ChargeUnit".into(),
            value: "MONTH".into(),
            expected: "HOUR (the post-paid unit)".into()
        })
    );
}

#[test]
fn zero_and_null_prices_are_skipped_and_reported() {
    let body = br#"{"Response": {"Price": {"InstancePrice": {"ChargeUnit": "HOUR", "UnitPrice": 0.43,
        "UnitPriceDiscount": 0.0, "Discount": null}}, "RequestId": "x"}}"#;
    let quote = parse_inquiry_price_run_instances(body, &inquiry(1), FETCHED).unwrap();
    assert_eq!(quote.observations.len(), 1);
    assert_eq!(quote.observations[0].kind, PriceKind::OnDemand);
    assert_eq!(quote.skipped.len(), 1);
    assert_eq!(quote.skipped[0].field, "Response.Price.InstancePrice.UnitPriceDiscount");
    assert_eq!(quote.skipped[0].reason, SkipReason::Zero);
    let null = br#"{"Response": {"Price": {"InstancePrice": {"ChargeUnit": "HOUR", "UnitPrice": null,
        "UnitPriceDiscount": 0.086}}}}"#;
    let quote = parse_inquiry_price_run_instances(null, &inquiry(1), FETCHED).unwrap();
    assert_eq!(quote.skipped[0].reason, SkipReason::Missing);
}

#[test]
fn garbage_is_not_json() {
    for garbage in [&b"\x00\x01\x02"[..], b"{\"Response\": ", b"Response"] {
        assert!(matches!(
            parse_inquiry_price_run_instances(garbage, &inquiry(1), FETCHED),
            Err(QuoteError::NotJson { .. })
        ));
    }
}

//! Tests of the Baidu spot market price query: the exact request, and its answer parser on a success fixture, the
//! error envelope, missing fields, zero values and garbage.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::quote::{CloudError, SkipReason};
use serde_json::Value;

/// 2026-11-23T10:00:00Z.
const FETCHED: i64 = 1_795_428_000;
const ERROR: &str = include_str!("fixtures/error.json");

fn price_query() -> BidPriceQuery {
    BidPriceQuery {
        region: "bj".into(),
        zone: Some("cn-bj-d".into()),
        spec: "bcc.g5.c2m8".into(),
        instance_type: "N5".into(),
        cpu_count: 2,
        memory_gb: 8,
        root_disk_size_gb: Some(40),
        root_disk_storage_type: Some("cloud_hp1".into()),
        currency: Currency::Cny,
        purchase_count: NonZeroU32::new(2).unwrap(),
    }
}

fn expected_error() -> QuoteError {
    QuoteError::Cloud(CloudError {
        cloud: Cloud::Baidu,
        code: "Instance.NotSupportInstanceTypeException".into(),
        message: "The instance type is not supported.".into(),
        request_id: Some("f0e1d2c3-b4a5-4697-8889-7a6b5c4d3e2f".into()),
    })
}

fn body(request: &HttpRequest) -> Value {
    serde_json::from_slice(&request.body).unwrap()
}

#[test]
fn bid_price_request_sends_the_sdk_fields_plus_spec_and_zone() {
    let request = bid_price(&price_query(), "quote-token-1");
    assert_eq!(
        body(&request),
        json!({
            "instanceType": "N5",
            "spec": "bcc.g5.c2m8",
            "cpuCount": 2,
            "memoryCapacityInGB": 8,
            "rootDiskSizeInGb": 40,
            "rootDiskStorageType": "cloud_hp1",
            "purchaseCount": 2,
            "zoneName": "cn-bj-d"
        })
    );
    assert_eq!(
        (request.method.as_str(), request.host.as_str(), request.path.as_str()),
        ("POST", "bcc.bj.baidubce.com", "/v2/instance/bidPrice")
    );
    assert_eq!(request.query, [("clientToken".to_owned(), "quote-token-1".to_owned())]);
    assert_eq!(
        request.headers,
        [
            ("host".to_owned(), "bcc.bj.baidubce.com".to_owned()),
            ("content-type".to_owned(), "application/json".to_owned()),
        ]
    );
    assert_eq!(request.action, "GetBidInstancePrice");
}

#[test]
fn bid_price_request_leaves_out_what_is_not_given() {
    let mut query = price_query();
    query.zone = None;
    query.root_disk_size_gb = None;
    query.root_disk_storage_type = None;
    let sent = body(&bid_price(&query, "t"));
    let mut keys: Vec<&str> = sent.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "cpuCount",
            "instanceType",
            "memoryCapacityInGB",
            "purchaseCount",
            "spec"
        ],
        "no null rootDiskSizeInGb, unlike SDK 0.9.79"
    );
}

#[test]
fn bid_price_answer_is_a_per_minute_cny_spot_price_with_its_unit_decision_in_the_source() {
    let answer = include_str!("fixtures/bid_price.json");
    let quote = parse_bid_price(answer.as_bytes(), &price_query(), FETCHED).unwrap();
    assert!(quote.skipped.is_empty());
    let [observation] = quote.observations.as_slice() else {
        panic!("one observation: {quote:?}");
    };
    assert_eq!(observation.kind, PriceKind::Spot);
    assert_eq!(
        observation.rate.to_string(),
        "0.00528 CNY/minute",
        "perMoney, not the 2-instance money"
    );
    assert_eq!(
        observation.rate.in_unit(TimeUnit::Hour).unwrap().to_string(),
        "0.3168 CNY/hour"
    );
    assert_eq!(
        observation.offer,
        OfferKey {
            cloud: Cloud::Baidu,
            region: "bj".into(),
            zone: Some("cn-bj-d".into()),
            instance_type: "bcc.g5.c2m8".into(),
        }
    );
    assert_eq!(observation.observed_at, FETCHED);
    assert_eq!(
        observation.source.name,
        "live quote via the proxy (Baidu bidPrice; perMoney read as the account's currency per instance per minute, \
         the bidPrice unit; unconfirmed)"
    );
    assert!(
        observation
            .source
            .attribution
            .contains("perMoney taken as CNY per instance per minute")
    );
    assert_eq!(
        observation.source.live.as_ref().map(|live| live.basis),
        Some(crate::catalog::LiveBasis::PerInstanceMinuteUnconfirmed {
            currency: Currency::Cny
        })
    );
    // An international-site account's answer is in its own currency, and its source says so.
    let dollars = BidPriceQuery {
        currency: Currency::Usd,
        ..price_query()
    };
    let quote = parse_bid_price(answer.as_bytes(), &dollars, FETCHED).unwrap();
    let observation = &quote.observations[0];
    assert_eq!(observation.rate.to_string(), "0.00528 USD/minute");
    assert!(
        observation
            .source
            .attribution
            .contains("perMoney taken as USD per instance per minute"),
        "{}",
        observation.source.attribution
    );
}

#[test]
fn bid_price_zero_or_missing_per_money_is_skipped_and_reported() {
    let zero = br#"{"money": "0", "count": "1", "perMoney": "0.00000"}"#;
    let quote = parse_bid_price(zero, &price_query(), FETCHED).unwrap();
    assert!(quote.observations.is_empty());
    assert_eq!(quote.skipped[0].field, "perMoney");
    assert_eq!(quote.skipped[0].reason, SkipReason::Zero);
    assert_eq!(
        quote.skipped[0].left_out,
        "the spot price of baidu bcc.g5.c2m8 in cn-bj-d"
    );
    let missing = br#"{"money": "0.01056", "count": "2"}"#;
    let quote = parse_bid_price(missing, &price_query(), FETCHED).unwrap();
    assert!(
        quote.observations.is_empty(),
        "money ÷ count is not guessed into a price"
    );
    assert_eq!(quote.skipped[0].reason, SkipReason::Missing);
    let words = br#"{"perMoney": "about 5 fen"}"#;
    let quote = parse_bid_price(words, &price_query(), FETCHED).unwrap();
    assert!(matches!(quote.skipped[0].reason, SkipReason::Malformed { .. }));
}

#[test]
fn bid_price_error_and_garbage() {
    assert_eq!(
        parse_bid_price(ERROR.as_bytes(), &price_query(), FETCHED),
        Err(expected_error())
    );
    assert!(matches!(
        parse_bid_price(b"\x89PNG\r\n", &price_query(), FETCHED),
        Err(QuoteError::NotJson { .. })
    ));
    assert!(matches!(
        parse_bid_price(b"\"0.00528\"", &price_query(), FETCHED),
        Err(QuoteError::UnexpectedValue { .. })
    ));
}

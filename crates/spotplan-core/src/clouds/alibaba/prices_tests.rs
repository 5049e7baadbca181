//! Tests of the Alibaba price query: exact request parameters, and its answer parser on a success fixture, the
//! error envelope, a missing field, a zero price and garbage.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::quote::CloudError;

/// 2026-11-23T10:00:00Z.
const FETCHED: i64 = 1_795_428_000;
const HOUR: i64 = 3600;

fn history_query() -> SpotPriceHistoryQuery {
    SpotPriceHistoryQuery {
        region: "cn-hangzhou".into(),
        zone: None,
        instance_type: "ecs.g7.large".into(),
        spot_duration: Some(SpotDuration::OneHour),
        os: OsFamily::Linux,
        window: TimeWindow::new(FETCHED - 24 * HOUR, FETCHED).unwrap(),
        offset: None,
    }
}

fn pairs(request: &HttpRequest) -> Vec<(&str, &str)> {
    request.query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

const ERROR: &str = include_str!("fixtures/error.json");
const GARBAGE: &[u8] = b"\xff\xfe<html>502 Bad Gateway</html>";

fn expected_error() -> QuoteError {
    QuoteError::Cloud(CloudError {
        cloud: Cloud::Alibaba,
        code: "InvalidParams.InstanceType".into(),
        message: "The specified InstanceType parameter is invalid.".into(),
        request_id: Some("E2A4C6D8-1B3F-4E5A-9C7D-0F1E2D3C4B5A".into()),
    })
}

// ---- requests ----

#[test]
fn spot_price_history_request_has_the_documented_parameters() {
    let mut query = history_query();
    query.zone = Some("cn-hangzhou-h".into());
    query.offset = Some(1000);
    let request = describe_spot_price_history(&query);
    assert_eq!(
        pairs(&request),
        [
            ("RegionId", "cn-hangzhou"),
            ("InstanceType", "ecs.g7.large"),
            ("NetworkType", "vpc"),
            ("ZoneId", "cn-hangzhou-h"),
            ("OSType", "linux"),
            ("SpotDuration", "1"),
            ("StartTime", "2026-11-22T10:00:00Z"),
            ("EndTime", "2026-11-23T10:00:00Z"),
            ("Offset", "1000"),
        ]
    );
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/"));
    assert_eq!(
        request.host, "ecs-cn-hangzhou.aliyuncs.com",
        "the SDKs' cn-hangzhou endpoint"
    );
    assert_eq!(
        request.headers,
        [
            ("host".to_owned(), "ecs-cn-hangzhou.aliyuncs.com".to_owned()),
            ("x-acs-action".to_owned(), "DescribeSpotPriceHistory".to_owned()),
            ("x-acs-version".to_owned(), "2014-05-26".to_owned()),
            ("accept".to_owned(), "application/json".to_owned()),
        ]
    );
    assert!(request.body.is_empty());
    assert_eq!(request.action, "DescribeSpotPriceHistory");
}

#[test]
fn spot_price_history_request_leaves_out_what_is_not_given() {
    let mut query = history_query();
    query.spot_duration = None;
    let request = describe_spot_price_history(&query);
    let names: Vec<&str> = request.query.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "RegionId",
            "InstanceType",
            "NetworkType",
            "OSType",
            "StartTime",
            "EndTime"
        ]
    );
}

#[test]
fn query_limits_are_checked_when_built() {
    assert!(matches!(
        TimeWindow::new(FETCHED, FETCHED - 1),
        Err(QueryError::TimeWindowReversed { .. })
    ));
    assert!(TimeWindow::new(FETCHED - 30 * 24 * HOUR, FETCHED).is_ok());
    assert_eq!(
        TimeWindow::new(FETCHED - 30 * 24 * HOUR - 1, FETCHED),
        Err(QueryError::TimeWindowTooLong {
            start: "2026-10-24T09:59:59Z".into(),
            end: "2026-11-23T10:00:00Z".into(),
            max_days: 30
        })
    );
    assert_eq!(
        TimeWindow::new(-1, FETCHED),
        Err(QueryError::TimeOutOfRange {
            field: "start",
            value: -1
        })
    );
}

// ---- DescribeSpotPriceHistory ----

#[test]
fn spot_price_history_gives_spot_and_on_demand_per_zone() {
    let body = include_str!("fixtures/spot_price_history.json");
    let page = parse_describe_spot_price_history(body.as_bytes(), &history_query(), FETCHED).unwrap();
    assert_eq!(page.currency, Currency::Cny);
    assert_eq!(page.next_offset, Some(1000));
    assert!(page.skipped.is_empty(), "{:?}", page.skipped);
    let seen: Vec<(Option<&str>, PriceKind, String, TimeUnit, i64)> = page
        .observations
        .iter()
        .map(|o| {
            (
                o.offer.zone.as_deref(),
                o.kind,
                o.rate.money.to_string(),
                o.rate.per,
                o.observed_at,
            )
        })
        .collect();
    let six = 1_795_413_600; // 2026-11-23T06:00:00Z
    assert_eq!(
        seen,
        [
            (
                Some("cn-hangzhou-h"),
                PriceKind::Spot,
                "0.073 CNY".into(),
                TimeUnit::Hour,
                six
            ),
            (
                Some("cn-hangzhou-h"),
                PriceKind::OnDemand,
                "0.398 CNY".into(),
                TimeUnit::Hour,
                six
            ),
            (
                Some("cn-hangzhou-i"),
                PriceKind::Spot,
                "0.081 CNY".into(),
                TimeUnit::Hour,
                six + HOUR
            ),
            (
                Some("cn-hangzhou-i"),
                PriceKind::OnDemand,
                "0.398 CNY".into(),
                TimeUnit::Hour,
                six + HOUR
            ),
        ]
    );
    let first = &page.observations[0];
    assert_eq!(first.offer.region, "cn-hangzhou");
    assert_eq!(first.offer.instance_type, "ecs.g7.large");
    assert_eq!(
        first.source.name,
        "live quote via the proxy (Alibaba DescribeSpotPriceHistory)"
    );
    assert_eq!(first.source.date, "2026-11-23");
    assert_eq!(first.source.key, "live-alibaba-DescribeSpotPriceHistory-2026-11-23");
    assert!(
        first.source.attribution.contains("2026-11-23T10:00:00Z"),
        "{}",
        first.source.attribution
    );
    assert!(
        first.source.attribution.contains("SpotDuration=1"),
        "{}",
        first.source.attribution
    );
    assert_eq!(
        first
            .source
            .live
            .as_ref()
            .map(|live| (live.cloud, live.action.as_str(), live.basis)),
        Some((
            Cloud::Alibaba,
            "DescribeSpotPriceHistory",
            crate::catalog::LiveBasis::SpotOneHourProtection
        ))
    );
}

#[test]
fn spot_price_history_reports_every_gap_and_invents_no_price() {
    let body = include_str!("fixtures/spot_price_history_gaps.json");
    let page = parse_describe_spot_price_history(body.as_bytes(), &history_query(), FETCHED).unwrap();
    assert_eq!(page.currency, Currency::Usd);
    assert_eq!(page.next_offset, None);
    let kept: Vec<(&str, PriceKind, String, i64)> = page
        .observations
        .iter()
        .map(|o| {
            (
                o.offer.zone.as_deref().unwrap(),
                o.kind,
                o.rate.money.to_string(),
                o.observed_at,
            )
        })
        .collect();
    let six = 1_795_413_600;
    assert_eq!(
        kept,
        [
            ("ap-southeast-1a", PriceKind::OnDemand, "0.093 USD".into(), six),
            ("ap-southeast-1b", PriceKind::Spot, "0.0191 USD".into(), six),
        ]
    );
    let skipped: Vec<(&str, &SkipReason)> = page.skipped.iter().map(|s| (s.field.as_str(), &s.reason)).collect();
    assert_eq!(
        skipped,
        [
            ("SpotPrices.SpotPriceType[0].SpotPrice", &SkipReason::Zero),
            ("SpotPrices.SpotPriceType[1].OriginPrice", &SkipReason::Missing),
            ("SpotPrices.SpotPriceType[2].ZoneId", &SkipReason::Missing),
            (
                "SpotPrices.SpotPriceType[3].Timestamp",
                &SkipReason::Malformed {
                    value: "yesterday".into(),
                    expected: "a UTC time such as 2026-11-23T06:00:00Z".into()
                }
            ),
        ]
    );
    assert_eq!(
        page.skipped[0].to_string(),
        "left out the spot price of alibaba ecs.c7.large in ap-southeast-1a at 2026-11-23T06:00:00Z: \
         `SpotPrices.SpotPriceType[0].SpotPrice` is zero (a zero price is never used as a price)"
    );
}

#[test]
fn spot_price_history_paging_always_ends() {
    let body = br#"{"Currency": "CNY", "NextOffset": 1000, "SpotPrices": {"SpotPriceType": []}}"#;
    let mut query = history_query();
    query.offset = Some(1000);
    let page = parse_describe_spot_price_history(body, &query, FETCHED).unwrap();
    assert_eq!(page.next_offset, None, "a NextOffset that does not move is the end");
    let bad = br#"{"Currency": "CNY", "NextOffset": "soon", "SpotPrices": {"SpotPriceType": []}}"#;
    let page = parse_describe_spot_price_history(bad, &history_query(), FETCHED).unwrap();
    assert_eq!(page.next_offset, None);
    assert_eq!(page.skipped[0].field, "NextOffset");
    assert_eq!(page.skipped[0].left_out, "the following pages");
}

#[test]
fn spot_price_history_error_envelope_is_a_cloud_error() {
    let result = parse_describe_spot_price_history(ERROR.as_bytes(), &history_query(), FETCHED);
    assert_eq!(result, Err(expected_error()));
    assert_eq!(
        result.unwrap_err().to_string(),
        "Alibaba Cloud ECS answered `InvalidParams.InstanceType`: The specified InstanceType parameter is invalid. \
         (request id E2A4C6D8-1B3F-4E5A-9C7D-0F1E2D3C4B5A)"
    );
}

#[test]
fn spot_price_history_names_missing_fields() {
    let no_currency = br#"{"RequestId": "x", "SpotPrices": {"SpotPriceType": []}}"#;
    assert_eq!(
        parse_describe_spot_price_history(no_currency, &history_query(), FETCHED),
        Err(QuoteError::MissingField {
            field: "Currency".into()
        })
    );
    let no_prices = br#"{"RequestId": "x", "Currency": "CNY"}"#;
    assert_eq!(
        parse_describe_spot_price_history(no_prices, &history_query(), FETCHED),
        Err(QuoteError::MissingField {
            field: "SpotPrices.SpotPriceType".into()
        })
    );
    let euro = br#"{"Currency": "EUR", "SpotPrices": {"SpotPriceType": []}}"#;
    assert_eq!(
        parse_describe_spot_price_history(euro, &history_query(), FETCHED),
        Err(QuoteError::UnsupportedCurrency {
            field: "Currency".into(),
            value: "EUR".into()
        })
    );
}

#[test]
fn spot_price_history_rejects_garbage() {
    assert!(matches!(
        parse_describe_spot_price_history(GARBAGE, &history_query(), FETCHED),
        Err(QuoteError::NotJson { .. })
    ));
    assert!(matches!(
        parse_describe_spot_price_history(b"", &history_query(), FETCHED),
        Err(QuoteError::NotJson { .. })
    ));
}

#[test]
fn a_live_quote_asks_for_the_market_the_order_joins() {
    let offer = crate::catalog::OfferKey {
        cloud: crate::clouds::Cloud::Alibaba,
        region: "cn-hangzhou".into(),
        zone: Some("cn-hangzhou-k".into()),
        instance_type: "ecs.g7.large".into(),
    };
    let ask = |os, one_hour_protection| crate::quote::QuoteAsk {
        offer: offer.clone(),
        image_id: None,
        cpu_count: None,
        memory_gb: None,
        instance_class: None,
        os,
        one_hour_protection,
    };
    let sent = |ask: &crate::quote::QuoteAsk| {
        let request = describe_spot_price_history(&live_history_query(ask, FETCHED).unwrap());
        (
            request.query_value("OSType").map(str::to_owned),
            request.query_value("SpotDuration").map(str::to_owned),
        )
    };
    assert_eq!(
        sent(&ask(None, None)),
        (Some("linux".into()), Some("1".into())),
        "by default: Linux, the one-hour protected market"
    );
    assert_eq!(
        sent(&ask(Some(OsFamily::Windows), Some(false))),
        (Some("windows".into()), Some("0".into())),
        "a Windows order without protection is quoted as such"
    );
}

#[test]
fn a_live_quote_of_one_page_of_several_says_the_newest_prices_may_be_missing() {
    let ask = crate::quote::QuoteAsk {
        offer: crate::catalog::OfferKey {
            cloud: crate::Cloud::Alibaba,
            region: "cn-hangzhou".into(),
            zone: Some("cn-hangzhou-k".into()),
            instance_type: "ecs.c7.large".into(),
        },
        image_id: None,
        cpu_count: None,
        memory_gb: None,
        instance_class: None,
        os: None,
        one_hour_protection: None,
    };
    let body = br#"{"Currency": "CNY", "NextOffset": 100, "SpotPrices": {"SpotPriceType": []}}"#;
    let reading = crate::clouds::wire(crate::Cloud::Alibaba)
        .read_quote(&ask, Currency::Cny, FETCHED, body)
        .unwrap();
    assert!(
        reading.skipped.iter().any(|note| note.contains("NextOffset 100")),
        "{:?}",
        reading.skipped
    );
}

//! Cross-cloud tests of the quote module: error envelopes recognised on any answer, success answers never taken
//! for errors, and (natively) the property that no parser panics on any bytes.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

const ALIBABA_ERROR: &str = include_str!("../clouds/alibaba/fixtures/error.json");
const TENCENT_ERROR: &str = include_str!("../clouds/tencent/fixtures/error.json");
const BAIDU_ERROR: &str = include_str!("../clouds/baidu/fixtures/error.json");
const SUCCESSES: [(Cloud, &str); 3] = [
    (
        Cloud::Alibaba,
        include_str!("../clouds/alibaba/fixtures/spot_price_history.json"),
    ),
    (
        Cloud::Tencent,
        include_str!("../clouds/tencent/fixtures/inquiry_spot.json"),
    ),
    (Cloud::Baidu, include_str!("../clouds/baidu/fixtures/bid_price.json")),
];

#[test]
fn each_clouds_error_envelope_becomes_one_typed_error() {
    let alibaba = cloud_error(Cloud::Alibaba, ALIBABA_ERROR.as_bytes()).unwrap();
    assert_eq!(alibaba.code, "InvalidParams.InstanceType");
    assert_eq!(
        alibaba.request_id.as_deref(),
        Some("E2A4C6D8-1B3F-4E5A-9C7D-0F1E2D3C4B5A")
    );
    let tencent = cloud_error(Cloud::Tencent, TENCENT_ERROR.as_bytes()).unwrap();
    assert_eq!(tencent.code, "ResourceInsufficient.SpecifiedInstanceType");
    assert_eq!(
        tencent.request_id.as_deref(),
        Some("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d")
    );
    let baidu = cloud_error(Cloud::Baidu, BAIDU_ERROR.as_bytes()).unwrap();
    assert_eq!(baidu.code, "Instance.NotSupportInstanceTypeException");
    assert_eq!(
        baidu.to_string(),
        "Baidu AI Cloud BCC answered `Instance.NotSupportInstanceTypeException`: The instance type is not \
         supported. (request id f0e1d2c3-b4a5-4697-8889-7a6b5c4d3e2f)"
    );
}

#[test]
fn success_answers_and_other_clouds_envelopes_are_not_errors() {
    for (cloud, body) in SUCCESSES {
        assert_eq!(cloud_error(cloud, body.as_bytes()), None, "{cloud:?}: {body}");
    }
    assert_eq!(
        cloud_error(Cloud::Alibaba, BAIDU_ERROR.as_bytes()),
        None,
        "Baidu spells `code` in lower case"
    );
    assert_eq!(cloud_error(Cloud::Baidu, TENCENT_ERROR.as_bytes()), None);
    assert_eq!(cloud_error(Cloud::Tencent, b"not json"), None);
}

#[test]
fn an_envelope_without_message_or_request_id_still_names_the_code() {
    let error = cloud_error(Cloud::Alibaba, br#"{"Code": "Throttling.User"}"#).unwrap();
    assert_eq!(error.to_string(), "Alibaba Cloud ECS answered `Throttling.User`");
    let error = cloud_error(Cloud::Tencent, br#"{"Response": {"Error": {}}}"#).unwrap();
    assert_eq!(error.code, "(no code)");
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use std::num::NonZeroU32;

    use proptest::prelude::*;
    use serde_json::{Map, Value};

    use crate::clouds::{alibaba::prices as alibaba, baidu::prices as baidu, tencent::prices as tencent};
    use crate::money::Currency;
    use spotplan_time::{format_iso8601, parse_iso8601};

    const FETCHED: i64 = 1_795_428_000;

    /// Every parser, run on one body; only their not panicking matters here.
    fn parse_everything(body: &[u8]) {
        let window = alibaba::TimeWindow::new(FETCHED - 3600, FETCHED).unwrap();
        let history = alibaba::SpotPriceHistoryQuery {
            region: "cn-hangzhou".into(),
            zone: None,
            instance_type: "ecs.g7.large".into(),
            spot_duration: None,
            os: crate::order::model::OsFamily::Linux,
            window,
            offset: Some(7),
        };
        let _ = alibaba::parse_describe_spot_price_history(body, &history, FETCHED);
        for count in [1, 3] {
            let inquiry = tencent::SpotInquiry {
                region: "ap-guangzhou".into(),
                zone: "ap-guangzhou-6".into(),
                instance_type: "S5.MEDIUM4".into(),
                image_id: "img-1".into(),
                instance_count: NonZeroU32::new(count).unwrap(),
                currency: Currency::Cny,
            };
            let _ = tencent::parse_inquiry_price_run_instances(body, &inquiry, FETCHED);
        }
        let bid = baidu::BidPriceQuery {
            region: "bj".into(),
            zone: None,
            spec: "bcc.g5.c2m8".into(),
            instance_type: "N5".into(),
            cpu_count: 2,
            memory_gb: 8,
            root_disk_size_gb: None,
            root_disk_storage_type: None,
            purchase_count: NonZeroU32::MIN,
            currency: Currency::Cny,
        };
        let _ = baidu::parse_bid_price(body, &bid, FETCHED);
        for cloud in crate::clouds::Cloud::ALL {
            let _ = crate::quote::cloud_error(cloud, body);
        }
    }

    /// The field names the parsers look for, so generated JSON reaches deep into their logic.
    const KEYS: &[&str] = &[
        "Response",
        "Price",
        "InstancePrice",
        "UnitPrice",
        "UnitPriceDiscount",
        "ChargeUnit",
        "Error",
        "Code",
        "Message",
        "RequestId",
        "Currency",
        "NextOffset",
        "SpotPrices",
        "SpotPriceType",
        "ZoneId",
        "InstanceType",
        "SpotPrice",
        "OriginPrice",
        "Timestamp",
        "PriceInfo",
        "OriginalPrice",
        "TradePrice",
        "DetailInfos",
        "DetailInfo",
        "Resource",
        "AvailableSpotZones",
        "AvailableSpotZone",
        "AvailableSpotResources",
        "AvailableSpotResource",
        "AverageSpotDiscount",
        "InterruptionRate",
        "InterruptRateDesc",
        "RegionId",
        "money",
        "count",
        "perMoney",
        "code",
        "message",
        "requestId",
        "zoneResources",
        "zoneName",
        "bccResources",
        "instanceType",
        "flavors",
        "spec",
        "specId",
        "cpuCount",
        "memoryCapacityInGB",
        "productType",
    ];

    /// A step into a JSON value: an object key or an array index.
    #[derive(Debug, Clone)]
    enum Step {
        Key(String),
        Index(usize),
    }

    /// The paths of every leaf (and every empty container) of `value`.
    fn collect_leaf_paths(value: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (key, child) in map {
                    path.push(Step::Key(key.clone()));
                    collect_leaf_paths(child, path, out);
                    path.pop();
                }
            }
            Value::Array(items) if !items.is_empty() => {
                for (index, child) in items.iter().enumerate() {
                    path.push(Step::Index(index));
                    collect_leaf_paths(child, path, out);
                    path.pop();
                }
            }
            _ => out.push(path.clone()),
        }
    }

    fn walk_mut<'v>(mut value: &'v mut Value, path: &[Step]) -> &'v mut Value {
        for step in path {
            value = match step {
                Step::Key(key) => value.get_mut(key.as_str()).unwrap(),
                Step::Index(index) => value.get_mut(*index).unwrap(),
            };
        }
        value
    }

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            prop::sample::select(vec![
                "0",
                "0.0",
                "-1",
                "0.073",
                "1e3",
                "",
                " ",
                "CNY",
                "USD",
                "EUR",
                "HOUR",
                "MONTH",
                "instanceType",
                "2026-11-23T06:00:00Z",
                "2026-11-23T06:00Z",
                "9999-12-31T23:59:59Z",
                "79228162514264337593543950336",
                "0.0000000000000000000000000001",
            ])
            .prop_map(Value::from),
            "\\PC{0,12}".prop_map(Value::from),
        ]
    }

    fn json_value() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|pairs| {
                    let map: Map<String, Value> = pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
                    Value::Object(map)
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// No parser panics on arbitrary bytes.
        #[test]
        fn parsers_never_panic_on_bytes(body in prop::collection::vec(any::<u8>(), 0..256)) {
            parse_everything(&body);
        }

        /// No parser panics on JSON-looking text (brackets, quotes, numbers, the keys they look for).
        #[test]
        fn parsers_never_panic_on_json_ish_text(text in "[\\[\\]{}\":,0-9.eE+ -]{0,80}|\\{\"(Currency|Response|zoneResources|perMoney|Code)\":[^}]{0,40}\\}") {
            parse_everything(text.as_bytes());
        }

        /// No parser panics on well-formed JSON of any shape made of the fields they read.
        #[test]
        fn parsers_never_panic_on_generated_answers(value in json_value()) {
            parse_everything(value.to_string().as_bytes());
        }

        /// No parser panics on a success fixture with one value replaced by anything, or cut short anywhere.
        #[test]
        fn parsers_never_panic_on_tampered_fixtures(
            fixture in 0_usize..super::SUCCESSES.len(),
            position in any::<prop::sample::Index>(),
            replacement in leaf(),
            cut in any::<prop::sample::Index>(),
        ) {
            let text = super::SUCCESSES[fixture].1;
            let mut value: Value = serde_json::from_str(text).unwrap();
            let mut leaves = Vec::new();
            collect_leaf_paths(&value, &mut Vec::new(), &mut leaves);
            let path = &leaves[position.index(leaves.len())];
            *walk_mut(&mut value, path) = replacement;
            parse_everything(value.to_string().as_bytes());
            parse_everything(&text.as_bytes()[..cut.index(text.len())]);
        }

        /// Formatting then parsing a time gives it back, for every second from 1970 to 9999.
        #[test]
        fn times_round_trip(seconds in 0_i64..=spotplan_time::MAX_UNIX_SECONDS) {
            prop_assert_eq!(parse_iso8601(&format_iso8601(seconds)), Some(seconds));
        }

        /// The time parser never panics on any text.
        #[test]
        fn time_parser_never_panics(text in "\\PC{0,30}") {
            let _ = parse_iso8601(&text);
        }
    }
}

#[test]
fn each_cloud_asks_its_price_query_for_what_it_needs_and_a_draft_applies_to_its_own_cloud() {
    use crate::catalog::Catalog;
    use crate::clouds::api;
    use crate::order::model::OsFamily;
    let catalog = Catalog::embedded().unwrap();
    let first_of = |cloud: Cloud| {
        let index = (0..catalog.offers().len())
            .find(|&i| catalog.type_of(&catalog.offers()[i]).cloud == cloud)
            .unwrap();
        (catalog.key_of(index), catalog.type_of(&catalog.offers()[index]).clone())
    };
    let draft = QuoteDraft {
        cloud: Some(Cloud::Alibaba),
        image_id: Some("aliyun_3_x64.vhd".into()),
        os: Some(OsFamily::Windows),
        one_hour_protection: Some(false),
    };
    let (key, facts) = first_of(Cloud::Alibaba);
    let alibaba = api(Cloud::Alibaba).quote_ask(key, &facts, &draft.for_cloud(Cloud::Alibaba, Some("img-quote")));
    assert_eq!(
        (alibaba.os, alibaba.one_hour_protection, alibaba.image_id),
        (Some(OsFamily::Windows), Some(false), None)
    );
    // The Alibaba draft's OS and image do not leak into Tencent's ask; the image typed for quotes does.
    let (key, facts) = first_of(Cloud::Tencent);
    let tencent = api(Cloud::Tencent).quote_ask(key, &facts, &draft.for_cloud(Cloud::Tencent, Some("img-quote")));
    assert_eq!((tencent.image_id.as_deref(), tencent.os), (Some("img-quote"), None));
    assert!(api(Cloud::Tencent).quote_needs_image() && !api(Cloud::Alibaba).quote_needs_image());
    // A Tencent draft with no image typed yet is priced with the image for quotes, not with none.
    let imageless = QuoteDraft {
        cloud: Some(Cloud::Tencent),
        image_id: Some(String::new()),
        ..QuoteDraft::default()
    };
    assert_eq!(
        imageless
            .for_cloud(Cloud::Tencent, Some("img-quote"))
            .image_id
            .as_deref(),
        Some("img-quote")
    );
    let (key, facts) = first_of(Cloud::Baidu);
    let baidu = api(Cloud::Baidu).quote_ask(key, &facts, &draft.for_cloud(Cloud::Baidu, None));
    assert_eq!(baidu.cpu_count, Some(facts.vcpu));
    assert_eq!(
        baidu.memory_gb.map(rust_decimal::Decimal::from),
        Some(facts.memory_gib.normalize())
    );
}

#[test]
fn every_catalog_offer_has_cloud_ids_and_probes_are_named() {
    let catalog = crate::catalog::Catalog::embedded().expect("the embedded catalog decodes");
    for index in 0..catalog.offers().len() {
        let ask = QuoteAsk::new(catalog.key_of(index));
        assert_eq!(ask.malformed_id(), None, "{:?}", ask.offer);
    }
    let mut ask = QuoteAsk::new(catalog.key_of(0));
    ask.image_id = Some("aliyun_3_x64_20G_alibase_20240819.vhd".into());
    assert_eq!(ask.malformed_id(), None);
    for (field, bad) in [
        ("offer.zone", "cn-hangzhou-k\r\nHost: evil"),
        ("offer.instance_type", ""),
        ("offer.instance_type", "ecs.g7.large&Action=DeleteInstance"),
        ("image_id", "img/../x"),
        ("instance_class", "N5 "),
    ] {
        let mut probe = QuoteAsk::new(catalog.key_of(0));
        match field {
            "offer.zone" => probe.offer.zone = Some(bad.into()),
            "offer.instance_type" => probe.offer.instance_type = bad.into(),
            "image_id" => probe.image_id = Some(bad.into()),
            _ => probe.instance_class = Some(bad.into()),
        }
        assert_eq!(
            probe.malformed_id(),
            Some((field, bad.escape_default().to_string())),
            "{bad:?}"
        );
    }
    let long = "a".repeat(crate::cloud_id::MAX_LEN + 1);
    let mut probe = QuoteAsk::new(catalog.key_of(0));
    probe.offer.instance_type = long;
    assert_eq!(
        probe.malformed_id().map(|(field, value)| (field, value.len())),
        Some(("offer.instance_type", crate::cloud_id::MAX_LEN))
    );
}

#[test]
fn only_alibaba_keeps_a_paged_history_and_its_pages_are_asked_by_offset_from_the_time_asked() {
    use crate::clouds::wire;
    let catalog = crate::catalog::Catalog::embedded().expect("the embedded catalog decodes");
    let alibaba = (0..catalog.offers().len())
        .find(|&i| catalog.type_of(&catalog.offers()[i]).cloud == Cloud::Alibaba && catalog.offers()[i].zone.is_some())
        .expect("an Alibaba offer with a zone");
    let ask = QuoteAsk::new(catalog.key_of(alibaba));
    let now = 1_796_000_000;
    let request = wire(Cloud::Alibaba)
        .history_request(&ask, now, now - 30 * 86_400, Some(100))
        .expect("a history request");
    let param = |name: &str| {
        request
            .query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    assert!(
        request
            .headers
            .iter()
            .any(|(name, value)| name == "x-acs-action" && value == "DescribeSpotPriceHistory")
    );
    assert_eq!(param("Offset").as_deref(), Some("100"));
    assert_eq!(
        param("StartTime"),
        Some(spotplan_time::format_iso8601(now - 30 * 86_400))
    );
    let first = wire(Cloud::Alibaba)
        .history_request(&ask, now, now - 3_600, None)
        .expect("a history request");
    assert!(!first.query.iter().any(|(key, _)| key == "Offset"));
    let start = first
        .query
        .iter()
        .find(|(key, _)| key == "StartTime")
        .map(|(_, value)| value.clone());
    assert_eq!(
        start,
        Some(spotplan_time::format_iso8601(now - 3_600)),
        "asked from where the store left off"
    );
    let clouds: Vec<Cloud> = Cloud::ALL
        .into_iter()
        .filter(|c| wire(*c).has_price_history())
        .collect();
    assert_eq!(clouds, [Cloud::Alibaba]);
    assert_eq!(
        wire(Cloud::Tencent)
            .history_request(&ask, now, now - 3_600, None)
            .map_err(|failure| failure.code),
        Err("no_history".to_owned())
    );
}

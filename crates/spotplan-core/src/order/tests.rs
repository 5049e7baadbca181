//! Validation tests: the shipped example orders are valid, and each cloud's rules report exactly the right
//! problems, all at once.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::money::{Currency, Money, TimeUnit};
use spotplan_time::parse_date;

pub(crate) fn example(cloud: Cloud) -> SpotOrder {
    let text = match cloud {
        Cloud::Alibaba => include_str!("../../../../examples/orders/alibaba.json"),
        Cloud::Tencent => include_str!("../../../../examples/orders/tencent.json"),
        Cloud::Baidu => include_str!("../../../../examples/orders/baidu.json"),
    };
    serde_json::from_str(text).unwrap()
}

fn context() -> ValidationContext {
    ValidationContext {
        now: parse_date("2026-11-23").unwrap(),
        ..ValidationContext::default()
    }
}

fn quote(price: &str, per: TimeUnit) -> Option<PriceQuote> {
    Some(PriceQuote {
        rate: PriceRate::new(Money::parse(price, Currency::Cny).unwrap(), per),
        observed_on: "2026-11-23".into(),
    })
}

fn rules(validation: &Validation) -> Vec<(&str, &str, Severity)> {
    validation
        .problems
        .iter()
        .map(|p| (p.field.as_str(), p.rule.as_str(), p.severity))
        .collect()
}

#[test]
fn the_shipped_examples_are_valid() {
    for cloud in Cloud::ALL {
        let validation = validate(&example(cloud), &context());
        let errors: Vec<_> = validation
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{cloud}: {errors:#?}");
        assert!(validation.valid.is_some());
    }
}

#[test]
fn alibaba_reports_every_problem_at_once() {
    let mut order = example(Cloud::Alibaba);
    order.zone = None;
    order.count = 101;
    order.min_count = Some(200);
    order.bid.max_price = Some("0.1234".parse().unwrap());
    order.bid.spot_duration_hours = Some(2);
    order.hostname = Some("-worker..1".into());
    order.login.password = Some("password".into());
    order.user_data = Some("not base64!".into());
    order.client_token = Some("x".repeat(65));
    order.auto_release_time = Some("2026-11-23T00:10:00Z".into());
    let validation = validate(&order, &context());
    assert!(validation.valid.is_none());
    assert_eq!(
        rules(&validation),
        [
            ("user_data", "user_data.base64", Severity::Error),
            ("zone", "alibaba.zone.required_for_spot", Severity::Error),
            ("count", "alibaba.amount.range", Severity::Error),
            ("min_count", "alibaba.min_amount.range", Severity::Error),
            (
                "bid.spot_duration_hours",
                "alibaba.spot_duration.range",
                Severity::Error
            ),
            ("bid.max_price", "alibaba.spot_price_limit.decimals", Severity::Error),
            (
                "bid.max_price",
                "alibaba.spot_price_limit.cap_unknown",
                Severity::Warning
            ),
            ("login.password", "alibaba.password.format", Severity::Error),
            ("hostname", "alibaba.hostname.format", Severity::Error),
            (
                "auto_release_time",
                "alibaba.auto_release_time.too_soon",
                Severity::Error
            ),
            ("client_token", "alibaba.client_token.format", Severity::Error),
        ]
    );
    let zone = &validation.problems[1];
    assert_eq!(zone.prevents.as_deref(), Some("InvalidSpotParam.EmptyZoneID"));
    assert!(zone.message_zh.contains("可用区"));
    assert_eq!(
        validation.problems[7].value, "<hidden>",
        "passwords never appear in problems"
    );
}

#[test]
fn alibaba_bid_against_known_prices() {
    let mut order = example(Cloud::Alibaba);
    order.bid.max_price = Some("0.5".parse().unwrap());
    let context = ValidationContext {
        on_demand_price: quote("0.45", TimeUnit::Hour),
        market_price: quote("0.6", TimeUnit::Hour),
        ..context()
    };
    let validation = validate(&order, &context);
    assert_eq!(
        rules(&validation),
        [
            (
                "bid.max_price",
                "alibaba.spot_price_limit.above_on_demand",
                Severity::Warning
            ),
            (
                "bid.max_price",
                "alibaba.spot_price_limit.below_market",
                Severity::Warning
            ),
        ]
    );
    assert!(
        validation.problems[0]
            .message_en
            .contains("0.45 CNY per hour (2026-11-23)")
    );
    assert_eq!(
        validation.problems[1].prevents.as_deref(),
        Some("InvalidSpotPriceLimit.LowerThanPublicPrice")
    );
    // The bid it suggests is one Alibaba takes: the market price rounded up to three decimals.
    let near_market = ValidationContext {
        market_price: quote("0.6234", TimeUnit::Hour),
        ..context
    };
    let below = validate(&order, &near_market);
    let warning = below
        .problems
        .iter()
        .find(|problem| problem.rule == "alibaba.spot_price_limit.below_market")
        .unwrap();
    assert!(
        warning.message_en.ends_with("bid at least 0.624"),
        "{}",
        warning.message_en
    );
}

#[test]
fn market_bids_take_no_price_and_limit_bids_need_one() {
    let mut order = example(Cloud::Tencent);
    order.bid = Bid {
        mode: BidMode::Market,
        max_price: Some("0.1".parse().unwrap()),
        ..Bid::default()
    };
    assert_eq!(
        rules(&validate(&order, &context())),
        [("bid.max_price", "bid.max_price.only_with_limit", Severity::Warning)]
    );
    order.bid = Bid {
        mode: BidMode::Limit,
        ..Bid::default()
    };
    assert_eq!(
        rules(&validate(&order, &context())),
        [("bid.max_price", "bid.max_price.required", Severity::Error)]
    );
    // Text that is not a plain decimal never becomes a price (it is refused where it is read); zero is one.
    assert!("1e-3".parse::<crate::order::native_bid::BidPrice>().is_err());
    order.bid.max_price = Some("0.000".parse().unwrap());
    assert_eq!(
        rules(&validate(&order, &context())),
        [("bid.max_price", "bid.max_price.positive_decimal", Severity::Error)]
    );
}

#[test]
fn tencent_below_market_is_a_warning_naming_the_price_and_its_doubt() {
    let order = example(Cloud::Tencent);
    let context = ValidationContext {
        market_price: quote("0.15", TimeUnit::Hour),
        ..context()
    };
    let validation = validate(&order, &context);
    assert_eq!(
        rules(&validation),
        [("bid.max_price", "tencent.max_price.below_market", Severity::Warning)]
    );
    assert!(validation.valid.is_some(), "a warning refuses nothing");
    assert_eq!(
        validation.problems[0].prevents.as_deref(),
        Some("InvalidParameterValue.InsufficientPrice")
    );
    assert!(validation.problems[0].message_en.contains("includes the system disk"));
    assert!(validation.problems[0].message_en.contains("bid at least 0.15"));
    // The bid it suggests is one Tencent takes: the market price rounded up to four decimals.
    let converted = ValidationContext {
        market_price: quote("0.35643", TimeUnit::Hour),
        ..context
    };
    let warning = &validate(&order, &converted).problems[0];
    assert!(
        warning.message_en.contains("bid at least 0.3565 to be sure"),
        "{}",
        warning.message_en
    );
    assert!(warning.message_zh.contains("出价至少 0.3565"), "{}", warning.message_zh);
}

#[test]
fn tencent_host_names_may_carry_sequence_patterns() {
    let mut order = example(Cloud::Tencent);
    order.hostname = Some("web{R:3}".into());
    assert!(validate(&order, &context()).problems.is_empty());
    order.hostname = Some("web{R:x}".into());
    assert_eq!(
        rules(&validate(&order, &context())),
        [("hostname", "tencent.hostname.format", Severity::Error)]
    );
}

#[test]
fn tencent_client_token_and_zone_rules() {
    let mut order = example(Cloud::Tencent);
    order.zone = Some("ap-shanghai-2".into());
    order.client_token = Some("t".repeat(65));
    let validation = validate(&order, &context());
    assert_eq!(
        rules(&validation),
        [
            ("zone", "tencent.placement.zone.in_region", Severity::Error),
            ("client_token", "tencent.client_token.length", Severity::Error),
        ]
    );
}

#[test]
fn baidu_rules() {
    let mut order = example(Cloud::Baidu);
    order.baidu = Some(BaiduShape {
        spec: Some("bcc.g5.c2m8".into()),
        cpu_count: Some(4),
        memory_gb: None,
        isomerism_card: None,
    });
    order.system_disk = Some(Disk {
        category: None,
        size_gb: Some(20),
    });
    order.network.bandwidth_mbps = Some(500);
    order.hostname = Some("Etl_worker".into());
    order.login.password = Some("Spot2026&".into());
    order.client_token = Some("c".repeat(65));
    order.dry_run = true;
    let validation = validate(&order, &context());
    assert_eq!(
        rules(&validation),
        [
            ("baidu.memory_gb", "baidu.shape.matches_spec", Severity::Warning),
            ("system_disk.size_gb", "baidu.root_disk.range", Severity::Error),
            (
                "network.bandwidth_mbps",
                "baidu.network_capacity.range",
                Severity::Error
            ),
            ("hostname", "baidu.hostname.format", Severity::Error),
            ("login.password", "baidu.admin_pass.format", Severity::Error),
            ("client_token", "baidu.client_token.format", Severity::Error),
            ("dry_run", "baidu.dry_run.unsupported", Severity::Warning),
        ]
    );
    assert!(
        validation.problems[1]
            .source
            .as_deref()
            .unwrap()
            .contains("a range of [40 to 2,048]GB")
    );
}

#[test]
fn baidu_sends_each_instances_data_disks() {
    // Two instances with one disk each: Baidu splits createCdsList among the instances, so it holds two disks;
    // with two disks each, four.
    let mut order = example(Cloud::Baidu);
    let sizes = |order: &SpotOrder| {
        let valid = validate(order, &context()).valid.unwrap();
        let request = crate::order::request::build_order_request(
            &valid,
            &crate::order::request::BuildOptions {
                client_token: "t".into(),
                baidu_admin_pass: crate::order::request::AdminPass::Placeholder,
            },
        );
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        body["createCdsList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|disk| disk["cdsSizeInGB"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(sizes(&order), [50, 50]);
    order.data_disks.push(Disk {
        category: None,
        size_gb: Some(100),
    });
    assert_eq!(sizes(&order), [50, 100, 50, 100]);
    order.count = 1;
    assert_eq!(sizes(&order), [50, 100]);
}

#[test]
fn baidu_custom_bid_without_price_uses_baidus_words() {
    let mut order = example(Cloud::Baidu);
    order.bid.max_price = None;
    let validation = validate(&order, &context());
    assert_eq!(
        validation.problems[0].prevents.as_deref(),
        Some("BadRequest: bidPrice can not be null when bidModel is custom")
    );
}

#[test]
fn baidu_bid_is_compared_per_minute() {
    let order = example(Cloud::Baidu);
    // 0.3 CNY/hour is 0.005 CNY/minute: the bid of 0.0052 is above it.
    let ok = ValidationContext {
        market_price: quote("0.3", TimeUnit::Hour),
        ..context()
    };
    assert!(validate(&order, &ok).problems.is_empty());
    let high = ValidationContext {
        market_price: quote("0.0052", TimeUnit::Minute),
        ..context()
    };
    assert_eq!(
        rules(&validate(&order, &high)),
        [("bid.max_price", "baidu.bid_price.above_market", Severity::Warning)]
    );
}

#[test]
fn baidu_takes_a_client_token_of_64_characters() {
    let mut order = example(Cloud::Baidu);
    order.client_token = Some("c".repeat(64));
    assert!(validate(&order, &context()).problems.is_empty());
    order.client_token = Some("c".repeat(65));
    assert_eq!(
        rules(&validate(&order, &context())),
        [("client_token", "baidu.client_token.format", Severity::Error)]
    );
}

#[test]
fn alibaba_precision_counts_the_digits_that_matter() {
    let mut order = example(Cloud::Alibaba);
    let known = ValidationContext {
        on_demand_price: quote("1", TimeUnit::Hour),
        ..context()
    };
    order.bid.max_price = Some("0.2000".parse().unwrap());
    assert!(validate(&order, &known).problems.is_empty(), "0.2000 is 0.2");
    order.bid.max_price = Some("0.1250".parse().unwrap());
    assert!(
        validate(&order, &known).problems.is_empty(),
        "0.1250 has 3 decimals that matter"
    );
    order.bid.max_price = Some("0.1234".parse().unwrap());
    assert_eq!(
        rules(&validate(&order, &known)),
        [("bid.max_price", "alibaba.spot_price_limit.decimals", Severity::Error)]
    );
}

#[test]
fn tencent_and_baidu_warn_of_digits_past_what_the_app_sends() {
    for (cloud, at_most, past, rule) in [
        (Cloud::Tencent, "0.1230000", "0.12345", "tencent.max_price.decimals"),
        (Cloud::Baidu, "0.000123", "0.0001234", "baidu.bid_price.decimals"),
    ] {
        let mut order = example(cloud);
        order.bid.mode = BidMode::Limit;
        order.bid.max_price = Some(at_most.parse().unwrap());
        let validation = validate(&order, &context());
        assert!(
            !rules(&validation).iter().any(|(_, id, _)| *id == rule),
            "{cloud}: {:?}",
            validation.problems
        );
        order.bid.max_price = Some(past.parse().unwrap());
        let validation = validate(&order, &context());
        let problem = validation.problems.iter().find(|p| p.rule == rule).unwrap();
        assert_eq!(
            (problem.field.as_str(), problem.severity, problem.value.as_str()),
            ("bid.max_price", Severity::Warning, past),
            "a warning: no source gives the precision"
        );
        assert!(validation.valid.is_some(), "{cloud}: still sent as given");
        assert!(
            problem.message_en.contains(&format!("{past} has ")),
            "{}",
            problem.message_en
        );
    }
}

#[test]
fn baidu_shape_comes_from_the_spec() {
    let validation = validate(&example(Cloud::Baidu), &context());
    let valid = validation.valid.unwrap();
    assert_eq!((valid.shape().cpu_count, valid.shape().memory_gb), (Some(2), Some(8)));
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn text() -> impl Strategy<Value = Option<String>> {
        proptest::option::of("\\PC{0,70}")
    }

    proptest! {
        /// Validation never panics, whatever the input.
        #[test]
        fn validation_never_panics(
            cloud in 0_usize..3, count in any::<u32>(), min in proptest::option::of(any::<u32>()),
            price in text(), zone in text(), hostname in text(), password in text(), name in text(),
            token in text(), user_data in text(), release in text(), limit in any::<bool>(),
            duration in proptest::option::of(any::<u8>()), spec in text(), disks in 0_usize..30,
        ) {
            let mut order = example(Cloud::ALL[cloud]);
            order.count = count;
            order.min_count = min;
            order.bid.max_price = price.and_then(|text| text.parse().ok());
            order.bid.mode = if limit { BidMode::Limit } else { BidMode::Market };
            order.bid.spot_duration_hours = duration;
            order.zone = zone;
            order.hostname = hostname;
            order.login.password = password;
            order.name = name;
            order.client_token = token;
            order.user_data = user_data;
            order.auto_release_time = release;
            order.baidu = Some(BaiduShape { spec, ..BaiduShape::default() });
            order.data_disks = vec![Disk::default(); disks];
            let validation = validate(&order, &context());
            prop_assert_eq!(validation.valid.is_some(), !validation.problems.iter().any(|p| p.severity == Severity::Error));
        }
    }
}

#[test]
fn an_order_never_shows_its_password_in_debug_output() {
    let mut order = example(Cloud::Alibaba);
    order.login.password = Some("Hunter2-Spot!".into());
    let shown = format!("{order:?} {:?}", order.login);
    assert!(!shown.contains("Hunter2"), "{shown}");
    assert!(shown.contains("<redacted>"));
}

#[test]
fn a_bang_in_a_host_name_is_refused_by_every_cloud() {
    for (cloud, rule) in [
        (Cloud::Alibaba, "alibaba.hostname.format"),
        (Cloud::Tencent, "tencent.hostname.format"),
        (Cloud::Baidu, "baidu.hostname.format"),
    ] {
        let mut order = example(cloud);
        order.hostname = Some("web!1".into());
        let validation = validate(&order, &context());
        let found: Vec<_> = rules(&validation)
            .into_iter()
            .filter(|(field, ..)| *field == "hostname")
            .collect();
        assert_eq!(found, [("hostname", rule, Severity::Error)], "{cloud}");
        assert!(validation.valid.is_none());
    }
}

#[test]
fn system_disk_sizes_follow_each_clouds_sources() {
    let sized = |cloud: Cloud, size: u32, category: Option<&str>| {
        let mut order = example(cloud);
        order.system_disk = Some(crate::order::model::Disk {
            category: category.map(str::to_owned),
            size_gb: Some(size),
        });
        rules(&validate(&order, &context()))
            .into_iter()
            .filter(|(field, ..)| field.starts_with("system_disk"))
            .map(|(field, rule, severity)| (field.to_owned(), rule.to_owned(), severity))
            .collect::<Vec<_>>()
    };
    let one = |field: &str, rule: &str, severity| vec![(field.to_owned(), rule.to_owned(), severity)];
    // Alibaba: 10 GiB only fits ESSD PL0 / AutoPL (a warning), 0 and 4096 fit no category, a basic disk is 20–500.
    assert_eq!(
        sized(Cloud::Alibaba, 10, None),
        one("system_disk.size_gb", "alibaba.system_disk.small", Severity::Warning)
    );
    assert_eq!(sized(Cloud::Alibaba, 10, Some("cloud_auto")), []);
    assert_eq!(
        sized(Cloud::Alibaba, 4096, None),
        one("system_disk.size_gb", "alibaba.system_disk.size", Severity::Error)
    );
    assert_eq!(
        sized(Cloud::Alibaba, 600, Some("cloud")),
        one("system_disk.size_gb", "alibaba.system_disk.size", Severity::Error)
    );
    assert_eq!(sized(Cloud::Alibaba, 40, None), []);
    // Baidu: the seed's 40–2048.
    assert_eq!(
        sized(Cloud::Baidu, 10, None),
        one("system_disk.size_gb", "baidu.root_disk.range", Severity::Error)
    );
}

#[test]
fn baidu_refuses_only_what_its_sources_refuse() {
    let mut order = example(Cloud::Baidu);
    // The seed allows `_` and `/`, the SDK `.`: a host name using them is accepted.
    order.hostname = Some("etl_worker/a.b".into());
    assert!(validate(&order, &context()).problems.is_empty());
    // Both refuse two specials in a row.
    order.hostname = Some("etl__worker".into());
    assert_eq!(
        rules(&validate(&order, &context())),
        [("hostname", "baidu.hostname.format", Severity::Error)]
    );
    order.hostname = None;
    // A spec Spotplan cannot read, with the size given: a warning, and the given size is sent.
    order.baidu = Some(crate::order::model::BaiduShape {
        spec: Some("bcc.custom-spec".into()),
        cpu_count: Some(4),
        memory_gb: Some(1),
        isomerism_card: None,
    });
    let validation = validate(&order, &context());
    assert_eq!(
        rules(&validation),
        [
            ("baidu.spec", "baidu.spec.format", Severity::Warning),
            ("baidu.memory_gb", "baidu.shape.memory_per_vcpu", Severity::Warning),
        ]
    );
    let valid = validation.valid.unwrap();
    assert_eq!((valid.shape().cpu_count, valid.shape().memory_gb), (Some(4), Some(1)));
}

#[test]
fn baidu_says_which_settings_it_does_not_send() {
    let mut order = example(Cloud::Baidu);
    order.bid.interruption_behavior = Some(crate::order::model::InterruptionBehavior::Terminate);
    order.network.vpc_id = Some("vpc-1".into());
    let validation = validate(&order, &context());
    assert_eq!(
        rules(&validation),
        [
            (
                "bid.interruption_behavior",
                "baidu.field.unsupported",
                Severity::Warning
            ),
            ("network.vpc_id", "baidu.field.unsupported", Severity::Warning),
        ]
    );
    let options = crate::order::request::BuildOptions {
        client_token: "t".into(),
        baidu_admin_pass: crate::order::request::AdminPass::Placeholder,
    };
    let built = crate::order::request::build_order_request(&validation.valid.unwrap(), &options);
    let request = String::from_utf8(built.body).unwrap();
    assert!(!request.contains("vpc-1"), "{request}");
}

#[test]
fn alibaba_and_baidu_zones_belong_to_the_region() {
    let mut order = example(Cloud::Baidu);
    order.zone = Some("cn-gz-a".into());
    assert_eq!(order.region, "bj", "the example is a Beijing order");
    assert_eq!(
        rules(&validate(&order, &context())),
        [("zone", "baidu.zone.in_region", Severity::Error)]
    );
    order.zone = Some("cn-bj-a".into());
    assert!(validate(&order, &context()).problems.is_empty());

    let mut order = example(Cloud::Alibaba);
    order.region = "ap-southeast-1".into();
    order.zone = Some("ap-southeast-1a".into());
    assert!(
        !rules(&validate(&order, &context()))
            .iter()
            .any(|(field, _, _)| *field == "zone"),
        "Singapore's zones carry the letter without a hyphen"
    );
    order.region = "cn-hangzhou".into();
    order.zone = Some("cn-shanghai-b".into());
    assert_eq!(
        rules(&validate(&order, &context()))
            .into_iter()
            .filter(|(field, _, _)| *field == "zone")
            .collect::<Vec<_>>(),
        [("zone", "alibaba.zone.in_region", Severity::Warning)]
    );
}

#[test]
fn alibaba_instance_names_are_refused_only_for_their_length() {
    let mut order = example(Cloud::Alibaba);
    order.name = Some("1st-batch".into());
    assert_eq!(
        name_rules(&order),
        [(
            "name".to_owned(),
            "alibaba.instance_name.format".to_owned(),
            Severity::Warning
        )]
    );
    order.name = Some("x".into());
    assert_eq!(
        name_rules(&order),
        [(
            "name".to_owned(),
            "alibaba.instance_name.length".to_owned(),
            Severity::Error
        )]
    );
}

fn name_rules(order: &SpotOrder) -> Vec<(String, String, Severity)> {
    rules(&validate(order, &context()))
        .into_iter()
        .filter(|(field, _, _)| *field == "name")
        .map(|(field, rule, severity)| (field.to_owned(), rule.to_owned(), severity))
        .collect()
}

#[test]
fn a_quote_in_another_currency_is_converted_with_the_plans_rate_and_says_so() {
    // An international-site Alibaba account pays in USD; the catalog's market price is in CNY.
    let mut order = example(Cloud::Alibaba);
    order.account_currency = Currency::Usd;
    order.bid.max_price = Some("0.039".parse().unwrap());
    let market = ValidationContext {
        // 0.285144 CNY at 7.1286 CNY per USD is 0.04 USD: a bid of 0.039 USD is below it.
        market_price: quote("0.285144", TimeUnit::Hour),
        on_demand_price: quote("7.1286", TimeUnit::Hour),
        exchange_rate: Some(crate::fx::ExchangeRate::default()),
        ..context()
    };
    let validation = validate(&order, &market);
    assert_eq!(
        rules(&validation),
        [(
            "bid.max_price",
            "alibaba.spot_price_limit.below_market",
            Severity::Warning
        )]
    );
    let message = &validation.problems[0].message_en;
    assert!(
        message.contains("0.039 USD is below the market price 0.04 USD"),
        "{message}"
    );
    assert!(
        message.contains("converted from 0.285144 CNY at 7.1286 CNY per USD"),
        "{message}"
    );
    // Read as CNY, 0.039 would have been compared with 0.285144 as if one currency: no longer.
    order.bid.max_price = Some("0.041".parse().unwrap());
    assert!(validate(&order, &market).problems.is_empty());
    // A converted market price a hair above a bid (0.2851462 CNY is 0.04000031 USD) is rounded up, never to the
    // nearest: 0.040 USD is below it (to the nearest it read 0.040000, and the bid passed).
    order.bid.max_price = Some("0.040".parse().unwrap());
    let hair_above = ValidationContext {
        market_price: quote("0.2851462", TimeUnit::Hour),
        ..market
    };
    assert_eq!(
        rules(&validate(&order, &hair_above)),
        [(
            "bid.max_price",
            "alibaba.spot_price_limit.below_market",
            Severity::Warning
        )]
    );
}

#[test]
fn a_quote_in_another_currency_without_a_rate_is_not_compared() {
    let mut order = example(Cloud::Tencent);
    order.account_currency = Currency::Usd;
    let context = ValidationContext {
        market_price: quote("100", TimeUnit::Hour),
        ..context()
    };
    assert_eq!(
        rules(&validate(&order, &context)),
        [("account_currency", "quote.currency.no_rate", Severity::Warning)]
    );
}

/// The arguments of the first call of `function` in `text`, as written (split at top-level commas).
fn arguments<'a>(text: &'a str, function: &str) -> Vec<&'a str> {
    let Some(open) = text.find(function) else {
        return Vec::new();
    };
    let args = &text[open + function.len()..];
    let (mut depth, mut in_string, mut escaped, mut start) = (0, false, false, 0);
    let mut found = Vec::new();
    for (index, c) in args.char_indices() {
        match c {
            '"' if !escaped => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string && depth == 0 => {
                found.push(args[start..index].trim());
                break;
            }
            ')' if !in_string => depth -= 1,
            ',' if !in_string && depth == 0 => {
                found.push(args[start..index].trim());
                start = index + 1;
            }
            _ => {}
        }
        escaped = c == '\\' && !escaped;
    }
    found
}

/// A literal argument's text.
fn literal(argument: &str) -> Option<&str> {
    argument.strip_prefix('"')?.strip_suffix('"')
}

#[test]
fn every_error_level_rule_names_its_source_and_every_source_its_rule() {
    let files = [
        include_str!("../clouds/alibaba/rules.rs"),
        include_str!("../clouds/tencent/rules.rs"),
        include_str!("../clouds/baidu/rules.rs"),
        include_str!("shared_rules.rs"),
    ];
    let mut ids = Vec::new();
    for text in files {
        for (at, _) in text.match_indices("problems.error(") {
            // rule(field, id, prevents): the id is the second argument (a variable in the shared helpers).
            if let Some(id) = arguments(&text[at..], "rule(").get(1).and_then(|id| literal(id)) {
                ids.push(id.to_owned());
            }
        }
        for (at, _) in text.match_indices("min_count_in_range(\n") {
            ids.extend(
                arguments(&text[at..], "min_count_in_range(")
                    .get(1)
                    .and_then(|id| literal(id))
                    .map(str::to_owned),
            );
        }
    }
    assert!(ids.len() >= 50, "the scan found {} error rules: {ids:?}", ids.len());
    let unsourced: Vec<&String> = ids.iter().filter(|id| problem::source_of(id).is_none()).collect();
    assert!(
        unsourced.is_empty(),
        "error-level rules without a source: {unsourced:?}"
    );
    // No table names a rule the code no longer has.
    let code = files.concat();
    let tables = [
        crate::order::shared_rules::SOURCES,
        crate::clouds::api(Cloud::Alibaba).rule_sources(),
        crate::clouds::api(Cloud::Tencent).rule_sources(),
        crate::clouds::api(Cloud::Baidu).rule_sources(),
    ];
    for (id, source) in tables.concat() {
        assert!(
            code.matches(&format!("\"{id}\"")).count() >= 2,
            "{id} is in a table but no rule reports it"
        );
        assert!(source.len() > 20, "{id}: {source}");
    }
}

#[test]
fn every_error_a_bad_order_gets_names_where_its_rule_comes_from() {
    for cloud in Cloud::ALL {
        let mut order = example(cloud);
        order.zone = Some("Zone!".into());
        order.count = 0;
        order.image_id = String::new();
        order.hostname = Some("-bad-".into());
        order.client_token = Some("t".repeat(65));
        order.login.password = Some("short".into());
        order.min_count = Some(5);
        order.tags.push(Tag {
            key: String::new(),
            value: "v".into(),
        });
        order.user_data = Some("not base64!".into());
        let validation = validate(&order, &context());
        let errors: Vec<&Problem> = validation
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .collect();
        assert!(errors.len() >= 5, "{cloud}: {errors:#?}");
        for error in errors {
            assert!(error.source.is_some(), "{cloud}: {} has no source", error.rule);
        }
    }
}

#[test]
fn a_baidu_gpu_spec_asks_for_its_card_and_sends_it() {
    let mut order = example(Cloud::Baidu);
    order.baidu = Some(BaiduShape {
        spec: Some("bcc.lgn1.c12m40.1p40".into()),
        ..BaiduShape::default()
    });
    let validation = validate(&order, &context());
    assert_eq!(
        rules(&validation),
        [(
            "baidu.isomerism_card",
            "baidu.isomerism_card.for_gpu_spec",
            Severity::Warning
        )]
    );
    assert_eq!(
        (
            validation.valid.as_ref().unwrap().shape().cpu_count,
            validation.valid.as_ref().unwrap().shape().memory_gb
        ),
        (Some(12), Some(40))
    );
    order.baidu.as_mut().unwrap().isomerism_card = Some("Nvidia P40".into());
    let valid = validate(&order, &context()).valid.unwrap();
    let request = crate::order::request::build_order_request(
        &valid,
        &crate::order::request::BuildOptions {
            client_token: "t".into(),
            baidu_admin_pass: crate::order::request::AdminPass::Placeholder,
        },
    );
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["isomerismCard"], "Nvidia P40");
    assert_eq!(body["spec"], "bcc.lgn1.c12m40.1p40");
}

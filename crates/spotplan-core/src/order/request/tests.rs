//! Request construction tests on the shipped example orders: hosts, flattened parameters, bodies.

use serde_json::Value;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::clouds::Cloud;
use crate::order::tests::example;
use crate::order::{ValidationContext, validate};

fn build(cloud: Cloud) -> HttpRequest {
    let valid = validate(&example(cloud), &ValidationContext::default()).valid.unwrap();
    build_order_request(
        &valid,
        &BuildOptions {
            client_token: "spotplan-7f3a".into(),
            baidu_admin_pass: AdminPass::Placeholder,
        },
    )
}

#[test]
fn alibaba_run_instances_flattens_like_the_sdk() {
    let request = build(Cloud::Alibaba);
    assert_eq!(request.host, "ecs-cn-hangzhou.aliyuncs.com");
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/"));
    assert!(request.body.is_empty());
    for (name, value) in [
        ("RegionId", "cn-hangzhou"),
        ("ZoneId", "cn-hangzhou-k"),
        ("InstanceChargeType", "PostPaid"),
        ("SpotStrategy", "SpotWithPriceLimit"),
        ("SpotPriceLimit", "0.2"),
        ("SpotDuration", "1"),
        ("SpotInterruptionBehavior", "Terminate"),
        ("Amount", "10"),
        ("MinAmount", "5"),
        ("SecurityGroupId", "sg-bp15ed6xe1yxeycg7o3n"),
        ("SystemDisk.Category", "cloud_essd"),
        ("DataDisk.1.Size", "100"),
        ("Tag.1.Key", "project"),
        ("Tag.1.Value", "渲染 batch 42"),
        ("Tag.2.Value", "ops team"),
        ("ClientToken", "spotplan-7f3a"),
    ] {
        assert_eq!(request.query_value(name), Some(value), "{name}");
    }
    assert_eq!(request.query_value("DryRun"), None);
    assert_eq!(request.header("x-acs-action"), Some("RunInstances"));
    assert_eq!(request.header("x-acs-version"), Some("2014-05-26"));
}

#[test]
fn tencent_run_instances_is_json_with_market_options() {
    let request = build(Cloud::Tencent);
    assert_eq!(request.host, "cvm.tencentcloudapi.com");
    assert_eq!(request.header("x-tc-region"), Some("ap-guangzhou"));
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["InstanceChargeType"], "SPOTPAID");
    assert_eq!(body["InstanceMarketOptions"]["MarketType"], "spot");
    assert_eq!(body["InstanceMarketOptions"]["SpotOptions"]["MaxPrice"], "0.14");
    assert_eq!(
        body["InstanceMarketOptions"]["SpotOptions"]["SpotInstanceType"],
        "one-time"
    );
    assert_eq!(body["Placement"]["Zone"], "ap-guangzhou-6");
    assert_eq!(body["InstanceCount"], 10);
    assert_eq!(body["InternetAccessible"]["PublicIpAssigned"], true);
    assert_eq!(body["TagSpecification"][0]["Tags"][0]["Value"], "build & test");
    assert_eq!(body["ClientToken"], "spotplan-7f3a");
}

#[test]
fn tencent_market_bid_sends_no_market_options() {
    let mut order = example(Cloud::Tencent);
    order.bid = crate::order::Bid::default();
    let valid = validate(&order, &ValidationContext::default()).valid.unwrap();
    let request = build_order_request(
        &valid,
        &BuildOptions {
            client_token: "t".into(),
            baidu_admin_pass: AdminPass::Placeholder,
        },
    );
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert!(body.get("InstanceMarketOptions").is_none());
    assert_eq!(body["InstanceChargeType"], "SPOTPAID");
}

#[test]
fn baidu_bid_carries_the_token_in_the_query_and_camel_case_body() {
    let request = build(Cloud::Baidu);
    assert_eq!(request.host, "bcc.bj.baidubce.com");
    assert_eq!(request.path, "/v2/instance/bid");
    assert_eq!(request.query, [("clientToken".to_owned(), "spotplan-7f3a".to_owned())]);
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["bidModel"], "custom");
    assert_eq!(body["bidPrice"], "0.0052");
    assert_eq!(
        (body["cpuCount"].clone(), body["memoryCapacityInGB"].clone()),
        (2.into(), 8.into())
    );
    assert_eq!(body["purchaseCount"], 2);
    assert_eq!(body["createCdsList"].as_array().unwrap().len(), 2);
    assert_eq!(body["adminPass"], ADMIN_PASS_PLACEHOLDER);
    assert_eq!(body["tags"][0]["tagValue"], "data/etl");
}

#[test]
fn the_order_token_wins_over_the_derived_one() {
    let mut order = example(Cloud::Baidu);
    order.client_token = Some("mine".into());
    let valid = validate(&order, &ValidationContext::default()).valid.unwrap();
    let request = build_order_request(
        &valid,
        &BuildOptions {
            client_token: "derived".into(),
            baidu_admin_pass: AdminPass::Placeholder,
        },
    );
    assert_eq!(request.query_value("clientToken"), Some("mine"));
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::order::model::{BidMode, Disk, InterruptionBehavior, SpotOrder, Tag};
    use crate::order::request::parse::{read_back, sent_part};

    fn tag() -> impl Strategy<Value = Tag> {
        // Values include edge spaces and the characters percent-encoding treats differently.
        let value = prop_oneof!["\\PC{0,16}", " [a-z =&+*~/%]{0,6} ", "[项目 🚀]{0,4}"];
        ("[a-z][a-z0-9 _=&+*~/项目-]{0,12}", value).prop_map(|(key, value)| Tag { key, value })
    }

    prop_compose! {
        fn variant()(
            cloud in 0_usize..3,
            count in 1_u32..8,
            min in proptest::option::of(1_u32..8),
            limit in any::<bool>(),
            price in (1_i64..99_999, 0_u32..=3),
            duration in proptest::option::of(0_u8..=1),
            stop in proptest::option::of(any::<bool>()),
            groups in proptest::collection::vec("sg-[a-z0-9]{6}", 1..4),
            bandwidth in proptest::option::of(0_u32..200),
            disk_size in proptest::option::of(40_u32..500),
            disks in 0_usize..3,
            tags in proptest::collection::vec(tag(), 0..4),
            name in proptest::option::of("[a-z][a-z0-9-]{2,20}"),
            password in proptest::option::of(Just("Spot2026!".to_owned())),
            user_data in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
            protection in any::<bool>(),
            dry_run in any::<bool>(),
            token in proptest::option::of("[a-zA-Z0-9-]{1,40}"),
        ) -> SpotOrder {
            let cloud = Cloud::ALL[cloud];
            let mut order = example(cloud);
            order.count = count;
            order.min_count = min;
            order.bid.mode = if limit { BidMode::Limit } else { BidMode::Market };
            order.bid.max_price = limit.then(|| crate::order::native_bid::BidPrice::new(rust_decimal::Decimal::new(price.0, price.1)));
            order.bid.spot_duration_hours = duration;
            order.bid.interruption_behavior = stop.map(|s| if s { InterruptionBehavior::Stop } else { InterruptionBehavior::Terminate });
            order.network.security_group_ids = groups;
            order.network.bandwidth_mbps = bandwidth;
            order.system_disk = Some(Disk { category: order.system_disk.and_then(|d| d.category), size_gb: disk_size });
            let per_instance = if cloud == Cloud::Baidu { disks * count as usize } else { disks };
            order.data_disks = (0..per_instance).map(|i| Disk { category: (i % 2 == 0).then(|| "cloud_essd".to_owned()), size_gb: Some(50 + i as u32) }).collect();
            order.tags = tags;
            order.name = name;
            order.hostname = None;
            order.login.password = password;
            order.user_data = user_data.map(|bytes| base64_standard(&bytes));
            order.deletion_protection = protection;
            order.dry_run = dry_run;
            order.client_token = token;
            order
        }
    }

    /// Standard Base64 with padding (test helper; the core only checks it).
    fn base64_standard(bytes: &[u8]) -> String {
        const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(TABLE[((n >> (18 - 6 * i)) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// Whatever valid order is built, its request reads back to exactly the part of the order the cloud
        /// receives: nothing is lost, added or altered on the way to the wire.
        #[test]
        fn valid_orders_produce_requests_that_read_back_to_the_same_order(order in variant()) {
            let validation = validate(&order, &ValidationContext::default());
            prop_assume!(validation.valid.is_some());
            let valid = validation.valid.unwrap();
            let request = build_order_request(&valid, &BuildOptions { client_token: "spotplan-prop".into(), baidu_admin_pass: AdminPass::Placeholder });
            let back = read_back(order.cloud, &request, order.baidu.as_ref()).unwrap();
            let mut expected = sent_part(&order);
            expected.client_token = Some(order.client_token.clone().unwrap_or_else(|| "spotplan-prop".into()));
            prop_assert_eq!(back, expected);
        }
    }
}

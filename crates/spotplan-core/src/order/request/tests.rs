//! Request construction tests on the shipped example orders: hosts, flattened parameters, bodies.

use serde_json::Value;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
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

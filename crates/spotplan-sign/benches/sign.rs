//! Benchmarks of each scheme's `sign()` on a RunInstances-sized spot order (budget: ≤ 20 µs per request).
//! Run with `cargo bench -p spotplan-sign --bench sign`; figures go to BENCHMARKS.md.

//! Native only: criterion does not build for wasm32.
#![cfg_attr(target_arch = "wasm32", allow(unused))]

#[cfg(not(target_arch = "wasm32"))]
use std::hint::black_box;

#[cfg(not(target_arch = "wasm32"))]
use criterion::{Criterion, criterion_group, criterion_main};
#[cfg(not(target_arch = "wasm32"))]
use spotplan_sign::{Credentials, SignableRequest, acs3, bce, tc3};

/// `name=value` pairs from a borrowed table.
#[cfg(not(target_arch = "wasm32"))]
fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

/// An Alibaba RunInstances spot order: every business parameter in the query, as both SDK generations send it.
#[cfg(not(target_arch = "wasm32"))]
fn alibaba_run_instances_query() -> Vec<(String, String)> {
    pairs(&[
        ("Action", "RunInstances"),
        ("Version", "2014-05-26"),
        ("Format", "JSON"),
        ("RegionId", "cn-hangzhou"),
        ("ZoneId", "cn-hangzhou-k"),
        ("ImageId", "aliyun_3_x64_20G_alibase_20240819.vhd"),
        ("InstanceType", "ecs.g7.large"),
        ("SecurityGroupId", "sg-bp1fg655nh68xyz9****"),
        ("VSwitchId", "vsw-bp1s5fnvk4gn2tws0****"),
        ("InstanceName", "spotplan-批量-{R:1}"),
        ("HostName", "spot-worker-01"),
        ("InstanceChargeType", "PostPaid"),
        ("SpotStrategy", "SpotWithPriceLimit"),
        ("SpotPriceLimit", "0.125"),
        ("SpotDuration", "1"),
        ("SpotInterruptionBehavior", "Terminate"),
        ("SystemDisk.Category", "cloud_essd"),
        ("SystemDisk.Size", "40"),
        ("DataDisk.1.Category", "cloud_essd"),
        ("DataDisk.1.Size", "100"),
        ("InternetMaxBandwidthOut", "5"),
        ("Amount", "2"),
        ("MinAmount", "1"),
        ("Tag.1.Key", "project"),
        ("Tag.1.Value", "spotplan"),
        ("Tag.2.Key", "owner"),
        ("Tag.2.Value", "运维 团队"),
        (
            "UserData",
            "IyEvYmluL3NoCmVjaG8gaGVsbG8gZnJvbSBzcG90cGxhbiA+IC90bXAvaGVsbG8K",
        ),
        ("ClientToken", "0c593ea1-3bea-11e9-b96b-88e9fe637760"),
        ("DryRun", "false"),
    ])
}

#[cfg(not(target_arch = "wasm32"))]
const TENCENT_RUN_INSTANCES: &str = concat!(
    r#"{"InstanceChargeType": "SPOTPAID", "InstanceMarketOptions": {"MarketType": "spot", "#,
    r#""SpotOptions": {"MaxPrice": "0.0923", "SpotInstanceType": "one-time"}}, "#,
    r#""Placement": {"Zone": "ap-guangzhou-6", "ProjectId": 0}, "ImageId": "img-487zeit5", "#,
    r#""InstanceType": "S5.MEDIUM4", "InstanceCount": 2, "InstanceName": "spotplan-批量", "#,
    r#""SystemDisk": {"DiskType": "CLOUD_BSSD", "DiskSize": 50}, "#,
    r#""DataDisks": [{"DiskType": "CLOUD_BSSD", "DiskSize": 100}], "#,
    r#""VirtualPrivateCloud": {"VpcId": "vpc-2ci6lyg1", "SubnetId": "subnet-0oryydq6"}, "#,
    r#""InternetAccessible": {"InternetChargeType": "TRAFFIC_POSTPAID_BY_HOUR", "#,
    r#""InternetMaxBandwidthOut": 5, "PublicIpAssigned": true}, "SecurityGroupIds": ["sg-5ttxdlaq"], "#,
    r#""LoginSettings": {"KeyIds": ["skey-3glfot13"]}, "#,
    r#""TagSpecification": [{"ResourceType": "instance", "Tags": [{"Key": "project", "#,
    r#""Value": "spotplan"}]}], "#,
    r#""UserData": "IyEvYmluL3NoCmVjaG8gaGVsbG8gZnJvbSBzcG90cGxhbiA+IC90bXAvaGVsbG8K", "#,
    r#""ClientToken": "0c593ea1-3bea-11e9-b96b-88e9fe637760", "DryRun": false}"#,
);

#[cfg(not(target_arch = "wasm32"))]
const BAIDU_BID: &str = concat!(
    r#"{"imageId": "m-A4jJpFzi", "cpuCount": 2, "memoryCapacityInGB": 8, "bidModel": "custom", "#,
    r#""bidPrice": "0.0021", "instanceType": "N3", "billing": {"paymentTiming": "Postpaid", "#,
    r#""reservation": {"reservationLength": 1, "reservationTimeUnit": "Month"}}, "purchaseCount": 2, "#,
    r#""rootDiskSizeInGb": 40, "rootDiskStorageType": "cloud_hp1", "#,
    r#""createCdsList": [{"cdsSizeInGB": 100, "storageType": "hp1", "deleteWithInstance": true}], "#,
    r#""networkCapacityInMbps": 5, "name": "spotplan-bid", "hostname": "spot-worker", "#,
    r#""zoneName": "cn-bj-d", "subnetId": "sbn-ucsthgcc4qr4", "securityGroupId": "g-vbmu9p3jmzqr", "#,
    r#""tags": [{"tagKey": "project", "tagValue": "spotplan"}], "autoSeqSuffix": false, "#,
    r#""isOpenHostnameDomain": false, "isOpenIpv6": false, "relationTag": false, "#,
    r#""cdsAutoRenew": false, "isEipAutoRelatedDelete": false, "autoRenewTimeUnit": "month"}"#,
);

#[cfg(not(target_arch = "wasm32"))]
fn benches(c: &mut Criterion) {
    let credentials = Credentials::new("LTAI5tQ9eXampleKeyId01234", "exampleSecretKey0123456789abcdef");
    let unix_seconds = 1_795_000_000;
    let nonce = "3156853299f313e23d1673dc12e1703d";

    let query = alibaba_run_instances_query();
    let acs3_headers = pairs(&[
        ("x-acs-action", "RunInstances"),
        ("x-acs-version", "2014-05-26"),
        ("accept", "application/json"),
        ("user-agent", "spotplan-proxy/0.1"),
    ]);
    let acs3_request = SignableRequest {
        method: "POST",
        host: "ecs-cn-hangzhou.aliyuncs.com",
        path: "/",
        query: &query,
        headers: &acs3_headers,
        body: b"",
    };
    let acs3_params = acs3::Params { unix_seconds, nonce };
    c.bench_function("acs3::sign RunInstances (30 query params)", |b| {
        b.iter(|| black_box(acs3::sign(black_box(&acs3_request), &credentials, &acs3_params)))
    });

    let tc3_headers = pairs(&[
        ("Content-Type", "application/json"),
        ("X-TC-Action", "RunInstances"),
        ("X-TC-Version", "2017-03-12"),
        ("X-TC-Region", "ap-guangzhou"),
    ]);
    let tc3_request = SignableRequest {
        method: "POST",
        host: "cvm.tencentcloudapi.com",
        path: "/",
        query: &[],
        headers: &tc3_headers,
        body: TENCENT_RUN_INSTANCES.as_bytes(),
    };
    let tc3_params = tc3::Params {
        unix_seconds,
        service: "cvm",
    };
    c.bench_function(
        &format!("tc3::sign RunInstances ({} B JSON body)", TENCENT_RUN_INSTANCES.len()),
        |b| b.iter(|| black_box(tc3::sign(black_box(&tc3_request), &credentials, &tc3_params))),
    );

    let bce_query = pairs(&[("clientToken", "0c593ea1-3bea-11e9-b96b-88e9fe637760")]);
    let bce_headers = pairs(&[("Content-Type", "application/json; charset=utf-8")]);
    let bce_request = SignableRequest {
        method: "POST",
        host: "bcc.bj.baidubce.com",
        path: "/v2/instance/bid",
        query: &bce_query,
        headers: &bce_headers,
        body: BAIDU_BID.as_bytes(),
    };
    let bce_params = bce::Params::new(unix_seconds);
    c.bench_function(&format!("bce::sign bid order ({} B JSON body)", BAIDU_BID.len()), |b| {
        b.iter(|| black_box(bce::sign(black_box(&bce_request), &credentials, &bce_params)))
    });
}

#[cfg(not(target_arch = "wasm32"))]
criterion_group!(name = sign_benches; config = Criterion::default().sample_size(50); targets = benches);
#[cfg(not(target_arch = "wasm32"))]
criterion_main!(sign_benches);

#[cfg(target_arch = "wasm32")]
fn main() {}

//! Tencent CVM `RunInstances` (API version 2017-03-12): a JSON body, the headers the TC3 scheme needs
//! (`X-TC-Action`, `X-TC-Version`, `X-TC-Region`; the signer adds `X-TC-Timestamp` and `Authorization`).

use serde_json::{Map, Value, json};

use crate::order::model::{BidMode, SpotOrder};
use crate::order::request::HttpRequest;

/// The CVM API version.
pub const TENCENT_API_VERSION: &str = "2017-03-12";
/// The SDK's default host; the region travels in `X-TC-Region`.
pub const TENCENT_HOST: &str = "cvm.tencentcloudapi.com";
/// CVM's service name, which TC3's credential scope carries (the SDK's `CvmClient._service`), whatever host a
/// request is sent to.
pub const TENCENT_SERVICE: &str = "cvm";

/// The service whose name TC3's credential scope carries for `action`: VPC's for its network lists, else CVM's.
/// Chosen by the call, not the host, so an endpoint override cannot change it.
pub fn tc3_service(action: &str) -> &'static str {
    if super::resources::VPC_ACTIONS.contains(&action) {
        super::resources::VPC_SERVICE
    } else {
        TENCENT_SERVICE
    }
}

pub(crate) fn run_instances(order: &SpotOrder, client_token: &str) -> HttpRequest {
    let mut body = Map::new();
    let mut put = |name: &str, value: Value| {
        body.insert(name.to_owned(), value);
    };
    put("InstanceChargeType", json!("SPOTPAID"));
    if order.bid.mode == BidMode::Limit {
        let mut spot = Map::new();
        if let Some(price) = order.bid.max_price {
            spot.insert("MaxPrice".into(), json!(price.to_string()));
        }
        spot.insert("SpotInstanceType".into(), json!("one-time"));
        put(
            "InstanceMarketOptions",
            json!({ "MarketType": "spot", "SpotOptions": spot }),
        );
    }
    if let Some(zone) = &order.zone {
        put("Placement", json!({ "Zone": zone }));
    }
    if let Some(instance_type) = &order.instance_type {
        put("InstanceType", json!(instance_type));
    }
    put("ImageId", json!(order.image_id));
    put("InstanceCount", json!(order.count));
    if let Some(min) = order.min_count {
        put("MinCount", json!(min));
    }
    let network = &order.network;
    if network.vpc_id.is_some() || network.subnet_id.is_some() {
        let mut vpc = Map::new();
        if let Some(id) = &network.vpc_id {
            vpc.insert("VpcId".into(), json!(id));
        }
        if let Some(id) = &network.subnet_id {
            vpc.insert("SubnetId".into(), json!(id));
        }
        put("VirtualPrivateCloud", Value::Object(vpc));
    }
    if !network.security_group_ids.is_empty() {
        put("SecurityGroupIds", json!(network.security_group_ids));
    }
    if network.bandwidth_mbps.is_some() || network.internet_charge_type.is_some() {
        let mut internet = Map::new();
        if let Some(charge) = &network.internet_charge_type {
            internet.insert("InternetChargeType".into(), json!(charge));
        }
        if let Some(bandwidth) = network.bandwidth_mbps {
            internet.insert("InternetMaxBandwidthOut".into(), json!(bandwidth));
            internet.insert("PublicIpAssigned".into(), json!(bandwidth > 0));
        }
        put("InternetAccessible", Value::Object(internet));
    }
    if let Some(disk) = &order.system_disk {
        put("SystemDisk", disk_json(disk));
    }
    if !order.data_disks.is_empty() {
        put(
            "DataDisks",
            Value::Array(order.data_disks.iter().map(disk_json).collect()),
        );
    }
    let mut login = Map::new();
    if let Some(password) = &order.login.password {
        login.insert("Password".into(), json!(password));
    }
    if let Some(key) = &order.login.key_pair {
        login.insert("KeyIds".into(), json!([key]));
    }
    if !login.is_empty() {
        put("LoginSettings", Value::Object(login));
    }
    if let Some(name) = &order.name {
        put("InstanceName", json!(name));
    }
    if let Some(hostname) = &order.hostname {
        put("HostName", json!(hostname));
    }
    if !order.tags.is_empty() {
        let tags: Vec<Value> = order
            .tags
            .iter()
            .map(|tag| json!({ "Key": tag.key, "Value": tag.value }))
            .collect();
        put(
            "TagSpecification",
            json!([{ "ResourceType": "instance", "Tags": tags }]),
        );
    }
    if let Some(user_data) = &order.user_data {
        put("UserData", json!(user_data));
    }
    if order.deletion_protection {
        put("DisableApiTermination", json!(true));
    }
    if order.dry_run {
        put("DryRun", json!(true));
    }
    put("ClientToken", json!(client_token));
    api_request(&order.region, "RunInstances", &Value::Object(body))
}

/// Every CVM request Spotplan sends, orders and price queries alike: `POST /` with a JSON body and the action,
/// version and region as `x-tc-*` headers (the signer adds `x-tc-timestamp` and `authorization`).
pub(super) fn api_request(region: &str, action: &str, body: &Value) -> HttpRequest {
    api_request_to(TENCENT_HOST, region, action, body)
}

/// A call of one of Tencent's APIs at `host` (CVM's, or VPC's for networks): the same headers and signature.
pub(super) fn api_request_to(host: &str, region: &str, action: &str, body: &Value) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        scheme: "https".into(),
        host: host.into(),
        path: "/".into(),
        query: Vec::new(),
        headers: vec![
            ("host".into(), host.into()),
            ("content-type".into(), "application/json".into()),
            ("x-tc-action".into(), action.into()),
            ("x-tc-version".into(), TENCENT_API_VERSION.into()),
            ("x-tc-region".into(), region.into()),
        ],
        body: serde_json::to_vec(body).unwrap_or_default(),
        action: action.into(),
    }
}

fn disk_json(disk: &crate::order::model::Disk) -> Value {
    let mut map = Map::new();
    if let Some(category) = &disk.category {
        map.insert("DiskType".into(), json!(category));
    }
    if let Some(size) = disk.size_gb {
        map.insert("DiskSize".into(), json!(size));
    }
    Value::Object(map)
}

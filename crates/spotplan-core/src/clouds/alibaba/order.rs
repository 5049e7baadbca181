//! Alibaba ECS `RunInstances` (RPC style, API version 2014-05-26): every business parameter in the query,
//! flattened with dots and 1-based indexes the way the SDKs do, booleans and floats formatted as the official
//! Python SDKs send them (`True`, `0.2`). The signer adds time, nonce and the signature.

use rust_decimal::Decimal;

use crate::order::model::{BidMode, InterruptionBehavior, SpotOrder};
use crate::order::request::HttpRequest;

/// The ECS API version.
pub const ALIBABA_API_VERSION: &str = "2014-05-26";

/// The regional ECS endpoint: `ecs.<region>.aliyuncs.com`, except cn-hangzhou, which the SDKs' endpoint map
/// sends to `ecs-cn-hangzhou.aliyuncs.com`.
pub fn alibaba_host(region: &str) -> String {
    if region == "cn-hangzhou" {
        "ecs-cn-hangzhou.aliyuncs.com".into()
    } else {
        format!("ecs.{region}.aliyuncs.com")
    }
}

/// A boolean as the Python SDKs send it (`str(True)`).
fn python_bool(value: bool) -> String {
    if value { "True".into() } else { "False".into() }
}

/// A price as the Python SDKs send a float (`str(float)`): shortest decimal, always with a fraction (`1.0`).
pub(super) fn python_float(value: Decimal) -> String {
    let text = value.normalize().to_string();
    if text.contains('.') { text } else { format!("{text}.0") }
}

pub(crate) fn run_instances(order: &SpotOrder, client_token: &str) -> HttpRequest {
    let mut query: Vec<(String, String)> = Vec::new();
    let mut put = |name: &str, value: String| query.push((name.to_owned(), value));
    put("RegionId", order.region.clone());
    if let Some(zone) = &order.zone {
        put("ZoneId", zone.clone());
    }
    if let Some(instance_type) = &order.instance_type {
        put("InstanceType", instance_type.clone());
    }
    put("ImageId", order.image_id.clone());
    put("InstanceChargeType", "PostPaid".into());
    match order.bid.mode {
        BidMode::Market => put("SpotStrategy", "SpotAsPriceGo".into()),
        BidMode::Limit => {
            put("SpotStrategy", "SpotWithPriceLimit".into());
            if let Some(price) = order.bid.max_price {
                put("SpotPriceLimit", python_float(price.amount()));
            }
        }
    }
    if let Some(duration) = order.bid.spot_duration_hours {
        put("SpotDuration", duration.to_string());
    }
    if let Some(behavior) = order.bid.interruption_behavior {
        let text = match behavior {
            InterruptionBehavior::Terminate => "Terminate",
            InterruptionBehavior::Stop => "Stop",
        };
        put("SpotInterruptionBehavior", text.into());
    }
    put("Amount", order.count.to_string());
    if let Some(min) = order.min_count {
        put("MinAmount", min.to_string());
    }
    if let Some(vswitch) = &order.network.subnet_id {
        put("VSwitchId", vswitch.clone());
    }
    match order.network.security_group_ids.as_slice() {
        [] => {}
        [one] => put("SecurityGroupId", one.clone()),
        many => {
            for (index, group) in many.iter().enumerate() {
                put(&format!("SecurityGroupIds.{}", index + 1), group.clone());
            }
        }
    }
    if let Some(bandwidth) = order.network.bandwidth_mbps {
        put("InternetMaxBandwidthOut", bandwidth.to_string());
    }
    if let Some(charge) = &order.network.internet_charge_type {
        put("InternetChargeType", charge.clone());
    }
    if let Some(disk) = &order.system_disk {
        if let Some(category) = &disk.category {
            put("SystemDisk.Category", category.clone());
        }
        if let Some(size) = disk.size_gb {
            put("SystemDisk.Size", size.to_string());
        }
    }
    for (index, disk) in order.data_disks.iter().enumerate() {
        if let Some(category) = &disk.category {
            put(&format!("DataDisk.{}.Category", index + 1), category.clone());
        }
        if let Some(size) = disk.size_gb {
            put(&format!("DataDisk.{}.Size", index + 1), size.to_string());
        }
    }
    if let Some(key_pair) = &order.login.key_pair {
        put("KeyPairName", key_pair.clone());
    }
    if let Some(password) = &order.login.password {
        put("Password", password.clone());
    }
    if let Some(name) = &order.name {
        put("InstanceName", name.clone());
    }
    if let Some(hostname) = &order.hostname {
        put("HostName", hostname.clone());
    }
    for (index, tag) in order.tags.iter().enumerate() {
        put(&format!("Tag.{}.Key", index + 1), tag.key.clone());
        put(&format!("Tag.{}.Value", index + 1), tag.value.clone());
    }
    if let Some(user_data) = &order.user_data {
        put("UserData", user_data.clone());
    }
    if order.deletion_protection {
        put("DeletionProtection", python_bool(true));
    }
    if let Some(release) = &order.auto_release_time {
        put("AutoReleaseTime", release.clone());
    }
    if order.dry_run {
        put("DryRun", python_bool(true));
    }
    put("ClientToken", client_token.to_owned());
    rpc_request(&order.region, "RunInstances", query)
}

/// Every ECS request Spotplan sends, orders and price queries alike: RPC style, the parameters in the query,
/// `POST /`, an empty body, and the headers ACS3 signs (`host`, `x-acs-action`, `x-acs-version`, `accept`).
pub(super) fn rpc_request(region: &str, action: &str, query: Vec<(String, String)>) -> HttpRequest {
    rpc_request_to(alibaba_host(region), ALIBABA_API_VERSION, action, query)
}

/// An RPC-style call of another Alibaba product's API (VPC's `2016-04-28`) at `host`: the same protocol and
/// signature as ECS's.
pub(super) fn rpc_request_to(host: String, version: &str, action: &str, query: Vec<(String, String)>) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        scheme: "https".into(),
        headers: vec![
            ("host".into(), host.clone()),
            ("x-acs-action".into(), action.into()),
            ("x-acs-version".into(), version.into()),
            ("accept".into(), "application/json".into()),
        ],
        host,
        path: "/".into(),
        query,
        body: Vec::new(),
        action: action.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn floats_and_bools_match_the_python_sdks() {
        assert_eq!(python_float(Decimal::new(2, 1)), "0.2");
        assert_eq!(python_float(Decimal::new(100, 2)), "1.0");
        assert_eq!(python_float(Decimal::new(125, 3)), "0.125");
        assert_eq!(python_bool(true), "True");
    }

    #[test]
    fn hangzhou_uses_the_sdk_endpoint_exception() {
        assert_eq!(alibaba_host("cn-hangzhou"), "ecs-cn-hangzhou.aliyuncs.com");
        assert_eq!(alibaba_host("cn-beijing"), "ecs.cn-beijing.aliyuncs.com");
    }
}

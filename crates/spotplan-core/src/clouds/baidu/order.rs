//! Baidu BCC `POST /v2/instance/bid?clientToken=…` (create spot instances) on `bcc.<region>.baidubce.com`,
//! with the JSON body the official SDK sends (camelCase fields, `billing` always present).

use serde_json::{Map, Value, json};

use crate::order::ValidOrder;
use crate::order::model::BidMode;
use crate::order::request::{AdminPass, HttpRequest};

/// Shown in snippets where the encrypted password goes.
pub const ADMIN_PASS_PLACEHOLDER: &str = "<adminPass: AES-128-ECB of the password with the first 16 characters of your Secret Access Key, hex; the proxy does this>";

/// The regional BCC endpoint, e.g. `bcc.bj.baidubce.com`.
pub fn baidu_host(region: &str) -> String {
    format!("bcc.{region}.baidubce.com")
}

pub(crate) fn create_bid_instance(valid: &ValidOrder, client_token: &str, admin_pass: &AdminPass) -> HttpRequest {
    let order = valid.order();
    let mut body = Map::new();
    let mut put = |name: &str, value: Value| {
        body.insert(name.to_owned(), value);
    };
    put("imageId", json!(order.image_id));
    if let Some(instance_type) = &order.instance_type {
        put("instanceType", json!(instance_type));
    }
    if let Some(spec) = order.baidu.as_ref().and_then(|shape| shape.spec.as_ref()) {
        put("spec", json!(spec));
    }
    // The card of a GPU/FPGA spec (seed: isomerismCard, "information about heterogeneous cards to be carried by
    // the instance"). The count is the spec's; bce-python-sdk 0.9.79 sends cardCount only with the obsolete
    // gpuCard/fpgaCard, so neither does Spotplan.
    if let Some(card) = order.baidu.as_ref().and_then(|shape| shape.isomerism_card.as_ref()) {
        put("isomerismCard", json!(card));
    }
    let shape = valid.shape();
    put("cpuCount", json!(shape.cpu_count.unwrap_or_default()));
    put("memoryCapacityInGB", json!(shape.memory_gb.unwrap_or_default()));
    match order.bid.mode {
        BidMode::Market => put("bidModel", json!("market")),
        BidMode::Limit => {
            put("bidModel", json!("custom"));
            if let Some(price) = order.bid.max_price {
                put("bidPrice", json!(price.to_string()));
            }
        }
    }
    put(
        "billing",
        json!({ "paymentTiming": "Postpaid", "reservation": { "reservationLength": 1, "reservationTimeUnit": "Month" } }),
    );
    put("purchaseCount", json!(order.count));
    if let Some(disk) = &order.system_disk {
        if let Some(size) = disk.size_gb {
            put("rootDiskSizeInGb", json!(size));
        }
        if let Some(category) = &disk.category {
            put("rootDiskStorageType", json!(category));
        }
    }
    if !order.data_disks.is_empty() {
        // The order's disks are each instance's. Baidu splits createCdsList among the instances: it refuses a list
        // whose length is not a multiple of purchaseCount (seed error Instance.InstanceCountCdsCountNotMatchException,
        // "Cds count must be multiple number of Instance count"). So the list holds every instance's disks.
        let disks: Vec<Value> = std::iter::repeat_n(&order.data_disks, order.count as usize)
            .flatten()
            .map(|disk| {
                let mut map = Map::new();
                if let Some(size) = disk.size_gb {
                    map.insert("cdsSizeInGB".into(), json!(size));
                }
                map.insert("storageType".into(), json!(disk.category.as_deref().unwrap_or("hp1")));
                Value::Object(map)
            })
            .collect();
        put("createCdsList", Value::Array(disks));
    }
    // 0 (no public IP) is Baidu's default, and the SDK leaves it out; sending it only when positive keeps this body
    // equal to what the SDK (and so the Python snippet) sends.
    if let Some(bandwidth) = order.network.bandwidth_mbps.filter(|&bandwidth| bandwidth > 0) {
        put("networkCapacityInMbps", json!(bandwidth));
    }
    if let Some(charge) = &order.network.internet_charge_type {
        put("internetChargeType", json!(charge));
    }
    if let Some(name) = &order.name {
        put("name", json!(name));
    }
    if let Some(hostname) = &order.hostname {
        put("hostname", json!(hostname));
    }
    if order.login.password.is_some() {
        let value = match admin_pass {
            AdminPass::Encrypted(hex) => hex.clone(),
            AdminPass::Placeholder => ADMIN_PASS_PLACEHOLDER.to_owned(),
        };
        put("adminPass", json!(value));
    }
    if let Some(zone) = &order.zone {
        put("zoneName", json!(zone));
    }
    if let Some(subnet) = &order.network.subnet_id {
        put("subnetId", json!(subnet));
    }
    match order.network.security_group_ids.as_slice() {
        [] => {}
        [one] => put("securityGroupId", json!(one)),
        many => put("securityGroupIds", json!(many)),
    }
    if let Some(key_pair) = &order.login.key_pair {
        put("keypairId", json!(key_pair));
    }
    if !order.tags.is_empty() {
        let tags: Vec<Value> = order
            .tags
            .iter()
            .map(|tag| json!({ "tagKey": tag.key, "tagValue": tag.value }))
            .collect();
        put("tags", Value::Array(tags));
    }
    if let Some(user_data) = &order.user_data {
        put("userData", json!(user_data));
    }
    if order.deletion_protection {
        put("deletionProtection", json!(1));
    }
    post(
        &order.region,
        "/v2/instance/bid",
        "CreateBidInstance",
        client_token,
        body,
    )
}

/// Every BCC read Spotplan sends (instances, the account's resources, an image): `GET` a path with `query`, no body.
pub(super) fn get(region: &str, path: &str, action: &str, query: Vec<(String, String)>) -> HttpRequest {
    let host = baidu_host(region);
    HttpRequest {
        method: "GET".into(),
        scheme: "https".into(),
        headers: vec![("host".into(), host.clone())],
        host,
        path: path.into(),
        query,
        body: Vec::new(),
        action: action.into(),
    }
}

/// Every BCC request Spotplan sends, orders and price queries alike: `POST` to a path with the `clientToken` in
/// the query and a JSON body (the signer adds `x-bce-date`, the body hash and `authorization`).
pub(super) fn post(
    region: &str,
    path: &str,
    action: &str,
    client_token: &str,
    body: Map<String, Value>,
) -> HttpRequest {
    let host = baidu_host(region);
    HttpRequest {
        method: "POST".into(),
        scheme: "https".into(),
        headers: vec![
            ("host".to_owned(), host.clone()),
            ("content-type".into(), "application/json".into()),
        ],
        host,
        path: path.into(),
        query: vec![("clientToken".into(), client_token.to_owned())],
        body: serde_json::to_vec(&Value::Object(body)).unwrap_or_default(),
        action: action.into(),
    }
}

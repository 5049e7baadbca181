//! Python code with each cloud's official SDK: tencentcloud-sdk-python (`RunInstancesRequest` from the exact
//! JSON body), alibabacloud_ecs20140526 (typed request models), bce-python-sdk (`create_instance_of_bid`).
//! Credentials come from the clouds' usual environment variables; passwords from `$SPOTPLAN_INSTANCE_PASSWORD`.

use serde_json::Value;

use super::PASSWORD_ENV;
use super::literal::{python_str, python_value};
use crate::cloud::Cloud;
use crate::order::ValidOrder;
use crate::order::model::{BidMode, InterruptionBehavior};
use crate::order::request::HttpRequest;

pub(super) fn render(order: &ValidOrder, request: &HttpRequest) -> String {
    match order.cloud() {
        Cloud::Alibaba => alibaba(order, request),
        Cloud::Tencent => tencent(order, request),
        Cloud::Baidu => baidu(order, request),
    }
}

fn tencent(order: &ValidOrder, request: &HttpRequest) -> String {
    let mut body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let has_password = body.pointer("/LoginSettings/Password").is_some();
    if let Some(password) = body.pointer_mut("/LoginSettings/Password") {
        *password = Value::String("__PASSWORD__".into());
    }
    let literal = python_value(&body, 0).replace("\"__PASSWORD__\"", &format!("os.environ[\"{PASSWORD_ENV}\"]"));
    let _ = has_password;
    format!(
        "# pip install tencentcloud-sdk-python-cvm\n\
         import os\n\n\
         from tencentcloud.common import credential\n\
         from tencentcloud.cvm.v20170312 import cvm_client, models\n\n\
         cred = credential.Credential(os.environ[\"TENCENTCLOUD_SECRET_ID\"], os.environ[\"TENCENTCLOUD_SECRET_KEY\"])\n\
         client = cvm_client.CvmClient(cred, {region})\n\
         params = {literal}\n\
         request = models.RunInstancesRequest()\n\
         request._deserialize(params)\n\
         response = client.RunInstances(request)\n\
         print(response.to_json_string())\n",
        region = python_str(&order.order().region),
    )
}

fn alibaba(valid: &ValidOrder, request: &HttpRequest) -> String {
    let order = valid.order();
    let mut args: Vec<(String, String)> = Vec::new();
    let mut arg = |name: &str, value: String| args.push((name.to_owned(), value));
    let text = |value: &str| python_str(value);
    arg("region_id", text(&order.region));
    if let Some(zone) = &order.zone {
        arg("zone_id", text(zone));
    }
    if let Some(instance_type) = &order.instance_type {
        arg("instance_type", text(instance_type));
    }
    arg("image_id", text(&order.image_id));
    arg("instance_charge_type", text("PostPaid"));
    match order.bid.mode {
        BidMode::Market => arg("spot_strategy", text("SpotAsPriceGo")),
        BidMode::Limit => {
            arg("spot_strategy", text("SpotWithPriceLimit"));
            if let Some(price) = request.query_value("SpotPriceLimit") {
                arg("spot_price_limit", price.to_owned());
            }
        }
    }
    if let Some(duration) = order.bid.spot_duration_hours {
        arg("spot_duration", duration.to_string());
    }
    if let Some(behavior) = order.bid.interruption_behavior {
        let name = if behavior == InterruptionBehavior::Stop {
            "Stop"
        } else {
            "Terminate"
        };
        arg("spot_interruption_behavior", text(name));
    }
    arg("amount", order.count.to_string());
    if let Some(min) = order.min_count {
        arg("min_amount", min.to_string());
    }
    if let Some(vswitch) = &order.network.subnet_id {
        arg("v_switch_id", text(vswitch));
    }
    match order.network.security_group_ids.as_slice() {
        [] => {}
        [one] => arg("security_group_id", text(one)),
        many => arg(
            "security_group_ids",
            format!("[{}]", many.iter().map(|g| text(g)).collect::<Vec<_>>().join(", ")),
        ),
    }
    if let Some(bandwidth) = order.network.bandwidth_mbps {
        arg("internet_max_bandwidth_out", bandwidth.to_string());
    }
    if let Some(charge) = &order.network.internet_charge_type {
        arg("internet_charge_type", text(charge));
    }
    if let Some(disk) = &order.system_disk {
        let mut fields = Vec::new();
        if let Some(category) = &disk.category {
            fields.push(format!("category={}", text(category)));
        }
        if let Some(size) = disk.size_gb {
            // The SDK models the system disk size as a string.
            fields.push(format!("size={}", text(&size.to_string())));
        }
        arg(
            "system_disk",
            format!("ecs_models.RunInstancesRequestSystemDisk({})", fields.join(", ")),
        );
    }
    if !order.data_disks.is_empty() {
        let disks: Vec<String> = order
            .data_disks
            .iter()
            .map(|disk| {
                let mut fields = Vec::new();
                if let Some(category) = &disk.category {
                    fields.push(format!("category={}", text(category)));
                }
                if let Some(size) = disk.size_gb {
                    fields.push(format!("size={size}"));
                }
                format!("        ecs_models.RunInstancesRequestDataDisk({}),", fields.join(", "))
            })
            .collect();
        arg("data_disk", format!("[\n{}\n    ]", disks.join("\n")));
    }
    if let Some(key_pair) = &order.login.key_pair {
        arg("key_pair_name", text(key_pair));
    }
    if order.login.password.is_some() {
        arg("password", format!("os.environ[\"{PASSWORD_ENV}\"]"));
    }
    if let Some(name) = &order.name {
        arg("instance_name", text(name));
    }
    if let Some(hostname) = &order.hostname {
        arg("host_name", text(hostname));
    }
    if !order.tags.is_empty() {
        let tags: Vec<String> = order
            .tags
            .iter()
            .map(|tag| {
                format!(
                    "        ecs_models.RunInstancesRequestTag(key={}, value={}),",
                    text(&tag.key),
                    text(&tag.value)
                )
            })
            .collect();
        arg("tag", format!("[\n{}\n    ]", tags.join("\n")));
    }
    if let Some(user_data) = &order.user_data {
        arg("user_data", text(user_data));
    }
    if order.deletion_protection {
        arg("deletion_protection", "True".into());
    }
    if let Some(release) = &order.auto_release_time {
        arg("auto_release_time", text(release));
    }
    if order.dry_run {
        arg("dry_run", "True".into());
    }
    if let Some(token) = request.query_value("ClientToken") {
        arg("client_token", text(token));
    }
    let args: Vec<String> = args
        .iter()
        .map(|(name, value)| format!("    {name}={value},"))
        .collect();
    format!(
        "# pip install alibabacloud_ecs20140526\n\
         import os\n\n\
         from alibabacloud_ecs20140526 import models as ecs_models\n\
         from alibabacloud_ecs20140526.client import Client\n\
         from alibabacloud_tea_openapi import utils_models as open_api_models\n\n\
         config = open_api_models.Config(\n    \
             access_key_id=os.environ[\"ALIBABA_CLOUD_ACCESS_KEY_ID\"],\n    \
             access_key_secret=os.environ[\"ALIBABA_CLOUD_ACCESS_KEY_SECRET\"],\n    \
             region_id={region},\n\
         )\n\
         client = Client(config)\n\
         request = ecs_models.RunInstancesRequest(\n{args}\n)\n\
         response = client.run_instances(request)\n\
         print(response.body.to_map())\n",
        region = text(&order.region),
        args = args.join("\n"),
    )
}

fn baidu(valid: &ValidOrder, request: &HttpRequest) -> String {
    let order = valid.order();
    let mut args: Vec<(String, String)> = Vec::new();
    let mut arg = |name: &str, value: String| args.push((name.to_owned(), value));
    let text = |value: &str| python_str(value);
    arg("cpu_count", valid.baidu_cpu_count().to_string());
    arg("memory_capacity_in_gb", valid.baidu_memory_gb().to_string());
    arg("image_id", text(&order.image_id));
    if let Some(instance_type) = &order.instance_type {
        arg("instance_type", text(instance_type));
    }
    if let Some(spec) = order.baidu.as_ref().and_then(|shape| shape.spec.as_ref()) {
        arg("spec", text(spec));
    }
    match order.bid.mode {
        BidMode::Market => arg("bid_model", text("market")),
        BidMode::Limit => {
            arg("bid_model", text("custom"));
            if let Some(price) = &order.bid.max_price {
                arg("bid_price", text(price));
            }
        }
    }
    arg("purchase_count", order.count.to_string());
    if let Some(disk) = &order.system_disk {
        if let Some(size) = disk.size_gb {
            arg("root_disk_size_in_gb", size.to_string());
        }
        if let Some(category) = &disk.category {
            arg("root_disk_storage_type", text(category));
        }
    }
    if !order.data_disks.is_empty() {
        let disks: Vec<String> = order
            .data_disks
            .iter()
            .map(|disk| {
                // A disk without a size sends none (the model's default is None), as the request does.
                let size = disk
                    .size_gb
                    .map(|size| format!("cdsSizeInGB={size}, "))
                    .unwrap_or_default();
                format!(
                    "        bcc_model.CreateCdsModel({size}storageType={}),",
                    text(disk.category.as_deref().unwrap_or("hp1"))
                )
            })
            .collect();
        arg("create_cds_list", format!("[\n{}\n    ]", disks.join("\n")));
    }
    if let Some(bandwidth) = order.network.bandwidth_mbps {
        arg("network_capacity_in_mbps", bandwidth.to_string());
    }
    if let Some(charge) = &order.network.internet_charge_type {
        arg("internet_charge_type", text(charge));
    }
    if let Some(name) = &order.name {
        arg("name", text(name));
    }
    if let Some(hostname) = &order.hostname {
        arg("hostname", text(hostname));
    }
    if order.login.password.is_some() {
        arg("admin_pass", format!("os.environ[\"{PASSWORD_ENV}\"]"));
    }
    if let Some(zone) = &order.zone {
        arg("zone_name", text(zone));
    }
    if let Some(subnet) = &order.network.subnet_id {
        arg("subnet_id", text(subnet));
    }
    match order.network.security_group_ids.as_slice() {
        [] => {}
        [one] => arg("security_group_id", text(one)),
        many => arg(
            "security_group_ids",
            format!("[{}]", many.iter().map(|g| text(g)).collect::<Vec<_>>().join(", ")),
        ),
    }
    if let Some(key_pair) = &order.login.key_pair {
        arg("key_pair_id", text(key_pair));
    }
    if !order.tags.is_empty() {
        let tags: Vec<String> = order
            .tags
            .iter()
            .map(|tag| {
                format!(
                    "        bcc_model.TagModel(tagKey={}, tagValue={}),",
                    text(&tag.key),
                    text(&tag.value)
                )
            })
            .collect();
        arg("tags", format!("[\n{}\n    ]", tags.join("\n")));
    }
    if let Some(user_data) = &order.user_data {
        arg("user_data", text(user_data));
    }
    if order.deletion_protection {
        arg("deletion_protection", "1".into());
    }
    if let Some(token) = request.query_value("clientToken") {
        arg("client_token", text(token));
    }
    let args: Vec<String> = args
        .iter()
        .map(|(name, value)| format!("    {name}={value},"))
        .collect();
    format!(
        "# pip install bce-python-sdk\n\
         import os\n\n\
         from baidubce.auth.bce_credentials import BceCredentials\n\
         from baidubce.bce_client_configuration import BceClientConfiguration\n\
         from baidubce.services.bcc import bcc_client, bcc_model\n\n\
         config = BceClientConfiguration(\n    \
             credentials=BceCredentials(os.environ[\"BCE_ACCESS_KEY_ID\"], os.environ[\"BCE_SECRET_ACCESS_KEY\"]),\n    \
             endpoint={endpoint},\n\
         )\n\
         client = bcc_client.BccClient(config)\n\
         # bid_price is in CNY per minute; the SDK encrypts admin_pass with your secret key.\n\
         response = client.create_instance_of_bid(\n{args}\n)\n\
         print(response)\n",
        endpoint = text(&format!("https://{}", request.host)),
        args = args.join("\n"),
    )
}

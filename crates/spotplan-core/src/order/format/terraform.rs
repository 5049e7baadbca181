//! Terraform HCL: `alicloud_instance` (spot_strategy, spot_price_limit, spot_duration) and
//! `tencentcloud_instance` (SPOTPAID, spot_instance_type, spot_max_price). The Baidu provider has no spot
//! support, which the snippet states instead of inventing one.

use std::fmt::Write;

use super::literal::hcl_str;
use crate::cloud::Cloud;
use crate::order::ValidOrder;
use crate::order::checks::parse_price;
use crate::order::model::{BidMode, SpotOrder};

pub(super) fn render(order: &ValidOrder) -> String {
    match order.cloud() {
        Cloud::Alibaba => alibaba(order.order()),
        Cloud::Tencent => tencent(order.order()),
        Cloud::Baidu => {
            "# The Baidu Cloud Terraform provider (baidubce/baiducloud) has no spot (bid) instance support:\n\
                         # its baiducloud_instance resource creates prepaid or postpaid instances only. Use the\n\
                         # curl, Python SDK or raw HTTP formats to place this order.\n"
                .to_owned()
        }
    }
}

struct Block {
    text: String,
}

impl Block {
    fn new(header: &str) -> Block {
        Block {
            text: format!("{header} {{\n"),
        }
    }
    fn attr(&mut self, name: &str, value: impl AsRef<str>) {
        let _ = writeln!(self.text, "  {name} = {}", value.as_ref());
    }
    fn raw(&mut self, text: &str) {
        self.text.push_str(text);
    }
    fn end(mut self) -> String {
        self.text.push_str("}\n");
        self.text
    }
}

fn string_list(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|item| hcl_str(item)).collect::<Vec<_>>().join(", ")
    )
}

fn tags_map(order: &SpotOrder) -> String {
    let entries: Vec<String> = order
        .tags
        .iter()
        .map(|tag| format!("    {} = {}", hcl_str(&tag.key), hcl_str(&tag.value)))
        .collect();
    format!("{{\n{}\n  }}", entries.join("\n"))
}

fn password_variable() -> &'static str {
    "variable \"instance_password\" {\n  type      = string\n  sensitive = true\n}\n\n"
}

fn alibaba(order: &SpotOrder) -> String {
    let mut text = format!(
        "provider \"alicloud\" {{\n  region = {}\n}}\n\n",
        hcl_str(&order.region)
    );
    if order.login.password.is_some() {
        text.push_str(password_variable());
    }
    let mut block = Block::new("resource \"alicloud_instance\" \"spot\"");
    block.attr("count", order.count.to_string());
    if let Some(zone) = &order.zone {
        block.attr("availability_zone", hcl_str(zone));
    }
    if let Some(instance_type) = &order.instance_type {
        block.attr("instance_type", hcl_str(instance_type));
    }
    block.attr("image_id", hcl_str(&order.image_id));
    block.attr("instance_charge_type", hcl_str("PostPaid"));
    match order.bid.mode {
        BidMode::Market => block.attr("spot_strategy", hcl_str("SpotAsPriceGo")),
        BidMode::Limit => {
            block.attr("spot_strategy", hcl_str("SpotWithPriceLimit"));
            if let Some(price) = order.bid.max_price.as_deref().and_then(parse_price) {
                block.attr("spot_price_limit", price.normalize().to_string());
            }
        }
    }
    if let Some(duration) = order.bid.spot_duration_hours {
        block.attr("spot_duration", duration.to_string());
    }
    if let Some(vswitch) = &order.network.subnet_id {
        block.attr("vswitch_id", hcl_str(vswitch));
    }
    if !order.network.security_group_ids.is_empty() {
        block.attr("security_groups", string_list(&order.network.security_group_ids));
    }
    if let Some(bandwidth) = order.network.bandwidth_mbps {
        block.attr("internet_max_bandwidth_out", bandwidth.to_string());
    }
    if let Some(charge) = &order.network.internet_charge_type {
        block.attr("internet_charge_type", hcl_str(charge));
    }
    if let Some(disk) = &order.system_disk {
        if let Some(category) = &disk.category {
            block.attr("system_disk_category", hcl_str(category));
        }
        if let Some(size) = disk.size_gb {
            block.attr("system_disk_size", size.to_string());
        }
    }
    for disk in &order.data_disks {
        let mut data = String::from("  data_disks {\n");
        if let Some(category) = &disk.category {
            let _ = writeln!(data, "    category = {}", hcl_str(category));
        }
        if let Some(size) = disk.size_gb {
            let _ = writeln!(data, "    size     = {size}");
        }
        data.push_str("  }\n");
        block.raw(&data);
    }
    if let Some(key_pair) = &order.login.key_pair {
        block.attr("key_name", hcl_str(key_pair));
    }
    if order.login.password.is_some() {
        block.attr("password", "var.instance_password");
    }
    if let Some(name) = &order.name {
        block.attr("instance_name", hcl_str(name));
    }
    if let Some(hostname) = &order.hostname {
        block.attr("host_name", hcl_str(hostname));
    }
    if !order.tags.is_empty() {
        block.attr("tags", tags_map(order));
    }
    if let Some(user_data) = &order.user_data {
        block.attr("user_data", hcl_str(user_data));
    }
    if order.deletion_protection {
        block.attr("deletion_protection", "true");
    }
    if let Some(release) = &order.auto_release_time {
        block.attr("auto_release_time", hcl_str(release));
    }
    if order.dry_run {
        block.attr("dry_run", "true");
    }
    text.push_str(&block.end());
    text
}

fn tencent(order: &SpotOrder) -> String {
    let mut text = format!(
        "provider \"tencentcloud\" {{\n  region = {}\n}}\n\n",
        hcl_str(&order.region)
    );
    if order.login.password.is_some() {
        text.push_str(password_variable());
    }
    let mut block = Block::new("resource \"tencentcloud_instance\" \"spot\"");
    block.attr("count", order.count.to_string());
    if let Some(zone) = &order.zone {
        block.attr("availability_zone", hcl_str(zone));
    }
    if let Some(instance_type) = &order.instance_type {
        block.attr("instance_type", hcl_str(instance_type));
    }
    block.attr("image_id", hcl_str(&order.image_id));
    block.attr("instance_charge_type", hcl_str("SPOTPAID"));
    if order.bid.mode == BidMode::Limit {
        block.attr("spot_instance_type", hcl_str("ONE-TIME"));
        if let Some(price) = &order.bid.max_price {
            block.attr("spot_max_price", hcl_str(price));
        }
    }
    if let Some(vpc) = &order.network.vpc_id {
        block.attr("vpc_id", hcl_str(vpc));
    }
    if let Some(subnet) = &order.network.subnet_id {
        block.attr("subnet_id", hcl_str(subnet));
    }
    if !order.network.security_group_ids.is_empty() {
        block.attr(
            "orderly_security_groups",
            string_list(&order.network.security_group_ids),
        );
    }
    if let Some(bandwidth) = order.network.bandwidth_mbps {
        block.attr("internet_max_bandwidth_out", bandwidth.to_string());
        block.attr("allocate_public_ip", (bandwidth > 0).to_string());
    }
    if let Some(charge) = &order.network.internet_charge_type {
        block.attr("internet_charge_type", hcl_str(charge));
    }
    if let Some(disk) = &order.system_disk {
        if let Some(category) = &disk.category {
            block.attr("system_disk_type", hcl_str(category));
        }
        if let Some(size) = disk.size_gb {
            block.attr("system_disk_size", size.to_string());
        }
    }
    for disk in &order.data_disks {
        let mut data = String::from("  data_disks {\n");
        if let Some(category) = &disk.category {
            let _ = writeln!(data, "    data_disk_type = {}", hcl_str(category));
        }
        if let Some(size) = disk.size_gb {
            let _ = writeln!(data, "    data_disk_size = {size}");
        }
        data.push_str("  }\n");
        block.raw(&data);
    }
    if let Some(key_pair) = &order.login.key_pair {
        block.attr("key_ids", string_list(std::slice::from_ref(key_pair)));
    }
    if order.login.password.is_some() {
        block.attr("password", "var.instance_password");
    }
    if let Some(name) = &order.name {
        block.attr("instance_name", hcl_str(name));
    }
    if let Some(hostname) = &order.hostname {
        block.attr("hostname", hcl_str(hostname));
    }
    if !order.tags.is_empty() {
        block.attr("tags", tags_map(order));
    }
    if let Some(user_data) = &order.user_data {
        block.attr("user_data", hcl_str(user_data));
    }
    if order.deletion_protection {
        block.attr("disable_api_termination", "true");
    }
    text.push_str(&block.end());
    text
}

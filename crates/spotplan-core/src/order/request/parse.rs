//! Reads an order request back into the order it carries — the inverse of [`super::build_order_request`] — so a
//! property test can prove that what is sent is exactly the order that was validated. Fields a cloud's request
//! does not carry (see [`sent_part`]) cannot come back and are compared only where they are sent.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

use super::{ADMIN_PASS_PLACEHOLDER, HttpRequest};
use crate::clouds::Cloud;
use crate::order::model::{
    BaiduShape, Bid, BidMode, Disk, InterruptionBehavior, Login, Network, OsFamily, SpotOrder, Tag,
};
use crate::order::native_bid::BidPrice;

/// Why a request could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read the request back: {0}")]
pub struct ParseBackError(String);

fn missing(what: &str) -> ParseBackError {
    ParseBackError(format!("{what} is missing"))
}

/// A price in its shortest form (`0.20` and `0.2` and Python's `1.0` read as `0.2`, `1`).
fn canonical_price(text: &str) -> Option<BidPrice> {
    Decimal::from_str(text)
        .ok()
        .map(|value| BidPrice::new(value.normalize()))
}

/// The part of an order a cloud's request carries: what reading the request back can return.
pub fn sent_part(order: &SpotOrder) -> SpotOrder {
    let mut order = order.clone();
    order.os = OsFamily::Linux;
    // A system disk with neither category nor size sends nothing to Alibaba or Baidu.
    if order.cloud != Cloud::Tencent
        && order
            .system_disk
            .as_ref()
            .is_some_and(|d| d.category.is_none() && d.size_gb.is_none())
    {
        order.system_disk = None;
    }
    order.bid.max_price = match order.bid.mode {
        BidMode::Limit => order
            .bid
            .max_price
            .map(|price| BidPrice::new(price.amount().normalize())),
        BidMode::Market => None,
    };
    match order.cloud {
        Cloud::Alibaba => {
            order.network.vpc_id = None;
            order.baidu = None;
        }
        Cloud::Tencent => {
            order.bid.spot_duration_hours = None;
            order.bid.interruption_behavior = None;
            order.auto_release_time = None;
            order.baidu = None;
        }
        Cloud::Baidu => {
            order.min_count = None;
            order.bid.spot_duration_hours = None;
            order.bid.interruption_behavior = None;
            order.auto_release_time = None;
            order.dry_run = false;
            order.network.vpc_id = None;
            if order.network.bandwidth_mbps == Some(0) {
                order.network.bandwidth_mbps = None;
            }
            for disk in &mut order.data_disks {
                disk.category.get_or_insert_with(|| "hp1".to_owned());
            }
            // The password travels encrypted: only its presence comes back.
            if order.login.password.is_some() {
                order.login.password = Some(ADMIN_PASS_PLACEHOLDER.to_owned());
            }
        }
    }
    order
}

/// Reads an order request back into the order it carries (see [`sent_part`]). `baidu_shape` is the cpu and
/// memory the Baidu request carries, which the order may have named through its spec instead.
pub fn read_back(
    cloud: Cloud,
    request: &HttpRequest,
    original_baidu: Option<&BaiduShape>,
) -> Result<SpotOrder, ParseBackError> {
    match cloud {
        Cloud::Alibaba => alibaba(request),
        Cloud::Tencent => tencent(request),
        Cloud::Baidu => baidu(request, original_baidu),
    }
}

fn empty_order(cloud: Cloud, region: String) -> SpotOrder {
    SpotOrder {
        cloud,
        account_currency: crate::Currency::Cny,
        region,
        zone: None,
        instance_type: None,
        baidu: None,
        image_id: String::new(),
        count: 0,
        min_count: None,
        bid: Bid::default(),
        network: Network::default(),
        system_disk: None,
        data_disks: Vec::new(),
        login: Login::default(),
        os: OsFamily::Linux,
        name: None,
        hostname: None,
        tags: Vec::new(),
        user_data: None,
        deletion_protection: false,
        auto_release_time: None,
        dry_run: false,
        client_token: None,
    }
}

fn number<T: FromStr>(text: &str, what: &str) -> Result<T, ParseBackError> {
    text.parse()
        .map_err(|_| ParseBackError(format!("{what} `{text}` is not a number")))
}

fn alibaba(request: &HttpRequest) -> Result<SpotOrder, ParseBackError> {
    let query: BTreeMap<&str, &str> = request.query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let get = |name: &str| query.get(name).map(|value| (*value).to_owned());
    let mut order = empty_order(Cloud::Alibaba, get("RegionId").ok_or_else(|| missing("RegionId"))?);
    order.zone = get("ZoneId");
    order.instance_type = get("InstanceType");
    order.image_id = get("ImageId").unwrap_or_default();
    order.bid.mode = if get("SpotStrategy").as_deref() == Some("SpotWithPriceLimit") {
        BidMode::Limit
    } else {
        BidMode::Market
    };
    order.bid.max_price = get("SpotPriceLimit").and_then(|price| canonical_price(&price));
    order.bid.spot_duration_hours = get("SpotDuration").map(|d| number(&d, "SpotDuration")).transpose()?;
    order.bid.interruption_behavior = get("SpotInterruptionBehavior").map(|b| {
        if b == "Stop" {
            InterruptionBehavior::Stop
        } else {
            InterruptionBehavior::Terminate
        }
    });
    order.count = number(&get("Amount").ok_or_else(|| missing("Amount"))?, "Amount")?;
    order.min_count = get("MinAmount").map(|m| number(&m, "MinAmount")).transpose()?;
    order.network.subnet_id = get("VSwitchId");
    order.network.security_group_ids = match get("SecurityGroupId") {
        Some(one) => vec![one],
        None => (1..).map_while(|i| get(&format!("SecurityGroupIds.{i}"))).collect(),
    };
    order.network.bandwidth_mbps = get("InternetMaxBandwidthOut")
        .map(|b| number(&b, "bandwidth"))
        .transpose()?;
    order.network.internet_charge_type = get("InternetChargeType");
    let system_category = get("SystemDisk.Category");
    let system_size = get("SystemDisk.Size")
        .map(|s| number(&s, "SystemDisk.Size"))
        .transpose()?;
    if system_category.is_some() || system_size.is_some() {
        order.system_disk = Some(Disk {
            category: system_category,
            size_gb: system_size,
        });
    }
    for index in 1.. {
        let category = get(&format!("DataDisk.{index}.Category"));
        let size = get(&format!("DataDisk.{index}.Size"))
            .map(|s| number(&s, "DataDisk size"))
            .transpose()?;
        if category.is_none() && size.is_none() {
            break;
        }
        order.data_disks.push(Disk {
            category,
            size_gb: size,
        });
    }
    order.login.key_pair = get("KeyPairName");
    order.login.password = get("Password");
    order.name = get("InstanceName");
    order.hostname = get("HostName");
    for index in 1.. {
        let Some(key) = get(&format!("Tag.{index}.Key")) else {
            break;
        };
        order.tags.push(Tag {
            key,
            value: get(&format!("Tag.{index}.Value")).unwrap_or_default(),
        });
    }
    order.user_data = get("UserData");
    order.deletion_protection = get("DeletionProtection").as_deref() == Some("True");
    order.auto_release_time = get("AutoReleaseTime");
    order.dry_run = get("DryRun").as_deref() == Some("True");
    order.client_token = get("ClientToken");
    Ok(order)
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

fn unsigned(value: &Value) -> Option<u32> {
    value.as_u64().and_then(|n| u32::try_from(n).ok())
}

fn tencent(request: &HttpRequest) -> Result<SpotOrder, ParseBackError> {
    let body: Value = serde_json::from_slice(&request.body).map_err(|e| ParseBackError(e.to_string()))?;
    let region = request
        .header("x-tc-region")
        .ok_or_else(|| missing("X-TC-Region"))?
        .to_owned();
    let mut order = empty_order(Cloud::Tencent, region);
    order.zone = text(&body["Placement"]["Zone"]);
    order.instance_type = text(&body["InstanceType"]);
    order.image_id = text(&body["ImageId"]).unwrap_or_default();
    if body["InstanceMarketOptions"].is_object() {
        order.bid.mode = BidMode::Limit;
        order.bid.max_price =
            text(&body["InstanceMarketOptions"]["SpotOptions"]["MaxPrice"]).and_then(|p| canonical_price(&p));
    }
    order.count = unsigned(&body["InstanceCount"]).ok_or_else(|| missing("InstanceCount"))?;
    order.min_count = unsigned(&body["MinCount"]);
    order.network.vpc_id = text(&body["VirtualPrivateCloud"]["VpcId"]);
    order.network.subnet_id = text(&body["VirtualPrivateCloud"]["SubnetId"]);
    order.network.security_group_ids = body["SecurityGroupIds"]
        .as_array()
        .map(|ids| ids.iter().filter_map(text).collect())
        .unwrap_or_default();
    order.network.bandwidth_mbps = unsigned(&body["InternetAccessible"]["InternetMaxBandwidthOut"]);
    order.network.internet_charge_type = text(&body["InternetAccessible"]["InternetChargeType"]);
    let disk = |value: &Value| Disk {
        category: text(&value["DiskType"]),
        size_gb: unsigned(&value["DiskSize"]),
    };
    if body["SystemDisk"].is_object() {
        order.system_disk = Some(disk(&body["SystemDisk"]));
    }
    order.data_disks = body["DataDisks"]
        .as_array()
        .map(|disks| disks.iter().map(disk).collect())
        .unwrap_or_default();
    order.login.password = text(&body["LoginSettings"]["Password"]);
    order.login.key_pair = text(&body["LoginSettings"]["KeyIds"][0]);
    order.name = text(&body["InstanceName"]);
    order.hostname = text(&body["HostName"]);
    order.tags = body["TagSpecification"][0]["Tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .map(|t| Tag {
                    key: text(&t["Key"]).unwrap_or_default(),
                    value: text(&t["Value"]).unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    order.user_data = text(&body["UserData"]);
    order.deletion_protection = body["DisableApiTermination"].as_bool().unwrap_or(false);
    order.dry_run = body["DryRun"].as_bool().unwrap_or(false);
    order.client_token = text(&body["ClientToken"]);
    Ok(order)
}

fn baidu(request: &HttpRequest, original: Option<&BaiduShape>) -> Result<SpotOrder, ParseBackError> {
    let body: Value = serde_json::from_slice(&request.body).map_err(|e| ParseBackError(e.to_string()))?;
    let region = request
        .host
        .strip_prefix("bcc.")
        .and_then(|rest| rest.strip_suffix(".baidubce.com"))
        .ok_or_else(|| missing("region in the host"))?;
    let mut order = empty_order(Cloud::Baidu, region.to_owned());
    order.zone = text(&body["zoneName"]);
    order.instance_type = text(&body["instanceType"]);
    // The request always carries cpu and memory; the order may have named them through its spec alone.
    let spec = text(&body["spec"]);
    let (cpu, memory) = (unsigned(&body["cpuCount"]), unsigned(&body["memoryCapacityInGB"]));
    let isomerism_card = text(&body["isomerismCard"]);
    order.baidu = Some(match original {
        Some(shape) => BaiduShape {
            spec: spec.clone(),
            cpu_count: shape.cpu_count.and(cpu),
            memory_gb: shape.memory_gb.and(memory),
            isomerism_card,
        },
        None => BaiduShape {
            spec,
            cpu_count: cpu,
            memory_gb: memory,
            isomerism_card,
        },
    });
    order.image_id = text(&body["imageId"]).unwrap_or_default();
    if body["bidModel"] == "custom" {
        order.bid.mode = BidMode::Limit;
        order.bid.max_price = text(&body["bidPrice"]).and_then(|p| canonical_price(&p));
    }
    order.count = unsigned(&body["purchaseCount"]).ok_or_else(|| missing("purchaseCount"))?;
    let root_size = unsigned(&body["rootDiskSizeInGb"]);
    let root_type = text(&body["rootDiskStorageType"]);
    if root_size.is_some() || root_type.is_some() {
        order.system_disk = Some(Disk {
            category: root_type,
            size_gb: root_size,
        });
    }
    let all_disks: Vec<Disk> = body["createCdsList"]
        .as_array()
        .map(|disks| {
            disks
                .iter()
                .map(|d| Disk {
                    category: text(&d["storageType"]),
                    size_gb: unsigned(&d["cdsSizeInGB"]),
                })
                .collect()
        })
        .unwrap_or_default();
    order.data_disks = each_instances_disks(all_disks, order.count);
    order.network.bandwidth_mbps = unsigned(&body["networkCapacityInMbps"]);
    order.network.internet_charge_type = text(&body["internetChargeType"]);
    order.name = text(&body["name"]);
    order.hostname = text(&body["hostname"]);
    order.login.password = text(&body["adminPass"]);
    order.network.subnet_id = text(&body["subnetId"]);
    order.network.security_group_ids = match text(&body["securityGroupId"]) {
        Some(one) => vec![one],
        None => body["securityGroupIds"]
            .as_array()
            .map(|ids| ids.iter().filter_map(text).collect())
            .unwrap_or_default(),
    };
    order.login.key_pair = text(&body["keypairId"]);
    order.tags = body["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .map(|t| Tag {
                    key: text(&t["tagKey"]).unwrap_or_default(),
                    value: text(&t["tagValue"]).unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    order.user_data = text(&body["userData"]);
    order.deletion_protection = body["deletionProtection"] == 1;
    order.client_token = request.query_value("clientToken").map(str::to_owned);
    Ok(order)
}

/// Baidu's createCdsList holds every instance's disks (it is split among the instances): one instance's share when
/// the list is that share repeated for each instance, else the list as it is.
fn each_instances_disks(all: Vec<Disk>, count: u32) -> Vec<Disk> {
    let count = count.max(1) as usize;
    if all.is_empty() || !all.len().is_multiple_of(count) {
        return all;
    }
    let share = all.len() / count;
    let repeated = all.chunks(share).all(|chunk| chunk == &all[..share]);
    if repeated { all[..share].to_vec() } else { all }
}

//! `SpotOrder`: the one JSON shape of an order, shared by the web app, the proxy and the CLI. It is raw input:
//! any value may be wrong; [`super::validate`] turns it into a [`super::ValidOrder`] or lists every problem.

use serde::{Deserialize, Serialize};

use crate::clouds::Cloud;
use crate::money::Currency;
use crate::order::native_bid::BidPrice;

/// An order for spot instances on one cloud, as a person fills it in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SpotOrder {
    /// Which cloud.
    pub cloud: Cloud,
    /// The currency the account is billed in (the China sites bill CNY, the international sites USD): the bid's
    /// currency.
    #[serde(default = "china_site", skip_serializing_if = "is_cny")]
    pub account_currency: Currency,
    /// Region id (`cn-hangzhou`, `ap-guangzhou`, `bj`).
    pub region: String,
    /// Zone id (`cn-hangzhou-k`, `ap-guangzhou-6`, `cn-bj-a`). Required for Alibaba and Tencent spot orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Instance type (`ecs.g7.xlarge`, `S6.MEDIUM4`); for Baidu the optional instance class (`N3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    /// Baidu only: the spec and/or CPU and memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baidu: Option<BaiduShape>,
    /// Image id.
    pub image_id: String,
    /// Instances to create.
    pub count: u32,
    /// Alibaba and Tencent: create at least this many when stock is short (partial fulfilment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<u32>,
    /// The bid.
    pub bid: Bid,
    /// Network placement.
    #[serde(default)]
    pub network: Network,
    /// System disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_disk: Option<Disk>,
    /// Data disks, created with each instance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_disks: Vec<Disk>,
    /// Login: key pair or password.
    #[serde(default)]
    pub login: Login,
    /// Operating system family of the image (decides the hostname rules).
    #[serde(default)]
    pub os: OsFamily,
    /// Instance name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// User data, Base64-encoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,
    /// Alibaba and Baidu: refuse manual release while on.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deletion_protection: bool,
    /// Alibaba: release automatically at this UTC time (`yyyy-MM-ddTHH:mm:ssZ`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_release_time: Option<String>,
    /// Ask the cloud to check the order without creating anything (Alibaba and Tencent).
    #[serde(default, skip_serializing_if = "is_false")]
    pub dry_run: bool,
    /// The idempotency token; the proxy derives one from the idempotency key when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

fn is_false(value: &bool) -> bool {
    !value
}

fn china_site() -> Currency {
    Currency::Cny
}

fn is_cny(currency: &Currency) -> bool {
    *currency == Currency::Cny
}

/// Baidu's ways to name the machine shape.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BaiduShape {
    /// The spec, e.g. `bcc.g5.c2m8`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
    /// vCPUs (`cpuCount`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_count: Option<u32>,
    /// Memory in GB (`memoryCapacityInGB`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_gb: Option<u32>,
    /// The GPU/FPGA card type of a heterogeneous-computing spec (`isomerismCard`), as Baidu names it for the spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isomerism_card: Option<String>,
}

/// How the bid is made, in Spotplan's words (each cloud names them differently).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum BidMode {
    /// Follow the market price up to the cap: Alibaba `SpotAsPriceGo`, Tencent SPOTPAID without MaxPrice,
    /// Baidu `bidModel: market`.
    #[default]
    Market,
    /// A maximum price: Alibaba `SpotWithPriceLimit` + `SpotPriceLimit`, Tencent `MaxPrice`, Baidu
    /// `bidModel: custom` + `bidPrice`.
    Limit,
}

/// What Alibaba does to a reclaimed instance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum InterruptionBehavior {
    /// Release it (default).
    #[default]
    Terminate,
    /// Stop it in economical mode (compute released, disks kept).
    Stop,
}

/// The bid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Bid {
    /// Market or limit.
    #[serde(default)]
    pub mode: BidMode,
    /// The maximum price, a decimal string in the cloud's native unit — per instance-hour for Alibaba and
    /// Tencent, per instance-**minute** for Baidu — and the account's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_price: Option<BidPrice>,
    /// Alibaba: the protection period in hours, 1 (default) or 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot_duration_hours: Option<u8>,
    /// Alibaba: what happens on reclaim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interruption_behavior: Option<InterruptionBehavior>,
}

/// Network placement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// VPC id (Tencent `VirtualPrivateCloud.VpcId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    /// Subnet: Alibaba `VSwitchId`, Tencent `SubnetId`, Baidu `subnetId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    /// Security groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_group_ids: Vec<String>,
    /// Public bandwidth in Mbps (0 = no public IP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth_mbps: Option<u32>,
    /// How public traffic is charged, in the cloud's own words (`PayByTraffic`, `TRAFFIC_POSTPAID_BY_HOUR`,
    /// `BANDWIDTH_POSTPAID_BY_HOUR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internet_charge_type: Option<String>,
}

/// A disk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Disk {
    /// The cloud's disk category (`cloud_essd`, `CLOUD_PREMIUM`, `cloud_hp1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Size in GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_gb: Option<u32>,
}

/// How to log in.
// `Debug` never shows the password, and the password is wiped from memory when dropped.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// Key pair name or id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_pair: Option<String>,
    /// Password (sent only through the proxy; Baidu's is encrypted with the secret key there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("key_pair", &self.key_pair)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Drop for Login {
    fn drop(&mut self) {
        if let Some(password) = &mut self.password {
            zeroize::Zeroize::zeroize(password);
        }
    }
}

/// The image's operating-system family.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OsFamily {
    /// Linux and other Unix-likes.
    #[default]
    Linux,
    /// Windows.
    Windows,
}

/// A tag.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Tag {
    /// Key.
    pub key: String,
    /// Value.
    #[serde(default)]
    pub value: String,
}

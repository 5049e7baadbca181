//! The catalog's record types: sources, regions, instance types, offers and dated price observations.

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::clouds::Cloud;
use crate::money::PriceRate;

/// Where a price or spec came from, shown wherever its figures are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Source {
    /// A short stable key, e.g. `alibaba-cloudpilot-2024-10-09`.
    pub key: String,
    /// A human-readable name.
    pub name: String,
    /// Where it can be read.
    pub url: String,
    /// Its licence, e.g. `Apache-2.0`, or `none stated`.
    pub licence: String,
    /// When its figures were observed or published (`YYYY-MM-DD`).
    pub date: String,
    /// The line to show users (attribution required by the licence, or a citation).
    pub attribution: String,
    /// For a live quote a proxy fetched: what the English `attribution` says, as values a page words in its own
    /// language. `None` for the published sources.
    #[serde(default)]
    pub live: Option<LiveQuote>,
}

/// Which cloud API answered a live quote, when, and how its figures are read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LiveQuote {
    /// The cloud that answered.
    pub cloud: Cloud,
    /// Its API action, e.g. `DescribeSpotPriceHistory`.
    pub action: String,
    /// When the proxy fetched the answer (Unix seconds).
    pub fetched_at: i64,
    /// How the answer's figures are read.
    pub basis: LiveBasis,
}

/// How a live quote's figures are read, where the API's own fields do not say it all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum LiveBasis {
    /// Alibaba spot prices without a protection period (`SpotDuration=0`).
    SpotWithoutProtection,
    /// Alibaba spot prices with a 1-hour protection period (`SpotDuration=1`).
    SpotOneHourProtection,
    /// Alibaba spot prices with the API's default 1-hour protection period (no `SpotDuration` sent).
    SpotDefaultProtection,
    /// Tencent's `UnitPrice` and `UnitPriceDiscount` for this many instances divided by it: per instance-hour for
    /// the whole configuration, the default system disk included.
    WholeConfigurationPerInstanceHour {
        /// The instances the inquiry priced.
        instances: u32,
    },
    /// Baidu's `perMoney`, which states no unit, read as the account's currency per instance per minute.
    PerInstanceMinuteUnconfirmed {
        /// The account's currency.
        currency: crate::money::Currency,
    },
}

impl LiveBasis {
    /// The English words appended to a live source's attribution.
    pub fn english_note(self) -> String {
        match self {
            LiveBasis::SpotWithoutProtection => {
                "; spot prices without a protection period (SpotDuration=0)".to_owned()
            }
            LiveBasis::SpotOneHourProtection => {
                "; spot prices with a 1-hour protection period (SpotDuration=1)".to_owned()
            }
            LiveBasis::SpotDefaultProtection => "; spot prices with the API's default 1-hour protection period".to_owned(),
            LiveBasis::WholeConfigurationPerInstanceHour { instances: 1 } => {
                "; UnitPrice and UnitPriceDiscount per instance-hour for the whole configuration, including the default \
                 system disk"
                    .to_owned()
            }
            LiveBasis::WholeConfigurationPerInstanceHour { instances } => format!(
                "; UnitPrice and UnitPriceDiscount for {instances} instances divided by {instances}, per \
                 instance-hour for the whole configuration, including the default system disk"
            ),
            LiveBasis::PerInstanceMinuteUnconfirmed { currency } => format!(
                "; perMoney taken as {} per instance per minute, the account's currency (the response states no \
                 unit)",
                currency.code()
            ),
        }
    }
}

/// Whether a region can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionStatus {
    /// Open for new instances.
    Open,
    /// Closed by the cloud (e.g. Alibaba ap-southeast-2, Sydney): shown as closed, never as free.
    Closed,
    /// The API id follows the cloud's naming but is not confirmed in the sources: confirm it before relying on it.
    IdUnconfirmed,
}

/// A cloud region: its API id and display names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    /// The cloud it belongs to.
    pub cloud: Cloud,
    /// The id the cloud's API uses (`cn-hangzhou`, `ap-guangzhou`, `bj`).
    pub id: String,
    /// The English display name.
    pub name_en: String,
    /// The Chinese display name.
    pub name_zh: String,
    /// Whether it can be used.
    pub status: RegionStatus,
}

/// A CPU architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    /// x86-64 (Intel, AMD, Hygon).
    X86_64,
    /// 64-bit Arm.
    Arm64,
}

/// An instance type (Baidu: a spec such as `bcc.g5.c2m8`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceType {
    /// The cloud it belongs to.
    pub cloud: Cloud,
    /// The name the API takes (`ecs.g7.xlarge`, `S6.MEDIUM4`, `bcc.g5.c2m8`).
    pub name: String,
    /// Its family (`g7`, `S6`, `g5`).
    pub family: String,
    /// vCPU count.
    pub vcpu: u32,
    /// Memory in GiB (may be fractional, e.g. 0.5).
    pub memory_gib: Decimal,
    /// GPU count; `None` when the source does not say (never guessed as zero).
    pub gpu_count: Option<u32>,
    /// GPU model when known (e.g. `NVIDIA A10`).
    pub gpu_model: Option<String>,
    /// CPU architecture.
    pub arch: Arch,
    /// Anything a user should know about where the spec comes from.
    pub note: Option<String>,
}

/// Whether an offer is known to be sold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Listed in a price source for this region/zone.
    Listed,
    /// The type exists but its sale in this region is not confirmed by any source.
    Unverified,
}

/// An instance type in one region (and zone, where the source is per zone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// Index into [`super::Catalog::regions`].
    pub region: u32,
    /// The zone id, when the source prices per zone (shared: thousands of offers name the same zones).
    pub zone: Option<Arc<str>>,
    /// Index into [`super::Catalog::instance_types`].
    pub instance_type: u32,
    /// Whether the offer is known to be sold.
    pub availability: Availability,
}

/// What a price observation is a price of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PriceKind {
    /// The pay-as-you-go list price.
    OnDemand,
    /// The spot market price.
    Spot,
}

/// One dated price of one offer from one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceObservation {
    /// Index into [`super::Catalog::offers`].
    pub offer: u32,
    /// On-demand or spot.
    pub kind: PriceKind,
    /// The price in its native currency and unit, per instance.
    pub rate: PriceRate,
    /// When it was observed, as Unix seconds (UTC).
    pub observed_at: i64,
    /// Index into [`super::Catalog::sources`].
    pub source: u32,
    /// For Alibaba spot prices: the protection period the price is for (1 hour or 0).
    pub spot_duration_hours: Option<u8>,
}

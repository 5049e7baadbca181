//! `POST /api/v1/signals`: what a cloud says about its spot pools in a region besides prices — Alibaba's 30-day
//! interruption-rate bucket per zone and type (`DescribeSpotAdvice`), Tencent's selling or sold-out status per zone
//! and type (`DescribeZoneInstanceConfigInfos` with `instance-charge-type=SPOTPAID`). Baidu documents neither.

use serde::{Deserialize, Serialize};

use crate::clouds::Cloud;
use crate::fleet::AlibabaBucket;

/// Instance types one signals request may name (Alibaba's `InstanceTypes` takes at most 10).
pub const MAX_SIGNAL_TYPES: usize = 10;

/// The body of `POST /api/v1/signals`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SignalsBody {
    /// The cloud.
    pub cloud: Cloud,
    /// The region.
    pub region: String,
    /// The instance types asked about (1–10).
    pub instance_types: Vec<String>,
}

/// A pool's stock, as the cloud reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Stock {
    /// On sale (Tencent `SELL`), with the cloud's stock category (`EnoughStock`, `NormalStock`, `UnderStock`).
    Selling {
        /// The category, when given.
        category: Option<String>,
    },
    /// Sold out (Tencent `SOLD_OUT`), with the cloud's reason.
    SoldOut {
        /// The reason, when given.
        reason: Option<String>,
    },
}

/// What the cloud says of one pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PoolSignal {
    /// The zone.
    pub zone: String,
    /// The instance type.
    pub instance_type: String,
    /// Alibaba's interruption-rate bucket over 30 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    pub interruption: Option<AlibabaBucket>,
    /// Alibaba's 30-day average spot price as a percentage of pay-as-you-go (20: pay 0.2×).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_spot_percent: Option<u32>,
    /// Tencent's stock status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock: Option<Stock>,
}

/// The answer of `POST /api/v1/signals`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SignalsAnswer {
    /// The pools the cloud reported.
    pub signals: Vec<PoolSignal>,
    /// The call that answered (`DescribeSpotAdvice`, `DescribeZoneInstanceConfigInfos`).
    pub source: String,
    /// When it was fetched (Unix seconds).
    pub fetched_at: i64,
    /// Whether it came from the five-minute cache.
    pub cached: bool,
}

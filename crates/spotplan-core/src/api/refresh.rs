//! `PUT /api/v1/refresh` (turn the price refresher on or off, the pools it walks and its request budget) and `GET
//! /api/v1/refresh` (its progress): the proxy walks the pools through each cloud's price queries within the budget
//! and keeps what changed (see `GET /api/v1/catalog`).

use serde::{Deserialize, Serialize};

use crate::quote::QuoteAsk;

/// Pools one refresher walks at most: a list this long still fits the proxy's 256 KiB body limit (a pool is about
/// 110–200 bytes of JSON; the app sends at most 350).
pub const MAX_REFRESH_POOLS: usize = 1_000;
/// Price queries a minute the refresher sends unless told otherwise: well under the clouds' throttling (Alibaba and
/// Tencent throttle per API at hundreds a minute; Baidu documents none).
pub const DEFAULT_BUDGET_PER_MINUTE: u32 = 60;
/// The most a refresher may be given.
pub const MAX_BUDGET_PER_MINUTE: u32 = 600;
/// Days of history an Alibaba pool is asked for (DescribeSpotPriceHistory returns up to 30).
pub const HISTORY_DAYS: i64 = 30;

/// The body of `PUT /api/v1/refresh`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshSettings {
    /// Whether it runs.
    pub enabled: bool,
    /// The pools it walks, in order (by default the app sends those of recent plans); empty keeps the current list.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(length(max = 1000)))]
    pub pools: Vec<QuoteAsk>,
    /// Price queries a minute at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_per_minute: Option<u32>,
}

/// The answer of both: where the refresher stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RefreshProgress {
    /// Whether it runs.
    pub enabled: bool,
    /// Pools in its list.
    pub pools: u32,
    /// The next pool it asks about (0-based); it starts again at 0 after the last.
    pub cursor: u32,
    /// Whole walks over the list finished.
    pub rounds: u32,
    /// Price queries sent, in all.
    pub calls: u64,
    /// Price changes stored, in all.
    pub stored: u64,
    /// Price queries a minute at most.
    pub budget_per_minute: u32,
    /// The last failure, in words (a pool that failed is passed over until the next round).
    pub last_error: Option<String>,
    /// When it last moved (Unix milliseconds).
    pub updated_at_ms: i64,
}

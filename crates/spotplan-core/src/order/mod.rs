//! Spot orders: the one order shape ([`SpotOrder`]), validation against every documented rule of the order's
//! cloud ([`validate`] → [`ValidOrder`] or every problem at once), and the exact API request each cloud expects
//! ([`request`]).

pub(crate) mod checks;
pub mod format;
pub mod idempotency;
pub mod model;
pub mod native_bid;
pub(crate) mod problem;
pub mod request;
pub(crate) mod shared_rules;

use serde::{Deserialize, Serialize};

pub use model::{BaiduShape, Bid, BidMode, Disk, InterruptionBehavior, Login, Network, OsFamily, SpotOrder, Tag};
pub use problem::{Problem, Severity};

use crate::cloud::Cloud;
use crate::money::PriceRate;

/// A price the checks compare the bid with, in the cloud's native currency and unit, with its date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceQuote {
    /// The price.
    pub rate: PriceRate,
    /// When it was observed (`YYYY-MM-DD`), named in messages.
    pub observed_on: String,
}

/// What validation needs besides the order. Time is an argument: the core reads no clock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationContext {
    /// Now, in Unix seconds (UTC).
    pub now: i64,
    /// The current market (spot) price, when known.
    pub market_price: Option<PriceQuote>,
    /// The pay-as-you-go price, when known.
    pub on_demand_price: Option<PriceQuote>,
}

/// An order that passed every check (warnings may remain). Only [`validate`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidOrder {
    order: SpotOrder,
    baidu_cpu_count: u32,
    baidu_memory_gb: u32,
    warnings: Vec<Problem>,
}

impl ValidOrder {
    /// The order as validated.
    pub fn order(&self) -> &SpotOrder {
        &self.order
    }

    /// The cloud.
    pub fn cloud(&self) -> Cloud {
        self.order.cloud
    }

    /// Baidu: the CPU count (given, or read from the spec).
    pub fn baidu_cpu_count(&self) -> u32 {
        self.baidu_cpu_count
    }

    /// Baidu: the memory in GB (given, or read from the spec).
    pub fn baidu_memory_gb(&self) -> u32 {
        self.baidu_memory_gb
    }

    /// Warnings a person should read before submitting.
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }
}

/// The outcome of validation: every problem, and the valid order when there is no error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    /// Every problem found, errors and warnings, in field order.
    pub problems: Vec<Problem>,
    /// The valid order, when no problem is an error.
    pub valid: Option<ValidOrder>,
}

/// Checks an order against every documented rule of its cloud, reporting all problems at once.
pub fn validate(order: &SpotOrder, context: &ValidationContext) -> Validation {
    let mut problems = problem::Problems::default();
    shared_rules::check(order, &mut problems);
    let baidu_shape = match order.cloud {
        Cloud::Alibaba => {
            crate::clouds::alibaba::rules::check(order, context, &mut problems);
            (0, 0)
        }
        Cloud::Tencent => {
            crate::clouds::tencent::rules::check(order, context, &mut problems);
            (0, 0)
        }
        Cloud::Baidu => crate::clouds::baidu::rules::check(order, context, &mut problems),
    };
    let valid = (!problems.has_errors()).then(|| ValidOrder {
        order: order.clone(),
        baidu_cpu_count: baidu_shape.0,
        baidu_memory_gb: baidu_shape.1,
        warnings: problems.list.clone(),
    });
    Validation {
        problems: problems.list,
        valid,
    }
}

#[cfg(test)]
mod tests;

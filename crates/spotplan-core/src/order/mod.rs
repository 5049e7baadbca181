//! Spot orders: the one order shape ([`SpotOrder`]), validation against every documented rule of the order's
//! cloud ([`validate`] → [`ValidOrder`] or every problem at once), and the exact API request each cloud expects
//! ([`request`]).

pub(crate) mod checks;
pub mod draft;
pub mod format;
pub mod idempotency;
pub mod lookup_tag;
pub mod model;
pub mod native_bid;
pub mod outcome;
pub mod placeholders;
pub(crate) mod problem;
pub mod request;
pub(crate) mod shared_rules;

use serde::{Deserialize, Serialize};

pub use model::{BaiduShape, Bid, BidMode, Disk, InterruptionBehavior, Login, Network, OsFamily, SpotOrder, Tag};
pub use problem::{Problem, Problems, Severity};

use crate::clouds::{Cloud, ResolvedShape};
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
    /// The plan's exchange rate, for comparing the bid with a quote in another currency than the account's; without
    /// one such a quote is not compared (a warning says so).
    pub exchange_rate: Option<crate::fx::ExchangeRate>,
}

/// An order that passed every check (warnings may remain). Only [`validate`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidOrder {
    order: SpotOrder,
    shape: ResolvedShape,
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

    /// What the cloud's checks resolved about the machine shape (Baidu: vCPUs and memory, given or read from
    /// the spec).
    pub fn shape(&self) -> ResolvedShape {
        self.shape
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
    let shape = crate::clouds::api(order.cloud).check(order, context, &mut problems);
    let valid = (!problems.has_errors()).then(|| ValidOrder {
        order: order.clone(),
        shape,
        warnings: problems.list.clone(),
    });
    Validation {
        problems: problems.list,
        valid,
    }
}

#[cfg(test)]
mod tests;

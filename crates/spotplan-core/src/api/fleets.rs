//! `POST /api/v1/fleets` (place a fleet: its orders, one per pool, in the strategy's order, under one idempotency
//! key), `GET /api/v1/fleets` (every fleet with its target, what runs, replacements made and cost so far) and
//! `POST /api/v1/fleets/{id}/stop` (stop maintaining; optionally release its instances).

use serde::{Deserialize, Serialize};

use super::fleet_reason::FleetReasonWords;
use crate::catalog::OfferKey;
use crate::fleet::TargetUnit;
use crate::money::Money;
use crate::order::SpotOrder;

/// One pool of a fleet submission: its order and how many instances the plan gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FleetPool {
    /// The pool.
    pub pool: OfferKey,
    /// Units one instance brings (1 for an instance target, its vCPUs or GiB otherwise).
    pub weight: u32,
    /// Instances the plan gives it at first; 0 for a standby pool, used for shortfalls and replacements.
    pub count: u32,
    /// The order for the pool; its `count` is set by the proxy for each order it places.
    pub order: SpotOrder,
}

/// The body of `POST /api/v1/fleets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FleetSubmission {
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Units to keep.
    pub target: u32,
    /// What a unit is.
    #[serde(default)]
    pub unit: TargetUnit,
    /// Whether the proxy keeps the fleet at its target after reclaims and launch failures.
    pub maintain: bool,
    /// The most the fleet's instances may cost per hour together, at their bids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceiling_per_hour: Option<Money>,
    /// The pools in the strategy's order: replacements come from the first one with stock.
    pub pools: Vec<FleetPool>,
}

/// Where a fleet stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FleetState {
    /// Placing its first orders.
    Placing,
    /// Kept at its target.
    Maintaining,
    /// Placed once and not maintained.
    Placed,
    /// Cannot reach its target (every pool out of stock, the ceiling, an order the cloud refused): the reason says
    /// which; nothing more is ordered.
    Stalled,
    /// Stopped by a person.
    Stopped,
}

impl FleetState {
    /// The state's id.
    pub fn id(self) -> &'static str {
        match self {
            FleetState::Placing => "placing",
            FleetState::Maintaining => "maintaining",
            FleetState::Placed => "placed",
            FleetState::Stalled => "stalled",
            FleetState::Stopped => "stopped",
        }
    }

    /// Reads [`FleetState::id`].
    pub fn from_id(id: &str) -> Option<FleetState> {
        [
            FleetState::Placing,
            FleetState::Maintaining,
            FleetState::Placed,
            FleetState::Stalled,
            FleetState::Stopped,
        ]
        .into_iter()
        .find(|state| state.id() == id)
    }
}

/// One order a fleet placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FleetOrderView {
    /// The fleet's step that placed it (0, 1, …): the order's idempotency key is the fleet's key and the step.
    pub step: u32,
    /// The pool.
    pub pool: OfferKey,
    /// Instances asked.
    pub count: u32,
    /// Whether it replaced instances lost to a reclaim or a failure (the first orders do not).
    pub replacement: bool,
    /// The order's idempotency key.
    pub idempotency_key: String,
    /// The logged order's id, once logged.
    pub order_id: Option<String>,
    /// Its status in the order log.
    pub status: Option<crate::order::outcome::OrderStatus>,
}

/// A fleet as the fleets view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FleetView {
    /// The fleet's id.
    pub id: String,
    /// Its idempotency key.
    pub idempotency_key: String,
    /// Its name.
    pub name: Option<String>,
    /// Where it stands.
    pub state: FleetState,
    /// Why it waits, stalled or stopped, in words.
    pub reason: Option<FleetReasonWords>,
    /// Units to keep.
    pub target: u32,
    /// What a unit is.
    pub unit: TargetUnit,
    /// Whether it is maintained.
    pub maintain: bool,
    /// Units running.
    pub running_units: u32,
    /// Units ordered or starting.
    pub pending_units: u32,
    /// Instances by state: running, pending, being reclaimed, reclaimed, failed, released.
    pub instances: FleetInstanceCounts,
    /// Replacement orders placed.
    pub replacements: u32,
    /// The ceiling.
    pub ceiling_per_hour: Option<Money>,
    /// What its live instances may cost per hour together, at their bids.
    pub hourly_bound: Option<Money>,
    /// What its instances have cost so far at most.
    pub cost_so_far: Option<Money>,
    /// Pools with no stock left, as the clouds answered.
    pub exhausted_pools: Vec<OfferKey>,
    /// Its orders, oldest first.
    pub orders: Vec<FleetOrderView>,
    /// When it was submitted (Unix milliseconds).
    pub created_at_ms: i64,
}

/// Instances of a fleet by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FleetInstanceCounts {
    /// Running.
    pub running: u32,
    /// Starting.
    pub pending: u32,
    /// Under a reclaim notice.
    pub being_reclaimed: u32,
    /// Reclaimed.
    pub reclaimed: u32,
    /// Failed to launch or gone.
    pub failed: u32,
    /// Stopped: it still exists (its disks bill; its compute too unless the cloud stopped it without charge) and is
    /// replaced, not counted toward the target; released with the fleet when its stop asks for it.
    #[serde(default)]
    pub stopped: u32,
    /// Released.
    pub released: u32,
}

/// The answer of `POST /api/v1/fleets` and `GET /api/v1/fleets/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FleetAnswer {
    /// The fleet.
    pub fleet: FleetView,
    /// Whether the key was known and the stored fleet is answered again.
    pub replayed: bool,
}

/// The answer of `GET /api/v1/fleets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FleetList {
    /// Newest first.
    pub fleets: Vec<FleetView>,
}

/// The body of `POST /api/v1/fleets/{id}/stop`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StopFleet {
    /// Release its live instances too.
    #[serde(default)]
    pub release: bool,
}

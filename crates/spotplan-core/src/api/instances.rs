//! `GET /api/v1/instances` (every instance Spotplan placed or was asked to watch, with its state and cost so far)
//! and `POST /api/v1/instances/release` (release instances exactly once, under an idempotency key).

use serde::{Deserialize, Serialize};

use crate::clouds::Cloud;
use crate::lifecycle::{InstanceState, ReleaseOptions};
use crate::money::Money;

/// One instance as the instances page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InstanceView {
    /// The cloud.
    pub cloud: Cloud,
    /// The instance id.
    pub id: String,
    /// The region.
    pub region: String,
    /// The Spotplan order that placed it, when one did.
    pub order_id: Option<String>,
    /// Its state in Spotplan's words.
    pub state: InstanceState,
    /// The cloud's own state word, when a describe answered.
    pub cloud_state: Option<String>,
    /// The zone.
    pub zone: Option<String>,
    /// The instance type or spec.
    pub instance_type: Option<String>,
    /// What it costs per hour at most: the order's bid (or the pay-as-you-go price for a market bid) per instance.
    /// No cloud reports the spot price an instance runs at, so this is an upper bound.
    pub price_per_hour: Option<Money>,
    /// What it has cost so far at most: `price_per_hour` × the time it billed, in the cloud's billing granularity.
    pub cost_so_far: Option<Money>,
    /// When the order placed it (Unix milliseconds).
    pub placed_at_ms: i64,
    /// When Spotplan first saw it running.
    pub running_since_ms: Option<i64>,
    /// When it stopped billing: released, reclaimed or failed.
    pub ended_at_ms: Option<i64>,
    /// The time of earlier stops without charge (its compute not billed) it has since come back from.
    #[serde(default)]
    pub paused_ms: i64,
    /// When the stop without charge it is in now (or ended in) began.
    #[serde(default)]
    pub paused_since_ms: Option<i64>,
    /// When the reclaim notice was first seen.
    pub notice_at_ms: Option<i64>,
    /// When the reclaim takes effect, from the notice and the cloud's notice period (Alibaba and Baidu 5 minutes,
    /// Tencent 2).
    pub reclaim_at_ms: Option<i64>,
    /// Why it failed or is being taken back, in the cloud's words.
    pub reason: Option<String>,
    /// When a describe last answered for it.
    pub last_checked_ms: Option<i64>,
    /// Who placed the order it came from, in team mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placed_by: Option<String>,
}

impl InstanceView {
    /// When it billed.
    pub fn billed_span(&self) -> crate::lifecycle::cost::BilledSpan {
        crate::lifecycle::cost::BilledSpan {
            running_since_ms: self.running_since_ms,
            ended_at_ms: self.ended_at_ms,
            paused_ms: self.paused_ms,
            paused_since_ms: self.paused_since_ms,
        }
    }

    /// Whether its compute bills now: running, announced for reclaim, being released — or stopped while the
    /// cloud did not say its compute stopped billing (counted as billing: a cost is never understated) — and not
    /// in a stop without charge (a stopped instance being released is one).
    pub fn bills_now(&self) -> bool {
        (self.state.bills() || self.state == InstanceState::Stopped) && !self.billed_span().paused()
    }
}

/// The query of `GET /api/v1/instances`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct InstancesQuery {
    /// Only the instances of orders this person placed (team mode).
    #[serde(default)]
    pub placed_by: Option<String>,
    /// Leave out the instances that ended (or, never started, were placed) before this time, in milliseconds since
    /// the Unix epoch, and only count them ([`InstancesAnswer::ended_earlier`]). Instances still live always come:
    /// a book's history grows for ever, what needs watching does not. Absent: every instance.
    #[serde(default)]
    pub ended_since_ms: Option<i64>,
}

/// The answer of `GET /api/v1/instances`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InstancesAnswer {
    /// Newest first.
    pub instances: Vec<InstanceView>,
    /// The proxy's clock when it answered (cost so far is as of then).
    pub now_ms: i64,
    /// How many ended instances were left out by [`InstancesQuery::ended_since_ms`].
    #[serde(default)]
    pub ended_earlier: u64,
}

/// What to release: listed ids, an order's instances, or everything Spotplan started. Exactly one is given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ReleaseBody {
    /// Instances by `cloud` and id (at most [`MAX_RELEASE_TARGETS`]; an order's or all are named otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "schema", schemars(length(max = 1000)))]
    pub instances: Vec<InstanceRef>,
    /// Every instance of one Spotplan order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Every instance Spotplan knows that is not gone.
    #[serde(default)]
    pub all: bool,
    /// How to release.
    #[serde(default)]
    pub options: ReleaseOptions,
}

/// The most instances one release may name by id (`ReleaseBody::instances`): an order's instances, or all, are
/// named by `order_id` or `all`.
pub const MAX_RELEASE_TARGETS: usize = 1000;

/// An instance by cloud and id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct InstanceRef {
    /// The cloud.
    pub cloud: Cloud,
    /// The instance id.
    pub id: String,
}

/// What the cloud said to the release of one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReleaseResult {
    /// The cloud accepted the release.
    Accepted,
    /// The cloud says it is gone already.
    AlreadyGone,
    /// The cloud refused; the instance stays.
    Refused,
    /// No clear answer: the release may have happened. The proxy checks with a describe and never sends it twice.
    Unknown,
}

/// The outcome of one instance's release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReleaseOutcome {
    /// The cloud.
    pub cloud: Cloud,
    /// The instance id.
    pub id: String,
    /// What the cloud said.
    pub result: ReleaseResult,
    /// The cloud's error code, when it gave one.
    pub code: Option<String>,
    /// The cloud's message or why the outcome is unknown.
    pub message: Option<String>,
}

/// The answer of `POST /api/v1/instances/release`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReleaseAnswer {
    /// The idempotency key the release is logged under.
    pub idempotency_key: String,
    /// One outcome per instance.
    pub outcomes: Vec<ReleaseOutcome>,
    /// Whether this answer is the logged outcome of an earlier request with the same key (nothing was sent now).
    pub replayed: bool,
}

/// Instances started outside Spotplan, to watch (and release) like its own: `POST /api/v1/instances/watch`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct WatchBody {
    /// The cloud.
    pub cloud: Cloud,
    /// The region they run in.
    pub region: String,
    /// Their ids (1–100).
    pub ids: Vec<String>,
}

/// The answer of `POST /api/v1/instances/watch`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WatchAnswer {
    /// Ids added to the book.
    pub added: Vec<String>,
    /// Ids the book already had (left as they were).
    pub known: Vec<String>,
    /// Instances left out as not spot: discover, those the region's list showed that are not spot; watch, the ids
    /// asked for that the region's spot list does not show.
    #[serde(default)]
    pub not_spot: u32,
}

/// Whether a text can be an instance id of any of the three clouds ([`crate::cloud_id`]).
pub fn is_instance_id(id: &str) -> bool {
    crate::cloud_id::is_cloud_id(id)
}

/// A region to search for spot instances started outside Spotplan: `POST /api/v1/instances/discover`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DiscoverBody {
    /// The cloud.
    pub cloud: Cloud,
    /// The region to list.
    pub region: String,
}

/// One reclaim: an instance the cloud took back, and how long it ran — the history interruption estimates read
/// (`GET /api/v1/reclaims`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReclaimRecord {
    /// The cloud.
    pub cloud: Cloud,
    /// The instance id.
    pub id: String,
    /// The region.
    pub region: String,
    /// The zone, when known.
    pub zone: Option<String>,
    /// The type or spec, when known.
    pub instance_type: Option<String>,
    /// When Spotplan first saw it running (Unix milliseconds).
    pub running_since_ms: Option<i64>,
    /// When the reclaim notice was first seen, if the cloud shows one (Alibaba's `Recycling` lock).
    pub notice_at_ms: Option<i64>,
    /// When it was gone.
    pub reclaimed_at_ms: i64,
    /// Seconds it ran, from first seen running to gone, less its stops without charge (`None` if it was never seen
    /// running).
    pub ran_seconds: Option<i64>,
}

/// The answer of `GET /api/v1/reclaims`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReclaimsAnswer {
    /// Every reclaim recorded.
    pub reclaims: Vec<ReclaimRecord>,
}

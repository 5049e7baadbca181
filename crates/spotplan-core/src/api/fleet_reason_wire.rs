//! [`FleetReason`] as JSON, as the proxy's fleet book stores it: `{"kind": "stopped", "released": true,
//! "open_orders": []}` — its kind and that kind's fields, flat (its `Serialize` and `Deserialize` are here).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::fleet_reason::FleetReason;
use crate::catalog::OfferKey;
use crate::money::Money;
use crate::order::Problem;

/// The JSON shape of a [`FleetReason`]: `kind`, and the fields that kind has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct FleetReasonWire {
    /// `creator_revoked`, `no_such_pool`, `invalid_order`, `refused`, `over_budget`, `cloud_refused`, `throttled`,
    /// `waiting_for_outcome`, `out_of_stock`, `waiting_for_stock`, `unbounded`, `waiting_under_ceiling`,
    /// `step_limit`, `trimmed`, `stopped` or `text`.
    kind: String,
    /// The person (`creator_revoked`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    person: Option<String>,
    /// The step (`no_such_pool`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    step: Option<u32>,
    /// The pool's index a step names (`no_such_pool`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
    /// The pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pool: Option<OfferKey>,
    /// What the rules found (`invalid_order`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    problems: Option<Vec<Problem>>,
    /// The refusal's or the cloud's code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    /// The field or budget to change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    /// What the proxy or the cloud said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// The logged order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    order_id: Option<String>,
    /// The cloud's name (`throttled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cloud: Option<String>,
    /// Seconds until the fleet orders again (`throttled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after_s: Option<u64>,
    /// Keys of orders whose outcome is unknown (`waiting_for_outcome`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unknown: Option<Vec<String>>,
    /// Keys of orders being sent (`waiting_for_outcome`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending: Option<Vec<String>>,
    /// Units live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    live: Option<u64>,
    /// Units wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<u64>,
    /// Minutes until the pools are tried again (`waiting_for_stock`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after_min: Option<u64>,
    /// The fleet's ceiling per hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ceiling: Option<Money>,
    /// What the fleet's instances and orders may cost per hour (`waiting_under_ceiling`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    committed: Option<Money>,
    /// What one more instance may cost per hour (`waiting_under_ceiling`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    each: Option<Money>,
    /// The most orders a fleet places (`step_limit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max: Option<u32>,
    /// The instances released (`trimmed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    instances: Option<Vec<String>>,
    /// Units running (`trimmed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    running: Option<u64>,
    /// Whether its instances are released (`stopped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    released: Option<bool>,
    /// Orders whose outcome was not known at the stop (`stopped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    open_orders: Option<Vec<String>>,
    /// An older proxy's words (`text`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
}

impl Serialize for FleetReason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        FleetReasonWire::from(self.clone()).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for FleetReason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FleetReason, D::Error> {
        FleetReason::try_from(FleetReasonWire::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

fn kind(kind: &str) -> FleetReasonWire {
    FleetReasonWire {
        kind: kind.to_owned(),
        ..FleetReasonWire::default()
    }
}

impl From<FleetReason> for FleetReasonWire {
    fn from(reason: FleetReason) -> FleetReasonWire {
        match reason {
            FleetReason::CreatorRevoked { person } => FleetReasonWire {
                person: Some(person),
                ..kind("creator_revoked")
            },
            FleetReason::NoSuchPool { step, index } => FleetReasonWire {
                step: Some(step),
                index: Some(index),
                ..kind("no_such_pool")
            },
            FleetReason::InvalidOrder { pool, problems } => FleetReasonWire {
                pool: Some(pool),
                problems: Some(problems),
                ..kind("invalid_order")
            },
            FleetReason::Refused {
                pool,
                code,
                field,
                message,
            } => FleetReasonWire {
                pool: Some(pool),
                code: Some(code),
                field,
                message: Some(message),
                ..kind("refused")
            },
            FleetReason::OverBudget { pool, field, message } => FleetReasonWire {
                pool: Some(pool),
                field: Some(field),
                message: Some(message),
                ..kind("over_budget")
            },
            FleetReason::ImageUnchecked { pool, message } => FleetReasonWire {
                pool: Some(pool),
                message: Some(message),
                ..kind("image_unchecked")
            },
            FleetReason::CloudRefused {
                order_id,
                pool,
                code,
                message,
            } => FleetReasonWire {
                order_id: Some(order_id),
                pool: Some(pool),
                code: Some(code),
                message: Some(message),
                ..kind("cloud_refused")
            },
            FleetReason::Throttled {
                cloud,
                order_id,
                code,
                retry_after_s,
            } => FleetReasonWire {
                cloud: Some(cloud),
                order_id: Some(order_id),
                code: Some(code),
                retry_after_s: Some(retry_after_s),
                ..kind("throttled")
            },
            FleetReason::WaitingForOutcome { unknown, pending } => FleetReasonWire {
                unknown: Some(unknown),
                pending: Some(pending),
                ..kind("waiting_for_outcome")
            },
            FleetReason::OutOfStock { live, target } => FleetReasonWire {
                live: Some(live),
                target: Some(target),
                ..kind("out_of_stock")
            },
            FleetReason::WaitingForStock {
                live,
                target,
                retry_after_min,
            } => FleetReasonWire {
                live: Some(live),
                target: Some(target),
                retry_after_min: Some(retry_after_min),
                ..kind("waiting_for_stock")
            },
            FleetReason::Unbounded { pool, ceiling } => FleetReasonWire {
                pool: Some(pool),
                ceiling: Some(ceiling),
                ..kind("unbounded")
            },
            FleetReason::WaitingUnderCeiling {
                committed,
                pool,
                each,
                ceiling,
            } => FleetReasonWire {
                committed: Some(committed),
                pool: Some(pool),
                each: Some(each),
                ceiling: Some(ceiling),
                ..kind("waiting_under_ceiling")
            },
            FleetReason::StepLimit { max } => FleetReasonWire {
                max: Some(max),
                ..kind("step_limit")
            },
            FleetReason::Trimmed {
                instances,
                running,
                target,
            } => FleetReasonWire {
                instances: Some(instances),
                running: Some(running),
                target: Some(target),
                ..kind("trimmed")
            },
            FleetReason::Stopped { released, open_orders } => FleetReasonWire {
                released: Some(released),
                open_orders: Some(open_orders),
                ..kind("stopped")
            },
            FleetReason::Text { text } => FleetReasonWire {
                text: Some(text),
                ..kind("text")
            },
        }
    }
}

/// A field a kind needs, or the error naming it.
fn need<T>(value: Option<T>, kind: &str, field: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("a {kind} fleet reason needs {field}"))
}

impl TryFrom<FleetReasonWire> for FleetReason {
    type Error = String;

    fn try_from(wire: FleetReasonWire) -> Result<FleetReason, String> {
        let kind = wire.kind.as_str();
        let pool = || need(wire.pool.clone(), kind, "pool");
        let message = || need(wire.message.clone(), kind, "message");
        let code = || need(wire.code.clone(), kind, "code");
        let order_id = || need(wire.order_id.clone(), kind, "order_id");
        Ok(match kind {
            "creator_revoked" => FleetReason::CreatorRevoked {
                person: need(wire.person.clone(), kind, "person")?,
            },
            "no_such_pool" => FleetReason::NoSuchPool {
                step: need(wire.step, kind, "step")?,
                index: need(wire.index, kind, "index")?,
            },
            "invalid_order" => FleetReason::InvalidOrder {
                pool: pool()?,
                problems: wire.problems.clone().unwrap_or_default(),
            },
            "refused" => FleetReason::Refused {
                pool: pool()?,
                code: code()?,
                field: wire.field.clone(),
                message: message()?,
            },
            "over_budget" => FleetReason::OverBudget {
                pool: pool()?,
                field: need(wire.field.clone(), kind, "field")?,
                message: message()?,
            },
            "image_unchecked" => FleetReason::ImageUnchecked {
                pool: pool()?,
                message: message()?,
            },
            "cloud_refused" => FleetReason::CloudRefused {
                order_id: order_id()?,
                pool: pool()?,
                code: code()?,
                message: message()?,
            },
            "throttled" => FleetReason::Throttled {
                cloud: need(wire.cloud.clone(), kind, "cloud")?,
                order_id: order_id()?,
                code: code()?,
                retry_after_s: need(wire.retry_after_s, kind, "retry_after_s")?,
            },
            "waiting_for_outcome" => FleetReason::WaitingForOutcome {
                unknown: wire.unknown.clone().unwrap_or_default(),
                pending: wire.pending.clone().unwrap_or_default(),
            },
            "out_of_stock" => FleetReason::OutOfStock {
                live: need(wire.live, kind, "live")?,
                target: need(wire.target, kind, "target")?,
            },
            "waiting_for_stock" => FleetReason::WaitingForStock {
                live: need(wire.live, kind, "live")?,
                target: need(wire.target, kind, "target")?,
                retry_after_min: need(wire.retry_after_min, kind, "retry_after_min")?,
            },
            "unbounded" => FleetReason::Unbounded {
                pool: pool()?,
                ceiling: need(wire.ceiling, kind, "ceiling")?,
            },
            "waiting_under_ceiling" => FleetReason::WaitingUnderCeiling {
                committed: need(wire.committed, kind, "committed")?,
                pool: pool()?,
                each: need(wire.each, kind, "each")?,
                ceiling: need(wire.ceiling, kind, "ceiling")?,
            },
            "step_limit" => FleetReason::StepLimit {
                max: need(wire.max, kind, "max")?,
            },
            "trimmed" => FleetReason::Trimmed {
                instances: need(wire.instances.clone(), kind, "instances")?,
                running: need(wire.running, kind, "running")?,
                target: need(wire.target, kind, "target")?,
            },
            "stopped" => FleetReason::Stopped {
                released: need(wire.released, kind, "released")?,
                open_orders: wire.open_orders.clone().unwrap_or_default(),
            },
            "text" => FleetReason::Text {
                text: need(wire.text.clone(), kind, "text")?,
            },
            other => return Err(format!("unknown fleet reason kind {other:?}")),
        })
    }
}

//! Why a fleet waits, stalled or stopped, as a typed value: the proxy's fleet keeper and stop say it, the API
//! carries it as JSON tagged by `kind`, the web app words it in the reader's language and the proxy's log and
//! scripts read [its English](std::fmt::Display). What a cloud or a rule said travels verbatim inside it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::OfferKey;
use crate::money::Money;
use crate::order::Problem;

/// Why a fleet is where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FleetReason {
    /// Team mode: the person the fleet orders for lost their key, so it orders nothing more in their name.
    CreatorRevoked {
        /// The person.
        person: String,
    },
    /// A step names a pool the fleet does not have (a damaged row): nothing more is ordered.
    NoSuchPool {
        /// The step.
        step: u32,
        /// The pool's index it names.
        pool: usize,
    },
    /// A pool's order breaks the cloud's rules; nothing was sent.
    InvalidOrder {
        /// The pool.
        pool: OfferKey,
        /// What the rules found, in both languages.
        problems: Vec<Problem>,
    },
    /// The proxy refused a pool's order before sending it: a spend ceiling, a budget, no credentials.
    Refused {
        /// The pool.
        pool: OfferKey,
        /// The refusal's stable code, as an API error answers it.
        code: String,
        /// The field or setting to change, when there is one.
        field: Option<String>,
        /// The refusal in the proxy's words (English).
        message: String,
    },
    /// Waiting: a pool's order would cross a person's or the team's budget; the fleet orders it again each round,
    /// and it goes out once the budget has room (instances that end, a new month).
    OverBudget {
        /// The pool.
        pool: OfferKey,
        /// The budget (`budget.person.per_hour`, `budget.team.per_month`, …).
        field: String,
        /// The refusal in the proxy's words (English).
        message: String,
    },
    /// The cloud refused an order for another reason than stock or throttling.
    CloudRefused {
        /// The logged order.
        order_id: String,
        /// The pool.
        pool: OfferKey,
        /// The cloud's error code.
        code: String,
        /// The cloud's message, as it said it.
        message: String,
    },
    /// Waiting: the cloud throttled an order; the fleet orders again a while after.
    Throttled {
        /// The cloud's name.
        cloud: String,
        /// The logged order.
        order_id: String,
        /// The cloud's error code.
        code: String,
        /// Seconds after that answer the fleet orders again.
        retry_after_s: u64,
    },
    /// Waiting: orders whose outcome is not known yet keep a placing fleet from settling.
    WaitingForOutcome {
        /// Keys of orders whose outcome is unknown (processed again under their key every minute).
        unknown: Vec<String>,
        /// Keys of orders being sent, or left pending by a replica that died (resolved once it is gone).
        pending: Vec<String>,
    },
    /// Every pool is out of stock and the fleet is not maintained: nothing more is ordered.
    OutOfStock {
        /// Units live.
        live: u64,
        /// Units wanted.
        target: u64,
    },
    /// Waiting: every pool of a maintained fleet is out of stock; they are tried again a while after the last order.
    WaitingForStock {
        /// Units live.
        live: u64,
        /// Units wanted.
        target: u64,
        /// Minutes after the last order the pools are tried again.
        retry_after_min: u64,
    },
    /// Nothing bounds what a pool's instances may cost per hour, so the ceiling cannot be kept: nothing more is
    /// ordered.
    Unbounded {
        /// The pool.
        pool: OfferKey,
        /// The fleet's ceiling per hour.
        ceiling: Money,
    },
    /// Waiting under the ceiling: one more instance would cross it (room comes back as instances stop billing).
    WaitingUnderCeiling {
        /// What its instances and orders may cost per hour.
        committed: Money,
        /// The pool the next instance would come from.
        pool: OfferKey,
        /// What one more instance of it may cost per hour.
        each: Money,
        /// The fleet's ceiling per hour.
        ceiling: Money,
    },
    /// The fleet placed as many orders as one fleet may: nothing more is ordered.
    StepLimit {
        /// The most orders a fleet places.
        max: u32,
    },
    /// A person stopped it (the state says so; the reason says what became of its instances).
    Stopped {
        /// Whether its instances are released.
        released: bool,
        /// Orders whose outcome was not known at the stop: what they created is released once they are settled.
        open_orders: Vec<String>,
    },
    /// A reason written in words by an older proxy, shown as it was written.
    Text {
        /// The words.
        text: String,
    },
}

impl FleetReason {
    /// Whether the fleet is only waiting (throttled, for stock, for outcomes, under its ceiling): the keeper clears
    /// such a reason as soon as it orders again. An older proxy's words say so by starting with "waiting".
    pub fn is_waiting(&self) -> bool {
        match self {
            FleetReason::Throttled { .. }
            | FleetReason::OverBudget { .. }
            | FleetReason::WaitingForOutcome { .. }
            | FleetReason::WaitingForStock { .. }
            | FleetReason::WaitingUnderCeiling { .. } => true,
            FleetReason::Text { text } => text.starts_with("waiting"),
            _ => false,
        }
    }

    /// Reads a reason as the store keeps it: its JSON, or words an older proxy wrote.
    pub fn from_stored(stored: &str) -> FleetReason {
        serde_json::from_str(stored).unwrap_or_else(|_| FleetReason::Text {
            text: stored.to_owned(),
        })
    }

    /// The reason as the store keeps it (its JSON).
    pub fn to_stored(&self) -> String {
        // A tagged enum of strings, numbers and decimals: serialising it cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Each problem as `field (rule, got "value"): message`, joined by `; `.
fn problems_en(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|problem| {
            format!(
                "{} ({}, got {:?}): {}",
                problem.field, problem.rule, problem.value, problem.message_en
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl fmt::Display for FleetReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FleetReason::CreatorRevoked { person } => write!(
                f,
                "{person}'s key was revoked: the fleet orders nothing more in their name; the operator can stop it \
                 and release its instances"
            ),
            FleetReason::NoSuchPool { step, pool } => {
                write!(f, "step {step} names pool {pool} the fleet does not have")
            }
            FleetReason::InvalidOrder { pool, problems } => {
                write!(f, "the order for {pool} is not valid: {}", problems_en(problems))
            }
            FleetReason::Refused {
                pool,
                field: Some(field),
                message,
                ..
            } => write!(f, "the order for {pool} was refused ({field}): {message}"),
            FleetReason::Refused {
                pool,
                field: None,
                message,
                ..
            } => write!(f, "the order for {pool} was refused: {message}"),
            FleetReason::OverBudget { pool, field, message } => write!(
                f,
                "waiting: the order for {pool} is over a budget ({field}): {message}; it is sent once the budget has \
                 room"
            ),
            FleetReason::CloudRefused {
                order_id,
                pool,
                code,
                message,
            } => write!(f, "the cloud refused order {order_id} ({pool}): {code} {message}"),
            FleetReason::Throttled {
                cloud,
                order_id,
                code,
                retry_after_s,
            } => write!(
                f,
                "waiting: {cloud} answered order {order_id} with {code} (slow down); the fleet orders again \
                 {retry_after_s} s after it"
            ),
            FleetReason::WaitingForOutcome { unknown, pending } => {
                let waits: Vec<String> = unknown
                    .iter()
                    .map(|key| format!("{key} (unknown: processed again under its key every minute)"))
                    .chain(
                        pending
                            .iter()
                            .map(|key| format!("{key} (pending: being sent, or resolved once its replica is gone)")),
                    )
                    .collect();
                write!(f, "waiting for the outcome of {}", waits.join(", "))
            }
            FleetReason::OutOfStock { live, target } => write!(
                f,
                "every pool is out of stock: {live} of {target} units live; nothing more is ordered"
            ),
            FleetReason::WaitingForStock {
                live,
                target,
                retry_after_min,
            } => write!(
                f,
                "waiting: every pool is out of stock, {live} of {target} units live; the pools are tried again \
                 {retry_after_min} minutes after the last order"
            ),
            FleetReason::Unbounded { pool, ceiling } => write!(
                f,
                "ceiling_per_hour: nothing bounds what {pool} may cost per hour, so the ceiling of {ceiling} cannot \
                 be kept; nothing more is ordered"
            ),
            FleetReason::WaitingUnderCeiling {
                committed,
                pool,
                each,
                ceiling,
            } => write!(
                f,
                "waiting under the ceiling: its instances and orders may cost up to {committed} per hour; one more \
                 in {pool} adds up to {each}, above the ceiling of {ceiling}"
            ),
            FleetReason::StepLimit { max } => {
                write!(f, "the fleet placed {max} orders; nothing more is ordered")
            }
            FleetReason::Stopped { released: false, .. } => f.write_str("its instances keep running"),
            FleetReason::Stopped {
                released: true,
                open_orders,
            } if open_orders.is_empty() => f.write_str("its instances released"),
            FleetReason::Stopped { open_orders, .. } => write!(
                f,
                "its instances released — but the outcome of order(s) {} is not known yet: what they turn \
                 out to have created is released once they are settled (look them up on the orders page to settle \
                 them now)",
                open_orders.join(", ")
            ),
            FleetReason::Text { text } => f.write_str(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_round_trips_through_the_store_and_old_words_read_as_text() {
        let reason = FleetReason::WaitingForOutcome {
            unknown: vec!["k_s0".into()],
            pending: vec![],
        };
        let stored = reason.to_stored();
        assert_eq!(
            stored,
            r#"{"kind":"waiting_for_outcome","unknown":["k_s0"],"pending":[]}"#
        );
        assert_eq!(FleetReason::from_stored(&stored), reason);
        assert_eq!(
            FleetReason::from_stored("waiting under the ceiling"),
            FleetReason::Text {
                text: "waiting under the ceiling".into()
            }
        );
    }

    #[test]
    fn only_the_waits_are_waiting() {
        assert!(
            FleetReason::WaitingForStock {
                live: 1,
                target: 2,
                retry_after_min: 5
            }
            .is_waiting()
        );
        assert!(!FleetReason::OutOfStock { live: 1, target: 2 }.is_waiting());
        assert!(
            FleetReason::Text {
                text: "waiting under the ceiling".into()
            }
            .is_waiting()
        );
        assert!(
            !FleetReason::Text {
                text: "no stock".into()
            }
            .is_waiting()
        );
        assert!(!FleetReason::StepLimit { max: 200 }.is_waiting());
    }

    #[test]
    fn the_english_names_what_the_reason_holds() {
        let reason = FleetReason::WaitingForOutcome {
            unknown: vec!["f_s0".into()],
            pending: vec!["f_s1".into()],
        };
        assert_eq!(
            reason.to_string(),
            "waiting for the outcome of f_s0 (unknown: processed again under its key every minute), f_s1 \
             (pending: being sent, or resolved once its replica is gone)"
        );
        assert_eq!(
            FleetReason::Stopped {
                released: true,
                open_orders: vec![]
            }
            .to_string(),
            "its instances released"
        );
    }
}

//! Why a fleet waits, stalled or stopped, as a typed value: the proxy's fleet keeper and stop say it, its store keeps
//! it as JSON (its `kind` and that kind's fields, written and read in `fleet_reason_wire`), and the API carries it
//! as [`FleetReasonWords`] — its kind and its words in English ([`Display`](std::fmt::Display)) and Chinese
//! ([`FleetReason::zh`]), which the page shows in its language. What a cloud or a rule said travels verbatim.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::OfferKey;
use crate::money::Money;
use crate::order::Problem;

/// Why a fleet is where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
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
        index: usize,
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
    /// Waiting: a pool's order would cross a person's or the team's budget, or the proxy's ceiling on what the last
    /// hour's orders may cost (`SPOTPLAN_MAX_SPEND_PER_HOUR`); the fleet orders it again each round, and it goes out
    /// once there is room (instances that end, orders an hour old, a new month).
    OverBudget {
        /// The pool.
        pool: OfferKey,
        /// The budget (`budget.person.per_hour`, `budget.team.per_month`, …) or `SPOTPLAN_MAX_SPEND_PER_HOUR`.
        field: String,
        /// The refusal in the proxy's words (English).
        message: String,
    },
    /// Waiting: a ceiling or a budget bounds the pool's market bid at a Linux price only once the cloud describes its
    /// image as Linux, and the cloud did not answer that; the fleet asks again each round.
    ImageUnchecked {
        /// The pool.
        pool: OfferKey,
        /// Why, in the proxy's words (English).
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
    /// A maintained fleet ran above its target (an instance it had replaced runs again: started by hand, or back
    /// from an error) and released what ran above it, the instances that cost most per unit first.
    Trimmed {
        /// The instances it released.
        instances: Vec<String>,
        /// Units running before the release.
        running: u64,
        /// Units wanted.
        target: u64,
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
            | FleetReason::ImageUnchecked { .. }
            | FleetReason::WaitingForOutcome { .. }
            | FleetReason::WaitingForStock { .. }
            | FleetReason::WaitingUnderCeiling { .. } => true,
            FleetReason::Text { text } => text.starts_with("waiting"),
            _ => false,
        }
    }

    /// The reason in Chinese (what a cloud or the proxy said stays as it was said).
    pub fn zh(&self) -> String {
        match self {
            FleetReason::CreatorRevoked { person } => {
                format!("{person} 的密钥已被吊销：机群不再以其名义下单；管理员可以停止机群并释放其实例")
            }
            FleetReason::NoSuchPool { step, index } => format!("第 {step} 步指向机群没有的资源池 {index}"),
            FleetReason::InvalidOrder { pool, problems } => format!(
                "{pool} 的订单不合规：{}",
                problems
                    .iter()
                    .map(|problem| format!("{}（{}）：{}", problem.field, problem.rule, problem.message_zh))
                    .collect::<Vec<_>>()
                    .join("；")
            ),
            FleetReason::Refused {
                pool,
                field: Some(field),
                message,
                ..
            } => format!("{pool} 的订单被拒绝（{field}）：{message}"),
            FleetReason::Refused {
                pool,
                field: None,
                message,
                ..
            } => format!("{pool} 的订单被拒绝：{message}"),
            FleetReason::OverBudget { pool, field, message } => {
                format!("等待中：{pool} 的订单超出预算（{field}）：{message}；预算有余量时再发送")
            }
            FleetReason::ImageUnchecked { pool, message } => {
                format!(
                    "等待中：云尚未确认 {pool} 的镜像是 Linux（上限与预算按 Linux 价格约束市价出价）：{message}；每轮重新询问"
                )
            }
            FleetReason::CloudRefused {
                order_id,
                pool,
                code,
                message,
            } => format!("云拒绝了订单 {order_id}（{pool}）：{code} {message}"),
            FleetReason::Throttled {
                cloud,
                order_id,
                code,
                retry_after_s,
            } => format!(
                "等待中：{cloud} 对订单 {order_id} 答复 {code}（请求过快）；机群在其后 {retry_after_s} 秒再下单"
            ),
            FleetReason::WaitingForOutcome { unknown, pending } => {
                let waits: Vec<String> = unknown
                    .iter()
                    .map(|key| format!("{key}（结果未知：每分钟以其幂等键重新处理）"))
                    .chain(
                        pending
                            .iter()
                            .map(|key| format!("{key}（处理中：正在发送，或在其副本消失后处理）")),
                    )
                    .collect();
                format!("等待订单结果：{}", waits.join("，"))
            }
            FleetReason::OutOfStock { live, target } => {
                format!("所有资源池都无库存：{live} / {target} 个单位在运行；不再下单")
            }
            FleetReason::WaitingForStock {
                live,
                target,
                retry_after_min,
            } => format!(
                "等待中：所有资源池都无库存，{live} / {target} 个单位在运行；最后一笔订单 {retry_after_min} 分钟后再试"
            ),
            FleetReason::Unbounded { pool, ceiling } => {
                format!("ceiling_per_hour：{pool} 每小时的费用没有上限，无法守住 {ceiling} 的上限；不再下单")
            }
            FleetReason::WaitingUnderCeiling {
                committed,
                pool,
                each,
                ceiling,
            } => format!(
                "在上限之下等待：现有实例和订单每小时最多 {committed}；{pool} 再加一台最多 {each}，会超过上限 {ceiling}"
            ),
            FleetReason::StepLimit { max } => format!("机群已下 {max} 笔订单；不再下单"),
            FleetReason::Trimmed {
                instances,
                running,
                target,
            } => format!(
                "{running} 个单位在运行，超出目标 {target}（被替换过的实例重新运行）：已释放 {}（每单位费用最高者优先）",
                instances.join("，")
            ),
            FleetReason::Stopped { released: false, .. } => "其实例继续运行".into(),
            FleetReason::Stopped { open_orders, .. } if open_orders.is_empty() => "其实例已释放".into(),
            FleetReason::Stopped { open_orders, .. } => format!(
                "其实例已释放——但订单 {} 的结果尚不可知：它们创建的实例在结果确定后释放（可在订单页查询以立即确定）",
                open_orders.join("，")
            ),
            FleetReason::Text { text } => text.clone(),
        }
    }

    /// The reason's kind, as its JSON names it (`stopped`, `over_budget`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            FleetReason::CreatorRevoked { .. } => "creator_revoked",
            FleetReason::NoSuchPool { .. } => "no_such_pool",
            FleetReason::InvalidOrder { .. } => "invalid_order",
            FleetReason::Refused { .. } => "refused",
            FleetReason::OverBudget { .. } => "over_budget",
            FleetReason::CloudRefused { .. } => "cloud_refused",
            FleetReason::Throttled { .. } => "throttled",
            FleetReason::ImageUnchecked { .. } => "image_unchecked",
            FleetReason::WaitingForOutcome { .. } => "waiting_for_outcome",
            FleetReason::OutOfStock { .. } => "out_of_stock",
            FleetReason::WaitingForStock { .. } => "waiting_for_stock",
            FleetReason::Unbounded { .. } => "unbounded",
            FleetReason::WaitingUnderCeiling { .. } => "waiting_under_ceiling",
            FleetReason::StepLimit { .. } => "step_limit",
            FleetReason::Trimmed { .. } => "trimmed",
            FleetReason::Stopped { .. } => "stopped",
            FleetReason::Text { .. } => "text",
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

/// A fleet's reason as the API carries it: its kind, whether the fleet only waits, and its words in English and
/// Chinese, rendered by the proxy. The page shows the words of its language; a script reads the kind. (The typed
/// reason stays in the proxy's store: carried typed, reading it cost the web bundle about 6 KB compressed, and the
/// first load has a budget.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FleetReasonWords {
    /// `creator_revoked`, `no_such_pool`, `invalid_order`, `refused`, `over_budget`, `cloud_refused`, `throttled`,
    /// `waiting_for_outcome`, `out_of_stock`, `waiting_for_stock`, `unbounded`, `waiting_under_ceiling`,
    /// `step_limit`, `trimmed`, `stopped` or `text`.
    pub kind: String,
    /// Whether the fleet only waits (it orders again by itself).
    pub waiting: bool,
    /// In English.
    pub en: String,
    /// In Chinese.
    pub zh: String,
}

impl From<&FleetReason> for FleetReasonWords {
    fn from(reason: &FleetReason) -> FleetReasonWords {
        FleetReasonWords {
            kind: reason.kind().to_owned(),
            waiting: reason.is_waiting(),
            en: reason.to_string(),
            zh: reason.zh(),
        }
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
            FleetReason::NoSuchPool { step, index } => {
                write!(f, "step {step} names pool {index} the fleet does not have")
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
            FleetReason::ImageUnchecked { pool, message } => write!(
                f,
                "waiting: the cloud has not yet confirmed that the image of {pool} is Linux (a ceiling or a budget \
                 bounds its market bid at a Linux price): {message}; asked again each round"
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
            FleetReason::Trimmed {
                instances,
                running,
                target,
            } => write!(
                f,
                "{running} units ran above the target of {target} (an instance it had replaced runs again): released \
                 {}, those costing most per unit first",
                instances.join(", ")
            ),
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
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

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

    /// One reason of each kind, holding names and figures a test can look for.
    fn one_of_each() -> Vec<FleetReason> {
        let cny = |text| Money::parse(text, crate::Currency::Cny).unwrap();
        let pool = OfferKey {
            cloud: crate::Cloud::Alibaba,
            region: "cn-hangzhou".into(),
            zone: Some("cn-hangzhou-k".into()),
            instance_type: "ecs.c7.large".into(),
        };
        let problem: Problem = serde_json::from_value(serde_json::json!({
            "field": "count", "rule": "r", "value": "0", "severity": "error", "message_en": "e", "message_zh": "z",
            "prevents": null
        }))
        .unwrap();
        vec![
            FleetReason::CreatorRevoked { person: "alice".into() },
            FleetReason::NoSuchPool { step: 3, index: 7 },
            FleetReason::Refused {
                pool: pool.clone(),
                code: "spend_ceiling".into(),
                field: Some("max_per_order".into()),
                message: "the order may cost up to 12 CNY".into(),
            },
            FleetReason::OverBudget {
                pool: pool.clone(),
                field: "budget.person.per_hour".into(),
                message: "the order may cost up to 12 CNY".into(),
            },
            FleetReason::ImageUnchecked {
                pool: pool.clone(),
                message: "DescribeImages did not answer".into(),
            },
            FleetReason::CloudRefused {
                order_id: "ord_1".into(),
                pool: pool.clone(),
                code: "InvalidParameter".into(),
                message: "bad".into(),
            },
            FleetReason::Throttled {
                cloud: "Alibaba Cloud".into(),
                order_id: "ord_2".into(),
                code: "Throttling".into(),
                retry_after_s: 60,
            },
            FleetReason::WaitingForOutcome {
                unknown: vec!["f_s0".into()],
                pending: vec!["f_s1".into()],
            },
            FleetReason::OutOfStock { live: 1, target: 4 },
            FleetReason::WaitingForStock {
                live: 1,
                target: 4,
                retry_after_min: 5,
            },
            FleetReason::Unbounded {
                pool: pool.clone(),
                ceiling: cny("3"),
            },
            FleetReason::WaitingUnderCeiling {
                committed: cny("2.5"),
                pool: pool.clone(),
                each: cny("0.75"),
                ceiling: cny("3"),
            },
            FleetReason::StepLimit { max: 9_999 },
            FleetReason::Trimmed {
                instances: vec!["i-trim1".into()],
                running: 5,
                target: 4,
            },
            FleetReason::Stopped {
                released: false,
                open_orders: vec![],
            },
            FleetReason::Stopped {
                released: true,
                open_orders: vec!["ord_3".into()],
            },
            FleetReason::InvalidOrder {
                pool,
                problems: vec![problem],
            },
            FleetReason::Text {
                text: "old words".into(),
            },
        ]
    }

    #[test]
    fn every_kind_reads_back_as_written_and_a_kind_missing_a_field_is_refused() {
        let reasons = one_of_each();
        for reason in reasons {
            let json = serde_json::to_value(&reason).unwrap();
            assert!(json["kind"].is_string(), "{json}");
            assert_eq!(
                serde_json::from_value::<FleetReason>(json.clone()).unwrap(),
                reason,
                "{json}"
            );
        }
        for broken in [
            serde_json::json!({ "kind": "stopped" }),
            serde_json::json!({ "kind": "creator_revoked" }),
            serde_json::json!({ "kind": "no_such_kind" }),
        ] {
            assert!(
                serde_json::from_value::<FleetReason>(broken.clone()).is_err(),
                "{broken}"
            );
        }
    }

    #[test]
    fn every_fleet_reason_reads_in_chinese_with_what_it_holds() {
        let reasons = one_of_each();
        for reason in &reasons {
            let (en, zh) = (reason.to_string(), reason.zh());
            for english in [
                "waiting",
                "stopped",
                "released",
                "running",
                "refused",
                "nothing more",
                "order for",
                "units live",
                "outcome",
            ] {
                assert!(!zh.contains(english), "{english:?} left in {zh:?}");
            }
            // Every figure and name the English gives, the Chinese gives too.
            for held in [
                "alice",
                "ord_1",
                "ord_2",
                "ord_3",
                "f_s0",
                "f_s1",
                "ecs.c7.large",
                "max_per_order",
                "Throttling",
                "i-trim1",
            ] {
                assert_eq!(en.contains(held), zh.contains(held), "{held:?}: {en:?} vs {zh:?}");
            }
            for figure in ["9999", "9,999", " 60 ", "2.5", "0.75"] {
                assert_eq!(en.contains(figure), zh.contains(figure), "{figure:?}: {en:?} vs {zh:?}");
            }
        }
        assert_eq!(
            FleetReason::Text {
                text: "no stock".into()
            }
            .zh(),
            "no stock"
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

//! The fleet page's pure parts, tested natively and in the browser: reading the typed inputs into a
//! `FleetRequest` (each bad value named with its field, rule and value), the pool signals built from the
//! instances the proxy followed and from the clouds' own signals, each pool's launch details and weight, the fleet draft's idempotency key, the
//! `FleetSubmission` body and its curl command, and the check that one subnet is not shared across zones.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use spotplan_core::api::fleets::{FleetPool, FleetSubmission};
use spotplan_core::api::instances::InstanceView;
use spotplan_core::catalog::{Catalog, OfferKey};
use spotplan_core::fleet::orders::FleetOrder;
use spotplan_core::fleet::{
    FleetPlan, FleetProblem, FleetRequest, InterruptionEstimate, PoolSignals, Strategy, TargetUnit,
};
use spotplan_core::lifecycle::InstanceState;
use spotplan_core::order::SpotOrder;
use spotplan_core::order::draft::draft_order;
use spotplan_core::plan::Requirement;
use spotplan_core::{Cloud, Currency, Money};

use crate::i18n::Lang;
use crate::i18n::fleet::{FleetText, fleet_text};
use crate::number_field::Rule;
use crate::state::{OrderField, apply_field};

/// A fresh identity for a memoised value. Yew drops a memo's old value before computing the new one, so the new
/// value's address can be the old one's: memos that depend on another memo's value compare this, not addresses.
pub fn stamp() -> u64 {
    thread_local! {
        static NEXT: std::cell::Cell<u64> = const { std::cell::Cell::new(1) };
    }
    NEXT.with(|next| {
        let stamp = next.get();
        next.set(stamp.wrapping_add(1));
        stamp
    })
}

/// The strategy chosen in the form (its K and M are separate fields).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StrategyKind {
    /// `Strategy::LowestPrice`.
    LowestPrice,
    /// `Strategy::Diversified`.
    Diversified,
    /// `Strategy::PriceAndRisk`.
    #[default]
    PriceAndRisk,
}

impl StrategyKind {
    /// Every strategy, in the select's order.
    pub const ALL: [StrategyKind; 3] = [
        StrategyKind::LowestPrice,
        StrategyKind::Diversified,
        StrategyKind::PriceAndRisk,
    ];

    /// The option value: the core's strategy id.
    pub fn id(self) -> &'static str {
        match self {
            StrategyKind::LowestPrice => "lowest_price",
            StrategyKind::Diversified => "diversified",
            StrategyKind::PriceAndRisk => "price_and_risk",
        }
    }

    /// Reads [`StrategyKind::id`].
    pub fn from_id(id: &str) -> Option<StrategyKind> {
        StrategyKind::ALL.into_iter().find(|kind| kind.id() == id)
    }
}

/// The option value of a target unit.
pub fn unit_id(unit: TargetUnit) -> &'static str {
    match unit {
        TargetUnit::Instances => "instances",
        TargetUnit::Vcpus => "vcpus",
        TargetUnit::MemoryGib => "memory_gib",
    }
}

/// Reads [`unit_id`].
pub fn unit_from_id(id: &str) -> Option<TargetUnit> {
    [TargetUnit::Instances, TargetUnit::Vcpus, TargetUnit::MemoryGib]
        .into_iter()
        .find(|unit| unit_id(*unit) == id)
}

/// The fleet form as typed: number fields keep their text, so a value that is not valid yet stays in the field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct FleetForm {
    /// Units wanted.
    pub target: String,
    /// What a unit is.
    pub unit: TargetUnit,
    /// The strategy.
    pub strategy: StrategyKind,
    /// K: the fewest pools (diversified only).
    pub min_pools: String,
    /// M: the most instances a pool (required for diversified, optional otherwise).
    pub max_per_pool: String,
    /// Price cap per unit-hour, display currency; empty for none.
    pub cap: String,
    /// Ceiling per hour for the whole fleet, display currency; empty for none.
    pub ceiling: String,
    /// Units kept on pay-as-you-go instances; empty for none.
    pub on_demand_base: String,
    /// Minutes between checkpoints; empty when the job never checkpoints.
    pub checkpoint: String,
    /// Minutes from a reclaim until the replacement works.
    pub restart: String,
    /// Whether the proxy keeps the fleet at its target.
    pub maintain: bool,
    /// A name for people (optional).
    pub name: String,
}

impl Default for FleetForm {
    fn default() -> FleetForm {
        FleetForm {
            target: "10".into(),
            unit: TargetUnit::Instances,
            strategy: StrategyKind::default(),
            min_pools: "3".into(),
            max_per_pool: "4".into(),
            cap: String::new(),
            ceiling: String::new(),
            on_demand_base: String::new(),
            checkpoint: String::new(),
            restart: "10".into(),
            maintain: true,
            name: String::new(),
        }
    }
}

/// The inputs' ids, which problems are shown beside.
pub mod field {
    /// The target.
    pub const TARGET: &str = "fleet-target";
    /// K.
    pub const MIN_POOLS: &str = "fleet-min-pools";
    /// M.
    pub const MAX_PER_POOL: &str = "fleet-max-per-pool";
    /// The price cap.
    pub const CAP: &str = "fleet-cap";
    /// The ceiling.
    pub const CEILING: &str = "fleet-ceiling";
    /// The on-demand base.
    pub const ON_DEMAND_BASE: &str = "fleet-on-demand-base";
    /// The checkpoint interval.
    pub const CHECKPOINT: &str = "fleet-checkpoint";
    /// The restart wait.
    pub const RESTART: &str = "fleet-restart";
}

/// A typed value the field's rule does not accept: the input's id and the message naming field, rule and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    /// The input's id (one of [`field`]).
    pub field: &'static str,
    /// The message.
    pub message: String,
}

/// Reads the form into a fleet request over `requirement` (its pools, hours and display currency), or every
/// problem with the typed values at once.
pub fn read_form(form: &FleetForm, requirement: &Requirement, lang: Lang) -> Result<FleetRequest, Vec<InputProblem>> {
    let mut problems = Vec::new();
    let mut read = |id: &'static str, label: FleetText, rule: Rule, text: &str| -> Option<Decimal> {
        match rule.read(text) {
            Ok(value) => value,
            Err(_) => {
                let message = rule
                    .problem(lang, fleet_text(lang, label), text)
                    .unwrap_or_else(|| text.to_owned());
                problems.push(InputProblem { field: id, message });
                None
            }
        }
    };
    let whole = |value: Option<Decimal>| value.and_then(|number| number.to_u32());
    let target = whole(read(field::TARGET, FleetText::Target, Rule::AtLeastOne, &form.target));
    let diversified = form.strategy == StrategyKind::Diversified;
    let min_pools = if diversified {
        whole(read(
            field::MIN_POOLS,
            FleetText::MinPools,
            Rule::AtLeastOne,
            &form.min_pools,
        ))
    } else {
        None
    };
    let max_rule = if diversified {
        Rule::AtLeastOne
    } else {
        Rule::OptionalAtLeastOne
    };
    let max_per_pool = whole(read(
        field::MAX_PER_POOL,
        FleetText::MaxPerPool,
        max_rule,
        &form.max_per_pool,
    ));
    let cap = read(field::CAP, FleetText::Cap, Rule::OptionalPositive, &form.cap);
    let ceiling = read(
        field::CEILING,
        FleetText::Ceiling,
        Rule::OptionalPositive,
        &form.ceiling,
    );
    let on_demand_base = whole(read(
        field::ON_DEMAND_BASE,
        FleetText::OnDemandBase,
        Rule::OptionalWhole,
        &form.on_demand_base,
    ));
    let checkpoint = whole(read(
        field::CHECKPOINT,
        FleetText::Checkpoint,
        Rule::OptionalAtLeastOne,
        &form.checkpoint,
    ));
    let restart = whole(read(field::RESTART, FleetText::Restart, Rule::Whole, &form.restart));
    if !problems.is_empty() {
        return Err(problems);
    }
    let strategy = match form.strategy {
        StrategyKind::LowestPrice => Strategy::LowestPrice { max_per_pool },
        StrategyKind::PriceAndRisk => Strategy::PriceAndRisk { max_per_pool },
        StrategyKind::Diversified => Strategy::Diversified {
            min_pools: min_pools.unwrap_or(1),
            max_per_pool: max_per_pool.unwrap_or(1),
        },
    };
    let money = |amount: Decimal| Money::new(amount, requirement.currency);
    Ok(FleetRequest {
        requirement: requirement.clone(),
        target: target.unwrap_or(1),
        unit: form.unit,
        strategy,
        price_cap_per_unit: cap.map(money),
        ceiling_per_hour: ceiling.map(money),
        on_demand_base: on_demand_base.unwrap_or(0),
        checkpoint_minutes: checkpoint,
        restart_minutes: restart.unwrap_or(0),
    })
}

/// The input a plan problem belongs beside (its Display names the same field).
pub fn problem_field(problem: &FleetProblem) -> &'static str {
    match problem {
        FleetProblem::EmptyTarget | FleetProblem::Shortfall { .. } => field::TARGET,
        FleetProblem::TooFewPools { .. } => field::MIN_POOLS,
        FleetProblem::OverCeiling { .. } | FleetProblem::CeilingUncheckable { .. } => field::CEILING,
        FleetProblem::Money(_) => field::CAP,
        FleetProblem::NoOnDemandPool | FleetProblem::BaseAboveTarget { .. } => field::ON_DEMAND_BASE,
    }
}

/// The input a proxy's refusal of a fleet belongs beside, from the field its error names (`target`,
/// `ceiling_per_hour`, a pool's `count`: how many one order starts, set by "most per pool"); `None` for a field
/// the form has no input for (a pool's launch details: the refusal names the pool).
pub fn refusal_field(field: &str) -> Option<&'static str> {
    let pool_field = field
        .strip_prefix("pools[")
        .and_then(|rest| rest.split_once(']'))
        .map(|(_, rest)| rest.trim_start_matches('.'));
    match (field, pool_field) {
        ("target" | "unit", _) => Some(field::TARGET),
        ("ceiling_per_hour", _) => Some(field::CEILING),
        (_, Some("count")) => Some(field::MAX_PER_POOL),
        _ => None,
    }
}

/// The catalog offer an instance ran as: its zone's offer, else its region's (clouds priced per region).
fn offer_of(catalog: &Catalog, view: &InstanceView) -> Option<usize> {
    let mut key = OfferKey {
        cloud: view.cloud,
        region: view.region.clone(),
        zone: view.zone.clone(),
        instance_type: view.instance_type.clone()?,
    };
    catalog.find_offer(&key).or_else(|| {
        key.zone.take()?;
        catalog.find_offer(&key)
    })
}

/// How far back what Spotplan saw counts for a pool's risk: a pool's market moves.
pub const SIGNALS_WINDOW_MS: i64 = 30 * 86_400_000;

/// What the instances Spotplan followed say about each pool over the last [`SIGNALS_WINDOW_MS`]: the
/// instance-hours run in it (from first seen running, or the window's start, to its end, or to `now_ms`) and the
/// reclaims in it, as `InterruptionEstimate::Seen` by catalog offer. Pools with too little exposure stay unknown
/// (the estimate itself says so), never risk-free.
pub fn signals_from_instances(catalog: &Catalog, instances: &[InstanceView], now_ms: i64) -> PoolSignals {
    let window_start = now_ms - SIGNALS_WINDOW_MS;
    let mut seen: BTreeMap<usize, (u32, i64)> = BTreeMap::new();
    // An instance's pool as the proxy names it: cloud, region, zone, type.
    type Pool = (Cloud, String, Option<String>, Option<String>);
    let mut offers: BTreeMap<Pool, Option<usize>> = BTreeMap::new();
    for view in instances {
        let pool = (
            view.cloud,
            view.region.clone(),
            view.zone.clone(),
            view.instance_type.clone(),
        );
        let Some(offer) = *offers.entry(pool).or_insert_with(|| offer_of(catalog, view)) else {
            continue;
        };
        // Exposed while it billed (a stop without charge is no time under a spot's risk), in the window.
        let ran_ms = view.billed_span().from(window_start).billed_ms(now_ms).unwrap_or(0);
        let reclaimed_in_window =
            view.state == InstanceState::Reclaimed && view.ended_at_ms.is_none_or(|ended| ended >= window_start);
        let entry = seen.entry(offer).or_default();
        entry.0 += u32::from(reclaimed_in_window);
        entry.1 = entry.1.saturating_add(ran_ms);
    }
    let mut signals = PoolSignals::default();
    for (offer, (reclaims, ran_ms)) in seen {
        let instance_hours = (Decimal::from(ran_ms) / Decimal::from(3_600_000)).round_dp(3);
        signals.risk.insert(
            offer as u32,
            InterruptionEstimate::Seen {
                reclaims,
                instance_hours,
            },
        );
    }
    signals
}

/// Regions asked for the clouds' own pool signals at most, and instance types per region (Alibaba's limit).
pub const SIGNAL_REGIONS: usize = 5;

/// The `POST /api/v1/signals` asks for a requirement: the (cloud, region)s of its cheapest priced offers on the
/// clouds that publish signals (Alibaba, Tencent), each with up to ten of those offers' types, cheapest first.
/// Built from the requirement alone, so the answers do not change what is asked.
pub fn signal_asks(
    planner: &spotplan_core::Planner,
    requirement: &Requirement,
) -> Vec<spotplan_core::api::signals::SignalsBody> {
    use spotplan_core::api::signals::{MAX_SIGNAL_TYPES, SignalsBody};
    let catalog = planner.catalog();
    let mut asks: Vec<SignalsBody> = Vec::new();
    for ranked in planner.plan(requirement).ranked.iter().filter(|r| r.priced).take(2_000) {
        let key = catalog.key_of(ranked.offer as usize);
        if !spotplan_core::clouds::api(key.cloud).has_pool_signals() {
            continue;
        }
        let at = asks
            .iter()
            .position(|ask| ask.cloud == key.cloud && ask.region == key.region);
        let ask = match at {
            Some(index) => &mut asks[index],
            None if asks.len() < SIGNAL_REGIONS => {
                asks.push(SignalsBody {
                    cloud: key.cloud,
                    region: key.region.clone(),
                    instance_types: Vec::new(),
                });
                let last = asks.len() - 1;
                &mut asks[last]
            }
            None => continue,
        };
        if ask.instance_types.len() < MAX_SIGNAL_TYPES && !ask.instance_types.contains(&key.instance_type) {
            ask.instance_types.push(key.instance_type);
        }
    }
    asks
}

/// Adds what the clouds said of their pools: Alibaba's bucket where Spotplan has not seen enough itself (what it
/// saw wins once it has), and Tencent's sold-out pools.
pub fn merge_cloud_signals(
    catalog: &Catalog,
    signals: &mut PoolSignals,
    ask: &spotplan_core::api::signals::SignalsBody,
    answer: &spotplan_core::api::signals::SignalsAnswer,
) {
    use spotplan_core::api::signals::Stock;
    for signal in &answer.signals {
        let key = OfferKey {
            cloud: ask.cloud,
            region: ask.region.clone(),
            zone: Some(signal.zone.clone()),
            instance_type: signal.instance_type.clone(),
        };
        let Some(offer) = catalog.find_offer(&key) else {
            continue;
        };
        let offer = offer as u32;
        if let Some(bucket) = signal.interruption {
            let seen = signals.risk.get(&offer).copied().unwrap_or_default();
            signals
                .risk
                .insert(offer, seen.or(InterruptionEstimate::AlibabaBucket { bucket }));
        }
        if matches!(signal.stock, Some(Stock::SoldOut { .. })) {
            signals.sold_out.insert(offer);
        }
    }
}

/// Units one instance of `key` brings (the planner's own rule: 1, its vCPUs or its whole GiB); 0 when the pool is
/// not in the catalog.
pub fn unit_weight(catalog: &Catalog, key: &OfferKey, unit: TargetUnit) -> u32 {
    let Some(offer) = catalog.find_offer(key) else { return 0 };
    unit.weight_of(catalog.type_of(&catalog.offers()[offer]))
}

/// The launch details of an order for `key`: a draft in the account's currency with the fields remembered for its
/// cloud and region written in, as the Plan page writes them into its draft.
pub fn launch_order(key: &OfferKey, account_currency: Currency, remembered: &[(OrderField, String)]) -> SpotOrder {
    let mut order = draft_order(key, 1);
    order.account_currency = account_currency;
    for (field, value) in remembered {
        apply_field(&mut order, *field, value);
    }
    order
}

/// One subnet given to pools in several zones of a region: a subnet (Alibaba's vSwitch) lives in one zone, so the
/// orders of the other zones would be refused or land elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedSubnet {
    /// The subnet id.
    pub subnet: String,
    /// The zones it was given to.
    pub zones: Vec<String>,
}

/// Subnets the fleet's orders give to more than one zone.
pub fn shared_subnets(orders: &[FleetOrder]) -> Vec<SharedSubnet> {
    let mut zones: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for order in orders {
        let (Some(subnet), Some(zone)) = (order.order.network.subnet_id.as_deref(), order.pool.zone.as_ref()) else {
            continue;
        };
        let list = zones.entry(subnet).or_default();
        if !list.contains(zone) {
            list.push(zone.clone());
        }
    }
    zones
        .into_iter()
        .filter(|(_, zones)| zones.len() > 1)
        .map(|(subnet, zones)| SharedSubnet {
            subnet: subnet.to_owned(),
            zones,
        })
        .collect()
}

/// Units of the plan the proxy places and keeps: the target less the on-demand base (pay-as-you-go, which the
/// proxy's spot orders cannot place).
pub fn spot_target(plan: &FleetPlan) -> u32 {
    let base: u64 = plan
        .allocations
        .iter()
        .filter(|allocation| allocation.on_demand)
        .map(|allocation| u64::from(allocation.count) * u64::from(allocation.weight))
        .sum();
    u32::try_from(plan.target.saturating_sub(base)).unwrap_or(u32::MAX)
}

/// The body of `POST /api/v1/fleets`: `target` units (the plan's spot part) within `ceiling_per_hour` (what the
/// plan's ceiling leaves for them, [`spotplan_core::fleet::FleetPlan::spot_ceiling`]), the orders in the
/// strategy's order, chosen pools with their counts, standby pools with 0.
pub fn submission(
    request: &FleetRequest,
    target: u32,
    ceiling_per_hour: Option<Money>,
    maintain: bool,
    name: &str,
    orders: &[FleetOrder],
) -> FleetSubmission {
    let name = name.trim();
    FleetSubmission {
        name: (!name.is_empty()).then(|| name.to_owned()),
        target,
        unit: request.unit,
        maintain,
        ceiling_per_hour,
        pools: orders
            .iter()
            .map(|order| FleetPool {
                pool: order.pool.clone(),
                weight: order.weight,
                count: if order.standby { 0 } else { order.order.count },
                order: order.order.clone(),
            })
            .collect(),
    }
}

/// A word for a POSIX shell, single-quoted.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// A curl command that places the fleet through the proxy at `proxy_url` under `key`, with the token from
/// `$SPOTPLAN_TOKEN`. The JSON travels in a quoted here-document, so nothing in it needs escaping.
pub fn curl_snippet(proxy_url: &str, key: &str, body: &FleetSubmission) -> String {
    let json = serde_json::to_string_pretty(body).unwrap_or_default();
    let url = format!("{}{}", proxy_url.trim_end_matches('/'), spotplan_core::api::FLEETS);
    format!(
        "# Places the fleet through the local Spotplan proxy; it signs each order with your credentials.\n\
         # The proxy printed its token at start: export SPOTPLAN_TOKEN=<token>\n\
         curl -sS -X POST {url} \\\n  \
         -H 'Content-Type: application/json' \\\n\
         {token}  \
         -H {key} \\\n\
         {body}",
        url = shell_quote(&url),
        token = spotplan_core::order::format::curl::TOKEN_HEADER_ARG,
        key = shell_quote(&format!("{}: {key}", spotplan_core::api::IDEMPOTENCY_KEY)),
        body = spotplan_core::order::format::curl::body_with_token("<<'JSON'", &json),
    )
}

/// The fleet draft's idempotency key: kept for every resend of the same body, renewed when the body changes after
/// a send (the proxy would refuse a known key with another body) and after the proxy placed the fleet — but not
/// while the last send's outcome is unknown (no answer, an unreadable one): the proxy may have logged that fleet
/// and be placing it, so a Place then resends the body as it was sent, under its key, however the plan moved since
/// (live prices, risk). Otherwise a retry would be a second fleet. Nor while a send is on its way: the answer is
/// the key's, whatever was edited meanwhile. `P` is the body as sent (kept typed, so a resend needs no parsing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftKey<P = ()> {
    key: String,
    /// The body last sent under the key: its JSON, and as sent.
    sent: Option<(String, P)>,
    /// Whether the last send's outcome is unknown.
    unsettled: bool,
    /// Whether a send is on its way (no answer yet).
    in_flight: bool,
}

impl<P> DraftKey<P> {
    /// A draft with a fresh key.
    pub fn new(key: String) -> DraftKey<P> {
        DraftKey {
            key,
            sent: None,
            unsettled: false,
            in_flight: false,
        }
    }

    /// A draft whose send under `key` (`json`, and as sent) has no known outcome: the page was reloaded while it
    /// was on its way.
    pub fn recovered(key: String, json: String, sent: P) -> DraftKey<P> {
        DraftKey {
            key,
            sent: Some((json, sent)),
            unsettled: true,
            in_flight: false,
        }
    }

    /// While the last send's outcome is unknown, what a Place sends again: that body, its JSON and as sent.
    pub fn unsettled_body(&self) -> Option<(&str, &P)> {
        self.sent
            .as_ref()
            .filter(|_| self.unsettled)
            .map(|(json, body)| (json.as_str(), body))
    }

    /// Whether the last send's outcome is unknown (a Place resends it as it was sent).
    pub fn unsettled(&self) -> bool {
        self.unsettled
    }

    /// The last send came back without a readable answer: the fleet may exist.
    pub fn outcome_unknown(&mut self) {
        self.in_flight = false;
        self.unsettled = self.sent.is_some();
    }

    /// The proxy answered the last send with its own refusal: nothing of it was logged under the key.
    pub fn refused(&mut self) {
        self.in_flight = false;
        self.unsettled = false;
    }

    /// The draft's key as it stands.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The key `body` goes under: the draft's, unless that was sent with another body (then `fresh()`).
    pub fn key_for(&mut self, body: &str, fresh: impl FnOnce() -> String) -> &str {
        if !self.unsettled && !self.in_flight && self.sent.as_ref().is_some_and(|(sent, _)| sent != body) {
            *self = DraftKey::new(fresh());
        }
        &self.key
    }

    /// `body` (its JSON, and as sent) is on its way under the key.
    pub fn sending(&mut self, body: &str, sent: P) {
        self.sent = Some((body.to_owned(), sent));
        self.in_flight = true;
    }

    /// The proxy placed the fleet: the next draft gets a new key.
    pub fn placed(&mut self, fresh: String) {
        *self = DraftKey::new(fresh);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn view(zone: &str, kind: &str, state: InstanceState, ran: Option<(i64, Option<i64>)>) -> InstanceView {
        InstanceView {
            cloud: Cloud::Alibaba,
            id: format!("i-{zone}-{kind}"),
            region: "cn-hangzhou".into(),
            order_id: None,
            state,
            cloud_state: None,
            zone: Some(zone.into()),
            instance_type: Some(kind.into()),
            price_per_hour: None,
            cost_so_far: None,
            placed_at_ms: 0,
            running_since_ms: ran.map(|(since, _)| since),
            ended_at_ms: ran.and_then(|(_, end)| end),
            paused_ms: 0,
            paused_since_ms: None,
            notice_at_ms: None,
            reclaim_at_ms: None,
            reason: None,
            last_checked_ms: None,
            placed_by: None,
        }
    }

    #[test]
    fn a_proxy_refusal_is_placed_beside_the_input_that_sets_its_field() {
        assert_eq!(refusal_field("target"), Some(field::TARGET));
        assert_eq!(refusal_field("ceiling_per_hour"), Some(field::CEILING));
        assert_eq!(refusal_field("pools[3].count"), Some(field::MAX_PER_POOL));
        assert_eq!(
            refusal_field("pools[0].order.image_id"),
            None,
            "named by its pool, not an input here"
        );
        assert_eq!(refusal_field("name"), None);
    }

    #[test]
    fn the_form_reads_into_a_request_and_names_every_bad_value() {
        let requirement = crate::state::initial_requirement();
        let form = FleetForm {
            cap: "0.25".into(),
            checkpoint: "30".into(),
            ..FleetForm::default()
        };
        let request = read_form(&form, &requirement, Lang::En).unwrap();
        assert_eq!(request.target, 10);
        assert_eq!(request.strategy, Strategy::PriceAndRisk { max_per_pool: Some(4) });
        assert_eq!(
            request.price_cap_per_unit,
            Some(Money::new(Decimal::new(25, 2), Currency::Cny))
        );
        assert_eq!((request.checkpoint_minutes, request.restart_minutes), (Some(30), 10));
        assert_eq!((request.ceiling_per_hour, request.on_demand_base), (None, 0));
        // Diversified takes K and needs M; an empty M elsewhere means no limit.
        let spread = FleetForm {
            strategy: StrategyKind::Diversified,
            ..FleetForm::default()
        };
        assert_eq!(
            read_form(&spread, &requirement, Lang::En).unwrap().strategy,
            Strategy::Diversified {
                min_pools: 3,
                max_per_pool: 4
            }
        );
        let open = FleetForm {
            max_per_pool: " ".into(),
            strategy: StrategyKind::LowestPrice,
            ..FleetForm::default()
        };
        assert_eq!(
            read_form(&open, &requirement, Lang::En).unwrap().strategy,
            Strategy::LowestPrice { max_per_pool: None }
        );
        let bad = FleetForm {
            target: "0".into(),
            cap: "-1".into(),
            restart: "".into(),
            max_per_pool: "".into(),
            strategy: StrategyKind::Diversified,
            ..FleetForm::default()
        };
        let problems = read_form(&bad, &requirement, Lang::En).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, [field::TARGET, field::MAX_PER_POOL, field::CAP, field::RESTART]);
        assert_eq!(
            problems[0].message,
            "Target must be a whole number of 1 or more, not “0”"
        );
        assert!(problems[2].message.contains("“-1”"), "{}", problems[2].message);
    }

    #[test]
    fn instances_become_seen_estimates_keyed_by_catalog_offer() {
        let catalog = Catalog::embedded().unwrap();
        let key = catalog.key_of(
            catalog
                .offers()
                .iter()
                .position(|offer| offer.zone.is_some() && catalog.type_of(offer).cloud == Cloud::Alibaba)
                .unwrap(),
        );
        let offer = catalog.find_offer(&key).unwrap() as u32;
        let zone = key.zone.clone().unwrap();
        let mut instances = vec![
            // 10 h, then reclaimed; 20 h and still running at "now" (72,000,000 ms); never ran.
            view(
                &zone,
                &key.instance_type,
                InstanceState::Reclaimed,
                Some((0, Some(36_000_000))),
            ),
            view(&zone, &key.instance_type, InstanceState::Running, Some((0, None))),
            view(&zone, &key.instance_type, InstanceState::Pending, None),
            // Not in the catalog: no signal.
            view(&zone, "ecs.unknown.type", InstanceState::Reclaimed, Some((0, Some(1)))),
        ];
        instances[0].region = key.region.clone();
        instances[1].region = key.region.clone();
        instances[2].region = key.region.clone();
        let signals = signals_from_instances(&catalog, &instances, 72_000_000);
        assert_eq!(signals.risk.len(), 1);
        assert_eq!(
            signals.risk.get(&offer),
            Some(&InterruptionEstimate::Seen {
                reclaims: 1,
                instance_hours: Decimal::from(30)
            })
        );
        // Thirty days and eleven hours on: the reclaim (at 10 h) is out of the window, and of the instance still
        // running only the window's 720 hours count.
        let later = signals_from_instances(&catalog, &instances, SIGNALS_WINDOW_MS + 40_000_000);
        assert_eq!(
            later.risk.get(&offer),
            Some(&InterruptionEstimate::Seen {
                reclaims: 0,
                instance_hours: Decimal::from(720)
            })
        );
        assert!(signals.sold_out.is_empty());
    }

    #[test]
    fn the_clouds_signals_are_asked_for_the_cheapest_regions_and_merged_under_what_was_seen() {
        use spotplan_core::api::signals::{PoolSignal, SignalsAnswer, Stock};
        use spotplan_core::fleet::AlibabaBucket;
        let planner = spotplan_core::Planner::new(Catalog::embedded().unwrap(), spotplan_core::ExchangeRate::default());
        let requirement = crate::state::initial_requirement();
        let asks = signal_asks(&planner, &requirement);
        assert!(!asks.is_empty() && asks.len() <= SIGNAL_REGIONS, "{asks:?}");
        assert!(
            asks.iter()
                .all(|ask| ask.cloud != Cloud::Baidu && (1..=10).contains(&ask.instance_types.len()))
        );
        // An Alibaba zone's bucket becomes the estimate of its offer; Tencent's sold-out marks the pool.
        let catalog = planner.catalog();
        let alibaba = (0..catalog.offers().len())
            .map(|offer| catalog.key_of(offer))
            .find(|key| key.cloud == Cloud::Alibaba && key.zone.is_some())
            .unwrap();
        let ask = spotplan_core::api::signals::SignalsBody {
            cloud: Cloud::Alibaba,
            region: alibaba.region.clone(),
            instance_types: vec![alibaba.instance_type.clone()],
        };
        let answer = SignalsAnswer {
            signals: vec![PoolSignal {
                zone: alibaba.zone.clone().unwrap(),
                instance_type: alibaba.instance_type.clone(),
                interruption: Some(AlibabaBucket::UpTo5),
                average_spot_percent: Some(20),
                stock: Some(Stock::SoldOut { reason: None }),
            }],
            source: "DescribeSpotAdvice".into(),
            fetched_at: 0,
            cached: false,
        };
        let offer = catalog.find_offer(&alibaba).unwrap() as u32;
        let mut signals = PoolSignals::default();
        merge_cloud_signals(catalog, &mut signals, &ask, &answer);
        assert_eq!(
            signals.risk.get(&offer),
            Some(&InterruptionEstimate::AlibabaBucket {
                bucket: AlibabaBucket::UpTo5
            })
        );
        assert!(signals.sold_out.contains(&offer));
        // What Spotplan saw itself, once enough, wins over the bucket.
        let seen = InterruptionEstimate::Seen {
            reclaims: 2,
            instance_hours: Decimal::from(200),
        };
        let mut signals = PoolSignals::default();
        signals.risk.insert(offer, seen);
        merge_cloud_signals(catalog, &mut signals, &ask, &answer);
        assert_eq!(signals.risk.get(&offer), Some(&seen));
    }

    #[test]
    fn the_draft_key_survives_retries_and_changes_with_the_body_or_after_placing() {
        let mut draft: DraftKey = DraftKey::new("k-first-000".into());
        assert_eq!(draft.key_for("a", || "k-second-00".into()), "k-first-000");
        draft.sending("a", ());
        assert_eq!(
            draft.key_for("b", || "unused".into()),
            "k-first-000",
            "edited while the send is on its way: the key waits for the answer"
        );
        draft.refused();
        assert_eq!(draft.key_for("a", || "k-second-00".into()), "k-first-000", "a retry");
        assert_eq!(
            draft.key_for("b", || "k-second-00".into()),
            "k-second-00",
            "another body"
        );
        assert_eq!(
            draft.key_for("a", || "k-third-000".into()),
            "k-second-00",
            "not sent yet"
        );
        draft.sending("a", ());
        draft.placed("k-fourth-00".into());
        assert_eq!(draft.key_for("a", || "unused".into()), "k-fourth-00");
    }

    #[test]
    fn after_a_send_without_an_answer_the_draft_resends_that_body_under_its_key_whatever_the_plan_does() {
        let mut draft: DraftKey = DraftKey::new("k-first-000".into());
        draft.sending("a", ());
        draft.outcome_unknown();
        assert!(draft.unsettled());
        // The plan moved (a live price): the key stays, and what is sent is what was sent.
        assert_eq!(draft.key_for("b", || "k-second-00".into()), "k-first-000");
        assert_eq!(draft.unsettled_body().map(|(json, _)| json), Some("a"));
        // The proxy answered with its own refusal: the changed plan is a new fleet under a new key.
        draft.refused();
        assert_eq!(draft.unsettled_body(), None);
        assert_eq!(draft.key_for("b", || "k-second-00".into()), "k-second-00");
    }

    #[test]
    fn the_curl_command_carries_the_key_the_token_header_and_the_body() {
        let body = FleetSubmission {
            name: Some("render".into()),
            target: 4,
            unit: TargetUnit::Vcpus,
            maintain: true,
            ceiling_per_hour: None,
            pools: Vec::new(),
        };
        let text = curl_snippet("http://127.0.0.1:8787/", "k-1234567", &body);
        assert!(
            text.contains("curl -sS -X POST 'http://127.0.0.1:8787/api/v1/fleets'"),
            "{text}"
        );
        assert!(text.contains("-H 'Idempotency-Key: k-1234567'"));
        assert!(
            text.contains("-H @/dev/fd/3")
                && text.contains("3<<SPOTPLAN_TOKEN_HEADER <<'JSON'\nX-Spotplan-Token: $SPOTPLAN_TOKEN\n")
        );
        assert!(text.contains("\"unit\": \"vcpus\""));
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn a_subnet_given_to_two_zones_is_named() {
        let pool = |zone: &str| OfferKey {
            cloud: Cloud::Alibaba,
            region: "cn-hangzhou".into(),
            zone: Some(zone.into()),
            instance_type: "ecs.c7.large".into(),
        };
        let order = |zone: &str, subnet: &str| {
            let mut order = launch_order(&pool(zone), Currency::Cny, &[(OrderField::Subnet, subnet.into())]);
            order.count = 2;
            FleetOrder {
                pool: pool(zone),
                weight: 1,
                standby: false,
                order,
                problems: Vec::new(),
            }
        };
        let orders = [
            order("cn-hangzhou-h", "vsw-1"),
            order("cn-hangzhou-i", "vsw-1"),
            order("cn-hangzhou-j", "vsw-2"),
        ];
        assert_eq!(
            shared_subnets(&orders),
            [SharedSubnet {
                subnet: "vsw-1".into(),
                zones: vec!["cn-hangzhou-h".into(), "cn-hangzhou-i".into()]
            }]
        );
        let mut standby = orders[2].clone();
        standby.standby = true;
        let body = submission(
            &read_form(&FleetForm::default(), &crate::state::initial_requirement(), Lang::En).unwrap(),
            10,
            None,
            false,
            "  ",
            &[orders[0].clone(), standby],
        );
        let counts: Vec<u32> = body.pools.iter().map(|pool| pool.count).collect();
        assert_eq!((body.name, counts, body.maintain), (None, vec![2, 0], false));
    }
}

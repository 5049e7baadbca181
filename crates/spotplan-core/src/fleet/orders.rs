//! The orders that realise a fleet plan's spot part (the on-demand base is pay-as-you-go: Alibaba's group request
//! carries it, a spot order cannot): one `SpotOrder` per chosen spot pool (its instances) and per standby pool (one
//! instance, the unit a replacement orders), each with the launch details the person gave for its cloud and place,
//! a limit bid of the price cap times the pool's weight when a cap is set, and the validation every single order
//! gets.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{FleetPlan, FleetRequest};
use crate::catalog::OfferKey;
use crate::fx::ExchangeRate;
use crate::money::{PriceRate, TimeUnit};
use crate::order::draft::draft_order;
use crate::order::native_bid::NativeBid;
use crate::order::native_bid::native_bid;
use crate::order::{BidMode, Problem, Severity, SpotOrder, ValidationContext, validate};

/// The cap, converted into the cloud's unit and the account's currency, had more decimals than the cloud takes:
/// the bid sent is rounded up (so it is never below the market the cap allows), a fraction above the cap — said.
fn cap_rounded_up(bid: &NativeBid) -> Problem {
    // The exact figure can have many decimals (a per-minute conversion): eight say enough beside the one sent.
    let exact = bid.exact.money.amount.round_dp(8).normalize();
    let sent = bid.price.amount().normalize();
    let (currency, unit) = (bid.exact.money.currency, bid.exact.per.label());
    Problem {
        field: "bid.max_price".into(),
        rule: "fleet.price_cap.rounded_up".into(),
        value: sent.to_string(),
        severity: Severity::Warning,
        message_en: format!(
            "the price cap for one instance of this pool is {exact} {currency} per {unit}; the cloud takes fewer \
             decimals, so the bid sent is {sent} {currency} per {unit}, a fraction above the cap"
        ),
        message_zh: format!(
            "此资源池每台实例的价格上限为每{unit} {exact} {currency}；云厂商接受的小数位更少，因此发送的出价为每{unit} \
             {sent} {currency}，略高于上限"
        ),
        prevents: None,
        source: Some("the cloud's bid decimals (its folder's bid_unit)".into()),
    }
}

/// One order of a fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetOrder {
    /// The pool.
    pub pool: OfferKey,
    /// Units one instance brings.
    pub weight: u32,
    /// Whether the pool waits for a shortfall or a replacement (its order is for one instance).
    pub standby: bool,
    /// The order.
    pub order: SpotOrder,
    /// What validation says of it.
    pub problems: Vec<Problem>,
}

/// The launch details of an order for `pool` (image, network, login, disks, names, tags; the site's currency):
/// the caller's, per cloud and place.
pub type LaunchFor<'a> = dyn Fn(&OfferKey) -> Option<SpotOrder> + 'a;

fn with_launch(mut order: SpotOrder, launch: Option<SpotOrder>) -> SpotOrder {
    if let Some(launch) = launch {
        order.account_currency = launch.account_currency;
        order.image_id = launch.image_id.clone();
        order.network = launch.network.clone();
        order.login = launch.login.clone();
        order.system_disk = launch.system_disk.clone();
        order.data_disks = launch.data_disks.clone();
        order.os = launch.os;
        order.name = launch.name.clone();
        order.hostname = launch.hostname.clone();
        order.tags = launch.tags.clone();
        order.user_data = launch.user_data.clone();
        if let Some(card) = launch.baidu.as_ref().and_then(|b| b.isomerism_card.clone())
            && let Some(shape) = order.baidu.as_mut()
        {
            shape.isomerism_card = Some(card);
        }
    }
    order
}

/// The fleet's orders, chosen pools first, then standby ones. `weights` gives a standby pool's weight.
pub fn fleet_orders(
    plan: &FleetPlan,
    request: &FleetRequest,
    fx: &ExchangeRate,
    launch: &LaunchFor<'_>,
    standby_weight: &dyn Fn(&OfferKey) -> u32,
    context: &ValidationContext,
) -> Vec<FleetOrder> {
    // Spot pools only: the on-demand base is pay-as-you-go, which a spot order cannot place.
    let chosen = plan
        .allocations
        .iter()
        .filter(|allocation| !allocation.on_demand)
        .map(|allocation| (allocation.key.clone(), allocation.weight, allocation.count, false));
    let standby = plan
        .standby
        .iter()
        .map(|key| (key.clone(), standby_weight(key).max(1), 1, true));
    chosen
        .chain(standby)
        .map(|(pool, weight, count, standby)| {
            // Bids go in the account's currency: the requirement's, unless the launch details say otherwise.
            let mut draft = draft_order(&pool, count);
            draft.account_currency = request.requirement.account_currencies.of(pool.cloud);
            let mut order = with_launch(draft, launch(&pool));
            let mut rounded_up = None;
            if let Some(cap) = request.price_cap_per_unit {
                let per_instance = PriceRate::new(
                    crate::money::Money::new(cap.amount * Decimal::from(weight), cap.currency),
                    TimeUnit::Hour,
                );
                if let Ok(bid) = native_bid(per_instance, pool.cloud, order.account_currency, fx) {
                    order.bid.mode = BidMode::Limit;
                    order.bid.max_price = Some(bid.price);
                    rounded_up = bid.rounded.then(|| cap_rounded_up(&bid));
                }
            }
            let mut problems = validate(&order, context).problems;
            problems.extend(rounded_up);
            FleetOrder {
                pool,
                weight,
                standby,
                order,
                problems,
            }
        })
        .collect()
}

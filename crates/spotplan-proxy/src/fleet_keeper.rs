//! The fleet keeper: places a fleet's first orders, moves a shortfall (a pool out of stock, a partial fill, an
//! order whose instances all failed to launch) to the next pool in the strategy's order, and — for a maintained fleet — orders a replacement from the first pool with
//! stock whenever reclaims or launch failures leave it below its target. When every pool has run out, a maintained
//! fleet waits and tries them again [`STOCK_RETRY_AFTER`] after its last order; a fleet that is not maintained
//! stops. A maintained fleet that runs above its target (an instance it replaced runs again) is trimmed back to it
//! ([`crate::fleet_trim`]).
//!
//! Exactly once: every order is a numbered step, written to the fleet book before the order is sent, whose
//! idempotency key is the fleet's key and the step (`<key>_s3`); the order itself goes through
//! [`crate::exactly_once`]. A proxy stopped mid-replacement finds the step at start and processes the same order
//! under the same key, which the order log answers once. Units still being ordered, or whose order's outcome is
//! unknown, count as live, so nothing is ordered twice while an answer is outstanding. An unknown order is
//! processed again under its key at most once every [`UNKNOWN_RETRY_AFTER`]: resent with its ClientToken within
//! the cloud's window, looked up by its tag after it. Found, its instances count; `not_found` (a lookup found
//! nothing of it), its units are no longer live and the shortfall is ordered afresh under a new step.
//!
//! Never above the ceiling: before each order the bound of everything that may still bill (the bids of live and
//! reclaim-noticed instances and of orders in flight) plus the new order's bound must stay within the fleet's
//! ceiling; the order is made smaller to fit, and a fleet that cannot fit one more instance waits, saying so, until
//! reclaimed instances stop billing.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use spotplan_core::api::fleet_reason::{FleetReason, FleetReasonWords};
use spotplan_core::api::fleets::{FleetInstanceCounts, FleetOrderView, FleetState, FleetView};
use spotplan_core::api::instances::InstanceRef;
use spotplan_core::clouds::wire;
use spotplan_core::lifecycle::InstanceState;
use spotplan_core::order::idempotency::client_token_for;
use spotplan_core::order::outcome::OrderStatus;
use spotplan_core::{Currency, ExchangeRate, Money};

use crate::AppState;
use crate::error::ApiError;
use crate::exactly_once::{Submission, process};
use crate::fleet_book::{self, FleetRow, StepRow};
use crate::instance_book::{self, InstanceRow};
use crate::store::StoreError;
use crate::upstream::now_unix_millis;

/// The most orders one fleet places over its life.
pub const MAX_STEPS: u32 = 9_999;

/// How long after a cloud throttled one of its orders (after the proxy's own retries) a fleet orders again: the
/// refusal says "slow down", not "no".
pub const THROTTLE_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// How long after its last order a maintained fleet whose every pool ran out of stock tries its pools again.
pub const STOCK_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// How long after its last attempt an order whose outcome is unknown is processed again under its key.
pub const UNKNOWN_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// What a fleet's steps, orders and instances add up to.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Units running.
    pub running_units: u64,
    /// Units starting, or ordered with no final answer yet.
    pub pending_units: u64,
    /// Units whose release is asked and not yet seen to take: they count as live until they are gone, or a
    /// release that does not take (the follower puts them back to running) would leave the fleet a unit over its
    /// target for good, its replacement ordered meanwhile.
    pub releasing_units: u64,
    /// Instances by state.
    pub counts: FleetInstanceCounts,
    /// The running instances, for trimming a fleet that runs above its target.
    pub running: Vec<crate::fleet_trim::Member>,
    /// What everything that may still bill may cost per hour, in the fleet's money (`None`: something is unbounded).
    pub bound: Option<Money>,
    /// What its instances have cost so far at most.
    pub cost_so_far: Option<Money>,
    /// Steps whose order is not in the log, or never left the proxy: processed again under the same key.
    pub unsent: Vec<StepRow>,
    /// Steps whose order's outcome is unknown, with when it was last attempted (Unix ms).
    pub unknown: Vec<(StepRow, i64)>,
    /// Steps whose order is logged `pending`: being sent at this moment, or left so by a replica that died while
    /// sending it (the reconciler resolves those).
    pub in_flight: Vec<StepRow>,
    /// Pools whose latest settled order a cloud answered with no stock, or filled only partly.
    pub unavailable: Vec<usize>,
    /// An order the cloud refused for another reason than stock or throttling.
    pub refusal: Option<FleetReason>,
    /// Until when (Unix ms) the fleet orders nothing because the cloud throttled an order, and what it answered.
    pub throttled: Option<(i64, FleetReason)>,
    /// The orders, for the view.
    pub orders: Vec<FleetOrderView>,
}

/// The currency a fleet's figures are in: its ceiling's, else its first order's account currency.
fn fleet_currency(fleet: &FleetRow) -> Currency {
    fleet
        .spec
        .ceiling_per_hour
        .map(|ceiling| ceiling.currency)
        .or_else(|| fleet.spec.pools.first().map(|pool| pool.order.account_currency))
        .unwrap_or(Currency::Cny)
}

fn add(fx: &ExchangeRate, total: Option<Money>, amount: Option<Money>) -> Option<Money> {
    let amount = fx.convert(amount?, total?.currency).ok()?;
    total?.checked_add(amount).ok()
}

/// The most instances of pool `index` one order may start under the proxy's ceiling for one order
/// (`SPOTPLAN_MAX_ORDER_PER_HOUR`), when one is set and the pool's hourly bound is known: a shortfall larger than
/// that goes out as several orders, one a round, not as one the ceiling refuses (which would stall the fleet).
/// `Some(0)` when not even one fits: that order is refused, and the fleet stalls saying so.
fn fits_one_order(state: &AppState, fleet: &FleetRow, index: usize) -> Option<u32> {
    let limit = state.config.spend.max_order_per_hour?;
    let pool = fleet.spec.pools.get(index)?;
    let mut one = pool.order.clone();
    one.count = 1;
    let fx = &state.config.exchange_rate;
    let bound = crate::spend::hourly_bound(&one, one.account_currency, state.known_prices(), fx)?;
    let each = fx.convert(bound.per_hour, limit.currency).ok()?;
    if each.amount <= Decimal::ZERO {
        return None;
    }
    limit
        .amount
        .checked_div(each.amount)
        .map(|fits| fits.floor().to_u32().unwrap_or(u32::MAX))
}

/// The most one instance of pool `index` may cost per hour, in the fleet's money.
pub(crate) fn instance_bound(state: &AppState, fleet: &FleetRow, index: usize) -> Option<Money> {
    let pool = fleet.spec.pools.get(index)?;
    let mut order = pool.order.clone();
    order.count = 1;
    let bound = crate::spend::hourly_bound(
        &order,
        order.account_currency,
        state.known_prices(),
        &state.config.exchange_rate,
    )?;
    state
        .config
        .exchange_rate
        .convert(bound.per_hour, fleet_currency(fleet))
        .ok()
}

/// Adds up a fleet's steps, the orders they placed and those orders' instances.
pub(crate) async fn tally(state: &AppState, fleet: &FleetRow, steps: &[StepRow]) -> Result<Tally, StoreError> {
    let now_ms = now_unix_millis();
    let currency = fleet_currency(fleet);
    let mut tally = Tally {
        bound: Some(Money::zero(currency)),
        cost_so_far: Some(Money::zero(currency)),
        ..Tally::default()
    };
    let mut book: BTreeMap<(spotplan_core::Cloud, String), InstanceRow> = BTreeMap::new();
    if !steps.is_empty() {
        for row in instance_book::all(&state.store).await? {
            book.insert((row.cloud, row.id.clone()), row);
        }
    }
    // Each pool's stock as its latest settled order found it (steps are in order).
    let mut stock: BTreeMap<usize, bool> = BTreeMap::new();
    for step in steps {
        let Some(pool) = fleet.spec.pools.get(step.pool) else {
            continue;
        };
        let weight = u64::from(pool.weight.max(1));
        let ordered = u64::from(step.count) * weight;
        let in_flight_bound =
            instance_bound(state, fleet, step.pool).and_then(|each| each.checked_mul(Decimal::from(step.count)).ok());
        // Only the fleet's own order counts (placed in its creator's name): another person's under one of its keys,
        // taken before the fleet was made, is not the fleet's to count.
        let record = state
            .store
            .by_key(&step.order_key)
            .await?
            .filter(|record| record.view.placed_by == fleet.created_by);
        tally.orders.push(FleetOrderView {
            step: step.step,
            pool: pool.pool.clone(),
            count: step.count,
            replacement: step.replacement,
            idempotency_key: step.order_key.clone(),
            order_id: record.as_ref().map(|r| r.view.id.clone()),
            status: record.as_ref().map(|r| r.view.status),
        });
        let Some(record) = record else {
            tally.unsent.push(step.clone());
            tally.pending_units += ordered;
            tally.bound = add(&state.config.exchange_rate, tally.bound, in_flight_bound);
            continue;
        };
        let view = &record.view;
        match view.status {
            // Sent again under its key: its units are on their way, and may bill — at the bound it is sent at, as
            // of now (prices move while it waits), not the one it was first logged with.
            OrderStatus::NotSent => {
                tally.unsent.push(step.clone());
                tally.pending_units += ordered;
                tally.bound = add(
                    &state.config.exchange_rate,
                    tally.bound,
                    in_flight_bound.or(view.max_cost_per_hour),
                );
            }
            OrderStatus::Pending | OrderStatus::Unknown => {
                tally.pending_units += ordered;
                tally.bound = add(
                    &state.config.exchange_rate,
                    tally.bound,
                    view.max_cost_per_hour.or(in_flight_bound),
                );
                if view.status == OrderStatus::Unknown {
                    let last = view.finished_at_ms.unwrap_or(view.created_at_ms);
                    tally.unknown.push((step.clone(), last));
                } else {
                    tally.in_flight.push(step.clone());
                }
            }
            // Looked up past the ClientToken window and nothing of it exists: it holds no units, bills nothing.
            OrderStatus::NotFound => {}
            OrderStatus::Failed => {
                let code = view.error_code.clone().unwrap_or_default();
                if wire(view.cloud).pool_unavailable(&code) {
                    stock.insert(step.pool, false);
                } else if wire(view.cloud).is_throttled(&code) {
                    let until =
                        view.finished_at_ms.unwrap_or(view.created_at_ms) + THROTTLE_RETRY_AFTER.as_millis() as i64;
                    if tally.throttled.as_ref().is_none_or(|(later, _)| until > *later) {
                        tally.throttled = Some((
                            until,
                            FleetReason::Throttled {
                                cloud: view.cloud.display_name().to_owned(),
                                order_id: view.id.clone(),
                                code,
                                retry_after_s: THROTTLE_RETRY_AFTER.as_secs(),
                            },
                        ));
                    }
                } else {
                    tally.refusal = Some(FleetReason::CloudRefused {
                        order_id: view.id.clone(),
                        pool: pool.pool.clone(),
                        code,
                        message: view.error_message.clone().unwrap_or_default(),
                    });
                }
            }
            OrderStatus::DryRunPassed => {}
            OrderStatus::Succeeded => {
                // A partial fill says the pool ran short; a full one that it has stock (again).
                stock.insert(step.pool, (view.instance_ids.len() as u64) >= u64::from(step.count));
                // Unless every instance of it failed to launch (Tencent's `LAUNCH_FAILED`, e.g. sold out after the
                // order was accepted) or vanished before it ran: then the pool had no stock after all, and ordering
                // there again each round would fail the same way.
                let mut none_ran = !view.instance_ids.is_empty();
                for id in &view.instance_ids {
                    let Some(row) = book.get(&(view.cloud, id.clone())) else {
                        none_ran = false;
                        // Placed a moment ago and not booked yet: starting.
                        tally.pending_units += weight;
                        tally.counts.pending += 1;
                        tally.bound = add(
                            &state.config.exchange_rate,
                            tally.bound,
                            instance_bound(state, fleet, step.pool),
                        );
                        continue;
                    };
                    none_ran &= row.state == InstanceState::LaunchFailed
                        || (row.state == InstanceState::Gone && row.running_since_ms.is_none());
                    let shown = row.view(now_ms);
                    tally.cost_so_far = add(&state.config.exchange_rate, tally.cost_so_far, shown.cost_so_far);
                    // Bounded while it may bill: not ended, and not stopped without charge (a reclaim that
                    // stopped it keeps its disks, not its compute, so it leaves room for its replacement).
                    let bills = !row.state.is_final() && !shown.billed_span().paused();
                    if bills {
                        tally.bound = add(&state.config.exchange_rate, tally.bound, row.price_per_hour);
                    }
                    match row.state {
                        InstanceState::Pending => {
                            tally.pending_units += weight;
                            tally.counts.pending += 1;
                        }
                        InstanceState::Running => {
                            tally.running_units += weight;
                            tally.counts.running += 1;
                            let per_hour = row
                                .price_per_hour
                                .and_then(|price| state.config.exchange_rate.convert(price, currency).ok());
                            tally.running.push(crate::fleet_trim::Member {
                                instance: InstanceRef {
                                    cloud: row.cloud,
                                    id: row.id.clone(),
                                },
                                weight,
                                per_unit_hour: per_hour
                                    .and_then(|price| price.amount.checked_div(Decimal::from(weight))),
                                placed_at_ms: row.placed_at_ms,
                            });
                        }
                        InstanceState::BeingReclaimed => tally.counts.being_reclaimed += 1,
                        InstanceState::Reclaimed => tally.counts.reclaimed += 1,
                        InstanceState::LaunchFailed | InstanceState::Gone => tally.counts.failed += 1,
                        InstanceState::Stopped => tally.counts.stopped += 1,
                        InstanceState::Releasing => {
                            tally.releasing_units += weight;
                            tally.counts.released += 1;
                        }
                        InstanceState::Released => tally.counts.released += 1,
                    }
                }
                if none_ran {
                    stock.insert(step.pool, false);
                }
            }
        }
    }
    tally.unavailable = stock
        .into_iter()
        .filter_map(|(pool, has_stock)| (!has_stock).then_some(pool))
        .collect();
    Ok(tally)
}

/// The fleet as the API shows it.
pub(crate) fn view(fleet: &FleetRow, tally: Tally) -> FleetView {
    FleetView {
        id: fleet.id.clone(),
        idempotency_key: fleet.key.clone(),
        name: fleet.spec.name.clone(),
        state: fleet.state,
        reason: fleet.reason.as_ref().map(FleetReasonWords::from),
        target: fleet.spec.target,
        unit: fleet.spec.unit,
        maintain: fleet.spec.maintain,
        running_units: u32::try_from(tally.running_units).unwrap_or(u32::MAX),
        pending_units: u32::try_from(tally.pending_units).unwrap_or(u32::MAX),
        instances: tally.counts,
        replacements: tally.orders.iter().filter(|order| order.replacement).count() as u32,
        ceiling_per_hour: fleet.spec.ceiling_per_hour,
        hourly_bound: tally.bound,
        cost_so_far: tally.cost_so_far,
        exhausted_pools: fleet
            .exhausted
            .iter()
            .filter_map(|index| fleet.spec.pools.get(*index).map(|pool| pool.pool.clone()))
            .collect(),
        orders: tally.orders,
        created_at_ms: fleet.created_at_ms,
    }
}

/// What processing one step came to.
enum Placed {
    /// The order is logged (whatever its outcome).
    Logged,
    /// Refused before logging, for a reason retrying cannot change.
    Refused(FleetReason),
    /// Refused before logging for now: over a budget, which has room again as instances end or a month begins.
    /// The step stays unsent and is processed again next round.
    Wait(FleetReason),
}

/// Processes one step's order under its key.
async fn place(state: &AppState, fleet: &FleetRow, step: &StepRow) -> Result<Placed, ApiError> {
    let Some(pool) = fleet.spec.pools.get(step.pool) else {
        return Ok(Placed::Refused(FleetReason::NoSuchPool {
            step: step.step,
            index: step.pool,
        }));
    };
    let mut order = pool.order.clone();
    order.count = step.count;
    order.client_token = None;
    if let Some(sealed) = order.login.password.take() {
        let password = state
            .install_key
            .unseal(&sealed)
            .map_err(|error| ApiError::Internal(error.into()))?;
        order.login.password = Some(password.to_string());
    }
    let client_token = client_token_for(&step.order_key).map_err(|error| ApiError::Internal(error.into()))?;
    let submission = Submission {
        key: step.order_key.clone(),
        client_token,
        order,
        quoted_price: None,
        placed_by: fleet.created_by.clone(),
    };
    match process(state, submission).await {
        Ok(_) | Err(ApiError::OutcomeUnknown { .. }) => Ok(Placed::Logged),
        // The order is logged `not_found`: the tally orders its units afresh.
        Err(error) if crate::order_lookup::is_none_found(&error) => Ok(Placed::Logged),
        Err(error @ (ApiError::Store(_) | ApiError::Internal(_))) => Err(error),
        Err(ApiError::InvalidOrder { problems }) => Ok(Placed::Refused(FleetReason::InvalidOrder {
            pool: pool.pool.clone(),
            problems,
        })),
        // A budget, or the proxy's hourly ceiling: room comes back by itself (instances end, orders age out of the
        // hour), so the fleet waits and orders again each round rather than stall for good.
        Err(ApiError::SpendCeiling {
            message,
            lifts_by_itself: Some(limit),
            ..
        }) => Ok(Placed::Wait(FleetReason::OverBudget {
            pool: pool.pool.clone(),
            field: limit.to_owned(),
            message,
        })),
        // The cloud did not say what a market pool's image is: asked again next round.
        Err(ApiError::Rejected { code, message, .. }) if code == crate::image_os::IMAGE_UNCHECKED => {
            Ok(Placed::Wait(FleetReason::ImageUnchecked {
                pool: pool.pool.clone(),
                message,
            }))
        }
        Err(refusal) => Ok(Placed::Refused(FleetReason::Refused {
            pool: pool.pool.clone(),
            code: refusal.code().to_owned(),
            field: refusal.field(),
            message: refusal.to_string(),
        })),
    }
}

async fn settle(
    state: &AppState,
    fleet: &mut FleetRow,
    to: FleetState,
    reason: Option<FleetReason>,
) -> Result<(), ApiError> {
    fleet.state = to;
    fleet.reason = reason;
    if to == FleetState::Stalled {
        tracing::warn!(fleet = %fleet.id, reason = ?fleet.reason, "fleet stalled");
    }
    fleet_book::update_active(&state.store, fleet).await?;
    Ok(())
}

/// Notes why a fleet waits (written only when the reason changed) and ends this call's work on it.
async fn wait(state: &AppState, fleet: &mut FleetRow, reason: FleetReason) -> Result<(), ApiError> {
    if fleet.reason.as_ref() != Some(&reason) {
        fleet.reason = Some(reason);
        fleet_book::update_active(&state.store, fleet).await?;
    }
    Ok(())
}

/// Moves a fleet toward its target: sends what a crash left unsent, places its first orders, and orders what it
/// lacks from the first pool with stock — never above its ceiling. Holds the fleet's lock throughout.
pub async fn advance(state: &AppState, fleet_id: &str) -> Result<(), ApiError> {
    let claim = state.key_locks.claim(&format!("fleet:{fleet_id}"));
    let _held = claim.lock().await;
    // Team mode: the replica a fleet was submitted to and the leader keeping it never advance it at once.
    let _replicas = state.store.hold_key(&format!("fleet:{fleet_id}")).await?;
    // A market pool's orders are bounded by the newest prices stored, another replica's quotes too.
    state.catch_up_live_prices().await;
    // Steps processed again in this call (unsent or unknown): each at most once, so a cloud that keeps answering
    // 5xx, or a network that refuses every connection, cannot spin it.
    let mut retried: Vec<String> = Vec::new();
    for _round in 0..64 {
        let Some(mut fleet) = fleet_book::by_id(&state.store, fleet_id).await? else {
            return Ok(());
        };
        if !matches!(fleet.state, FleetState::Placing | FleetState::Maintaining) {
            return Ok(());
        }
        // Team mode: a fleet orders in its creator's name, so it stops ordering once their key is revoked (they
        // can no longer stop it themselves; the operator can).
        if let Some(creator) = &fleet.created_by
            && !crate::people::is_active(&state.store, creator).await?
        {
            let reason = FleetReason::CreatorRevoked {
                person: creator.clone(),
            };
            return settle(state, &mut fleet, FleetState::Stalled, Some(reason)).await;
        }
        let steps = fleet_book::steps(&state.store, &fleet.id).await?;
        let tally = tally(state, &fleet, &steps).await?;
        // A pool is out of stock while its latest order says so: one that filled since has stock again.
        if fleet.exhausted != tally.unavailable {
            fleet.exhausted = tally.unavailable.clone();
            fleet_book::update_active(&state.store, &fleet).await?;
        }
        // Each at most once a call: a network that refuses every connection must not make one call resend it 64
        // times back to back. Nothing more is ordered around a step not sent yet: the next round tries it again.
        if !tally.unsent.is_empty() {
            let Some(step) = tally.unsent.iter().find(|step| !retried.contains(&step.order_key)) else {
                return Ok(());
            };
            retried.push(step.order_key.clone());
            // Written when it fitted under the ceiling, it may have waited since (a budget, the proxy's hourly
            // ceiling) while prices rose: the tally counts it at its bound as of now, and it goes out only if that
            // still fits — made smaller to fit while nothing under its key was logged, or waiting under the ceiling.
            let mut step = step.clone();
            if let (Some(ceiling), Some(committed), Some(each)) = (
                fleet.spec.ceiling_per_hour,
                tally.bound,
                instance_bound(state, &fleet, step.pool),
            ) && committed.amount > ceiling.amount
            {
                let own = each
                    .amount
                    .checked_mul(Decimal::from(step.count))
                    .unwrap_or(committed.amount);
                let others = committed
                    .amount
                    .checked_sub(own)
                    .unwrap_or(Decimal::ZERO)
                    .max(Decimal::ZERO);
                let room = ceiling.amount.checked_sub(others).unwrap_or(Decimal::ZERO);
                let fits = if each.amount > Decimal::ZERO {
                    room.checked_div(each.amount).map_or(Decimal::ZERO, |fits| fits.floor())
                } else {
                    Decimal::ZERO
                };
                let fits = fits
                    .max(Decimal::ZERO)
                    .min(Decimal::from(step.count))
                    .to_u32()
                    .unwrap_or(0);
                if fits == 0 || !fleet_book::resize_unsent_step(&state.store, &fleet.id, step.step, fits).await? {
                    let reason = FleetReason::WaitingUnderCeiling {
                        committed: Money::new(others, committed.currency),
                        pool: fleet.spec.pools[step.pool].pool.clone(),
                        each,
                        ceiling,
                    };
                    return wait(state, &mut fleet, reason).await;
                }
                tracing::info!(fleet = %fleet.id, step = step.step, from = step.count, to = fits, "a held fleet step no longer fits under the ceiling at today's price: made smaller");
                step.count = fits;
            }
            match place(state, &fleet, &step).await? {
                Placed::Refused(reason) => return settle(state, &mut fleet, FleetState::Stalled, Some(reason)).await,
                Placed::Wait(reason) => return wait(state, &mut fleet, reason).await,
                Placed::Logged => {}
            }
            continue;
        }
        let now_ms = now_unix_millis();
        let due = now_ms - UNKNOWN_RETRY_AFTER.as_millis() as i64;
        if let Some((step, last)) = tally
            .unknown
            .iter()
            .find(|(step, last)| last_processed(&step.order_key, *last) <= due && !retried.contains(&step.order_key))
        {
            retried.push(step.order_key.clone());
            processed_now(&step.order_key, *last, now_ms);
            tracing::info!(fleet = %fleet.id, step = step.step, "a fleet order's outcome is unknown: processing it again under its key");
            match place(state, &fleet, step).await? {
                Placed::Refused(reason) => return settle(state, &mut fleet, FleetState::Stalled, Some(reason)).await,
                Placed::Wait(reason) => return wait(state, &mut fleet, reason).await,
                Placed::Logged => {}
            }
            continue;
        }
        if let Some(reason) = tally.refusal.clone() {
            return settle(state, &mut fleet, FleetState::Stalled, Some(reason)).await;
        }
        if let Some((until_ms, reason)) = &tally.throttled
            && now_unix_millis() < *until_ms
        {
            return wait(state, &mut fleet, reason.clone()).await;
        }
        let target = u64::from(fleet.spec.target);
        let live = tally.running_units + tally.pending_units + tally.releasing_units;
        let first_order = (fleet.state == FleetState::Placing)
            .then(|| {
                fleet
                    .spec
                    .pools
                    .iter()
                    .enumerate()
                    .find(|(index, pool)| {
                        pool.count > 0 && !steps.iter().any(|step| !step.replacement && step.pool == *index)
                    })
                    .map(|(index, pool)| (index, pool.count))
            })
            .flatten();
        let (pool, wanted) = match first_order {
            Some(first) => first,
            None if live >= target => {
                // Not placed while an order's outcome is unknown or still on its way: the keeper keeps visiting a
                // placing fleet, so the order is processed again until it is known, and its units ordered afresh if
                // it is `not_found` or refused (a fleet that is not maintained would otherwise stay short).
                if fleet.state == FleetState::Placing && !(tally.unknown.is_empty() && tally.in_flight.is_empty()) {
                    let reason = FleetReason::WaitingForOutcome {
                        unknown: tally.unknown.iter().map(|(step, _)| step.order_key.clone()).collect(),
                        pending: tally.in_flight.iter().map(|step| step.order_key.clone()).collect(),
                    };
                    return wait(state, &mut fleet, reason).await;
                }
                // Above it (an instance it had replaced runs again), once no order's outcome is open: what runs above
                // it is released.
                if fleet.state == FleetState::Maintaining
                    && tally.unknown.is_empty()
                    && tally.in_flight.is_empty()
                    && crate::fleet_trim::trim(state, &mut fleet, &tally).await?
                {
                    return Ok(());
                }
                // At its target: whatever it waited for is over.
                if fleet.reason.as_ref().is_some_and(FleetReason::is_waiting) {
                    fleet.reason = None;
                    fleet_book::update_active(&state.store, &fleet).await?;
                }
                if fleet.state == FleetState::Placing {
                    let next = if fleet.spec.maintain {
                        FleetState::Maintaining
                    } else {
                        FleetState::Placed
                    };
                    settle(state, &mut fleet, next, None).await?;
                }
                return Ok(());
            }
            None => {
                let available = (0..fleet.spec.pools.len()).find(|index| !fleet.exhausted.contains(index));
                let index = if let Some(index) = available {
                    index
                } else {
                    if !fleet.spec.maintain {
                        let reason = FleetReason::OutOfStock { live, target };
                        return settle(state, &mut fleet, FleetState::Stalled, Some(reason)).await;
                    }
                    // A maintained fleet keeps at it: stock comes back. Its pools are tried again once its last
                    // order is STOCK_RETRY_AFTER old — not every round, which would spend steps on refusals.
                    let last_ms = match steps.last() {
                        Some(step) => state
                            .store
                            .by_key(&step.order_key)
                            .await?
                            .map_or(0, |order| order.view.finished_at_ms.unwrap_or(order.view.created_at_ms)),
                        None => 0,
                    };
                    let retry_at_ms = last_ms + STOCK_RETRY_AFTER.as_millis() as i64;
                    if now_unix_millis() < retry_at_ms {
                        let reason = FleetReason::WaitingForStock {
                            live,
                            target,
                            retry_after_min: STOCK_RETRY_AFTER.as_secs() / 60,
                        };
                        return wait(state, &mut fleet, reason).await;
                    }
                    // The pool tried least recently, so the retries go round the pools.
                    let least_recent = (0..fleet.spec.pools.len())
                        .min_by_key(|pool| {
                            steps
                                .iter()
                                .filter(|step| step.pool == *pool)
                                .map(|step| i64::from(step.step))
                                .max()
                                .unwrap_or(-1)
                        })
                        .unwrap_or(0);
                    tracing::info!(fleet = %fleet.id, pool = least_recent, "every pool was out of stock: trying one again");
                    least_recent
                };
                let weight = u64::from(fleet.spec.pools[index].weight.max(1));
                let count = (target - live).div_ceil(weight);
                let cap = u64::from(state.config.spend.max_instances_per_order.max(1)).min(u64::from(
                    fits_one_order(state, &fleet, index).unwrap_or(u32::MAX).max(1),
                ));
                (index, u32::try_from(count.min(cap)).unwrap_or(u32::MAX))
            }
        };
        let mut count = wanted;
        if let Some(ceiling) = fleet.spec.ceiling_per_hour {
            let (Some(each), Some(committed)) = (instance_bound(state, &fleet, pool), tally.bound) else {
                let reason = FleetReason::Unbounded {
                    pool: fleet.spec.pools[pool].pool.clone(),
                    ceiling,
                };
                return settle(state, &mut fleet, FleetState::Stalled, Some(reason)).await;
            };
            // Checked arithmetic: a ceiling near the decimal's limit must not panic the keeper of every fleet.
            let room = ceiling.amount.checked_sub(committed.amount).unwrap_or(Decimal::ZERO);
            let fits = if each.amount > Decimal::ZERO {
                room.checked_div(each.amount)
                    .map_or(Decimal::from(count), |fits| fits.floor())
            } else {
                Decimal::from(count)
            };
            let fits = fits.max(Decimal::ZERO).min(Decimal::from(count)).to_u32().unwrap_or(0);
            if fits == 0 {
                // Not final: room comes back as reclaimed instances stop billing.
                let reason = FleetReason::WaitingUnderCeiling {
                    committed,
                    pool: fleet.spec.pools[pool].pool.clone(),
                    each,
                    ceiling,
                };
                return wait(state, &mut fleet, reason).await;
            }
            count = fits;
        }
        let next = steps.last().map_or(0, |step| step.step + 1);
        if next > MAX_STEPS {
            let reason = FleetReason::StepLimit { max: MAX_STEPS };
            return settle(state, &mut fleet, FleetState::Stalled, Some(reason)).await;
        }
        // Ordering again: a wait is over, and a trim's note is old news.
        if fleet
            .reason
            .as_ref()
            .is_some_and(|reason| reason.is_waiting() || matches!(reason, FleetReason::Trimmed { .. }))
        {
            fleet.reason = None;
            fleet_book::update_active(&state.store, &fleet).await?;
        }
        let step = StepRow {
            step: next,
            pool,
            count,
            replacement: fleet.state == FleetState::Maintaining,
            order_key: format!("{}_s{next}", fleet.key),
        };
        // Written before the order is sent: a crash from here on leaves a step the next run sends, once.
        if !fleet_book::add_step(&state.store, &fleet.id, &step).await? {
            // Stopped (or settled) since this round read it: nothing more is ordered.
            return Ok(());
        }
        retried.push(step.order_key.clone());
        tracing::info!(fleet = %fleet.id, step = next, pool = %fleet.spec.pools[pool].pool, count, replacement = step.replacement, "fleet order");
        match place(state, &fleet, &step).await? {
            Placed::Refused(reason) => return settle(state, &mut fleet, FleetState::Stalled, Some(reason)).await,
            Placed::Wait(reason) => return wait(state, &mut fleet, reason).await,
            Placed::Logged => {}
        }
    }
    Ok(())
}

/// When this process last processed each unknown fleet order again, by key: an attempt that writes nothing (a
/// lookup past the resend window that concludes nothing, a resend that cannot go) leaves the order's own time as it
/// was, and the step would be due every round — up to 50 list calls every few seconds for good.
/// Each entry keeps the order's own time it was processed at: once the order's time moves (an attempt that wrote),
/// that time counts again.
static PROCESSED_AT: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, (i64, i64)>>> =
    std::sync::LazyLock::new(Default::default);

fn processed_times() -> std::sync::MutexGuard<'static, std::collections::HashMap<String, (i64, i64)>> {
    PROCESSED_AT.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// When the unknown order under `key`, whose own last attempt is at `order_last_ms`, was last processed: this
/// process's time, where it processed it since without the order's time moving; else the order's.
fn last_processed(key: &str, order_last_ms: i64) -> i64 {
    match processed_times().get(key) {
        Some((seen_last, processed_ms)) if *seen_last == order_last_ms => order_last_ms.max(*processed_ms),
        _ => order_last_ms,
    }
}

/// Notes that the unknown order under `key` (its own last attempt at `order_last_ms`) is processed again now;
/// entries older than a day are let go.
fn processed_now(key: &str, order_last_ms: i64, now_ms: i64) {
    let mut times = processed_times();
    times.retain(|_, (_, at)| now_ms - *at < 86_400_000);
    times.insert(key.to_owned(), (order_last_ms, now_ms));
}

/// Advances every placing or maintained fleet once.
pub async fn keep_once(state: &AppState) -> Result<usize, ApiError> {
    let fleets = fleet_book::active(&state.store).await?;
    for fleet in &fleets {
        if let Err(error) = advance(state, &fleet.id).await {
            tracing::warn!(fleet = %fleet.id, %error, "fleet not advanced; retrying on the next round");
        }
    }
    if let Err(error) = crate::fleet_release::release_after_stop(state).await {
        tracing::warn!(%error, "a stopped fleet's instances were not released; retrying on the next round");
    }
    Ok(fleets.len())
}

/// Starts the keeper for the life of the process: a round right after each follower interval.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(state.config.instance_poll).await;
            if !state.leadership.is_leader() {
                continue;
            }
            match fleet_book::any_active_or_stopped_with_release(&state.store).await {
                Ok(true) => {
                    if let Err(error) = keep_once(&state).await {
                        tracing::warn!(%error, "the fleet book could not be read; retrying");
                    }
                }
                Ok(false) => {}
                Err(error) => tracing::warn!(%error, "the fleet book could not be read; retrying"),
            }
        }
    })
}

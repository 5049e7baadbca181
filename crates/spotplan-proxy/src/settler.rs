//! The settler: on the leader, looks up orders whose outcome is `unknown` at the cloud by their lookup tag
//! ([`settle`]), read-only, so an order that did create instances is found, booked and
//! followed — and its cost counted — without anyone pressing "look it up", and one that created nothing is settled
//! `not_found` once that can be concluded. It never resends: a resend under the order's key stays the person's
//! (or the fleet keeper's) to make.
//!
//! A round runs every [`crate::config::Config::settle_every`]; an unknown order is due that long after its last
//! attempt, and a round looks up at most [`MAX_PER_ROUND`] — those never looked up first, then those looked up
//! longest ago — so a log full of orders the cloud cannot answer for costs a bounded number of list calls and
//! cannot keep newer orders waiting. Unknown dry runs are looked up like any order: a dry run creates nothing,
//! unless the cloud ignored its flag, and only a lookup can say which; until then the log and the
//! `orders_unresolved` metric count it as what may exist.
//!
//! Each round also books the instances of the last week's succeeded orders that the instance book is missing
//! ([`crate::exactly_once::book_missing`]: a replica that died between an outcome and its booking).

use std::collections::HashMap;
use std::time::Instant;

use axum::http::StatusCode;
use spotplan_core::api::orders::LookupAnswer;
use spotplan_core::order::SpotOrder;
use spotplan_core::order::lookup_tag::ORDER_TAG_KEY;

use crate::AppState;
use crate::error::ApiError;
use crate::order_lookup::logged_order_carries_tag;
use crate::store::{OrderStatus, StoreError};
use crate::upstream::now_unix_millis;

/// The most unknown orders looked up in one round.
pub const MAX_PER_ROUND: usize = 20;

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Round {
    /// Orders looked up.
    pub looked_up: usize,
    /// Orders the lookups settled (`succeeded` or `not_found`).
    pub settled: usize,
}

/// When each order was last looked up by this replica's settler.
#[derive(Debug, Default)]
pub struct Settler {
    last_looked_up: HashMap<String, Instant>,
}

impl Settler {
    /// Looks up the unknown orders that are due; returns what it did.
    pub async fn round(&mut self, state: &AppState) -> Result<Round, StoreError> {
        let every = state.config.settle_every;
        let now_ms = now_unix_millis();
        let unknown = state.store.with_status(OrderStatus::Unknown).await?;
        self.last_looked_up
            .retain(|id, _| unknown.iter().any(|record| &record.view.id == id));
        let mut due: Vec<(Option<Instant>, String, SpotOrder)> = unknown
            .into_iter()
            .filter_map(|record| {
                let view = record.view;
                let last_attempt = view
                    .finished_at_ms
                    .unwrap_or(view.created_at_ms)
                    .max(view.created_at_ms);
                let recently_tried = now_ms.saturating_sub(last_attempt) < every.as_millis() as i64;
                if recently_tried || !logged_order_carries_tag(&view.order, &view.id) {
                    return None;
                }
                let order = serde_json::from_value::<SpotOrder>(view.order).ok()?;
                state.credentials.get(order.cloud)?;
                Some((self.last_looked_up.get(&view.id).copied(), view.id, order))
            })
            .collect();
        // Never looked up first, then the longest ago (the list is oldest first, and the sort keeps that order among
        // equals): orders whose lookups keep failing cannot hold every slot of every round.
        due.sort_by_key(|(looked_up, _, _)| *looked_up);
        let mut round = Round::default();
        for (_, id, _) in due.into_iter().take(MAX_PER_ROUND) {
            self.last_looked_up.insert(id.clone(), Instant::now());
            round.looked_up += 1;
            match settle(state, &id).await {
                Ok(answer) if answer.record.status != OrderStatus::Unknown => round.settled += 1,
                Ok(_) => {}
                Err(error) => tracing::info!(%id, %error, "an unknown order could not be looked up yet"),
            }
        }
        Ok(round)
    }
}

/// Looks an unknown order up at the cloud under its key's locks (this replica's and, in team mode, the shared
/// database's) and settles it when the lookup is conclusive: every instance it asked for found, or some once no more
/// can be coming ([`crate::order_lookup::may_settle_found`]), and it succeeded; none found when [`crate::order_lookup::may_conclude_none`], and it is `not_found`.
/// Refused: an order that is not unknown, one sent without the tag, a cloud the proxy holds no credentials for, a
/// lookup the cloud did not answer (502, the order stays unknown). `POST /api/v1/orders/{id}/lookup` and the
/// settler's rounds both run this.
pub async fn settle(state: &AppState, id: &str) -> Result<LookupAnswer, ApiError> {
    let logged = state
        .store
        .by_id(id)
        .await?
        .ok_or_else(|| ApiError::OrderNotFound { id: id.to_owned() })?;
    let claim = state.key_locks.claim(&logged.view.idempotency_key);
    let _held = claim.lock().await;
    let _replicas = state.store.hold_key(&logged.view.idempotency_key).await?;
    // Read again under the lock: a retry may have settled it meanwhile.
    let mut record = state
        .store
        .by_id(id)
        .await?
        .ok_or_else(|| ApiError::OrderNotFound { id: id.to_owned() })?;
    let refused = |code: &'static str, message: String| ApiError::Rejected {
        status: StatusCode::CONFLICT,
        code,
        message,
        field: None,
    };
    if record.view.status != OrderStatus::Unknown {
        return Err(refused(
            "order_not_unknown",
            format!(
                "order {} is {}: only an order whose outcome is unknown is looked up",
                record.view.id,
                serde_json::to_value(record.view.status).unwrap_or_default()
            ),
        ));
    }
    if !logged_order_carries_tag(&record.view.order, &record.view.id) {
        return Err(refused(
            "order_not_tagged",
            format!(
                "order {} was sent without the {} tag (its tags filled the cloud's limit, or the proxy runs \
                 with --no-order-tag), so the cloud cannot list it by tag: look for instances with ClientToken {} \
                 in the cloud console",
                record.view.id, ORDER_TAG_KEY, record.view.client_token
            ),
        ));
    }
    let order: SpotOrder = serde_json::from_value(record.view.order.clone())
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("the logged order does not read: {error}")))?;
    if state.credentials.get(order.cloud).is_none() {
        return Err(ApiError::NoCredentials {
            cloud: order.cloud,
            hint: crate::exactly_once::credential_hint(order.cloud),
        });
    }
    let found = match crate::order_lookup::look_up(state, &order, &record.view.id).await {
        Ok(crate::order_lookup::LookedUp::Found(found)) => found,
        Ok(crate::order_lookup::LookedUp::NoneFound) => Vec::new(),
        Err(reason) => {
            return Err(ApiError::Rejected {
                status: StatusCode::BAD_GATEWAY,
                code: "lookup_failed",
                message: format!(
                    "{} could not be asked for order {}'s instances: {reason}; its outcome is still unknown",
                    order.cloud.display_name(),
                    record.view.id
                ),
                field: None,
            });
        }
    };
    // The cloud may still be creating the rest (Tencent creates asynchronously): an order is settled by a lookup
    // only once all it asked for are there, or once no more can be coming.
    if crate::order_lookup::may_settle_found(&record, found.len(), order.count, now_unix_millis()) {
        crate::order_lookup::record_found(&mut record, &order, &found);
        crate::exactly_once::record_outcome(state, &record).await;
        tracing::info!(id = %record.view.id, found = found.len(), "an unknown order was found at the cloud by its tag");
    } else if found.is_empty() && crate::order_lookup::may_conclude_none(&record, now_unix_millis()) {
        crate::order_lookup::record_none_found(&mut record, &order);
        crate::exactly_once::record_outcome(state, &record).await;
        tracing::info!(id = %record.view.id, "an unknown order was looked up at the cloud: none of its instances exists");
    }
    Ok(LookupAnswer {
        found: found.into_iter().map(|report| report.id).collect(),
        record: record.view,
    })
}

/// Starts the settler for the life of the process; it acts only while this replica leads.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut settler = Settler::default();
        loop {
            tokio::time::sleep(state.config.settle_every).await;
            if !state.leadership.is_leader() {
                continue;
            }
            match crate::exactly_once::book_missing(&state, now_unix_millis()).await {
                Ok(0) => {}
                Ok(booked) => tracing::warn!(booked, "succeeded orders' instances were missing from the book"),
                Err(error) => tracing::warn!(%error, "the order log could not be read for unbooked instances"),
            }
            match settler.round(&state).await {
                Ok(round) if round.looked_up > 0 => {
                    tracing::info!(
                        looked_up = round.looked_up,
                        settled = round.settled,
                        "unknown orders looked up"
                    )
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "the order log could not be read for unknown orders; retrying"),
            }
        }
    })
}

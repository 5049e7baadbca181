//! The settler: on the leader, looks up orders whose outcome is `unknown` at the cloud by their lookup tag
//! ([`crate::order_lookup::settle`]), read-only, so an order that did create instances is found, booked and
//! followed — and its cost counted — without anyone pressing "look it up", and one that created nothing is settled
//! `not_found` once that can be concluded. It never resends: a resend under the order's key stays the person's
//! (or the fleet keeper's) to make.
//!
//! A round runs every [`crate::config::Config::settle_every`]; an unknown order is due that long after its last
//! attempt, and a round looks up at most [`MAX_PER_ROUND`] — those never looked up first, then those looked up
//! longest ago — so a log full of orders the cloud cannot answer for costs a bounded number of list calls and
//! cannot keep newer orders waiting. Dry runs are skipped (they create nothing).
//!
//! Each round also books the instances of the last week's succeeded orders that the instance book is missing
//! ([`crate::exactly_once::book_missing`]: a replica that died between an outcome and its booking).

use std::collections::HashMap;
use std::time::Instant;

use spotplan_core::order::SpotOrder;

use crate::AppState;
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
                // A dry run creates nothing: there is nothing to find.
                if recently_tried || view.dry_run || !logged_order_carries_tag(&view.order, &view.id) {
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
            match crate::order_lookup::settle(state, &id).await {
                Ok(answer) if answer.record.status != OrderStatus::Unknown => round.settled += 1,
                Ok(_) => {}
                Err(error) => tracing::info!(%id, %error, "an unknown order could not be looked up yet"),
            }
        }
        Ok(round)
    }
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

//! The price refresher (opt-in: `--refresh-prices`, or `PUT /api/v1/refresh` from the app): walks a list of pools
//! through each cloud's own price query — Alibaba's DescribeSpotPriceHistory, page by page, first over 30 days and
//! then from where the last round's reading got to; Tencent's InquiryPriceRunInstances; Baidu's bidPrice — within a
//! budget of queries a minute, and keeps what changed in the price store. Where it stands (the next pool, rounds,
//! counts, how far each pool's history was read) is written after every step, so a restarted proxy resumes at the
//! same pool, and a history longer than a step's queries is read on over the next rounds to its newest page.

use std::time::Duration;

use axum::extract::State;
use axum::{Extension, Json};
use spotplan_core::api::refresh::{
    DEFAULT_BUDGET_PER_MINUTE, HISTORY_DAYS, MAX_BUDGET_PER_MINUTE, MAX_REFRESH_POOLS, RefreshProgress, RefreshSettings,
};
use spotplan_core::catalog::ExternalObservation;
use spotplan_core::clouds::wire;
use spotplan_core::quote::QuoteAsk;

use crate::AppState;
use crate::error::ApiError;
use crate::sql::SqlValue;
use crate::store::{Store, StoreError};
use crate::upstream::{now_unix_millis, now_unix_seconds, random_hex};

/// How far back a complete history reading is asked again next round: a change the cloud records a little late
/// is still read (what is read twice is stored once).
const HISTORY_OVERLAP_SECONDS: i64 = 3_600;

/// The lock a step and a change of settings share.
const REFRESHER_LOCK: &str = "price-refresher";
/// How often the refresher wakes to spend the queries its budget allows.
pub const TICK: Duration = Duration::from_secs(2);

/// The refresher's state as stored (what `GET /api/v1/refresh` answers).
pub async fn progress_of(store: &Store) -> Result<RefreshProgress, StoreError> {
    progress(store).await
}

async fn progress(store: &Store) -> Result<RefreshProgress, StoreError> {
    let pools = store
        .select("SELECT COUNT(*) FROM refresh_pools", Vec::new())
        .await?
        .first()
        .and_then(|row| row.int(0))
        .unwrap_or_default();
    let stored = store
        .select(
            "SELECT enabled, cursor, rounds, calls, stored, budget_per_minute, last_error, updated_at_ms \
             FROM refresh_state WHERE id = 1",
            Vec::new(),
        )
        .await?;
    let pools = u32::try_from(pools).map_err(|_| StoreError::Corrupt {
        column: "refresh_pools",
    })?;
    let Some(row) = stored.first() else {
        return Ok(RefreshProgress {
            enabled: false,
            pools,
            cursor: 0,
            rounds: 0,
            calls: 0,
            stored: 0,
            budget_per_minute: DEFAULT_BUDGET_PER_MINUTE,
            last_error: None,
            updated_at_ms: 0,
        });
    };
    let count = |index, column| {
        row.required_int(index, column)
            .and_then(|value| u64::try_from(value).map_err(|_| StoreError::Corrupt { column }))
    };
    let small = |index, column| count(index, column).map(|value| u32::try_from(value).unwrap_or(u32::MAX));
    Ok(RefreshProgress {
        enabled: row.int(0).unwrap_or_default() != 0,
        pools,
        cursor: small(1, "cursor")?,
        rounds: small(2, "rounds")?,
        calls: count(3, "calls")?,
        stored: count(4, "stored")?,
        budget_per_minute: small(5, "budget_per_minute")?,
        last_error: row.text(6),
        updated_at_ms: row.required_int(7, "updated_at_ms")?,
    })
}

/// Writes the settings — on or off, the budget, and the cursor back at the first pool when the list was replaced
/// — and nothing a step writes, so a step and a change of settings on two replicas never undo each other.
async fn save_settings(
    store: &Store,
    enabled: bool,
    budget_per_minute: u32,
    list_replaced: bool,
    now_ms: i64,
) -> Result<(), StoreError> {
    let params: Vec<SqlValue> = vec![
        enabled.into(),
        i64::from(budget_per_minute).into(),
        now_ms.into(),
        i64::from(list_replaced).into(),
    ];
    store
        .transaction(move |tx| {
            tx.execute(
                "INSERT INTO refresh_state (id, enabled, cursor, rounds, calls, stored, budget_per_minute, \
                 last_error, updated_at_ms) VALUES (1, ?1, 0, 0, 0, 0, ?2, NULL, ?3) ON CONFLICT(id) DO UPDATE \
                 SET enabled = ?1, budget_per_minute = ?2, updated_at_ms = ?3, \
                 cursor = CASE WHEN CAST(?4 AS BIGINT) = 1 THEN 0 ELSE refresh_state.cursor END",
                &params,
            )
            .map(drop)
        })
        .await
}

/// Writes where a step got to: its counts are added whatever happened meanwhile; its cursor, rounds and error
/// only if the settings did not change since the step read them (`read_at_ms`, their `updated_at_ms` then) — a
/// list replaced meanwhile starts at its first pool, not at the old list's cursor.
async fn save_step(store: &Store, read_at_ms: i64, after: &RefreshProgress, step: &Step) -> Result<(), StoreError> {
    let params: Vec<SqlValue> = vec![
        i64::from(after.cursor).into(),
        i64::from(after.rounds).into(),
        i64::from(step.calls).into(),
        (step.stored as i64).into(),
        (&after.last_error).into(),
        after.updated_at_ms.into(),
        read_at_ms.into(),
    ];
    store
        .transaction(move |tx| {
            let moved = tx.execute(
                "UPDATE refresh_state SET cursor = ?1, rounds = ?2, calls = calls + ?3, stored = stored + ?4, \
                 last_error = ?5, updated_at_ms = ?6 WHERE id = 1 AND updated_at_ms = ?7",
                &params,
            )?;
            if moved == 0 {
                tx.execute(
                    "UPDATE refresh_state SET calls = calls + ?1, stored = stored + ?2 WHERE id = 1",
                    &params[2..4],
                )?;
            }
            Ok(())
        })
        .await
}

/// A pool of the list: what to ask, as stored, and until when (Unix seconds) its history was read.
struct ListedPool {
    ask: QuoteAsk,
    ask_json: String,
    history_until: Option<i64>,
}

async fn pool_at(store: &Store, position: u32) -> Result<Option<ListedPool>, StoreError> {
    let rows = store
        .select(
            "SELECT ask_json, history_until FROM refresh_pools WHERE position = ?1",
            vec![i64::from(position).into()],
        )
        .await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let ask_json = row.required_text(0, "ask_json")?;
    let ask = serde_json::from_str(&ask_json).map_err(|_| StoreError::Corrupt { column: "ask_json" })?;
    Ok(Some(ListedPool {
        ask,
        ask_json,
        history_until: row.int(1),
    }))
}

/// Notes how far each pool's history was read — only where the pool at that position is still the one read (a
/// list replaced meanwhile, perhaps on another replica, starts afresh).
async fn save_history_read(store: &Store, read: Vec<(u32, String, i64)>) -> Result<(), StoreError> {
    if read.is_empty() {
        return Ok(());
    }
    store
        .transaction(move |tx| {
            for (position, ask_json, until) in &read {
                tx.execute(
                    "UPDATE refresh_pools SET history_until = ?3 WHERE position = ?1 AND ask_json = ?2",
                    &[i64::from(*position).into(), ask_json.into(), (*until).into()],
                )?;
            }
            Ok(())
        })
        .await
}

/// Replaces the list of pools (the cursor starts again at the first); a pool the old list had keeps how far its
/// history was read.
async fn set_pools(store: &Store, pools: &[QuoteAsk]) -> Result<(), StoreError> {
    let rows: Vec<String> = pools
        .iter()
        .map(|ask| serde_json::to_string(ask).unwrap_or_default())
        .collect();
    store
        .transaction(move |tx| {
            let read: std::collections::HashMap<String, Option<i64>> = tx
                .query("SELECT ask_json, history_until FROM refresh_pools", &[])?
                .iter()
                .filter_map(|row| Some((row.text(0)?, row.int(1))))
                .collect();
            tx.execute("DELETE FROM refresh_pools", &[])?;
            for (position, ask) in rows.iter().enumerate() {
                tx.execute(
                    "INSERT INTO refresh_pools (position, ask_json, history_until) VALUES (?1, ?2, ?3)",
                    &[
                        (position as i64).into(),
                        ask.into(),
                        read.get(ask).copied().flatten().into(),
                    ],
                )?;
            }
            Ok(())
        })
        .await
}

/// What fetching one pool's prices came to.
#[derive(Debug, Default)]
struct Fetched {
    /// The observations read (those of a history's pages read before a failure too).
    observations: Vec<ExternalObservation>,
    /// Queries sent.
    calls: u32,
    /// Why it stopped short, if it did.
    error: Option<String>,
    /// Until when (Unix seconds) the pool's history is now read, where that moved.
    history_until: Option<i64>,
}

impl Fetched {
    fn failed(error: String, calls: u32) -> Fetched {
        Fetched {
            error: Some(error),
            calls,
            ..Fetched::default()
        }
    }
}

/// Where to ask a pool's history from: where the last reading got to, but never more than the days a history
/// is asked for.
fn history_since(now: i64, history_until: Option<i64>) -> i64 {
    let oldest = now - HISTORY_DAYS * spotplan_time::SECONDS_PER_DAY;
    history_until.map_or(oldest, |until| until.clamp(oldest, now))
}

/// One pool's prices: the observations and the queries it took (at most `calls_left`), or why it failed. A
/// paged history is read from `history_until` on (oldest first), and as far as the queries allow.
async fn fetch_pool(state: &AppState, ask: &QuoteAsk, history_until: Option<i64>, calls_left: u32) -> Fetched {
    let cloud = ask.offer.cloud;
    let Some(credentials) = state.credentials.get(cloud).cloned() else {
        return Fetched::failed(format!("no credentials for {cloud} (planning mode)"), 0);
    };
    if let Err(error) = crate::endpoints::check_region(&ask.offer.region) {
        return Fetched::failed(error.to_string(), 0);
    }
    let now = now_unix_seconds() as i64;
    let send = |request: spotplan_core::order::request::HttpRequest| {
        let credentials = credentials.clone();
        async move { crate::read_call::answer_body_once(state, cloud, &credentials, request).await }
    };
    let failed = |error: spotplan_core::quote::QuoteFailure| format!("{}: {}", error.code, error.message);
    if wire(cloud).has_price_history() {
        let since = history_since(now, history_until);
        let mut fetched = Fetched::default();
        let mut page = None;
        // The newest time read so far: pages come oldest first, so everything up to it has been read.
        let mut newest_read: Option<i64> = None;
        let stopped = loop {
            if fetched.calls >= calls_left {
                // Out of queries mid-history: the next round asks on from the newest time read (never from the
                // same start again, which would read the oldest page over and over and never the newest).
                break None;
            }
            let request = match wire(cloud).history_request(ask, now, since, page) {
                Ok(request) => request,
                Err(error) => break Some(failed(error)),
            };
            fetched.calls += 1;
            let body = match send(request).await {
                Ok(body) => body,
                Err(reason) => break Some(reason),
            };
            match wire(cloud).read_history_page(ask, now, since, page, &body) {
                Ok(read) => {
                    newest_read = read
                        .observations
                        .iter()
                        .map(|observation| observation.observed_at)
                        .chain(newest_read)
                        .max();
                    fetched.observations.extend(read.observations);
                    match read.next_page {
                        Some(next) => page = Some(next),
                        None => {
                            // Read to the end: next round asks from a little before now.
                            fetched.history_until = Some((now - HISTORY_OVERLAP_SECONDS).max(since));
                            return fetched;
                        }
                    }
                }
                Err(error) => break Some(failed(error)),
            }
        };
        // Stopped short: what was read is kept, and the next round asks on from the newest time in it (a page
        // whose records all carry the start's second moves it on by one, so it cannot be asked for good). Only
        // for one zone: a region's pages mix its zones, whose order across pages no source states.
        if ask.offer.zone.is_some() {
            fetched.history_until = newest_read.map(|newest| newest.max(since + 1).min(now));
        }
        fetched.error = stopped;
        return fetched;
    }
    let token = match random_hex(16) {
        Ok(token) => token,
        Err(error) => return Fetched::failed(error.to_string(), 0),
    };
    let request = match wire(cloud).quote_request(ask, now, &token) {
        Ok(request) => request,
        Err(error) => return Fetched::failed(failed(error), 0),
    };
    let body = match send(request).await {
        Ok(body) => body,
        Err(reason) => return Fetched::failed(reason, 1),
    };
    match wire(cloud).read_quote(ask, credentials.account_currency, now, &body) {
        Ok(reading) => Fetched {
            observations: reading.observations,
            calls: 1,
            ..Fetched::default()
        },
        Err(error) => Fetched::failed(failed(error), 1),
    }
}

/// What one step did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Price queries sent.
    pub calls: u32,
    /// Pools finished.
    pub pools: u32,
    /// Price changes stored.
    pub stored: usize,
}

/// Spends at most `max_calls` price queries on the next pools, storing what changed and moving the cursor after
/// each pool (a history longer than the queries left is kept as far as it came; the next round asks again).
pub async fn step(state: &AppState, max_calls: u32) -> Result<Step, StoreError> {
    // One step or one change of settings at a time: a step saves where it got to, which must not undo a change
    // made while it ran.
    let claim = state.key_locks.claim(REFRESHER_LOCK);
    let _held = claim.lock().await;
    let mut progress = progress(&state.store).await?;
    let read_at_ms = progress.updated_at_ms;
    let mut step = Step::default();
    if !progress.enabled || progress.pools == 0 {
        return Ok(step);
    }
    // At most one walk over the list per step, so pools that fail without a query cannot spin.
    let mut fetched_all = Vec::new();
    let mut history_read = Vec::new();
    while step.calls < max_calls && step.pools < progress.pools {
        // A replica that lost the lead stops between pools: the new leader walks on from what was saved.
        if !state.leadership.is_leader() {
            break;
        }
        if progress.cursor >= progress.pools {
            progress.cursor = 0;
        }
        let Some(pool) = pool_at(&state.store, progress.cursor).await? else {
            break;
        };
        let ask = &pool.ask;
        // A pool of another market saved before `PUT /refresh` refused them: passed over, never stored as the
        // offer's price.
        if !ask.is_default_market() {
            progress.last_error = Some(format!(
                "{}: not the offer's default market (Linux, one-hour protection); passed over",
                ask.offer
            ));
            progress.cursor += 1;
            step.pools += 1;
            continue;
        }
        // A paged history usually takes two pages: such a pool is not begun on the step's last query (unless it is
        // the step's first), so its 30 days are not cut short.
        if wire(ask.offer.cloud).has_price_history() && step.pools > 0 && max_calls - step.calls < 2 {
            break;
        }
        let fetched = fetch_pool(state, ask, pool.history_until, max_calls - step.calls).await;
        step.calls += fetched.calls;
        progress.calls += u64::from(fetched.calls);
        fetched_all.extend(fetched.observations);
        if let Some(until) = fetched.history_until {
            history_read.push((progress.cursor, pool.ask_json.clone(), until));
        }
        let said = format!("{}: ", ask.offer);
        match fetched.error {
            Some(reason) => progress.last_error = Some(format!("{said}{reason}")),
            // The pool the last error was about answers again: the error is over.
            None if progress
                .last_error
                .as_deref()
                .is_some_and(|error| error.starts_with(&said)) =>
            {
                progress.last_error = None;
            }
            None => {}
        }
        progress.cursor += 1;
        step.pools += 1;
        if progress.cursor >= progress.pools {
            progress.cursor = 0;
            progress.rounds += 1;
        }
    }
    // What the step fetched, then where it got to: a crash before this point asks the same pools again, and the
    // store keeps changes only, so nothing is stored twice.
    let stored = crate::price_store::record(&state.store, fetched_all, now_unix_millis()).await?;
    save_history_read(&state.store, history_read).await?;
    step.stored = stored;
    progress.stored += stored as u64;
    progress.updated_at_ms = now_unix_millis().max(read_at_ms + 1);
    save_step(&state.store, read_at_ms, &progress, &step).await?;
    Ok(step)
}

/// What is left of the queries earned after a step was offered `offered` of them: what it spent (at least one, so
/// a step that spends none still takes its turn) — or, when it failed (perhaps after sending them, when the store
/// refused what they brought), all it was offered: a store that keeps failing never makes it ask faster than its
/// budget.
fn left_after(earned: f64, offered: u32, spent: Option<u32>) -> f64 {
    earned - f64::from(spent.map_or(offered, |spent| spent.clamp(1, offered.max(1))))
}

/// Starts the refresher for the life of the process: every [`TICK`] it spends what its budget earned since.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut earned = 0.0f64;
        loop {
            tokio::time::sleep(TICK).await;
            if !state.leadership.is_leader() {
                earned = 0.0;
                continue;
            }
            let budget = match progress(&state.store).await {
                Ok(progress) if progress.enabled && progress.pools > 0 => progress.budget_per_minute,
                Ok(_) => {
                    earned = 0.0;
                    continue;
                }
                Err(error) => {
                    tracing::warn!(%error, "the refresher's state could not be read");
                    continue;
                }
            };
            // Queries earned, never more than one tick's worth saved up beyond a minute's budget.
            earned = (earned + f64::from(budget) * TICK.as_secs_f64() / 60.0).min(f64::from(budget));
            let calls = earned.floor() as u32;
            if calls == 0 {
                continue;
            }
            let done = step(&state, calls).await;
            earned = left_after(earned, calls, done.as_ref().ok().map(|done| done.calls));
            if let Err(error) = done {
                tracing::warn!(%error, "the refresher could not store what it fetched");
            }
        }
    })
}

/// Turns the refresher on at start (`--refresh-prices`), keeping its list and cursor.
pub async fn enable(store: &Store, budget_per_minute: Option<u32>) -> Result<(), StoreError> {
    let budget = match budget_per_minute {
        // The command line refused anything outside this range; a caller in code is held to it too.
        Some(budget) => budget.clamp(1, MAX_BUDGET_PER_MINUTE),
        None => progress(store).await?.budget_per_minute,
    };
    save_settings(store, true, budget, false, now_unix_millis()).await
}

/// Handles `GET /api/v1/refresh`.
pub async fn get(State(state): State<AppState>) -> Result<Json<RefreshProgress>, ApiError> {
    Ok(Json(progress(&state.store).await?))
}

/// Handles `PUT /api/v1/refresh`. The refresher is the team's, run with the shared credentials and spending the
/// account's price-query quota that everyone's live quotes share: in team mode only the operator's token sets it
/// (a person reads where it stands).
pub async fn put(
    State(state): State<AppState>,
    Extension(caller): Extension<crate::security::Caller>,
    Json(body): Json<RefreshSettings>,
) -> Result<Json<RefreshProgress>, ApiError> {
    if let crate::security::Caller::Person(person) = &caller {
        return Err(ApiError::Rejected {
            status: axum::http::StatusCode::FORBIDDEN,
            code: "operator_only",
            message: format!(
                "the price refresher is the team's: only the operator's token can change it, not {person}'s key; \
                 nothing changed"
            ),
            field: None,
        });
    }
    let bad = |field: &str, message: String| ApiError::BadRequest {
        code: "invalid_refresh",
        message,
        field: Some(field.into()),
    };
    if body.pools.len() > MAX_REFRESH_POOLS {
        return Err(bad(
            "pools",
            format!("at most {MAX_REFRESH_POOLS} pools, not {}", body.pools.len()),
        ));
    }
    if let Some(budget) = body.budget_per_minute
        && !(1..=MAX_BUDGET_PER_MINUTE).contains(&budget)
    {
        return Err(bad(
            "budget_per_minute",
            format!("the budget must be 1–{MAX_BUDGET_PER_MINUTE} queries a minute, got {budget}"),
        ));
    }
    for (index, ask) in body.pools.iter().enumerate() {
        crate::endpoints::check_region(&ask.offer.region)
            .map_err(|error| bad(&format!("pools[{index}].offer.region"), error.to_string()))?;
        // The store keeps an offer's default market (Linux, the one-hour protection), as live quotes do: another
        // market's prices would become everyone's price of the offer.
        if !ask.is_default_market() {
            let field = if ask.one_hour_protection == Some(false) {
                "one_hour_protection"
            } else {
                "os"
            };
            return Err(bad(
                &format!("pools[{index}].{field}"),
                "the refresher stores an offer's default market only (Linux, with the one-hour protection): another \
                 market's prices would become everyone's price of the offer; quote it live for its draft instead"
                    .into(),
            ));
        }
        if let Some((field, value)) = ask.malformed_id() {
            return Err(bad(
                &format!("pools[{index}].{field}"),
                format!(
                    "{field} “{value}” is not a cloud id ({})",
                    spotplan_core::cloud_id::RULE
                ),
            ));
        }
    }
    let claim = state.key_locks.claim(REFRESHER_LOCK);
    let _held = claim.lock().await;
    if !body.pools.is_empty() {
        set_pools(&state.store, &body.pools).await?;
    }
    let budget = match body.budget_per_minute {
        Some(budget) => budget,
        None => progress(&state.store).await?.budget_per_minute,
    };
    save_settings(
        &state.store,
        body.enabled,
        budget,
        !body.pools.is_empty(),
        now_unix_millis(),
    )
    .await?;
    Ok(Json(progress(&state.store).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_step_spends_all_it_was_offered_so_failures_never_raise_the_rate() {
        // A store refusing every batch: each tick's queries are gone, not saved up to be sent twice over.
        let mut earned = 0.0;
        let mut sent = 0;
        for _ in 0..5 {
            earned += 2.0;
            let offered = earned as u32;
            sent += offered;
            earned = left_after(earned, offered, None);
        }
        assert_eq!(sent, 10, "2 a tick, as the budget allows");
        assert_eq!(left_after(4.0, 4, Some(3)), 1.0, "a step that spent 3 of 4");
        assert_eq!(
            left_after(4.0, 4, Some(0)),
            3.0,
            "a step that spent none still takes its turn"
        );
    }
}

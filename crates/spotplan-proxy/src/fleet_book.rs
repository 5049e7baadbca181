//! The fleet book: every fleet submitted (its spec with passwords sealed, its state, the pools the clouds said have
//! no stock) and every order it placed as a numbered step, in the order log's database through its one writer.
//! A step is written before its order is sent, so a proxy that stops mid-replacement finds the step at start and
//! sends the same order under the same key — which the order log answers once.

use spotplan_core::api::fleet_reason::FleetReason;
use spotplan_core::api::fleets::{FleetState, FleetSubmission};

use crate::sql::{SqlRow, SqlValue};
use crate::store::{Store, StoreError};

/// A fleet as the book keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetRow {
    /// The fleet's id.
    pub id: String,
    /// Its idempotency key.
    pub key: String,
    /// The keyed hash of the submission (passwords redacted), to tell a retry from a different fleet.
    pub request_hash: String,
    /// When it was logged.
    pub created_at_ms: i64,
    /// The submission, each password sealed with the install key.
    pub spec: FleetSubmission,
    /// Where it stands.
    pub state: FleetState,
    /// Why it waits, stalled or stopped (kept as its JSON; an older proxy's words read as text).
    pub reason: Option<FleetReason>,
    /// Indexes of pools a cloud said have no stock (or do not sell the type).
    pub exhausted: Vec<usize>,
    /// Whether stopping it released its instances.
    pub release_on_stop: bool,
    /// Who submitted it (team mode): its orders are placed in their name, within their budget.
    pub created_by: Option<String>,
}

/// One order a fleet placed (or is placing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRow {
    /// 0, 1, …
    pub step: u32,
    /// The pool's index in the submission.
    pub pool: usize,
    /// Instances asked.
    pub count: u32,
    /// Whether it made up for lost instances (the first orders do not).
    pub replacement: bool,
    /// The order's idempotency key.
    pub order_key: String,
}

fn decoded(row: &SqlRow) -> Result<FleetRow, StoreError> {
    let spec = row.required_text(4, "spec_json")?;
    let state = row.required_text(5, "state")?;
    let exhausted = row.required_text(7, "exhausted_json")?;
    Ok(FleetRow {
        id: row.required_text(0, "id")?,
        key: row.required_text(1, "idempotency_key")?,
        request_hash: row.required_text(2, "request_hash")?,
        created_at_ms: row.required_int(3, "created_at_ms")?,
        spec: serde_json::from_str(&spec).map_err(|_| StoreError::Corrupt { column: "spec_json" })?,
        state: FleetState::from_id(&state).ok_or(StoreError::Corrupt { column: "state" })?,
        reason: row.text(6).map(|stored| FleetReason::from_stored(&stored)),
        exhausted: serde_json::from_str(&exhausted).map_err(|_| StoreError::Corrupt {
            column: "exhausted_json",
        })?,
        release_on_stop: row.int(8).unwrap_or_default() != 0,
        created_by: row.text(9),
    })
}

fn stored_reason(reason: &Option<FleetReason>) -> Option<String> {
    reason.as_ref().map(FleetReason::to_stored)
}

fn encode<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|error| StoreError::Write(error.to_string()))
}

/// Logs a new fleet; a key already logged fails with [`StoreError::DuplicateKey`].
pub async fn insert(store: &Store, fleet: &FleetRow) -> Result<(), StoreError> {
    let fleet = fleet.clone();
    let (spec, exhausted) = (encode(&fleet.spec)?, encode(&fleet.exhausted)?);
    store
        .transaction(move |tx| {
            let logged = tx.execute(
                "INSERT INTO fleets (id, idempotency_key, request_hash, created_at_ms, spec_json, state, reason, \
                 exhausted_json, release_on_stop, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                 ON CONFLICT (idempotency_key) DO NOTHING",
                &[
                    (&fleet.id).into(),
                    (&fleet.key).into(),
                    (&fleet.request_hash).into(),
                    fleet.created_at_ms.into(),
                    spec.into(),
                    fleet.state.id().into(),
                    stored_reason(&fleet.reason).into(),
                    exhausted.into(),
                    fleet.release_on_stop.into(),
                    (&fleet.created_by).into(),
                ],
            )?;
            if logged == 0 {
                return Err(StoreError::DuplicateKey);
            }
            Ok(())
        })
        .await
}

/// The states a keeper acts in.
const ACTIVE: &str = "state IN ('placing', 'maintaining')";

/// The keeper's write of a fleet's state, reason and exhausted pools: only while the fleet is still placing or
/// maintained (`false`: it is not, and nothing is written) — a keeper's stale read never undoes a stop.
pub async fn update_active(store: &Store, fleet: &FleetRow) -> Result<bool, StoreError> {
    let params: Vec<SqlValue> = vec![
        (&fleet.id).into(),
        fleet.state.id().into(),
        stored_reason(&fleet.reason).into(),
        encode(&fleet.exhausted)?.into(),
    ];
    store
        .transaction(move |tx| {
            tx.execute(
                &format!("UPDATE fleets SET state = ?2, reason = ?3, exhausted_json = ?4 WHERE id = ?1 AND {ACTIVE}"),
                &params,
            )
            .map(|changed| changed > 0)
        })
        .await
}

/// Writes a fleet's state, reason, exhausted pools and stop option (a person's stop: whatever state it was in).
pub async fn update(store: &Store, fleet: &FleetRow) -> Result<(), StoreError> {
    let params: Vec<SqlValue> = vec![
        (&fleet.id).into(),
        fleet.state.id().into(),
        stored_reason(&fleet.reason).into(),
        encode(&fleet.exhausted)?.into(),
        fleet.release_on_stop.into(),
    ];
    store
        .transaction(move |tx| {
            tx.execute(
                "UPDATE fleets SET state = ?2, reason = ?3, exhausted_json = ?4, release_on_stop = ?5 WHERE id = ?1",
                &params,
            )
            .map(drop)
        })
        .await
}

async fn select(store: &Store, sql: &'static str, params: Vec<SqlValue>) -> Result<Vec<FleetRow>, StoreError> {
    store.select(sql, params).await?.iter().map(decoded).collect()
}

/// The fleet logged under an idempotency key.
pub async fn by_key(store: &Store, key: &str) -> Result<Option<FleetRow>, StoreError> {
    Ok(select(
        store,
        "SELECT id, idempotency_key, request_hash, created_at_ms, spec_json, state, reason, exhausted_json, \
         release_on_stop, created_by FROM fleets WHERE idempotency_key = ?1",
        vec![key.into()],
    )
    .await?
    .into_iter()
    .next())
}

/// The fleets logged under `key` in any case (`Fleet-1` and `fleet-1`): their orders' ClientTokens differ only in
/// case, which a cloud may not tell apart.
pub async fn by_key_in_any_case(store: &Store, key: &str) -> Result<Vec<FleetRow>, StoreError> {
    select(
        store,
        "SELECT id, idempotency_key, request_hash, created_at_ms, spec_json, state, reason, exhausted_json, \
         release_on_stop, created_by FROM fleets WHERE LOWER(idempotency_key) = LOWER(CAST(?1 AS TEXT))",
        vec![key.into()],
    )
    .await
}

/// The fleet with an id.
pub async fn by_id(store: &Store, id: &str) -> Result<Option<FleetRow>, StoreError> {
    Ok(select(
        store,
        "SELECT id, idempotency_key, request_hash, created_at_ms, spec_json, state, reason, exhausted_json, \
         release_on_stop, created_by FROM fleets WHERE id = ?1",
        vec![id.into()],
    )
    .await?
    .into_iter()
    .next())
}

/// Every fleet, newest first.
pub async fn all(store: &Store) -> Result<Vec<FleetRow>, StoreError> {
    select(
        store,
        "SELECT id, idempotency_key, request_hash, created_at_ms, spec_json, state, reason, exhausted_json, \
         release_on_stop, created_by FROM fleets ORDER BY created_at_ms DESC, id",
        Vec::new(),
    )
    .await
}

/// The fleets still placing or maintained.
pub async fn active(store: &Store) -> Result<Vec<FleetRow>, StoreError> {
    select(
        store,
        "SELECT id, idempotency_key, request_hash, created_at_ms, spec_json, state, reason, exhausted_json, \
         release_on_stop, created_by FROM fleets WHERE state IN ('placing', 'maintaining') ORDER BY created_at_ms DESC, id",
        Vec::new(),
    )
    .await
}

/// A fleet's steps, oldest first.
pub async fn steps(store: &Store, fleet_id: &str) -> Result<Vec<StepRow>, StoreError> {
    store
        .select(
            "SELECT step, pool, count, replacement, order_key FROM fleet_steps WHERE fleet_id = ?1 ORDER BY step",
            vec![fleet_id.into()],
        )
        .await?
        .iter()
        .map(|row| {
            let number = |index, column| {
                row.required_int(index, column)
                    .and_then(|value| u32::try_from(value).map_err(|_| StoreError::Corrupt { column }))
            };
            Ok(StepRow {
                step: number(0, "step")?,
                pool: number(1, "pool")? as usize,
                count: number(2, "count")?,
                replacement: row.int(3).unwrap_or_default() != 0,
                order_key: row.required_text(4, "order_key")?,
            })
        })
        .collect()
}

/// Records a step before its order is sent — only while the fleet is still placing or maintained (`false`: it
/// is not, and nothing is recorded). A keeper that lost its lock without knowing (a database restart ends every
/// session) and read the fleet before a person stopped it cannot order for it afterwards: the stop's write and
/// this check are ordered by the fleet's row.
pub async fn add_step(store: &Store, fleet_id: &str, step: &StepRow) -> Result<bool, StoreError> {
    let params: Vec<SqlValue> = vec![
        fleet_id.into(),
        i64::from(step.step).into(),
        (step.pool as i64).into(),
        i64::from(step.count).into(),
        step.replacement.into(),
        (&step.order_key).into(),
    ];
    store
        .transaction(move |tx| {
            let active = tx.execute(
                &format!("UPDATE fleets SET state = state WHERE id = ?1 AND {ACTIVE}"),
                &params[..1],
            )?;
            if active == 0 {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO fleet_steps (fleet_id, step, pool, count, replacement, order_key) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                &params,
            )
            .map(|_| true)
        })
        .await
}

/// Makes step `step` of fleet `fleet_id` one of `count` instances — only while no order is logged under its key
/// (`false` otherwise, and nothing changes): nothing under the key was sent, so the step is still only a plan.
pub async fn resize_unsent_step(store: &Store, fleet_id: &str, step: u32, count: u32) -> Result<bool, StoreError> {
    let changed = store
        .execute(
            "UPDATE fleet_steps SET count = ?3 WHERE fleet_id = ?1 AND step = ?2 \
             AND NOT EXISTS (SELECT 1 FROM orders WHERE orders.idempotency_key = fleet_steps.order_key)"
                .to_owned(),
            vec![fleet_id.into(), i64::from(step).into(), i64::from(count).into()],
        )
        .await?;
    Ok(changed == 1)
}

/// Fleets stopped with release that still have live instances not being released — what an order whose outcome
/// was unknown at the stop created, found since — by id.
pub async fn stopped_with_live_instances(store: &Store) -> Result<Vec<String>, StoreError> {
    let rows = store
        .select(
            "SELECT DISTINCT f.id FROM fleets f \
             JOIN fleet_steps s ON s.fleet_id = f.id \
             JOIN orders o ON o.idempotency_key = s.order_key \
             JOIN instances i ON i.order_id = o.id \
             WHERE f.state = 'stopped' AND f.release_on_stop <> 0 AND o.status = 'succeeded' \
             AND i.state NOT IN ('launch_failed', 'released', 'reclaimed', 'gone', 'releasing') \
             ORDER BY f.id",
            Vec::new(),
        )
        .await?;
    Ok(rows.iter().filter_map(|row| row.text(0)).collect())
}

/// Whether the keeper has anything to do: a fleet placing or maintaining, or one stopped with release (whose
/// orders may yet settle with instances to release). It does nothing while none is.
pub async fn any_active_or_stopped_with_release(store: &Store) -> Result<bool, StoreError> {
    Ok(!store
        .select(
            "SELECT 1 FROM fleets WHERE state IN ('placing', 'maintaining') \
             OR (state = 'stopped' AND release_on_stop <> 0) LIMIT 1",
            Vec::new(),
        )
        .await?
        .is_empty())
}

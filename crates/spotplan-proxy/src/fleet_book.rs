//! The fleet book: every fleet submitted (its spec with passwords sealed, its state, the pools the clouds said have
//! no stock) and every order it placed as a numbered step, in the order log's database through its one writer.
//! A step is written before its order is sent, so a proxy that stops mid-replacement finds the step at start and
//! sends the same order under the same key — which the order log answers once.

use rusqlite::{OptionalExtension, Row, params};
use spotplan_core::api::fleets::{FleetState, FleetSubmission};

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
    /// Why it stalled or stopped.
    pub reason: Option<String>,
    /// Indexes of pools a cloud said have no stock (or do not sell the type).
    pub exhausted: Vec<usize>,
    /// Whether stopping it released its instances.
    pub release_on_stop: bool,
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

const COLUMNS: &str =
    "id, idempotency_key, request_hash, created_at_ms, spec_json, state, reason, exhausted_json, release_on_stop";

fn from_row(row: &Row<'_>) -> rusqlite::Result<(FleetRow, String, String, String)> {
    Ok((
        FleetRow {
            id: row.get(0)?,
            key: row.get(1)?,
            request_hash: row.get(2)?,
            created_at_ms: row.get(3)?,
            spec: FleetSubmission {
                name: None,
                target: 0,
                unit: Default::default(),
                maintain: false,
                ceiling_per_hour: None,
                pools: Vec::new(),
            },
            state: FleetState::Stalled,
            reason: row.get(6)?,
            exhausted: Vec::new(),
            release_on_stop: row.get::<_, i64>(8)? != 0,
        },
        row.get(4)?,
        row.get(5)?,
        row.get(7)?,
    ))
}

fn decoded((mut fleet, spec, state, exhausted): (FleetRow, String, String, String)) -> Result<FleetRow, StoreError> {
    fleet.spec = serde_json::from_str(&spec).map_err(|_| StoreError::Corrupt { column: "spec_json" })?;
    fleet.state = FleetState::from_id(&state).ok_or(StoreError::Corrupt { column: "state" })?;
    fleet.exhausted = serde_json::from_str(&exhausted).map_err(|_| StoreError::Corrupt {
        column: "exhausted_json",
    })?;
    Ok(fleet)
}

fn encode<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|error| StoreError::Write(error.to_string()))
}

/// Logs a new fleet; a key already logged fails with [`StoreError::DuplicateKey`].
pub async fn insert(store: &Store, fleet: &FleetRow) -> Result<(), StoreError> {
    let fleet = fleet.clone();
    let (spec, exhausted) = (encode(&fleet.spec)?, encode(&fleet.exhausted)?);
    store
        .apply(move |connection| {
            connection
                .prepare_cached(&format!(
                    "INSERT INTO fleets ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                ))?
                .execute(params![
                    fleet.id,
                    fleet.key,
                    fleet.request_hash,
                    fleet.created_at_ms,
                    spec,
                    fleet.state.id(),
                    fleet.reason,
                    exhausted,
                    i64::from(fleet.release_on_stop),
                ])
                .map(|_| ())
        })
        .await
}

/// Writes a fleet's state, reason, exhausted pools and stop option.
pub async fn update(store: &Store, fleet: &FleetRow) -> Result<(), StoreError> {
    let (id, state, reason, release) = (
        fleet.id.clone(),
        fleet.state.id(),
        fleet.reason.clone(),
        i64::from(fleet.release_on_stop),
    );
    let exhausted = encode(&fleet.exhausted)?;
    store
        .apply(move |connection| {
            connection
                .prepare_cached(
                    "UPDATE fleets SET state = ?2, reason = ?3, exhausted_json = ?4, release_on_stop = ?5 WHERE id = ?1",
                )?
                .execute(params![id, state, reason, exhausted, release])
                .map(|_| ())
        })
        .await
}

async fn select(store: &Store, filter: &'static str, value: Option<String>) -> Result<Vec<FleetRow>, StoreError> {
    store
        .read(move |connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM fleets {filter} ORDER BY created_at_ms DESC, id"
            ))?;
            let rows: Vec<_> = match &value {
                Some(value) => statement.query_map([value], from_row)?.collect::<Result<_, _>>()?,
                None => statement.query_map([], from_row)?.collect::<Result<_, _>>()?,
            };
            rows.into_iter().map(decoded).collect()
        })
        .await
}

/// The fleet logged under an idempotency key.
pub async fn by_key(store: &Store, key: &str) -> Result<Option<FleetRow>, StoreError> {
    Ok(select(store, "WHERE idempotency_key = ?1", Some(key.to_owned()))
        .await?
        .into_iter()
        .next())
}

/// The fleet with an id.
pub async fn by_id(store: &Store, id: &str) -> Result<Option<FleetRow>, StoreError> {
    Ok(select(store, "WHERE id = ?1", Some(id.to_owned()))
        .await?
        .into_iter()
        .next())
}

/// Every fleet, newest first.
pub async fn all(store: &Store) -> Result<Vec<FleetRow>, StoreError> {
    select(store, "", None).await
}

/// The fleets still placing or maintained.
pub async fn active(store: &Store) -> Result<Vec<FleetRow>, StoreError> {
    select(store, "WHERE state IN ('placing', 'maintaining')", None).await
}

/// A fleet's steps, oldest first.
pub async fn steps(store: &Store, fleet_id: &str) -> Result<Vec<StepRow>, StoreError> {
    let fleet_id = fleet_id.to_owned();
    store
        .read(move |connection| {
            let mut statement = connection.prepare_cached(
                "SELECT step, pool, count, replacement, order_key FROM fleet_steps WHERE fleet_id = ?1 ORDER BY step",
            )?;
            let rows = statement.query_map([&fleet_id], |row| {
                Ok(StepRow {
                    step: row.get(0)?,
                    pool: row.get::<_, i64>(1)? as usize,
                    count: row.get(2)?,
                    replacement: row.get::<_, i64>(3)? != 0,
                    order_key: row.get(4)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
}

/// Records a step before its order is sent.
pub async fn add_step(store: &Store, fleet_id: &str, step: &StepRow) -> Result<(), StoreError> {
    let (fleet_id, step) = (fleet_id.to_owned(), step.clone());
    store
        .apply(move |connection| {
            connection
                .prepare_cached(
                    "INSERT INTO fleet_steps (fleet_id, step, pool, count, replacement, order_key) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    fleet_id,
                    step.step,
                    step.pool as i64,
                    step.count,
                    i64::from(step.replacement),
                    step.order_key
                ])
                .map(|_| ())
        })
        .await
}

/// Whether any fleet is logged (the keeper sleeps longer while none is).
pub async fn any_active(store: &Store) -> Result<bool, StoreError> {
    store
        .read(|connection| {
            Ok(connection
                .prepare_cached("SELECT 1 FROM fleets WHERE state IN ('placing', 'maintaining') LIMIT 1")?
                .query_row([], |_| Ok(()))
                .optional()?
                .is_some())
        })
        .await
}

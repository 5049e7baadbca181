//! The instance book: every instance Spotplan placed, with its state as the follower last read it, and the log of
//! releases (each written under its idempotency key before anything is sent). Both live in the order log's SQLite
//! database and go through its one writer, so they share its durability.

use rusqlite::{Connection, OptionalExtension, Row, params};
use spotplan_core::api::instances::{InstanceRef, InstanceView, ReleaseAnswer};
use spotplan_core::lifecycle::cost::cost_so_far;
use spotplan_core::lifecycle::{InstanceState, ReleaseOptions};
use spotplan_core::{Cloud, Money};

use crate::store::{Store, StoreError};

/// One instance as the book keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRow {
    /// The cloud.
    pub cloud: Cloud,
    /// The instance id.
    pub id: String,
    /// The region.
    pub region: String,
    /// The Spotplan order that placed it.
    pub order_id: Option<String>,
    /// Its state.
    pub state: InstanceState,
    /// The cloud's own state word.
    pub cloud_state: Option<String>,
    /// The zone.
    pub zone: Option<String>,
    /// The type or spec.
    pub instance_type: Option<String>,
    /// At most what it costs per hour (the order's bound per instance).
    pub price_per_hour: Option<Money>,
    /// When the order placed it.
    pub placed_at_ms: i64,
    /// When it was first seen running.
    pub running_since_ms: Option<i64>,
    /// When it stopped billing.
    pub ended_at_ms: Option<i64>,
    /// When a reclaim notice was first seen.
    pub notice_at_ms: Option<i64>,
    /// Why it failed or is going.
    pub reason: Option<String>,
    /// When a describe last answered for it.
    pub last_checked_ms: Option<i64>,
    /// The release it is part of, when one was asked for.
    pub release_key: Option<String>,
}

/// How long each cloud's reclaim notice runs (Alibaba and Baidu 5 minutes, Tencent 2; lifecycle-apis.md §0).
pub fn notice_period_ms(cloud: Cloud) -> i64 {
    match cloud {
        Cloud::Tencent => 2 * 60_000,
        Cloud::Alibaba | Cloud::Baidu => 5 * 60_000,
    }
}

impl InstanceRow {
    /// A newly placed instance: pending until the follower reads it.
    pub fn placed(
        cloud: Cloud,
        region: &str,
        id: &str,
        order_id: &str,
        price_per_hour: Option<Money>,
        at_ms: i64,
    ) -> InstanceRow {
        InstanceRow {
            cloud,
            id: id.to_owned(),
            region: region.to_owned(),
            order_id: Some(order_id.to_owned()),
            state: InstanceState::Pending,
            cloud_state: None,
            zone: None,
            instance_type: None,
            price_per_hour,
            placed_at_ms: at_ms,
            running_since_ms: None,
            ended_at_ms: None,
            notice_at_ms: None,
            reason: None,
            last_checked_ms: None,
            release_key: None,
        }
    }

    /// What the API shows, with the cost so far as of `now_ms`: billed from when it was first seen running until
    /// it ended (or now), in the cloud's billing granularity. An instance never seen running has cost nothing.
    pub fn view(&self, now_ms: i64) -> InstanceView {
        let billed_ms = self
            .running_since_ms
            .map(|since| (self.ended_at_ms.unwrap_or(now_ms) - since).max(0));
        let cost = match (self.price_per_hour, billed_ms) {
            (Some(price), Some(ms)) => Some(cost_so_far(self.cloud, price, (ms / 1000) as u64)),
            (Some(price), None) => Some(Money::new(rust_decimal::Decimal::ZERO, price.currency)),
            (None, _) => None,
        };
        InstanceView {
            cloud: self.cloud,
            id: self.id.clone(),
            region: self.region.clone(),
            order_id: self.order_id.clone(),
            state: self.state,
            cloud_state: self.cloud_state.clone(),
            zone: self.zone.clone(),
            instance_type: self.instance_type.clone(),
            price_per_hour: self.price_per_hour,
            cost_so_far: cost,
            placed_at_ms: self.placed_at_ms,
            running_since_ms: self.running_since_ms,
            ended_at_ms: self.ended_at_ms,
            notice_at_ms: self.notice_at_ms,
            reclaim_at_ms: self.notice_at_ms.map(|notice| notice + notice_period_ms(self.cloud)),
            reason: self.reason.clone(),
            last_checked_ms: self.last_checked_ms,
        }
    }

    /// The reference the API uses.
    pub fn reference(&self) -> InstanceRef {
        InstanceRef {
            cloud: self.cloud,
            id: self.id.clone(),
        }
    }
}

const COLUMNS: &str = "cloud, id, region, order_id, state, cloud_state, zone, instance_type, price_per_hour, \
                       placed_at_ms, running_since_ms, ended_at_ms, notice_at_ms, reason, last_checked_ms, release_key";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Option<InstanceRow>> {
    let cloud: String = row.get(0)?;
    let state: String = row.get(4)?;
    let price: Option<String> = row.get(8)?;
    let (Some(cloud), Some(state)) = (Cloud::from_id(&cloud), InstanceState::from_id(&state)) else {
        return Ok(None);
    };
    Ok(Some(InstanceRow {
        cloud,
        id: row.get(1)?,
        region: row.get(2)?,
        order_id: row.get(3)?,
        state,
        cloud_state: row.get(5)?,
        zone: row.get(6)?,
        instance_type: row.get(7)?,
        price_per_hour: price.and_then(|text| serde_json::from_str(&text).ok()),
        placed_at_ms: row.get(9)?,
        running_since_ms: row.get(10)?,
        ended_at_ms: row.get(11)?,
        notice_at_ms: row.get(12)?,
        reason: row.get(13)?,
        last_checked_ms: row.get(14)?,
        release_key: row.get(15)?,
    }))
}

fn select(connection: &Connection, filter: &str) -> Result<Vec<InstanceRow>, StoreError> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM instances {filter} ORDER BY placed_at_ms DESC, cloud, id"
    ))?;
    let rows = statement.query_map([], from_row)?;
    let mut found = Vec::new();
    for row in rows {
        found.extend(row?);
    }
    Ok(found)
}

fn upsert(connection: &Connection, row: &InstanceRow) -> rusqlite::Result<()> {
    connection
        .prepare_cached(&format!(
            "INSERT INTO instances ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, \
             ?15, ?16) ON CONFLICT (cloud, id) DO UPDATE SET state = ?5, cloud_state = ?6, zone = ?7, \
             instance_type = ?8, running_since_ms = ?11, ended_at_ms = ?12, notice_at_ms = ?13, reason = ?14, \
             last_checked_ms = ?15, release_key = ?16"
        ))?
        .execute(params![
            row.cloud.id(),
            row.id,
            row.region,
            row.order_id,
            row.state.id(),
            row.cloud_state,
            row.zone,
            row.instance_type,
            row.price_per_hour.map(|price| serde_json::json!(price).to_string()),
            row.placed_at_ms,
            row.running_since_ms,
            row.ended_at_ms,
            row.notice_at_ms,
            row.reason,
            row.last_checked_ms,
            row.release_key,
        ])?;
    Ok(())
}

/// Writes rows (new or changed) in one transaction; returns once they are on disk.
pub async fn save(store: &Store, rows: Vec<InstanceRow>) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    store
        .apply(move |connection| rows.iter().try_for_each(|row| upsert(connection, row)))
        .await
}

/// Adds placed instances; an instance already in the book keeps its row (a replayed order adds nothing).
pub async fn add_placed(store: &Store, rows: Vec<InstanceRow>) -> Result<(), StoreError> {
    store
        .apply(move |connection| {
            rows.iter().try_for_each(|row| {
                connection
                    .prepare_cached(
                        "INSERT OR IGNORE INTO instances (cloud, id, region, order_id, state, price_per_hour, \
                         placed_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    )?
                    .execute(params![
                        row.cloud.id(),
                        row.id,
                        row.region,
                        row.order_id,
                        row.state.id(),
                        row.price_per_hour.map(|price| serde_json::json!(price).to_string()),
                        row.placed_at_ms,
                    ])
                    .map(|_| ())
            })
        })
        .await
}

/// Every instance, newest first.
pub async fn all(store: &Store) -> Result<Vec<InstanceRow>, StoreError> {
    store.read(|connection| select(connection, "")).await
}

/// The instances the follower still watches (not in a final state).
pub async fn followed(store: &Store) -> Result<Vec<InstanceRow>, StoreError> {
    store
        .read(|connection| {
            select(
                connection,
                "WHERE state NOT IN ('launch_failed', 'released', 'reclaimed', 'gone')",
            )
        })
        .await
}

/// A logged release: the hash of what was asked, its targets, and its answer once it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRelease {
    /// The hash of the request body.
    pub request_hash: String,
    /// The instances it covers.
    pub targets: Vec<InstanceRef>,
    /// How it was asked for.
    pub options: ReleaseOptions,
    /// The answer, once every call has returned.
    pub answer: Option<ReleaseAnswer>,
}

fn logged_from_row(row: &Row<'_>) -> rusqlite::Result<(String, String, String, String, Option<String>)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?))
}

fn logged(
    (key, request_hash, targets, options, answer): (String, String, String, String, Option<String>),
) -> Result<(String, LoggedRelease), StoreError> {
    Ok((
        key,
        LoggedRelease {
            request_hash,
            targets: serde_json::from_str(&targets).map_err(|_| StoreError::Corrupt { column: "targets" })?,
            options: serde_json::from_str(&options).map_err(|_| StoreError::Corrupt { column: "options_json" })?,
            answer: answer
                .map(|text| serde_json::from_str(&text))
                .transpose()
                .map_err(|_| StoreError::Corrupt { column: "answer_json" })?,
        },
    ))
}

const RELEASE_COLUMNS: &str = "idempotency_key, request_hash, targets, options_json, answer_json";

/// The release logged under `key`, if any.
pub async fn logged_release(store: &Store, key: &str) -> Result<Option<LoggedRelease>, StoreError> {
    let key = key.to_owned();
    store
        .read(move |connection| {
            connection
                .prepare_cached(&format!(
                    "SELECT {RELEASE_COLUMNS} FROM releases WHERE idempotency_key = ?1"
                ))?
                .query_row([&key], logged_from_row)
                .optional()?
                .map(|row| logged(row).map(|(_, release)| release))
                .transpose()
        })
        .await
}

/// Releases logged before `before_ms` and never answered (a run stopped while sending them), oldest first.
pub async fn unanswered_releases(store: &Store, before_ms: i64) -> Result<Vec<(String, LoggedRelease)>, StoreError> {
    store
        .read(move |connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {RELEASE_COLUMNS} FROM releases WHERE answer_json IS NULL AND created_at_ms < ?1 \
                 ORDER BY created_at_ms"
            ))?;
            let rows = statement.query_map([before_ms], logged_from_row)?;
            rows.map(|row| logged(row?)).collect()
        })
        .await
}

/// Logs a release and marks its instances releasing, in one transaction, before anything is sent. A key already
/// logged fails with [`StoreError::DuplicateKey`].
pub async fn log_release(
    store: &Store,
    key: &str,
    request_hash: &str,
    targets: Vec<InstanceRow>,
    options: ReleaseOptions,
    now_ms: i64,
) -> Result<(), StoreError> {
    let (key, request_hash) = (key.to_owned(), request_hash.to_owned());
    let options = serde_json::to_string(&options).map_err(|error| StoreError::Write(error.to_string()))?;
    let references: Vec<InstanceRef> = targets.iter().map(InstanceRow::reference).collect();
    let references = serde_json::to_string(&references).map_err(|error| StoreError::Write(error.to_string()))?;
    store
        .apply(move |connection| {
            connection
                .prepare_cached(
                    "INSERT INTO releases (idempotency_key, request_hash, created_at_ms, targets, options_json) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![key, request_hash, now_ms, references, options])?;
            targets.iter().try_for_each(|row| {
                let mut row = row.clone();
                row.state = InstanceState::Releasing;
                row.release_key = Some(key.clone());
                upsert(connection, &row)
            })
        })
        .await
}

/// Records a release's answer and the instances' states after it.
pub async fn finish_release(
    store: &Store,
    key: &str,
    answer: &ReleaseAnswer,
    rows: Vec<InstanceRow>,
) -> Result<(), StoreError> {
    let key = key.to_owned();
    let answer = serde_json::to_string(answer).map_err(|error| StoreError::Write(error.to_string()))?;
    store
        .apply(move |connection| {
            connection
                .prepare_cached("UPDATE releases SET answer_json = ?2 WHERE idempotency_key = ?1")?
                .execute(params![key, answer])?;
            rows.iter().try_for_each(|row| upsert(connection, row))
        })
        .await
}

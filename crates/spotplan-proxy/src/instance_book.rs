//! The instance book: every instance Spotplan placed, with its state as the follower last read it, and the log of
//! releases (each written under its idempotency key before anything is sent). Both live in the order log's SQLite
//! database and go through its one writer, so they share its durability.

use spotplan_core::api::instances::{InstanceRef, InstanceView, ReleaseAnswer};
use spotplan_core::lifecycle::cost::{BilledSpan, cost_so_far};
use spotplan_core::lifecycle::{InstanceState, ReleaseOptions};
use spotplan_core::{Cloud, Money};

use crate::sql::{SqlRow, SqlValue, Tx};
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
    /// The time of earlier stops without charge (compute not billed) it came back from.
    pub paused_ms: i64,
    /// When the stop without charge it is in now (or ended in) began.
    pub paused_since_ms: Option<i64>,
    /// When a reclaim notice was first seen.
    pub notice_at_ms: Option<i64>,
    /// Why it failed or is going.
    pub reason: Option<String>,
    /// When a describe last answered for it.
    pub last_checked_ms: Option<i64>,
    /// The release it is part of, when one was asked for.
    pub release_key: Option<String>,
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
            paused_ms: 0,
            paused_since_ms: None,
            notice_at_ms: None,
            reason: None,
            last_checked_ms: None,
            release_key: None,
        }
    }

    /// When it billed.
    pub fn billed_span(&self) -> BilledSpan {
        BilledSpan {
            running_since_ms: self.running_since_ms,
            ended_at_ms: self.ended_at_ms,
            paused_ms: self.paused_ms,
            paused_since_ms: self.paused_since_ms,
        }
    }

    /// What the API shows, with the cost so far as of `now_ms`: billed from when it was first seen running until
    /// it ended (or now), less its stops without charge, in the cloud's billing granularity. An instance never
    /// seen running has cost nothing.
    pub fn view(&self, now_ms: i64) -> InstanceView {
        self.view_of(self.billed_span(), now_ms)
    }

    /// Like [`InstanceRow::view`], with the cost of the part of its billing from `start_ms` on (a month's).
    pub fn view_from(&self, start_ms: i64, now_ms: i64) -> InstanceView {
        self.view_of(self.billed_span().from(start_ms), now_ms)
    }

    fn view_of(&self, span: BilledSpan, now_ms: i64) -> InstanceView {
        let billed_ms = span.billed_ms(now_ms);
        let cost = match (self.price_per_hour, billed_ms) {
            // A second begun is a second billed: 60.5 s on Baidu's per-minute billing is two minutes.
            (Some(price), Some(ms)) => Some(cost_so_far(self.cloud, price, (ms as u64).div_ceil(1000))),
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
            paused_ms: self.paused_ms,
            paused_since_ms: self.paused_since_ms,
            notice_at_ms: self.notice_at_ms,
            reclaim_at_ms: self
                .notice_at_ms
                .map(|notice| notice + spotplan_core::clouds::wire(self.cloud).reclaim_notice_ms()),
            reason: self.reason.clone(),
            last_checked_ms: self.last_checked_ms,
            placed_by: None,
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

fn from_row(row: &SqlRow) -> Result<Option<InstanceRow>, StoreError> {
    let cloud = row.required_text(0, "cloud")?;
    let state = row.required_text(4, "state")?;
    let (Some(cloud), Some(state)) = (Cloud::from_id(&cloud), InstanceState::from_id(&state)) else {
        return Ok(None);
    };
    Ok(Some(InstanceRow {
        cloud,
        id: row.required_text(1, "id")?,
        region: row.required_text(2, "region")?,
        order_id: row.text(3),
        state,
        cloud_state: row.text(5),
        zone: row.text(6),
        instance_type: row.text(7),
        price_per_hour: row.text(8).and_then(|text| serde_json::from_str(&text).ok()),
        placed_at_ms: row.required_int(9, "placed_at_ms")?,
        running_since_ms: row.int(10),
        ended_at_ms: row.int(11),
        notice_at_ms: row.int(12),
        reason: row.text(13),
        last_checked_ms: row.int(14),
        release_key: row.text(15),
        paused_ms: row.int(16).unwrap_or(0),
        paused_since_ms: row.int(17),
    }))
}

fn rows(found: Vec<SqlRow>) -> Result<Vec<InstanceRow>, StoreError> {
    let mut rows = Vec::new();
    for row in &found {
        rows.extend(from_row(row)?);
    }
    Ok(rows)
}

fn price_text(row: &InstanceRow) -> SqlValue {
    row.price_per_hour
        .map(|price| serde_json::json!(price).to_string())
        .into()
}

/// The states of an instance that has ended (`InstanceState::is_final`), as an SQL list: a macro, so the
/// `&'static str` statements can `concat!` it.
macro_rules! ended_states {
    () => {
        "('launch_failed', 'released', 'reclaimed', 'gone')"
    };
}
pub(crate) use ended_states;

/// Rows one upsert statement writes at most (18 parameters each: far below either database's limit).
const UPSERT_ROWS: usize = 100;

/// Writes `rows` (new or changed), [`UPSERT_ROWS`] to a statement. An instance named twice is written as its last
/// row says (PostgreSQL refuses one statement updating a row twice).
fn upsert_all(tx: &mut dyn Tx, rows: &[InstanceRow]) -> Result<(), StoreError> {
    upsert(tx, rows, "")
}

/// Like [`upsert_all`], but a row whose release key changed since `rows` were read (a release logged meanwhile)
/// is left as the release wrote it: what the follower saw is older than the release. Nor does the follower put a
/// row back into "releasing" (only a release's log does that): a row it read releasing that is not any more was
/// refused meanwhile, and the refusal stands. Nor does it change a row that has ended: the follower reads only
/// rows that have not, so such a write is a reading older than the end (a replica that lost its leadership
/// without knowing, writing what it read before another recorded a reclaim).
fn upsert_observed(tx: &mut dyn Tx, rows: &[InstanceRow]) -> Result<(), StoreError> {
    upsert(
        tx,
        rows,
        concat!(
            " WHERE COALESCE(instances.release_key, '') = COALESCE(excluded.release_key, '') \
             AND NOT (excluded.state = 'releasing' AND instances.state <> 'releasing') \
             AND instances.state NOT IN ",
            ended_states!()
        ),
    )
}

fn upsert(tx: &mut dyn Tx, rows: &[InstanceRow], only_where: &str) -> Result<(), StoreError> {
    let mut last = std::collections::HashMap::new();
    for (index, row) in rows.iter().enumerate() {
        last.insert((row.cloud, row.id.as_str()), index);
    }
    let rows: Vec<&InstanceRow> = rows
        .iter()
        .enumerate()
        .filter(|(index, row)| last.get(&(row.cloud, row.id.as_str())) == Some(index))
        .map(|(_, row)| row)
        .collect();
    rows.chunks(UPSERT_ROWS).try_for_each(|chunk| {
        let sql = format!(
            "INSERT INTO instances (cloud, id, region, order_id, state, cloud_state, zone, instance_type, \
             price_per_hour, placed_at_ms, running_since_ms, ended_at_ms, notice_at_ms, reason, last_checked_ms, \
             release_key, paused_ms, paused_since_ms) VALUES {} \
             ON CONFLICT (cloud, id) DO UPDATE SET state = excluded.state, cloud_state = excluded.cloud_state, \
             zone = excluded.zone, instance_type = excluded.instance_type, \
             running_since_ms = excluded.running_since_ms, ended_at_ms = excluded.ended_at_ms, \
             notice_at_ms = excluded.notice_at_ms, reason = excluded.reason, \
             last_checked_ms = excluded.last_checked_ms, release_key = excluded.release_key, \
             paused_ms = excluded.paused_ms, paused_since_ms = excluded.paused_since_ms{only_where}",
            crate::sql::values_rows(chunk.len(), 18)
        );
        let params: Vec<SqlValue> = chunk
            .iter()
            .flat_map(|row| {
                [
                    row.cloud.id().into(),
                    (&row.id).into(),
                    (&row.region).into(),
                    (&row.order_id).into(),
                    row.state.id().into(),
                    (&row.cloud_state).into(),
                    (&row.zone).into(),
                    (&row.instance_type).into(),
                    price_text(row),
                    row.placed_at_ms.into(),
                    row.running_since_ms.into(),
                    row.ended_at_ms.into(),
                    row.notice_at_ms.into(),
                    (&row.reason).into(),
                    row.last_checked_ms.into(),
                    (&row.release_key).into(),
                    row.paused_ms.into(),
                    row.paused_since_ms.into(),
                ]
            })
            .collect();
        tx.execute(&sql, &params).map(drop)
    })
}

/// Records that `ids` of `cloud` were checked at `at_ms` and found as they were: one statement.
pub async fn mark_checked(store: &Store, cloud: Cloud, ids: &[String], at_ms: i64) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let placeholders: Vec<String> = (0..ids.len()).map(|index| format!("?{}", index + 3)).collect();
    let sql = format!(
        "UPDATE instances SET last_checked_ms = ?1 WHERE cloud = ?2 AND id IN ({})",
        placeholders.join(", ")
    );
    let params = [at_ms.into(), cloud.id().into()]
        .into_iter()
        .chain(ids.iter().map(SqlValue::from))
        .collect();
    store.execute(sql, params).await.map(drop)
}

/// Adds instances a list found (watch, discover) with all the list showed of them; an instance already in the book
/// stays exactly as it is — booked or released while the list was read, its row is newer than the list.
pub async fn add_found(store: &Store, rows: Vec<InstanceRow>) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    store.transaction(move |tx| upsert(tx, &rows, " WHERE 1 = 0")).await
}

/// Writes rows (new or changed) in one transaction; returns once they are on disk.
pub async fn save(store: &Store, rows: Vec<InstanceRow>) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    store.transaction(move |tx| upsert_all(tx, &rows)).await
}

/// Writes what a describe showed of rows read before it, in one transaction — except rows a release was logged
/// for meanwhile (their release key changed), which stay as the release wrote them.
pub async fn save_observed(store: &Store, rows: Vec<InstanceRow>) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    store.transaction(move |tx| upsert_observed(tx, &rows)).await
}

/// The statement adding up to [`UPSERT_ROWS`] placed instances, and its parameters. A row already in the book
/// stays as it is, except that one watched without an order (found by watch or discover before its order's
/// booking landed) takes the order and its price share.
fn insert_placed(rows: &[InstanceRow]) -> (String, Vec<SqlValue>) {
    let sql = format!(
        "INSERT INTO instances (cloud, id, region, order_id, state, price_per_hour, placed_at_ms) VALUES {} \
         ON CONFLICT (cloud, id) DO UPDATE SET order_id = excluded.order_id, \
         price_per_hour = excluded.price_per_hour \
         WHERE instances.order_id IS NULL AND excluded.order_id IS NOT NULL",
        crate::sql::values_rows(rows.len(), 7)
    );
    let params = rows
        .iter()
        .flat_map(|row| {
            [
                row.cloud.id().into(),
                (&row.id).into(),
                (&row.region).into(),
                (&row.order_id).into(),
                row.state.id().into(),
                price_text(row),
                row.placed_at_ms.into(),
            ]
        })
        .collect();
    (sql, params)
}

/// Adds placed instances; an instance already in the book keeps its row (a replayed order adds nothing), but a
/// watched one without an order takes the order's. An order's
/// instances (at most `UPSERT_ROWS`, 100) are one statement — one round trip on the shared database; more are
/// written in batches in one transaction.
pub async fn add_placed(store: &Store, rows: Vec<InstanceRow>) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    if rows.len() <= UPSERT_ROWS {
        let (sql, params) = insert_placed(&rows);
        return store.execute(sql, params).await.map(drop);
    }
    store
        .transaction(move |tx| {
            rows.chunks(UPSERT_ROWS).try_for_each(|chunk| {
                let (sql, params) = insert_placed(chunk);
                tx.execute(&sql, &params).map(drop)
            })
        })
        .await
}

/// Every instance, newest first.
pub async fn all(store: &Store) -> Result<Vec<InstanceRow>, StoreError> {
    rows(
        store
            .select(
                "SELECT cloud, id, region, order_id, state, cloud_state, zone, instance_type, price_per_hour, \
                 placed_at_ms, running_since_ms, ended_at_ms, notice_at_ms, reason, last_checked_ms, release_key, \
                 paused_ms, paused_since_ms FROM instances ORDER BY placed_at_ms DESC, cloud, id",
                Vec::new(),
            )
            .await?,
    )
}

/// `?1` (`Listing::ended_since_ms`) absent, or an instance live, or ended (never started: placed) since `?1`.
macro_rules! recent {
    () => {
        concat!(
            "(CAST(?1 AS BIGINT) IS NULL OR i.state NOT IN ",
            ended_states!(),
            " OR COALESCE(i.ended_at_ms, i.placed_at_ms) >= ?1)"
        )
    };
}

/// `?2` (`Listing::placed_by`) absent, or the person who placed the instance's order.
macro_rules! whose {
    () => {
        "(CAST(?2 AS TEXT) IS NULL OR o.placed_by = CAST(?2 AS TEXT))"
    };
}

const LISTED: &str = concat!(
    "SELECT i.cloud, i.id, i.region, i.order_id, i.state, i.cloud_state, i.zone, i.instance_type, i.price_per_hour, \
     i.placed_at_ms, i.running_since_ms, i.ended_at_ms, i.notice_at_ms, i.reason, i.last_checked_ms, i.release_key, \
     i.paused_ms, i.paused_since_ms, o.placed_by FROM instances i LEFT JOIN orders o ON o.id = i.order_id WHERE ",
    recent!(),
    " AND ",
    whose!(),
    " ORDER BY i.placed_at_ms DESC, i.cloud, i.id"
);

const ENDED_EARLIER: &str = concat!(
    "SELECT COUNT(*) FROM instances i LEFT JOIN orders o ON o.id = i.order_id WHERE NOT ",
    recent!(),
    " AND ",
    whose!()
);

/// What `GET /instances` lists: whose instances, and how much of the ended history.
#[derive(Debug, Clone, Copy, Default)]
pub struct Listing<'a> {
    /// Only the instances of orders this person placed.
    pub placed_by: Option<&'a str>,
    /// Ended instances only when they ended (or, never started, were placed) at or after this time.
    pub ended_since_ms: Option<i64>,
}

/// The instances `listing` asks for, newest first, each with who placed its order (read in the same statement:
/// not every order ever placed), and how many ended ones it left out.
pub async fn listed(
    store: &Store,
    listing: Listing<'_>,
) -> Result<(Vec<(InstanceRow, Option<String>)>, u64), StoreError> {
    let parameters = || {
        vec![
            listing.ended_since_ms.into(),
            listing.placed_by.map(str::to_owned).into(),
        ]
    };
    let found = store.select(LISTED, parameters()).await?;
    let mut listed = Vec::with_capacity(found.len());
    for row in &found {
        if let Some(instance) = from_row(row)? {
            listed.push((instance, row.text(18)));
        }
    }
    let ended_earlier = match listing.ended_since_ms {
        None => 0,
        Some(_) => store
            .select(ENDED_EARLIER, parameters())
            .await?
            .first()
            .and_then(|row| row.int(0))
            .map_or(0, |count| u64::try_from(count).unwrap_or(0)),
    };
    Ok((listed, ended_earlier))
}

/// The instances (of `person`, or everyone's) that billed at any time since `since_ms`: still running, or ended
/// after it — an instance placed last month and running on counts this month too.
pub async fn billing_since(store: &Store, since_ms: i64, person: Option<&str>) -> Result<Vec<InstanceRow>, StoreError> {
    rows(
        store
            .select(
                "SELECT i.cloud, i.id, i.region, i.order_id, i.state, i.cloud_state, i.zone, i.instance_type, \
                 i.price_per_hour, i.placed_at_ms, i.running_since_ms, i.ended_at_ms, i.notice_at_ms, i.reason, \
                 i.last_checked_ms, i.release_key, i.paused_ms, i.paused_since_ms FROM instances i JOIN orders o ON o.id = i.order_id \
                 WHERE (i.ended_at_ms IS NULL OR i.ended_at_ms >= ?1) \
                 AND (CAST(?2 AS TEXT) IS NULL OR o.placed_by = CAST(?2 AS TEXT)) ORDER BY i.placed_at_ms",
                vec![since_ms.into(), person.map(str::to_owned).into()],
            )
            .await?,
    )
}

/// The instances of one cloud and region the book still watches (in no final state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedGroup {
    /// The cloud.
    pub cloud: Cloud,
    /// The region: one describe call asks about one region.
    pub region: String,
    /// How many instances of it are watched — an upper bound on how many are due.
    pub watched: usize,
}

/// How many instances the book watches, by cloud and region: a count the partial index `instances_followed`
/// answers alone, so it costs a few milliseconds even for a book of tens of thousands.
pub async fn watched_groups(store: &Store) -> Result<Vec<WatchedGroup>, StoreError> {
    let found = store
        .select(
            concat!(
                "SELECT cloud, region, COUNT(*) FROM instances WHERE state NOT IN ",
                ended_states!(),
                " GROUP BY cloud, region ORDER BY cloud, region"
            ),
            Vec::new(),
        )
        .await?;
    let mut groups = Vec::new();
    for row in &found {
        let Some(cloud) = Cloud::from_id(&row.required_text(0, "cloud")?) else {
            continue;
        };
        groups.push(WatchedGroup {
            cloud,
            region: row.required_text(1, "region")?,
            watched: usize::try_from(row.required_int(2, "count")?).unwrap_or(0),
        });
    }
    Ok(groups)
}

/// The next page of the instances of `cloud` in `region` the follower reads now, by id after `after_id` (`""`:
/// from the first): every one not in a final state, except running instances last checked after
/// `running_checked_by_ms` (`i64::MAX`: every watched instance). A poll reads the book page by page, so a large
/// book is never read in one burst.
pub async fn due_page(
    store: &Store,
    running_checked_by_ms: i64,
    cloud: Cloud,
    region: &str,
    after_id: &str,
    limit: usize,
) -> Result<Vec<InstanceRow>, StoreError> {
    let sql = concat!(
        "SELECT cloud, id, region, order_id, state, cloud_state, zone, instance_type, price_per_hour, \
         placed_at_ms, running_since_ms, ended_at_ms, notice_at_ms, reason, last_checked_ms, release_key, \
         paused_ms, paused_since_ms FROM instances WHERE state NOT IN ",
        ended_states!(),
        " AND (state <> 'running' OR last_checked_ms IS NULL OR last_checked_ms <= ?1) \
         AND cloud = ?2 AND region = ?3 AND id > ?4 ORDER BY id LIMIT ?5"
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    rows(
        store
            .select(
                sql,
                vec![
                    running_checked_by_ms.into(),
                    cloud.id().into(),
                    region.into(),
                    after_id.into(),
                    limit.into(),
                ],
            )
            .await?,
    )
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
    /// Who asked for it (team mode).
    pub requested_by: Option<String>,
}

fn logged(row: &SqlRow) -> Result<(String, LoggedRelease), StoreError> {
    let targets = row.required_text(2, "targets")?;
    let options = row.required_text(3, "options_json")?;
    Ok((
        row.required_text(0, "idempotency_key")?,
        LoggedRelease {
            request_hash: row.required_text(1, "request_hash")?,
            targets: serde_json::from_str(&targets).map_err(|_| StoreError::Corrupt { column: "targets" })?,
            options: serde_json::from_str(&options).map_err(|_| StoreError::Corrupt { column: "options_json" })?,
            answer: row
                .text(4)
                .map(|text| serde_json::from_str(&text))
                .transpose()
                .map_err(|_| StoreError::Corrupt { column: "answer_json" })?,
            requested_by: row.text(5),
        },
    ))
}

/// The release logged under `key`, if any.
pub async fn logged_release(store: &Store, key: &str) -> Result<Option<LoggedRelease>, StoreError> {
    let found = store
        .select(
            "SELECT idempotency_key, request_hash, targets, options_json, answer_json, requested_by FROM releases \
             WHERE idempotency_key = ?1",
            vec![key.into()],
        )
        .await?;
    found
        .first()
        .map(|row| logged(row).map(|(_, release)| release))
        .transpose()
}

/// When the release logged under `key` was asked for (Unix ms), if it was logged.
pub async fn release_asked_at(store: &Store, key: &str) -> Result<Option<i64>, StoreError> {
    let found = store
        .select(
            "SELECT created_at_ms FROM releases WHERE idempotency_key = ?1",
            vec![key.into()],
        )
        .await?;
    Ok(found.first().and_then(|row| row.int(0)))
}

/// One release of a chain of keys (`base`, `base_1`, `base_2`…: a set released again after a refusal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainLink {
    /// Its place in the chain (0: the base key).
    pub round: u32,
    /// When it was asked for (Unix ms).
    pub asked_ms: i64,
    /// Whether its answer is logged.
    pub answered: bool,
}

/// The releases logged under `base` and its numbered successors, in round order — one query, however long the
/// chain grew.
pub async fn release_chain(store: &Store, base: &str) -> Result<Vec<ChainLink>, StoreError> {
    let rows = store
        .select(
            "SELECT idempotency_key, created_at_ms, answer_json IS NOT NULL FROM releases \
             WHERE idempotency_key = CAST(?1 AS TEXT) \
             OR substr(idempotency_key, 1, length(CAST(?1 AS TEXT)) + 1) = CAST(?1 AS TEXT) || '_'",
            vec![base.into()],
        )
        .await?;
    let mut chain: Vec<ChainLink> = rows
        .iter()
        .filter_map(|row| {
            let key = row.text(0)?;
            let round = match key.strip_prefix(base)? {
                "" => 0,
                rest => rest.strip_prefix('_')?.parse().ok()?,
            };
            Some(ChainLink {
                round,
                asked_ms: row.int(1)?,
                answered: row.int(2)? != 0,
            })
        })
        .collect();
    chain.sort_by_key(|link| link.round);
    Ok(chain)
}

/// Releases logged before `before_ms` and never answered (a run stopped while sending them), oldest first.
pub async fn unanswered_releases(store: &Store, before_ms: i64) -> Result<Vec<(String, LoggedRelease)>, StoreError> {
    store
        .select(
            "SELECT idempotency_key, request_hash, targets, options_json, answer_json, requested_by FROM releases \
             WHERE answer_json IS NULL AND created_at_ms < ?1 ORDER BY created_at_ms",
            vec![before_ms.into()],
        )
        .await?
        .iter()
        .map(logged)
        .collect()
}

/// The `(cloud, id)` placeholders of `rows` for a `(cloud, id) IN (…)` list, numbered after the `params` already
/// there, which their values are added to.
fn row_refs<'a>(rows: impl Iterator<Item = &'a InstanceRow>, params: &mut Vec<SqlValue>) -> Vec<String> {
    rows.map(|row| {
        let placeholders = format!("(?{}, ?{})", params.len() + 1, params.len() + 2);
        params.push(row.cloud.id().into());
        params.push(row.id.as_str().into());
        placeholders
    })
    .collect()
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
    requested_by: Option<String>,
) -> Result<(), StoreError> {
    let (key, request_hash) = (key.to_owned(), request_hash.to_owned());
    let options = serde_json::to_string(&options).map_err(|error| StoreError::Write(error.to_string()))?;
    let references: Vec<InstanceRef> = targets.iter().map(InstanceRow::reference).collect();
    let references = serde_json::to_string(&references).map_err(|error| StoreError::Write(error.to_string()))?;
    store
        .transaction(move |tx| {
            let logged = tx.execute(
                "INSERT INTO releases (idempotency_key, request_hash, created_at_ms, targets, options_json, \
                 requested_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (idempotency_key) DO NOTHING",
                &[
                    (&key).into(),
                    request_hash.into(),
                    now_ms.into(),
                    references.into(),
                    options.into(),
                    requested_by.into(),
                ],
            )?;
            if logged == 0 {
                return Err(StoreError::DuplicateKey);
            }
            // Only the state and the key, and only over rows nothing has ended since they were read: a reclaim the
            // follower recorded meanwhile stands (the whole row as read would put back what it replaced).
            for chunk in targets.chunks(UPSERT_ROWS) {
                let mut params: Vec<SqlValue> = vec![(&key).into()];
                let wanted = row_refs(chunk.iter(), &mut params);
                tx.execute(
                    &format!(
                        concat!(
                            "UPDATE instances SET state = 'releasing', release_key = ?1 WHERE (cloud, id) IN ({}) \
                             AND state NOT IN ",
                            ended_states!()
                        ),
                        wanted.join(", ")
                    ),
                    &params,
                )?;
            }
            Ok(())
        })
        .await
}

/// Records a release's answer and the instances' states after it, once: an answer already recorded (by the
/// resumer, or by an earlier try of this write) stands and nothing is written over it. Of each instance only the
/// state is written (and, for one the release ended, when and its last pause), and only over a row this release still holds that nothing has ended: what the follower learnt
/// meanwhile (a reclaim, a notice, a pause, the cloud's own state) stands, however late this write lands (it is
/// retried in the background when the book cannot take it at once). A row the follower put back to running
/// because an earlier send of this release did not take is this release's too (its key stays): its answer now
/// stands — dropped, the instance would read as running while its release takes, then as reclaimed once it is
/// gone. Returns whether this call recorded the answer.
pub async fn finish_release(
    store: &Store,
    key: &str,
    answer: &ReleaseAnswer,
    rows: Vec<InstanceRow>,
) -> Result<bool, StoreError> {
    let key = key.to_owned();
    let answer = serde_json::to_string(answer).map_err(|error| StoreError::Write(error.to_string()))?;
    store
        .transaction(move |tx| {
            let answered = tx.execute(
                "UPDATE releases SET answer_json = ?2 WHERE idempotency_key = ?1 AND answer_json IS NULL",
                &[(&key).into(), answer.into()],
            )?;
            if answered == 0 {
                return Ok(false);
            }
            // A row this release ended (the resumer found it gone) takes its ending too: when, and its last pause
            // closed. Nothing the follower reads can be newer: it no longer reads a row that has ended.
            let (ended, changed): (Vec<&InstanceRow>, Vec<&InstanceRow>) =
                rows.iter().partition(|row| row.state.is_final());
            for row in ended {
                tx.execute(
                    concat!(
                        "UPDATE instances SET state = ?3, ended_at_ms = ?4, paused_ms = ?5, paused_since_ms = ?6 \
                         WHERE cloud = ?1 AND id = ?2 AND release_key = ?7 AND state NOT IN ",
                        ended_states!()
                    ),
                    &[
                        row.cloud.id().into(),
                        row.id.as_str().into(),
                        row.state.id().into(),
                        row.ended_at_ms.into(),
                        row.paused_ms.into(),
                        row.paused_since_ms.into(),
                        (&key).into(),
                    ],
                )?;
            }
            let mut by_state: std::collections::BTreeMap<&'static str, Vec<&InstanceRow>> = Default::default();
            for row in changed {
                by_state.entry(row.state.id()).or_default().push(row);
            }
            for (state, rows) in by_state {
                for chunk in rows.chunks(UPSERT_ROWS) {
                    let mut params: Vec<SqlValue> = vec![(&key).into(), state.into()];
                    let wanted = row_refs(chunk.iter().copied(), &mut params);
                    tx.execute(
                        &format!(
                            concat!(
                                "UPDATE instances SET state = ?2 WHERE release_key = ?1 AND (cloud, id) IN ({}) \
                                 AND state NOT IN ",
                                ended_states!()
                            ),
                            wanted.join(", ")
                        ),
                        &params,
                    )?;
                }
            }
            Ok(true)
        })
        .await
}

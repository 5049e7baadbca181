//! The order log: an embedded SQLite database (WAL, `synchronous = FULL`, files private to the user) holding
//! every submission, written *before* anything is sent so a crash or timeout never loses an order or hides one
//! that may exist. An idempotency key is unique: it maps to one order and one ClientToken forever.
//!
//! Writes go to one writer thread that commits whatever is waiting in a single transaction (group commit): each
//! write is on disk before its caller continues, but two hundred concurrent orders share a few fsyncs instead of
//! queueing for four hundred, and no async worker ever blocks on the disk. Reads run on tokio's blocking pool
//! on a small pool of connections of their own (WAL lets them run beside the writer).
//!
//! When recording an outcome fails (disk full, database locked), [`Store::finish_eventually`] keeps the outcome
//! in memory — every read sees it — and retries the write until it lands, so the log converges on what the cloud
//! said. The schema is versioned (`PRAGMA user_version`) and migrated at open.
//!
//! In team mode the orders live in the shared PostgreSQL database ([`crate::shared_log`]) and so does everything
//! the other books keep (instances, releases, fleets, prices, the refresher), through [`Store::select`] and
//! [`Store::transaction`], which the books write once for both databases ([`crate::sql`]).

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use spotplan_core::Money;
pub use spotplan_core::api::orders::OrderRecord;
pub use spotplan_core::order::outcome::OrderStatus;

pub use crate::stored::{StoreError, StoredOrder};

/// The order log.
#[derive(Debug, Clone)]
pub struct Store {
    /// The connections reads use.
    readers: Arc<Readers>,
    /// The writer thread's queue.
    writer: mpsc::Sender<Job>,
    /// Outcomes whose write has not landed yet, by order id: reads see these first.
    unlanded: Arc<Mutex<HashMap<String, StoredOrder>>>,
    /// Counters of the writer thread.
    stats: Arc<WriterStats>,
    /// Team mode: the orders live in a PostgreSQL database several proxies share (the rest stays here).
    shared: Option<crate::shared_log::SharedLog>,
}

/// Reader connections of the embedded log. WAL lets them read side by side while the writer commits, so a long
/// read (the follower reading thousands of instances) does not hold up an order's short one.
const READERS: usize = 4;

/// The reader connections, each behind its own lock.
#[derive(Debug)]
struct Readers {
    connections: Vec<Mutex<Connection>>,
    next: std::sync::atomic::AtomicUsize,
}

impl Readers {
    fn new(connections: Vec<Connection>) -> Readers {
        Readers {
            connections: connections.into_iter().map(Mutex::new).collect(),
            next: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// A free reader if there is one, else waits for the next in turn (blocking: called on the blocking pool).
    fn take(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        for connection in &self.connections {
            match connection.try_lock() {
                Ok(guard) => return Ok(guard),
                Err(std::sync::TryLockError::Poisoned(_)) => return Err(StoreError::Poisoned),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.connections.len().max(1);
        self.connections
            .get(turn)
            .ok_or(StoreError::Poisoned)?
            .lock()
            .map_err(|_| StoreError::Poisoned)
    }
}

/// A hold on one idempotency key across replicas (team mode), or nothing to hold (one proxy: its in-process key
/// lock is enough); dropping it releases the key.
#[derive(Debug)]
pub enum ReplicaHold {
    /// One proxy alone.
    Alone,
    /// Held in the shared database.
    Shared(Box<crate::shared_log::KeyHold>),
}

/// What the writer thread has done: writes, and the commits (fsyncs) they shared.
#[derive(Debug, Default)]
pub struct WriterStats {
    writes: AtomicU64,
    commits: AtomicU64,
}

impl WriterStats {
    /// (writes committed or refused, transactions SQLite committed on the writer connection). The commits are
    /// counted by SQLite's commit hook, not by the writer loop, so they are what actually reached the disk.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.writes.load(Ordering::Relaxed),
            self.commits.load(Ordering::Relaxed),
        )
    }
}

/// The schema, one migration per version; `PRAGMA user_version` says how many have run.
const MIGRATIONS: [&str; 13] = [
    "
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    order_hash TEXT NOT NULL,
    cloud TEXT NOT NULL,
    region TEXT NOT NULL,
    dry_run INTEGER NOT NULL,
    status TEXT NOT NULL,
    client_token TEXT NOT NULL,
    order_json TEXT NOT NULL,
    quoted_price TEXT,
    request_json TEXT,
    response_json TEXT,
    cloud_request_id TEXT,
    instance_ids TEXT NOT NULL DEFAULT '[]',
    cloud_order_id TEXT,
    error_code TEXT,
    error_message TEXT,
    hint TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL,
    finished_at_ms INTEGER,
    upstream_us INTEGER
);
CREATE INDEX IF NOT EXISTS orders_created ON orders(created_at_ms);
",
    // Exactly once when the cloud's answer is ambiguous: whether an attempt may have reached the cloud, the
    // sealed password a resend needs, what the order may cost per hour; a definite "never sent" of its own. The
    // first log's "Unreachable" only said the last attempt could not connect (its attempts count every attempt
    // under the key): one attempt is surely not sent; after more, an earlier one may have reached the cloud.
    "
ALTER TABLE orders ADD COLUMN may_have_reached_cloud INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN sealed_password TEXT;
ALTER TABLE orders ADD COLUMN max_cost_per_hour TEXT;
UPDATE orders SET status = 'not_sent' WHERE status = 'failed' AND error_code = 'Unreachable' AND attempts <= 1;
UPDATE orders SET status = 'unknown', may_have_reached_cloud = 1
    WHERE status = 'unknown' OR (status = 'failed' AND error_code = 'Unreachable' AND attempts > 1);
CREATE INDEX IF NOT EXISTS orders_status ON orders(status);
",
    // After the order: every instance placed (or brought to watch), its state as the follower last read it, and
    // each release logged under its idempotency key before anything is sent.
    "
CREATE TABLE IF NOT EXISTS instances (
    cloud TEXT NOT NULL,
    id TEXT NOT NULL,
    region TEXT NOT NULL,
    order_id TEXT,
    state TEXT NOT NULL,
    cloud_state TEXT,
    zone TEXT,
    instance_type TEXT,
    price_per_hour TEXT,
    placed_at_ms INTEGER NOT NULL,
    running_since_ms INTEGER,
    ended_at_ms INTEGER,
    notice_at_ms INTEGER,
    reason TEXT,
    last_checked_ms INTEGER,
    release_key TEXT,
    PRIMARY KEY (cloud, id)
);
CREATE INDEX IF NOT EXISTS instances_state ON instances(state);
CREATE TABLE IF NOT EXISTS releases (
    idempotency_key TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    targets TEXT NOT NULL,
    options_json TEXT NOT NULL,
    answer_json TEXT
);
CREATE INDEX IF NOT EXISTS releases_unanswered ON releases(answer_json) WHERE answer_json IS NULL;
",
    // Fleets: each submission logged under its idempotency key before any order, and every order it places as a
    // numbered step written before the order is sent (the order's key derives from the fleet's and the step).
    "
CREATE TABLE IF NOT EXISTS fleets (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    request_hash TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    spec_json TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    exhausted_json TEXT NOT NULL DEFAULT '[]',
    release_on_stop INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS fleet_steps (
    fleet_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    pool INTEGER NOT NULL,
    count INTEGER NOT NULL,
    replacement INTEGER NOT NULL,
    order_key TEXT NOT NULL,
    PRIMARY KEY (fleet_id, step)
);
",
    // Prices: changes only — a row when an offer's price moved — plus, per offer and kind, one confirmation row:
    // the newest time its price was seen unchanged (so its age is honest), replaced by the next.
    "
CREATE TABLE IF NOT EXISTS price_changes (
    cloud TEXT NOT NULL,
    region TEXT NOT NULL,
    zone TEXT NOT NULL,
    instance_type TEXT NOT NULL,
    kind TEXT NOT NULL,
    observed_at INTEGER NOT NULL,
    amount TEXT NOT NULL,
    currency TEXT NOT NULL,
    per TEXT NOT NULL,
    source_json TEXT NOT NULL,
    stored_at_ms INTEGER NOT NULL,
    confirmation INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (cloud, region, zone, instance_type, kind, observed_at)
);
CREATE INDEX IF NOT EXISTS price_changes_stored ON price_changes(stored_at_ms);
",
    // The price refresher: the pools it walks and where it stands, so a restart resumes at the same pool.
    "
CREATE TABLE IF NOT EXISTS refresh_pools (
    position INTEGER PRIMARY KEY,
    ask_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refresh_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    enabled INTEGER NOT NULL,
    cursor INTEGER NOT NULL,
    rounds INTEGER NOT NULL,
    calls INTEGER NOT NULL,
    stored INTEGER NOT NULL,
    budget_per_minute INTEGER NOT NULL,
    last_error TEXT,
    updated_at_ms INTEGER NOT NULL
);
",
    // The price store's own sequence: the points `GET /api/v1/catalog?since=` counts in, never reused (a rowid
    // can be, after the newest row is deleted) and the same in the shared PostgreSQL schema.
    "
ALTER TABLE price_changes ADD COLUMN seq INTEGER;
UPDATE price_changes SET seq = rowid;
CREATE UNIQUE INDEX IF NOT EXISTS price_changes_seq ON price_changes(seq);
CREATE TABLE IF NOT EXISTS price_sequence (id INTEGER PRIMARY KEY CHECK (id = 1), last INTEGER NOT NULL);
INSERT INTO price_sequence (id, last) SELECT 1, COALESCE(MAX(rowid), 0) FROM price_changes;
",
    // People (team mode): each with an API key, stored hashed, and budgets; who placed each order and fleet.
    "
CREATE TABLE IF NOT EXISTS people (
    name TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER,
    per_hour TEXT,
    per_month TEXT
);
CREATE TABLE IF NOT EXISTS team_budget (id INTEGER PRIMARY KEY CHECK (id = 1), per_hour TEXT, per_month TEXT);
ALTER TABLE orders ADD COLUMN placed_by TEXT;
ALTER TABLE fleets ADD COLUMN created_by TEXT;
ALTER TABLE releases ADD COLUMN requested_by TEXT;
",
    // An order's instances by order: the sweep that books a succeeded order's instances the book is missing.
    "
CREATE INDEX IF NOT EXISTS instances_order ON instances(order_id);
",
    // Stops without charge (Alibaba's economical mode): their time is not billed.
    "
ALTER TABLE instances ADD COLUMN paused_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN paused_since_ms INTEGER;
",
    // Until when (Unix seconds) the refresher has read a pool's price history: the next round asks from there.
    "
ALTER TABLE refresh_pools ADD COLUMN history_until INTEGER;
",
    // The watched instances by cloud, region and id: the follower counts them and reads them page by page.
    "
CREATE INDEX IF NOT EXISTS instances_followed ON instances(cloud, region, id)
    WHERE state NOT IN ('launch_failed', 'released', 'reclaimed', 'gone');
",
    // ClientTokens without case: every order's is compared with the ones other people used.
    "
CREATE INDEX IF NOT EXISTS orders_client_token_folded ON orders(LOWER(client_token));
",
];

/// Applies the migrations a database has not had yet; `rehash` recomputes every stored order hash (migration
/// 2 replaces the unkeyed hashes of earlier versions, which were taken over orders that held passwords).
fn migrate(connection: &Connection, rehash: &dyn Fn(&serde_json::Value) -> String) -> Result<(), StoreError> {
    let done: usize = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(done) {
        connection.execute_batch("BEGIN IMMEDIATE")?;
        let applied = (|| -> Result<(), StoreError> {
            connection.execute_batch(migration)?;
            if index == 1 {
                let rows: Vec<(String, String)> = connection
                    .prepare("SELECT id, order_json FROM orders")?
                    .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                    .collect::<Result<_, _>>()?;
                for (id, order) in rows {
                    let order: serde_json::Value =
                        serde_json::from_str(&order).map_err(|_| StoreError::Corrupt { column: "order_json" })?;
                    connection.execute(
                        "UPDATE orders SET order_hash = ?2 WHERE id = ?1",
                        params![id, rehash(&order)],
                    )?;
                }
            }
            connection.pragma_update(None, "user_version", index + 1)?;
            Ok(())
        })();
        match applied {
            Ok(()) => connection.execute_batch("COMMIT")?,
            Err(error) => {
                let _ = connection.execute_batch("ROLLBACK");
                return Err(error);
            }
        }
    }
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the log at `path`, private to its owner (0600, and its WAL files too), in WAL
    /// mode with full synchronous writes, migrated to the current schema: one connection for the writer thread,
    /// one for reads. `rehash` is the keyed order hash (see [`crate::at_rest::InstallKey::order_hash`]).
    pub fn open(path: &Path, rehash: &dyn Fn(&serde_json::Value) -> String) -> Result<Store, StoreError> {
        Store::open_waiting(path, rehash, BUSY_TIMEOUT)
    }

    fn open_waiting(
        path: &Path,
        rehash: &dyn Fn(&serde_json::Value) -> String,
        busy_timeout: Duration,
    ) -> Result<Store, StoreError> {
        if !path.exists() {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(false);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            options.open(path)?;
        }
        let open = || -> Result<Connection, StoreError> {
            let connection = Connection::open(path)?;
            connection.pragma_update(None, "journal_mode", "WAL")?;
            connection.pragma_update(None, "synchronous", "FULL")?;
            connection.busy_timeout(busy_timeout)?;
            Ok(connection)
        };
        let writer = open()?;
        migrate(&writer, rehash)?;
        // Commits never pay for a checkpoint (a p99 spike every thousand pages): a thread of its own copies the
        // WAL into the database, without blocking the writer, often enough that the WAL is rewritten in place.
        writer.pragma_update(None, "wal_autocheckpoint", 0)?;
        writer.pragma_update(None, "journal_size_limit", crate::wal_checkpointer::WAL_SIZE_LIMIT)?;
        crate::wal_checkpointer::spawn(open()?);
        let readers = (0..READERS).map(|_| open()).collect::<Result<Vec<_>, _>>()?;
        // SQLite gives the WAL files the database's mode; earlier versions left the database world-readable.
        for suffix in ["", "-wal", "-shm"] {
            let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            if file.exists() {
                crate::at_rest::restrict(&file)?;
            }
        }
        Ok(Store::with_connections(readers, writer))
    }

    /// An in-memory log (tests): one shared in-memory database for the reader and the writer.
    pub fn in_memory() -> Result<Store, StoreError> {
        use std::sync::atomic::AtomicU64;
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "file:spotplan-memory-{}-{}?mode=memory&cache=shared",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
            | rusqlite::OpenFlags::SQLITE_OPEN_CREATE
            | rusqlite::OpenFlags::SQLITE_OPEN_URI;
        let writer = Connection::open_with_flags(&name, flags)?;
        migrate(&writer, &|_| String::new())?;
        // One reader: a shared-cache memory database locks by table, and a second reader would meet the writer's
        // lock as an error, not a wait.
        let reader = Connection::open_with_flags(&name, flags)?;
        Ok(Store::with_connections(vec![reader], writer))
    }

    fn with_connections(readers: Vec<Connection>, writer: Connection) -> Store {
        let stats = Arc::new(WriterStats::default());
        let counted = stats.clone();
        writer.commit_hook(Some(move || {
            counted.commits.fetch_add(1, Ordering::Relaxed);
            false // Let the commit go ahead.
        }));
        Store {
            readers: Arc::new(Readers::new(readers)),
            writer: spawn_writer(writer, stats.clone()),
            unlanded: Arc::default(),
            stats,
            shared: None,
        }
    }

    /// This log with its orders in a shared PostgreSQL database (team mode).
    pub fn with_shared(mut self, shared: crate::shared_log::SharedLog) -> Store {
        self.shared = Some(shared);
        self
    }

    /// The shared database, in team mode.
    pub fn shared(&self) -> Option<&crate::shared_log::SharedLog> {
        self.shared.as_ref()
    }

    /// Whether orders live in a shared database.
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// Whether the log can be written: the shared database answers with every migration applied (the embedded
    /// log is opened and migrated before the proxy serves).
    pub async fn ready(&self) -> Result<(), StoreError> {
        match &self.shared {
            Some(shared) => shared.ready().await,
            None => Ok(()),
        }
    }

    /// Waits until no other replica works on this idempotency key, and keeps them off it until dropped.
    pub async fn hold_key(&self, key: &str) -> Result<ReplicaHold, StoreError> {
        match &self.shared {
            Some(shared) => Ok(ReplicaHold::Shared(Box::new(shared.hold_key(key).await?))),
            None => Ok(ReplicaHold::Alone),
        }
    }

    /// Waits for the cross-replica spend gate (team mode; alone, the in-process gate is the only one), on
    /// connections of its own: an order holding its key's lock never waits for the gate's connection behind
    /// other orders holding theirs.
    pub async fn hold_gate(&self, key: &str) -> Result<ReplicaHold, StoreError> {
        match &self.shared {
            Some(shared) => Ok(ReplicaHold::Shared(Box::new(shared.hold_gate(key).await?))),
            None => Ok(ReplicaHold::Alone),
        }
    }

    /// Holds this idempotency key if no other replica does (`None`: one does, and is working on it).
    pub async fn try_hold_key(&self, key: &str) -> Result<Option<ReplicaHold>, StoreError> {
        match &self.shared {
            Some(shared) => Ok(shared
                .try_hold_key(key)
                .await?
                .map(|hold| ReplicaHold::Shared(Box::new(hold)))),
            None => Ok(Some(ReplicaHold::Alone)),
        }
    }

    /// Counters of the writer thread.
    pub fn writer_stats(&self) -> &WriterStats {
        &self.stats
    }

    /// The writer connection's `journal_mode` and `synchronous` (what writes actually use).
    pub async fn writer_pragmas(&self) -> Result<(String, i64), StoreError> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.writer
            .send(Job::Pragmas(done))
            .map_err(|_| StoreError::WriterGone)?;
        wait.await
            .map_err(|_| StoreError::WriterGone)?
            .map_err(StoreError::Write)
    }

    /// Records a new order (status pending) before anything is sent; returns once it is on disk.
    pub async fn insert(&self, record: &StoredOrder) -> Result<(), StoreError> {
        if let Some(shared) = &self.shared {
            return shared.insert(record).await;
        }
        self.write(Write::Insert(Box::new(record.clone()))).await
    }

    /// Records an outcome; returns once it is on disk.
    pub async fn finish(&self, record: &StoredOrder) -> Result<(), StoreError> {
        let written = self.write_outcome(record).await;
        if written.is_ok() {
            self.lock_unlanded().remove(&record.view.id);
        }
        written
    }

    /// Records an outcome, and if the write fails keeps it in memory (reads see it) and retries in the
    /// background until it lands. Returns whether it landed at once.
    pub async fn finish_eventually(&self, record: &StoredOrder) -> bool {
        self.lock_unlanded().insert(record.view.id.clone(), record.clone());
        match self.finish(record).await {
            Ok(()) => true,
            Err(error) => {
                tracing::error!(id = %record.view.id, %error, "the order's outcome is not on disk yet; retrying in the background");
                let store = self.clone();
                let id = record.view.id.clone();
                tokio::spawn(async move { store.retry_unlanded(id).await });
                false
            }
        }
    }

    async fn retry_unlanded(&self, id: String) {
        let mut pause = Duration::from_millis(200);
        loop {
            tokio::time::sleep(pause).await;
            let Some(record) = self.lock_unlanded().get(&id).cloned() else {
                return;
            };
            match self.finish_unlanded(&record).await {
                Ok(()) => {
                    tracing::info!(%id, "the order's outcome is on disk now");
                    return;
                }
                Err(error) => tracing::warn!(%id, %error, "the order's outcome is still not on disk"),
            }
            pause = (pause * 2).min(Duration::from_secs(10));
        }
    }

    /// [`Store::finish`] of an outcome that waited to land: once written it leaves the waiting list only if no
    /// newer outcome took its place meanwhile (that one's own retry lands it).
    async fn finish_unlanded(&self, record: &StoredOrder) -> Result<(), StoreError> {
        let written = self.write_outcome(record).await;
        if written.is_ok() {
            let mut unlanded = self.lock_unlanded();
            if unlanded.get(&record.view.id) == Some(record) {
                unlanded.remove(&record.view.id);
            }
        }
        written
    }

    async fn write_outcome(&self, record: &StoredOrder) -> Result<(), StoreError> {
        match &self.shared {
            Some(shared) => shared.finish(record).await,
            None => self.write(Write::Finish(Box::new(record.clone()))).await,
        }
    }

    /// Whether order `id`'s outcome is waiting to land on disk.
    pub fn is_unlanded(&self, id: &str) -> bool {
        self.lock_unlanded().contains_key(id)
    }

    /// How many outcomes are waiting to land on disk.
    pub fn unlanded_count(&self) -> usize {
        self.lock_unlanded().len()
    }

    fn lock_unlanded(&self) -> std::sync::MutexGuard<'_, HashMap<String, StoredOrder>> {
        self.unlanded.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The outcome waiting to land for this record, if any (it is newer than the disk), as it reads until it
    /// lands: a refusal as unknown ([`StoredOrder::read_while_unlanded`]).
    fn overlay(&self, record: StoredOrder) -> StoredOrder {
        match self.lock_unlanded().get(&record.view.id) {
            Some(unlanded) => unlanded.clone().read_while_unlanded(),
            None => record,
        }
    }

    /// The outcome waiting to land for this record, if any, with its own status: what the log will say.
    fn overlay_as_it_will_land(&self, record: StoredOrder) -> StoredOrder {
        self.lock_unlanded().get(&record.view.id).cloned().unwrap_or(record)
    }

    async fn write(&self, write: Write) -> Result<(), StoreError> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.writer
            .send(Job::Write(write, done))
            .map_err(|_| StoreError::WriterGone)?;
        wait.await
            .map_err(|_| StoreError::WriterGone)?
            .map_err(StoreError::from)
    }

    /// Runs `statements` on the writer connection in a transaction; returns once they are on disk.
    pub(crate) async fn apply(
        &self,
        statements: impl Fn(&Connection) -> rusqlite::Result<()> + Send + 'static,
    ) -> Result<(), StoreError> {
        self.write(Write::Apply(Box::new(statements))).await
    }

    /// Runs a query written for both databases ([`crate::sql`]): on the shared database in team mode, else here.
    pub async fn select(
        &self,
        sql: &'static str,
        params: Vec<crate::sql::SqlValue>,
    ) -> Result<Vec<crate::sql::SqlRow>, StoreError> {
        match &self.shared {
            Some(shared) => shared.select(sql, &params).await,
            None => {
                self.read(move |connection| crate::sql::sqlite::query(connection, sql, &params))
                    .await
            }
        }
    }

    /// Runs one write statement written for both databases: on the shared database a single round trip with no
    /// transaction around it (a statement is atomic on its own), here in the writer's group commit. Returns how many
    /// rows it changed.
    pub async fn execute(&self, sql: String, params: Vec<crate::sql::SqlValue>) -> Result<u64, StoreError> {
        match &self.shared {
            Some(shared) => shared.execute(&sql, &params).await,
            None => self.transaction(move |tx| tx.execute(&sql, &params)).await,
        }
    }

    /// Runs a write written for both databases in one transaction (here: in the writer's group commit); returns
    /// what `body` returned once it is on disk. An error from `body` undoes all it did.
    pub async fn transaction<T: Send + 'static>(
        &self,
        body: impl FnOnce(&mut dyn crate::sql::Tx) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        if let Some(shared) = &self.shared {
            return shared.transaction(body).await;
        }
        let body = Mutex::new(Some(body));
        let outcome: Arc<Mutex<Option<Result<T, StoreError>>>> = Arc::default();
        let kept = outcome.clone();
        let applied = self
            .apply(move |connection| {
                let Some(body) = body.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() else {
                    return Ok(());
                };
                let result = body(&mut crate::sql::sqlite::SqliteTx(connection));
                let failed = result.as_ref().err().map(ToString::to_string);
                *kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(result);
                match failed {
                    // Fails the savepoint, so nothing the body did stays.
                    Some(message) => Err(rusqlite::Error::ToSqlConversionFailure(message.into())),
                    None => Ok(()),
                }
            })
            .await;
        let result = outcome.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        match (applied, result) {
            (Ok(()), Some(result)) => result,
            (Err(_), Some(Err(error))) => Err(error),
            (Err(error), _) => Err(error),
            (Ok(()), None) => Err(StoreError::Write("the write never ran".into())),
        }
    }

    /// Runs a read on the blocking pool, so no async worker waits for the disk or a reader's lock.
    pub(crate) async fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let connection = readers.take()?;
            query(&connection)
        })
        .await
        .map_err(|_| StoreError::ReadLost)?
    }

    /// The order recorded under an idempotency key.
    pub async fn by_key(&self, key: &str) -> Result<Option<StoredOrder>, StoreError> {
        let record = match &self.shared {
            Some(shared) => shared.by(crate::shared_log::OrderColumn::Key, key).await?,
            None => {
                let key = key.to_owned();
                self.read(move |connection| select_one(connection, "idempotency_key", &key))
                    .await?
            }
        };
        Ok(record.map(|record| self.overlay(record)))
    }

    /// An order by id.
    pub async fn by_id(&self, id: &str) -> Result<Option<StoredOrder>, StoreError> {
        let record = match &self.shared {
            Some(shared) => shared.by(crate::shared_log::OrderColumn::Id, id).await?,
            None => {
                let id = id.to_owned();
                self.read(move |connection| select_one(connection, "id", &id)).await?
            }
        };
        Ok(record.map(|record| self.overlay(record)))
    }

    /// The newest orders first.
    pub async fn list(&self, limit: u32) -> Result<Vec<StoredOrder>, StoreError> {
        if let Some(shared) = &self.shared {
            let records = shared.list(limit).await?;
            return Ok(records.into_iter().map(|record| self.overlay(record)).collect());
        }
        let records = self
            .read(move |connection| {
                let mut statement =
                    connection.prepare_cached(&format!("{SELECT} ORDER BY created_at_ms DESC, id DESC LIMIT ?1"))?;
                let rows = statement.query_map([limit], row_to_record)?;
                rows.map(|row| row.map_err(StoreError::from).and_then(|record| record))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        Ok(records.into_iter().map(|record| self.overlay(record)).collect())
    }

    /// The newest orders one person placed first.
    pub async fn list_placed_by(&self, limit: u32, person: &str) -> Result<Vec<StoredOrder>, StoreError> {
        let records = match &self.shared {
            Some(shared) => shared.list_placed_by(limit, person).await?,
            None => {
                let person = person.to_owned();
                self.read(move |connection| {
                    let mut statement = connection.prepare_cached(&format!(
                        "{SELECT} WHERE placed_by = ?2 ORDER BY created_at_ms DESC, id DESC LIMIT ?1"
                    ))?;
                    let rows = statement.query_map(params![limit, person], row_to_record)?;
                    rows.map(|row| row.map_err(StoreError::from).and_then(|record| record))
                        .collect::<Result<Vec<_>, _>>()
                })
                .await?
            }
        };
        Ok(records.into_iter().map(|record| self.overlay(record)).collect())
    }

    /// An order that may exist is about to be sent again: its last attempt is now and it may have reached the
    /// cloud, on disk before the request leaves. A crash during the resend then leaves neither a row that reads as
    /// never sent nor an older last attempt, from which a lookup ([`crate::order_lookup::may_conclude_none`])
    /// would conclude too early that nothing is coming.
    pub async fn resending(&self, id: &str, now_ms: i64) -> Result<(), StoreError> {
        self.execute(
            "UPDATE orders SET finished_at_ms = ?2, may_have_reached_cloud = TRUE \
             WHERE id = ?1 AND status IN ('pending', 'unknown')"
                .into(),
            vec![id.into(), now_ms.into()],
        )
        .await
        .map(drop)
    }

    /// A `not_sent` order about to be sent after all is placed now: `pending`, its `created_at_ms` now (the hourly
    /// ceiling counts orders by it, and nothing of this one existed before) and its hourly bound as of now. Only a
    /// row still `not_sent` changes; returns whether it did.
    pub async fn place_again(&self, id: &str, now_ms: i64, bound: Option<&Money>) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                "UPDATE orders SET status = 'pending', created_at_ms = ?2, max_cost_per_hour = ?3 \
                 WHERE id = ?1 AND status = 'not_sent'"
                    .into(),
                vec![id.into(), now_ms.into(), crate::sql::SqlValue::Text(money_text(bound))],
            )
            .await?;
        Ok(changed == 1)
    }

    /// Orders left `pending` (a crash between logging and recording the outcome), oldest first.
    pub async fn pending(&self) -> Result<Vec<StoredOrder>, StoreError> {
        self.with_status(OrderStatus::Pending).await
    }

    /// Orders whose status is `status` (as the log will read once every outcome has landed), oldest first.
    pub async fn with_status(&self, status: OrderStatus) -> Result<Vec<StoredOrder>, StoreError> {
        let records = match &self.shared {
            Some(shared) => shared.with_status(status).await?,
            None => self.read_with_status(status).await?,
        };
        Ok(records
            .into_iter()
            .map(|record| self.overlay_as_it_will_land(record))
            .filter(|record| record.view.status == status)
            .collect())
    }

    async fn read_with_status(&self, status: OrderStatus) -> Result<Vec<StoredOrder>, StoreError> {
        self.read(move |connection| {
            let mut statement =
                connection.prepare_cached(&format!("{SELECT} WHERE status = ?1 ORDER BY created_at_ms"))?;
            let rows = statement.query_map([status.as_str()], row_to_record)?;
            rows.map(|row| row.map_err(StoreError::from).and_then(|record| record))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
    }

    /// How many orders there are per (cloud, status), for `/metrics`.
    pub async fn counts_by_cloud_and_status(&self) -> Result<Vec<((String, String), i64)>, StoreError> {
        if let Some(shared) = &self.shared {
            return shared.counts_by_cloud_and_status().await;
        }
        self.read(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT cloud, status, count(*) FROM orders GROUP BY cloud, status ORDER BY cloud, status",
            )?;
            let rows = statement.query_map([], |row| Ok(((row.get(0)?, row.get(1)?), row.get(2)?)))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(StoreError::from)
        })
        .await
    }

    /// The ids and hourly cost bounds of orders created — or last sent, or answered — since `since_ms` that may be
    /// running: pending, succeeded or unknown — dry runs too, whose answer did not yet say the cloud honoured them
    /// (`dry_run_passed` is none of these): a cloud that did not creates instances (what a spend ceiling per hour
    /// adds up). An order without an answer resent under its
    /// ClientToken up to an hour after it was logged may be created by that late send: it counts from then, not
    /// from when it was logged, or a new order could be placed beside it within the same hour. A bound is `None`
    /// where the order was
    /// logged without one (no ceiling was set then, and nothing priced it): its cost is unknown, never zero.
    pub async fn committed_hourly_costs(&self, since_ms: i64) -> Result<Vec<(String, Option<Money>)>, StoreError> {
        let texts: Vec<(String, Option<String>)> = match &self.shared {
            Some(shared) => shared.committed_hourly_costs(since_ms).await?,
            None => {
                self.read(move |connection| {
                    let mut statement = connection.prepare_cached(
                        "SELECT id, max_cost_per_hour FROM orders \
                     WHERE (created_at_ms >= ?1 OR finished_at_ms >= ?1) \
                     AND status IN ('pending', 'succeeded', 'unknown')",
                    )?;
                    let rows = statement.query_map([since_ms], |row| Ok((row.get(0)?, row.get(1)?)))?;
                    rows.collect::<Result<Vec<_>, _>>().map_err(StoreError::from)
                })
                .await?
            }
        };
        // A refusal not yet in the log counts as the log says (pending): read elsewhere as unknown until it lands,
        // and resent by a restart before it does — which the cloud may then honour.
        texts
            .into_iter()
            .map(|(id, text)| {
                let bound =
                    text.map(|text| serde_json::from_str(&text))
                        .transpose()
                        .map_err(|_| StoreError::Corrupt {
                            column: "max_cost_per_hour",
                        })?;
                Ok((id, bound))
            })
            .collect()
    }
}

/// How long a write waits for a lock another process holds before it counts as failed.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

fn select_one(connection: &Connection, column: &str, value: &str) -> Result<Option<StoredOrder>, StoreError> {
    let mut statement = connection.prepare_cached(&format!("{SELECT} WHERE {column} = ?1"))?;
    let row = statement.query_row([value], row_to_record).optional()?;
    row.transpose()
}

/// Statements another part of the proxy runs on the writer connection.
type Statements = Box<dyn Fn(&Connection) -> rusqlite::Result<()> + Send>;

/// A write for the writer thread.
enum Write {
    Insert(Box<StoredOrder>),
    Finish(Box<StoredOrder>),
    /// Statements of another part of the proxy (the instance book), in the same transactions and on the same disk.
    Apply(Statements),
}

/// What the writer thread is asked to do.
enum Job {
    /// A write, and where to say whether it is on disk.
    Write(Write, tokio::sync::oneshot::Sender<Result<(), WriteFailure>>),
    /// Report the writer connection's journal mode and synchronous setting.
    Pragmas(tokio::sync::oneshot::Sender<Result<(String, i64), String>>),
}

/// Starts the writer thread: it takes whatever writes are waiting, commits them in one transaction (one fsync),
/// and tells each caller whether its write is on disk.
fn spawn_writer(connection: Connection, stats: Arc<WriterStats>) -> mpsc::Sender<Job> {
    let (sender, receiver) = mpsc::channel::<Job>();
    let started = std::thread::Builder::new()
        .name("order-log-writer".into())
        .spawn(move || {
            while let Ok(first) = receiver.recv() {
                let mut batch = Vec::new();
                for job in std::iter::once(first).chain(std::iter::from_fn(|| receiver.try_recv().ok())) {
                    match job {
                        Job::Write(write, done) => batch.push((write, done)),
                        Job::Pragmas(done) => {
                            let _ = done.send(pragmas(&connection).map_err(|error| error.to_string()));
                        }
                    }
                }
                if batch.is_empty() {
                    continue;
                }
                let results = commit_batch(&connection, &batch);
                stats.writes.fetch_add(batch.len() as u64, Ordering::Relaxed);
                for ((_, done), result) in batch.into_iter().zip(results) {
                    let _ = done.send(result);
                }
            }
        });
    if let Err(error) = started {
        tracing::error!(%error, "cannot start the order log writer");
    }
    sender
}

fn pragmas(connection: &Connection) -> rusqlite::Result<(String, i64)> {
    let mode: String = connection.pragma_query_value(None, "journal_mode", |row| row.get(0))?;
    let sync: i64 = connection.pragma_query_value(None, "synchronous", |row| row.get(0))?;
    Ok((mode, sync))
}

/// One transaction for the whole batch, each write in its own savepoint so one failure (a duplicate key) does
/// not undo the others.
fn commit_batch(
    connection: &Connection,
    batch: &[(Write, tokio::sync::oneshot::Sender<Result<(), WriteFailure>>)],
) -> Vec<Result<(), WriteFailure>> {
    let failed_all = |error: rusqlite::Error| batch.iter().map(|_| Err(WriteFailure::from(&error))).collect();
    if let Err(error) = connection.execute_batch("BEGIN IMMEDIATE") {
        return failed_all(error);
    }
    let apply = |write: &Write| match write {
        Write::Insert(record) => insert_row(connection, record),
        Write::Finish(record) => finish_row(connection, record),
        Write::Apply(statements) => statements(connection),
    };
    let results: Vec<Result<(), WriteFailure>> = match batch {
        // Alone in its transaction, a write needs no savepoint: a failure fails the transaction, which is all.
        [(write, _)] => vec![apply(write).map_err(|error| WriteFailure::from(&error))],
        _ => batch
            .iter()
            .map(|(write, _)| {
                connection
                    .execute_batch("SAVEPOINT one")
                    .map_err(|error| WriteFailure::from(&error))?;
                match apply(write) {
                    Ok(()) => connection
                        .execute_batch("RELEASE one")
                        .map_err(|error| WriteFailure::from(&error)),
                    Err(error) => {
                        let _ = connection.execute_batch("ROLLBACK TO one; RELEASE one");
                        Err(WriteFailure::from(&error))
                    }
                }
            })
            .collect(),
    };
    if batch.len() == 1 && results.iter().any(Result::is_err) {
        let _ = connection.execute_batch("ROLLBACK");
        return results;
    }
    match connection.execute_batch("COMMIT") {
        Ok(()) => results,
        Err(error) => {
            let _ = connection.execute_batch("ROLLBACK");
            failed_all(error)
        }
    }
}

/// Why a write did not land: the idempotency key is taken (an answer, not a fault), or anything else.
#[derive(Debug, Clone, PartialEq, Eq)]
enum WriteFailure {
    DuplicateKey,
    Other(String),
}

impl From<&rusqlite::Error> for WriteFailure {
    fn from(error: &rusqlite::Error) -> WriteFailure {
        match error {
            rusqlite::Error::SqliteFailure(failure, Some(message))
                if (failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
                    && message.contains("idempotency_key") =>
            {
                WriteFailure::DuplicateKey
            }
            other => WriteFailure::Other(other.to_string()),
        }
    }
}

impl From<WriteFailure> for StoreError {
    fn from(failure: WriteFailure) -> StoreError {
        match failure {
            WriteFailure::DuplicateKey => StoreError::DuplicateKey,
            WriteFailure::Other(message) => StoreError::Write(message),
        }
    }
}

fn insert_row(connection: &Connection, record: &StoredOrder) -> rusqlite::Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO orders (id, idempotency_key, order_hash, cloud, region, dry_run, status, client_token, \
         order_json, quoted_price, created_at_ms, sealed_password, max_cost_per_hour, placed_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?
        .execute(params![
            record.view.id,
            record.view.idempotency_key,
            record.order_hash,
            record.view.cloud.id(),
            record.view.region,
            record.view.dry_run,
            record.view.status.as_str(),
            record.view.client_token,
            record.view.order.to_string(),
            record.view.quoted_price,
            record.view.created_at_ms,
            record.sealed_password,
            money_text(record.view.max_cost_per_hour.as_ref()),
            record.view.placed_by,
        ])?;
    Ok(())
}

fn finish_row(connection: &Connection, record: &StoredOrder) -> rusqlite::Result<()> {
    let changed = connection
        .prepare_cached(
            "UPDATE orders SET status = ?2, request_json = ?3, response_json = ?4, cloud_request_id = ?5, \
         instance_ids = ?6, cloud_order_id = ?7, error_code = ?8, error_message = ?9, hint = ?10, attempts = ?11, \
         finished_at_ms = ?12, upstream_us = ?13, may_have_reached_cloud = (may_have_reached_cloud OR ?14) \
         WHERE id = ?1 AND status <> 'succeeded' AND NOT (may_have_reached_cloud AND ?2 IN ('failed', 'not_sent'))",
        )?
        .execute(params![
            record.view.id,
            record.view.status.as_str(),
            record.view.request.as_ref().map(ToString::to_string),
            record.view.response.as_ref().map(ToString::to_string),
            record.view.cloud_request_id,
            serde_json::Value::from(record.view.instance_ids.clone()).to_string(),
            record.view.cloud_order_id,
            record.view.error_code,
            record.view.error_message,
            record.view.hint,
            record.view.attempts,
            record.view.finished_at_ms,
            record.view.upstream_us,
            record.view.may_have_reached_cloud,
        ])?;
    if changed == 1 {
        return Ok(());
    }
    // A success is final, and so is "may have reached the cloud" (as in the shared log; see
    // [`crate::stored::outcome_is_kept`]). An outcome for an order that was never logged must not vanish silently.
    let kept: Option<(String, bool)> = connection
        .prepare_cached("SELECT status, may_have_reached_cloud FROM orders WHERE id = ?1")?
        .query_row(params![record.view.id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    match kept {
        Some((status, reached)) if crate::stored::outcome_is_kept(&status, reached, record.view.status) => Ok(()),
        _ => Err(rusqlite::Error::QueryReturnedNoRows),
    }
}

fn money_text(money: Option<&Money>) -> Option<String> {
    money.and_then(|money| serde_json::to_string(money).ok())
}

const SELECT: &str = "SELECT id, idempotency_key, order_hash, cloud, region, dry_run, status, client_token, order_json, \
    quoted_price, request_json, response_json, cloud_request_id, instance_ids, cloud_order_id, error_code, \
    error_message, hint, attempts, created_at_ms, finished_at_ms, upstream_us, may_have_reached_cloud, \
    max_cost_per_hour, sealed_password, placed_by FROM orders";

fn json_column(text: Option<String>, column: &'static str) -> Result<Option<serde_json::Value>, StoreError> {
    text.map(|text| serde_json::from_str(&text).map_err(|_| StoreError::Corrupt { column }))
        .transpose()
}

fn row_to_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<StoredOrder, StoreError>> {
    let order: String = row.get(8)?;
    let instance_ids: String = row.get(13)?;
    let request: Option<String> = row.get(10)?;
    let response: Option<String> = row.get(11)?;
    let status: String = row.get(6)?;
    let base = (
        row.get::<_, String>(0)?,
        row.get::<_, String>(1)?,
        row.get::<_, String>(2)?,
        row.get::<_, String>(3)?,
        row.get::<_, String>(4)?,
        row.get::<_, bool>(5)?,
    );
    let rest = (
        row.get::<_, String>(7)?,
        row.get::<_, Option<String>>(9)?,
        row.get::<_, Option<String>>(12)?,
        row.get::<_, Option<String>>(14)?,
        row.get::<_, Option<String>>(15)?,
        row.get::<_, Option<String>>(16)?,
        row.get::<_, Option<String>>(17)?,
        row.get::<_, u32>(18)?,
        row.get::<_, i64>(19)?,
        row.get::<_, Option<i64>>(20)?,
        row.get::<_, Option<i64>>(21)?,
    );
    let safety = (
        row.get::<_, bool>(22)?,
        row.get::<_, Option<String>>(23)?,
        row.get::<_, Option<String>>(24)?,
    );
    let placed_by = row.get::<_, Option<String>>(25)?;
    Ok((|| {
        let (id, idempotency_key, order_hash, cloud, region, dry_run) = base;
        let (
            client_token,
            quoted_price,
            cloud_request_id,
            cloud_order_id,
            error_code,
            error_message,
            hint,
            attempts,
            created_at_ms,
            finished_at_ms,
            upstream_us,
        ) = rest;
        let (may_have_reached_cloud, max_cost_per_hour, sealed_password) = safety;
        let cloud = spotplan_core::Cloud::from_id(&cloud).ok_or(StoreError::Corrupt { column: "cloud" })?;
        let view = OrderRecord {
            id,
            idempotency_key,
            cloud,
            region,
            dry_run,
            status: OrderStatus::parse(&status),
            client_token,
            order: serde_json::from_str(&order).map_err(|_| StoreError::Corrupt { column: "order_json" })?,
            quoted_price,
            request: json_column(request, "request_json")?,
            response: json_column(response, "response_json")?,
            cloud_request_id,
            instance_ids: serde_json::from_str(&instance_ids)
                .map_err(|_| StoreError::Corrupt { column: "instance_ids" })?,
            cloud_order_id,
            error_code,
            error_message,
            hint,
            attempts,
            created_at_ms,
            finished_at_ms,
            upstream_us,
            may_have_reached_cloud,
            max_cost_per_hour: max_cost_per_hour
                .map(|text| serde_json::from_str(&text))
                .transpose()
                .map_err(|_| StoreError::Corrupt {
                    column: "max_cost_per_hour",
                })?,
            placed_by,
        };
        Ok(StoredOrder {
            view,
            order_hash,
            sealed_password,
        })
    })())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str) -> StoredOrder {
        StoredOrder {
            view: OrderRecord {
                id: format!("ord-{key}"),
                idempotency_key: key.into(),
                cloud: spotplan_core::Cloud::Tencent,
                region: "ap-guangzhou".into(),
                dry_run: false,
                status: OrderStatus::Pending,
                client_token: format!("spotplan-{key}"),
                order: serde_json::json!({"cloud": "tencent"}),
                quoted_price: Some("0.062".into()),
                request: None,
                response: None,
                cloud_request_id: None,
                instance_ids: Vec::new(),
                cloud_order_id: None,
                error_code: None,
                error_message: None,
                hint: None,
                attempts: 0,
                created_at_ms: 1,
                finished_at_ms: None,
                upstream_us: None,
                may_have_reached_cloud: false,
                max_cost_per_hour: Some(Money::new(
                    rust_decimal::Decimal::new(125, 2),
                    spotplan_core::Currency::Cny,
                )),
                placed_by: None,
            },
            order_hash: "h".into(),
            sealed_password: Some("sealed".into()),
        }
    }

    fn temp_db(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("spotplan-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("orders.sqlite3")
    }

    #[tokio::test]
    async fn insert_finish_and_read_back() {
        let store = Store::in_memory().unwrap();
        let mut order = record("key-00000001");
        store.insert(&order).await.unwrap();
        let pending = store.by_key("key-00000001").await.unwrap().unwrap();
        assert_eq!(pending.view.status, OrderStatus::Pending);
        assert_eq!(pending.sealed_password.as_deref(), Some("sealed"));
        assert_eq!(store.pending().await.unwrap().len(), 1);
        order.view.status = OrderStatus::Succeeded;
        order.view.instance_ids = vec!["ins-1".into(), "ins-2".into()];
        order.view.attempts = 1;
        order.view.may_have_reached_cloud = true;
        store.finish(&order).await.unwrap();
        let back = store.by_id("ord-key-00000001").await.unwrap().unwrap();
        assert_eq!(back.view.instance_ids, ["ins-1", "ins-2"]);
        assert_eq!(back.view.status, OrderStatus::Succeeded);
        assert!(back.view.may_have_reached_cloud);
        assert_eq!(back.view.max_cost_per_hour, order.view.max_cost_per_hour);
        assert_eq!(store.list(10).await.unwrap().len(), 1);
        assert!(store.pending().await.unwrap().is_empty());
        assert_eq!(
            store.committed_hourly_costs(0).await.unwrap(),
            [(order.view.id.clone(), order.view.max_cost_per_hour)]
        );
        assert!(
            store.committed_hourly_costs(2).await.unwrap().is_empty(),
            "older than the window"
        );
    }

    #[tokio::test]
    async fn an_idempotency_key_is_unique() {
        let store = Store::in_memory().unwrap();
        store.insert(&record("key-00000002")).await.unwrap();
        let mut again = record("key-00000002");
        again.view.id = "ord-other".into();
        assert!(store.insert(&again).await.is_err());
    }

    /// A read that holds its reader (the follower reading thousands of instances) leaves the others free: an
    /// order's short read does not wait for it. With one reader connection this read waited until the first ended.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_long_read_does_not_hold_up_another() {
        let store = Store::open(&temp_db("readers"), &|_| String::new()).unwrap();
        store.insert(&record("key-readers-0001")).await.unwrap();
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (started, reading) = tokio::sync::oneshot::channel::<()>();
        let long = store.clone();
        let long_read = tokio::spawn(async move {
            long.read(move |_connection| {
                let _ = started.send(());
                let _ = held.recv();
                Ok(())
            })
            .await
        });
        reading.await.unwrap();
        let listed = tokio::time::timeout(Duration::from_secs(30), store.list(10))
            .await
            .expect("another read is not held up by a long one")
            .unwrap();
        assert_eq!(listed.len(), 1);
        release.send(()).unwrap();
        long_read.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn concurrent_writes_share_transactions_and_all_land() {
        let store = Store::open(&temp_db("batch"), &|_| String::new()).unwrap();
        let mut tasks = Vec::new();
        for index in 0..100 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store.insert(&record(&format!("key-batch-{index:04}"))).await
            }));
        }
        let duplicate = store.clone();
        tasks.push(tokio::spawn(async move {
            duplicate.insert(&record("key-batch-0000")).await
        }));
        let mut failures = 0;
        for task in tasks {
            failures += usize::from(task.await.unwrap().is_err());
        }
        assert_eq!(failures, 1, "only the duplicate fails");
        assert_eq!(store.list(1000).await.unwrap().len(), 100);
        let (writes, commits) = store.writer_stats().counts();
        assert_eq!(writes, 101);
        // The duplicate's transaction, when alone, rolls back and commits nothing: compare with the 100 that landed.
        assert!(commits < 100, "100 writes landed in {commits} commits: not grouped");
    }

    /// Group commit, made deterministic: while another connection holds the write lock, the writer thread waits
    /// inside its first transaction and every other write queues; once the lock is free, the first batch commits
    /// and all the queued writes follow in one more commit. Counted by SQLite's commit hook, so a writer that
    /// committed write by write (or per savepoint) would show one commit per write here.
    #[tokio::test]
    async fn writes_queued_behind_a_busy_writer_land_in_one_commit() {
        let path = temp_db("grouped");
        let store = Store::open(&path, &|_| String::new()).unwrap();
        store.insert(&record("key-grouped-first")).await.unwrap();
        assert_eq!(store.writer_stats().counts(), (1, 1), "one write alone is one commit");

        let blocker = Connection::open(&path).unwrap();
        blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
        let tasks: Vec<_> = (0..50)
            .map(|index| {
                let store = store.clone();
                tokio::spawn(async move { store.insert(&record(&format!("key-grouped-{index:04}"))).await })
            })
            .collect();
        // Every task sends its write and waits; the writer is stuck behind the lock meanwhile.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            store.writer_stats().counts(),
            (1, 1),
            "nothing commits while the lock is held"
        );
        blocker.execute_batch("ROLLBACK").unwrap();
        for task in tasks {
            task.await.unwrap().unwrap();
        }

        assert_eq!(store.list(1000).await.unwrap().len(), 51, "every write landed");
        let (writes, commits) = store.writer_stats().counts();
        assert_eq!(writes, 51);
        assert!(
            commits - 1 <= 2,
            "50 queued writes took {} commits: not grouped",
            commits - 1
        );
    }

    #[tokio::test]
    async fn the_writer_uses_wal_and_full_sync_and_the_files_are_private() {
        let path = temp_db("pragmas");
        let store = Store::open(&path, &|_| String::new()).unwrap();
        store.insert(&record("key-00000003")).await.unwrap();
        assert_eq!(store.writer_pragmas().await.unwrap(), ("wal".to_owned(), 2));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(std::path::Path::new(&format!("{}-wal", path.display()))), 0o600);
        }
    }

    #[tokio::test]
    async fn a_version_1_log_is_migrated_and_its_unkeyed_hashes_replaced() {
        let path = temp_db("migrate");
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(MIGRATIONS[0]).unwrap();
            old.execute_batch(
                "INSERT INTO orders (id, idempotency_key, order_hash, cloud, region, dry_run, status, client_token, \
                 order_json, created_at_ms, error_code) VALUES ('ord-1', 'key-1', 'sha256-of-an-order-with-a-password', \
                 'alibaba', 'cn-beijing', 0, 'failed', 'tok', '{\"cloud\":\"alibaba\"}', 1, 'Unreachable'); \
                 INSERT INTO orders (id, idempotency_key, order_hash, cloud, region, dry_run, status, client_token, \
                 order_json, created_at_ms, error_code, attempts) VALUES ('ord-2', 'key-2', 'h', 'alibaba', \
                 'cn-beijing', 0, 'failed', 'tok2', '{}', 1, 'Unreachable', 3); \
                 PRAGMA user_version = 1;",
            )
            .unwrap();
        }
        let store = Store::open(&path, &|order| format!("keyed:{order}")).unwrap();
        let migrated = store.by_id("ord-1").await.unwrap().unwrap();
        assert_eq!(migrated.view.status, OrderStatus::NotSent);
        assert_eq!(migrated.order_hash, r#"keyed:{"cloud":"alibaba"}"#);
        // "Unreachable" after three attempts said only the last could not connect: an earlier one may have acted.
        let maybe = store.by_id("ord-2").await.unwrap().unwrap();
        assert_eq!(
            (maybe.view.status, maybe.view.may_have_reached_cloud),
            (OrderStatus::Unknown, true)
        );
        drop(store);
        // Opening again runs nothing twice.
        let again = Store::open(&path, &|_| "rehashed twice".into()).unwrap();
        assert_eq!(
            again.by_id("ord-1").await.unwrap().unwrap().order_hash,
            r#"keyed:{"cloud":"alibaba"}"#
        );
    }

    /// A store with the order under `key` logged, and another process holding the database's write lock: the
    /// store, the order, and the blocker (`COMMIT` lets writes through).
    async fn logged_then_locked(name: &str, key: &str) -> (Store, StoredOrder, Connection) {
        let path = temp_db(name);
        let store = Store::open_waiting(&path, &|_| String::new(), Duration::from_millis(50)).unwrap();
        let order = record(key);
        store.insert(&order).await.unwrap();
        let blocker = Connection::open(&path).unwrap();
        blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
        (store, order, blocker)
    }

    /// Waits (up to 5 s) until no outcome waits to land.
    async fn until_landed(store: &Store) {
        for _ in 0..100 {
            if store.unlanded_count() == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    #[tokio::test]
    async fn an_outcome_that_cannot_be_written_is_kept_and_lands_later() {
        let (store, mut order, blocker) = logged_then_locked("unlanded", "key-00000004").await;
        order.view.status = OrderStatus::Succeeded;
        order.view.instance_ids = vec!["ins-9".into()];
        assert!(
            !store.finish_eventually(&order).await,
            "the write cannot land while locked"
        );
        assert_eq!(store.unlanded_count(), 1);
        let seen = store.by_key("key-00000004").await.unwrap().unwrap();
        assert_eq!(
            (seen.view.status, seen.view.instance_ids.clone()),
            (OrderStatus::Succeeded, vec!["ins-9".to_owned()])
        );
        assert!(
            store.pending().await.unwrap().is_empty(),
            "an unlanded outcome is not pending"
        );
        blocker.execute_batch("COMMIT").unwrap();
        until_landed(&store).await;
        assert_eq!(store.unlanded_count(), 0, "the write landed");
        let on_disk = blocker
            .query_row("SELECT status FROM orders WHERE id = 'ord-key-00000004'", [], |row| {
                row.get::<_, String>(0)
            })
            .unwrap();
        assert_eq!(on_disk, "succeeded");
    }

    /// A refusal the log could not write reads as unknown wherever it is read — a retry's replay, the order's
    /// page, a fleet's tally — until it lands: the log still says pending, which a restart would resend.
    #[tokio::test]
    async fn a_refusal_not_yet_in_the_log_reads_as_unknown_until_it_lands() {
        let (store, mut order, blocker) = logged_then_locked("unlanded-refusal", "key-00000005").await;
        order.view.status = OrderStatus::Failed;
        order.view.error_code = Some("InvalidParameter".into());
        order.view.hint = Some("the cloud refused the zone".into());
        assert!(!store.finish_eventually(&order).await);
        for seen in [
            store.by_key("key-00000005").await.unwrap().unwrap(),
            store.by_id("ord-key-00000005").await.unwrap().unwrap(),
            store.list(10).await.unwrap().remove(0),
        ] {
            assert_eq!(seen.view.status, OrderStatus::Unknown);
            let hint = seen.view.hint.unwrap_or_default();
            assert!(
                hint.starts_with("the cloud refused the zone — this refusal is not in the order log yet"),
                "{hint}"
            );
        }
        assert!(
            store.with_status(OrderStatus::Unknown).await.unwrap().is_empty()
                && store.pending().await.unwrap().is_empty(),
            "the sweeps see what the log will say: neither unknown (no lookup) nor pending (no resend)"
        );
        assert_eq!(
            store.committed_hourly_costs(0).await.unwrap().len(),
            1,
            "the hourly ceiling counts it: a restart before it lands resends what the log says, pending"
        );
        blocker.execute_batch("COMMIT").unwrap();
        until_landed(&store).await;
        assert_eq!(
            store.by_id("ord-key-00000005").await.unwrap().unwrap().view.status,
            OrderStatus::Failed,
            "landed, it reads as the refusal it is"
        );
    }
}

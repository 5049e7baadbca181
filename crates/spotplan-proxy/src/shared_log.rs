//! Team mode's shared database: the same tables as the embedded log (orders here; the other books through
//! [`crate::sql`]), on a PostgreSQL database several proxies
//! share (`SPOTPLAN_DATABASE_URL`). The idempotency key is unique across replicas, and each key has a
//! cross-replica lock — a PostgreSQL session advisory lock held on its own pooled connection while one replica
//! logs, sends and records an order — so duplicates arriving at different replicas at the same moment place one
//! order, and a replica that dies mid-order releases the lock with its connection for another to resolve the row.
//!
//! Migrations are versioned (`spotplan_migrations`) and applied at connect, under a transaction-level advisory
//! lock so replicas starting together apply each once.

use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use sha2::{Digest, Sha256};
use spotplan_core::Money;
use tokio_postgres::error::SqlState;

use crate::database_link::DatabaseLink;
use crate::sql::postgres::PostgresTx;
use crate::sql::{SqlRow, SqlValue, Tx};
use crate::stored::{StoreError, StoredOrder};
use spotplan_core::api::orders::OrderRecord;
use spotplan_core::order::outcome::OrderStatus;

/// The schema, one migration per version.
const MIGRATIONS: [&str; 8] = [
    "
CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    order_hash TEXT NOT NULL,
    cloud TEXT NOT NULL,
    region TEXT NOT NULL,
    dry_run BOOLEAN NOT NULL,
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
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at_ms BIGINT NOT NULL,
    finished_at_ms BIGINT,
    upstream_us BIGINT,
    may_have_reached_cloud BOOLEAN NOT NULL DEFAULT FALSE,
    sealed_password TEXT,
    max_cost_per_hour TEXT
);
CREATE INDEX orders_created ON orders(created_at_ms);
CREATE INDEX orders_status ON orders(status);
",
    "
CREATE TABLE instances (
    cloud TEXT NOT NULL,
    id TEXT NOT NULL,
    region TEXT NOT NULL,
    order_id TEXT,
    state TEXT NOT NULL,
    cloud_state TEXT,
    zone TEXT,
    instance_type TEXT,
    price_per_hour TEXT,
    placed_at_ms BIGINT NOT NULL,
    running_since_ms BIGINT,
    ended_at_ms BIGINT,
    notice_at_ms BIGINT,
    reason TEXT,
    last_checked_ms BIGINT,
    release_key TEXT,
    PRIMARY KEY (cloud, id)
);
CREATE INDEX instances_state ON instances(state);
CREATE TABLE releases (
    idempotency_key TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    targets TEXT NOT NULL,
    options_json TEXT NOT NULL,
    answer_json TEXT
);
CREATE TABLE fleets (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    request_hash TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    spec_json TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    exhausted_json TEXT NOT NULL DEFAULT '[]',
    release_on_stop BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE fleet_steps (
    fleet_id TEXT NOT NULL,
    step BIGINT NOT NULL,
    pool BIGINT NOT NULL,
    count BIGINT NOT NULL,
    replacement BIGINT NOT NULL,
    order_key TEXT NOT NULL,
    PRIMARY KEY (fleet_id, step)
);
CREATE TABLE price_changes (
    cloud TEXT NOT NULL,
    region TEXT NOT NULL,
    zone TEXT NOT NULL,
    instance_type TEXT NOT NULL,
    kind TEXT NOT NULL,
    observed_at BIGINT NOT NULL,
    amount TEXT NOT NULL,
    currency TEXT NOT NULL,
    per TEXT NOT NULL,
    source_json TEXT NOT NULL,
    stored_at_ms BIGINT NOT NULL,
    confirmation BIGINT NOT NULL DEFAULT 0,
    seq BIGINT UNIQUE,
    PRIMARY KEY (cloud, region, zone, instance_type, kind, observed_at)
);
CREATE TABLE price_sequence (id BIGINT PRIMARY KEY CHECK (id = 1), last BIGINT NOT NULL);
INSERT INTO price_sequence (id, last) VALUES (1, 0);
CREATE TABLE refresh_pools (
    position BIGINT PRIMARY KEY,
    ask_json TEXT NOT NULL
);
CREATE TABLE refresh_state (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    enabled BIGINT NOT NULL,
    cursor BIGINT NOT NULL,
    rounds BIGINT NOT NULL,
    calls BIGINT NOT NULL,
    stored BIGINT NOT NULL,
    budget_per_minute BIGINT NOT NULL,
    last_error TEXT,
    updated_at_ms BIGINT NOT NULL
);
",
    "
CREATE TABLE people (
    name TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    created_at_ms BIGINT NOT NULL,
    revoked_at_ms BIGINT,
    per_hour TEXT,
    per_month TEXT
);
CREATE TABLE team_budget (id BIGINT PRIMARY KEY CHECK (id = 1), per_hour TEXT, per_month TEXT);
ALTER TABLE orders ADD COLUMN placed_by TEXT;
ALTER TABLE fleets ADD COLUMN created_by TEXT;
ALTER TABLE releases ADD COLUMN requested_by TEXT;
CREATE INDEX orders_placed_by ON orders(placed_by);
",
    "
CREATE INDEX instances_order ON instances(order_id);
",
    "
ALTER TABLE instances ADD COLUMN paused_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN paused_since_ms BIGINT;
",
    "
ALTER TABLE refresh_pools ADD COLUMN history_until BIGINT;
",
    "
CREATE INDEX instances_followed ON instances(cloud, region, id)
    WHERE state NOT IN ('launch_failed', 'released', 'reclaimed', 'gone');
",
    // ClientTokens without case: every order's is compared with the ones other people used.
    "
CREATE INDEX orders_client_token_folded ON orders(LOWER(client_token));
",
];

/// The advisory lock id migrations run under (any fixed number no other lock uses: key locks are hashes).
const MIGRATION_LOCK: i64 = 0x5370_6f74_706c_616e; // "Spotplan"

/// How long a write waits for a lock another session holds (as the embedded log's busy timeout).
const LOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections one proxy keeps to the database for statements at most.
const POOL_SIZE: usize = 48;

/// Connections one proxy keeps for cross-replica locks (an idempotency key's, a fleet's, the spend gate's), each
/// held for as long as the work under the lock lasts, in a pool of their own: work holding a lock never waits for
/// a connection that other lock holders keep, so a burst of orders cannot starve the statements they need.
const LOCK_POOL_SIZE: usize = 64;

/// Connections one proxy keeps for the spend gate's lock alone. Each order holds its key's lock (from the lock
/// pool) while it waits for the gate; were the gate's connection from the same pool, 64 orders holding key locks
/// would leave none for the one holding the in-process gate, and every order would wait out the pool's limit.
/// One replica holds the gate once at a time (its in-process gate first); the second connection covers the moment
/// the last holder's unlock is still on its way.
const GATE_POOL_SIZE: usize = 2;

/// How long work waits for a pooled connection before it is refused with a clear error (never a hang).
const POOL_WAIT: Duration = Duration::from_secs(30);

/// The order log on PostgreSQL.
#[derive(Clone)]
pub struct SharedLog {
    pool: Pool,
    /// The connections cross-replica locks are held on.
    lock_pool: Pool,
    /// The connections the spend gate's lock is held on.
    gate_pool: Pool,
    /// How to open a connection outside the pool (leadership holds one for as long as it leads).
    config: tokio_postgres::Config,
    /// In the clear or TLS, for every connection.
    link: DatabaseLink,
}

impl std::fmt::Debug for SharedLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it may hold a password.
        f.debug_struct("SharedLog").finish_non_exhaustive()
    }
}

/// A replica's hold on one idempotency key, released when dropped (the connection goes back to the pool, or is
/// closed if the unlock cannot be sent, which releases the lock too).
pub struct KeyHold {
    connection: Option<Object>,
    lock: i64,
}

impl std::fmt::Debug for KeyHold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyHold")
            .field("lock", &self.lock)
            .finish_non_exhaustive()
    }
}

/// `sql` prepared on `connection`, once per connection: each later use is one round trip, not two.
async fn prepared(connection: &Object, sql: &str) -> Result<tokio_postgres::Statement, StoreError> {
    connection.prepare_cached(sql).await.map_err(postgres_error)
}

/// Takes a session advisory lock if no session holds it.
async fn try_lock(connection: &Object, lock: i64) -> Result<bool, StoreError> {
    let statement = prepared(connection, "SELECT pg_try_advisory_lock($1)").await?;
    Ok(connection
        .query_one(&statement, &[&lock])
        .await
        .map_err(postgres_error)?
        .get(0))
}

/// A pooled connection that is closed, not returned to the pool, unless [`Unpooled::keep`] takes it back.
struct Unpooled(Option<Object>);

impl Unpooled {
    /// The connection, pooled again when its holder drops it.
    fn keep(mut self) -> Option<Object> {
        self.0.take()
    }
}

impl Drop for Unpooled {
    fn drop(&mut self) {
        // Detached from the pool, the client closes its connection when dropped, ending its session.
        if let Some(connection) = self.0.take() {
            drop(Object::take(connection));
        }
    }
}

impl Drop for KeyHold {
    fn drop(&mut self) {
        let (Some(connection), lock) = (self.connection.take(), self.lock) else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            drop(Object::take(connection));
            return;
        };
        runtime.spawn(async move {
            let unlocked = match connection.prepare_cached("SELECT pg_advisory_unlock($1)").await {
                Ok(statement) => connection.execute(&statement, &[&lock]).await.map(drop),
                Err(error) => Err(error),
            };
            if let Err(error) = unlocked {
                tracing::warn!(%error, "could not release a key lock: closing its connection instead");
                drop(Object::take(connection));
            }
        });
    }
}

/// A pool of up to `size` connections to `config`'s database that refuses after [`POOL_WAIT`].
fn pool_of(config: &tokio_postgres::Config, link: &DatabaseLink, size: usize) -> Result<Pool, StoreError> {
    let manager = Manager::from_config(
        config.clone(),
        link.connector.clone(),
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(POOL_WAIT))
        .build()
        .map_err(pool_error)
}

/// The pool's error with the causes under it (a refused TLS handshake names the certificate's fault there).
fn pool_error(error: impl std::error::Error) -> StoreError {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text = format!("{text}: {inner_text}");
        }
        cause = inner.source();
    }
    StoreError::Shared(text)
}

fn postgres_error(error: tokio_postgres::Error) -> StoreError {
    crate::sql::postgres::describe(&error)
}

impl SharedLog {
    /// Connects to `url` (`postgres://user:password@host:port/database`, or `host=/run/postgresql …`) and applies
    /// the migrations the database has not had yet.
    pub async fn connect(url: &str) -> Result<SharedLog, StoreError> {
        SharedLog::connect_waiting(url, LOCK_TIMEOUT).await
    }

    /// [`SharedLog::connect`], with writes waiting at most `lock_timeout` for a row or table another session
    /// holds before they count as failed (an outcome is then kept in memory and retried, as on SQLite).
    pub async fn connect_waiting(url: &str, lock_timeout: Duration) -> Result<SharedLog, StoreError> {
        SharedLog::open(url, None, lock_timeout).await
    }

    /// [`SharedLog::connect`], trusting the CA certificates in `ca` (PEM) besides the platform's when the URL
    /// asks for TLS (`sslmode=require`; see [`crate::database_link`]).
    pub async fn connect_trusting(url: &str, ca: Option<&std::path::Path>) -> Result<SharedLog, StoreError> {
        SharedLog::open(url, ca, LOCK_TIMEOUT).await
    }

    async fn open(url: &str, ca: Option<&std::path::Path>, lock_timeout: Duration) -> Result<SharedLog, StoreError> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|error| StoreError::Shared(format!("SPOTPLAN_DATABASE_URL does not read: {error}")))?;
        config.options(format!("-c lock_timeout={}", lock_timeout.as_millis()));
        config.application_name("spotplan-proxy");
        let link = DatabaseLink::for_config(&mut config, ca).map_err(|error| StoreError::Shared(error.to_string()))?;
        if !link.encrypted && !crate::database_link::stays_on_this_machine(&config) {
            tracing::warn!(
                "the link to the shared database is not encrypted: add sslmode=require to SPOTPLAN_DATABASE_URL"
            );
        }
        let pool = pool_of(&config, &link, POOL_SIZE)?;
        let lock_pool = pool_of(&config, &link, LOCK_POOL_SIZE)?;
        let gate_pool = pool_of(&config, &link, GATE_POOL_SIZE)?;
        let log = SharedLog {
            pool,
            lock_pool,
            gate_pool,
            config,
            link,
        };
        log.migrate().await?;
        Ok(log)
    }

    /// A connection of its own, outside the pool: its session (and any lock it takes) lasts until it is dropped.
    pub async fn dedicated_connection(&self) -> Result<tokio_postgres::Client, StoreError> {
        let (client, connection) = self
            .config
            .connect(self.link.connector.clone())
            .await
            .map_err(postgres_error)?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::warn!(%error, "a dedicated database connection ended");
            }
        });
        Ok(client)
    }

    async fn connection(&self) -> Result<Object, StoreError> {
        self.pool.get().await.map_err(pool_error)
    }

    async fn lock_connection(&self) -> Result<Object, StoreError> {
        self.lock_pool.get().await.map_err(pool_error)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await.map_err(postgres_error)?;
        transaction
            .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(postgres_error)?;
        transaction
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS spotplan_migrations (version INTEGER PRIMARY KEY, applied_at_ms BIGINT NOT NULL)",
            )
            .await
            .map_err(postgres_error)?;
        let done: i64 = transaction
            .query_one("SELECT count(*) FROM spotplan_migrations", &[])
            .await
            .map_err(postgres_error)?
            .get(0);
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(done as usize) {
            transaction.batch_execute(migration).await.map_err(postgres_error)?;
            let version = index as i32 + 1;
            transaction
                .execute(
                    "INSERT INTO spotplan_migrations (version, applied_at_ms) VALUES ($1, $2)",
                    &[&version, &crate::upstream::now_unix_millis()],
                )
                .await
                .map_err(postgres_error)?;
        }
        transaction.commit().await.map_err(postgres_error)
    }

    /// Whether the database answers and every migration this proxy knows is applied (readiness).
    pub async fn ready(&self) -> Result<(), StoreError> {
        let connection = self.connection().await?;
        let applied: i64 = connection
            .query_one("SELECT count(*) FROM spotplan_migrations", &[])
            .await
            .map_err(postgres_error)?
            .get(0);
        if applied as usize >= MIGRATIONS.len() {
            Ok(())
        } else {
            Err(StoreError::Shared(format!(
                "{applied} of {} migrations applied",
                MIGRATIONS.len()
            )))
        }
    }

    /// Waits for the cross-replica lock of an idempotency key.
    pub async fn hold_key(&self, key: &str) -> Result<KeyHold, StoreError> {
        self.hold_on(self.lock_connection().await?, key).await
    }

    /// Waits for the cross-replica spend gate `key`, on a connection of the gate's own pool.
    pub async fn hold_gate(&self, key: &str) -> Result<KeyHold, StoreError> {
        self.hold_on(self.gate_pool.get().await.map_err(pool_error)?, key).await
    }

    async fn hold_on(&self, connection: Object, key: &str) -> Result<KeyHold, StoreError> {
        // Until the lock is ours, a connection dropped with this future (a request timing out mid-wait) is closed,
        // never pooled: its session may still be waiting for the lock and would take it for nobody. The server
        // is told to notice the closed client while it waits (`client_connection_check_interval`).
        let waiting = Unpooled(Some(connection));
        let Some(connection) = waiting.0.as_ref() else {
            return Err(StoreError::Shared("no connection to hold the lock on".into()));
        };
        let lock = key_lock_id(key);
        // Usually nobody holds it: one round trip.
        let taken = try_lock(connection, lock).await?;
        if !taken {
            // The wait for another replica's order is not bounded by the write lock timeout: that order may take
            // as long as its cloud call.
            connection
                .batch_execute("SET lock_timeout = 0; SET client_connection_check_interval = '1s'")
                .await
                .map_err(postgres_error)?;
            connection
                .execute("SELECT pg_advisory_lock($1)", &[&lock])
                .await
                .map_err(postgres_error)?;
            // If this fails the session holds the lock and the connection is closed, which releases it.
            connection
                .batch_execute("RESET lock_timeout; RESET client_connection_check_interval")
                .await
                .map_err(postgres_error)?;
        }
        Ok(KeyHold {
            connection: waiting.keep(),
            lock,
        })
    }

    /// Takes the cross-replica lock of an idempotency key if no replica holds it.
    pub async fn try_hold_key(&self, key: &str) -> Result<Option<KeyHold>, StoreError> {
        let connection = self.lock_connection().await?;
        let lock = key_lock_id(key);
        let taken = try_lock(&connection, lock).await?;
        Ok(taken.then_some(KeyHold {
            connection: Some(connection),
            lock,
        }))
    }

    /// Runs a query written for both databases ([`crate::sql`]), its statement prepared once per connection.
    pub async fn select(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<SqlRow>, StoreError> {
        let connection = self.connection().await?;
        let statement = prepared(&connection, &crate::sql::postgres_sql(sql)).await?;
        let bound = crate::sql::postgres::bind(params);
        let rows = connection
            .query(&statement, &crate::sql::postgres::refs(&bound))
            .await
            .map_err(postgres_error)?;
        rows.iter().map(crate::sql::postgres::read).collect()
    }

    /// Runs one statement written for both databases, on a pooled connection (one round trip, atomic on its own).
    pub async fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, StoreError> {
        let connection = self.connection().await?;
        let statement = prepared(&connection, &crate::sql::postgres_sql(sql)).await?;
        let bound = crate::sql::postgres::bind(params);
        connection
            .execute(&statement, &crate::sql::postgres::refs(&bound))
            .await
            .map_err(postgres_error)
    }

    /// Runs a write written for both databases in one transaction, on a blocking thread that drives the driver.
    pub async fn transaction<T: Send + 'static>(
        &self,
        body: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let mut connection = self.connection().await?;
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let transaction = runtime.block_on(connection.transaction()).map_err(postgres_error)?;
            let result = body(&mut PostgresTx {
                runtime: runtime.clone(),
                transaction: &transaction,
            });
            match result {
                Ok(value) => {
                    runtime.block_on(transaction.commit()).map_err(postgres_error)?;
                    Ok(value)
                }
                Err(error) => {
                    let _ = runtime.block_on(transaction.rollback());
                    Err(error)
                }
            }
        })
        .await
        .map_err(|_| StoreError::ReadLost)?
    }

    /// Records a new order; [`StoreError::DuplicateKey`] when its key is taken.
    pub async fn insert(&self, record: &StoredOrder) -> Result<(), StoreError> {
        let connection = self.connection().await?;
        let view = &record.view;
        let statement = prepared(
            &connection,
            "INSERT INTO orders (id, idempotency_key, order_hash, cloud, region, dry_run, status, client_token, \
             order_json, quoted_price, created_at_ms, sealed_password, max_cost_per_hour, placed_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .await?;
        let inserted = connection
            .execute(
                &statement,
                &[
                    &view.id,
                    &view.idempotency_key,
                    &record.order_hash,
                    &view.cloud.id(),
                    &view.region,
                    &view.dry_run,
                    &view.status.as_str(),
                    &view.client_token,
                    &view.order.to_string(),
                    &view.quoted_price,
                    &view.created_at_ms,
                    &record.sealed_password,
                    &money_text(view.max_cost_per_hour.as_ref()),
                    &view.placed_by,
                ],
            )
            .await;
        match inserted {
            Ok(_) => Ok(()),
            Err(error)
                if error.code() == Some(&SqlState::UNIQUE_VIOLATION)
                    && error
                        .as_db_error()
                        .and_then(|db| db.constraint())
                        .is_some_and(|constraint| constraint.contains("idempotency_key")) =>
            {
                Err(StoreError::DuplicateKey)
            }
            // Not the server's refusal: the connection ended (a restart, a failover, a network cut), perhaps after
            // the row was committed — and a logged order is sent, by whichever replica finds it pending.
            Err(error) if error.as_db_error().is_none() => Err(StoreError::WriteUnconfirmed(error.to_string())),
            Err(error) => Err(postgres_error(error)),
        }
    }

    /// Records an outcome.
    pub async fn finish(&self, record: &StoredOrder) -> Result<(), StoreError> {
        let connection = self.connection().await?;
        let view = &record.view;
        let statement = prepared(
            &connection,
            "UPDATE orders SET status = $2, request_json = $3, response_json = $4, cloud_request_id = $5, \
             instance_ids = $6, cloud_order_id = $7, error_code = $8, error_message = $9, hint = $10, \
             attempts = $11, finished_at_ms = $12, upstream_us = $13, \
             may_have_reached_cloud = (may_have_reached_cloud OR $14) \
             WHERE id = $1 AND status <> 'succeeded' AND NOT (may_have_reached_cloud AND $2 IN ('failed', 'not_sent'))",
        )
        .await?;
        let changed = connection
            .execute(
                &statement,
                &[
                    &view.id,
                    &view.status.as_str(),
                    &view.request.as_ref().map(ToString::to_string),
                    &view.response.as_ref().map(ToString::to_string),
                    &view.cloud_request_id,
                    &serde_json::Value::from(view.instance_ids.clone()).to_string(),
                    &view.cloud_order_id,
                    &view.error_code,
                    &view.error_message,
                    &view.hint,
                    &i64::from(view.attempts),
                    &view.finished_at_ms,
                    &view.upstream_us,
                    &view.may_have_reached_cloud,
                ],
            )
            .await
            .map_err(postgres_error)?;
        if changed == 1 {
            return Ok(());
        }
        // A success is final: a replica that lost its hold on the key (its connection dropped mid-order) while
        // another resent the order must not overwrite the success the other recorded with its own `unknown` — nor
        // a refusal it heard the other's `unknown` ([`crate::stored::outcome_is_kept`]).
        let settled = prepared(
            &connection,
            "SELECT status, may_have_reached_cloud FROM orders WHERE id = $1",
        )
        .await?;
        let logged: Option<(String, bool)> = connection
            .query_opt(&settled, &[&view.id])
            .await
            .map_err(postgres_error)?
            .map(|row| (row.get(0), row.get(1)));
        match logged {
            Some((status, reached)) if crate::stored::outcome_is_kept(&status, reached, view.status) => {
                tracing::warn!(id = %view.id, logged = %status, late = view.status.as_str(), "a late outcome is dropped: the order's logged outcome is kept");
                Ok(())
            }
            _ => Err(StoreError::Shared(format!(
                "no logged order {} to record an outcome for",
                view.id
            ))),
        }
    }

    /// The order under an idempotency key, or with an id.
    pub async fn by(&self, column: OrderColumn, value: &str) -> Result<Option<StoredOrder>, StoreError> {
        let connection = self.connection().await?;
        let sql = format!("{SELECT} WHERE {} = $1", column.name());
        let statement = prepared(&connection, &sql).await?;
        let row = connection
            .query_opt(&statement, &[&value])
            .await
            .map_err(postgres_error)?;
        row.as_ref().map(read_row).transpose()
    }

    /// The newest orders first.
    pub async fn list(&self, limit: u32) -> Result<Vec<StoredOrder>, StoreError> {
        let connection = self.connection().await?;
        let sql = format!("{SELECT} ORDER BY created_at_ms DESC, id DESC LIMIT $1");
        let rows = connection
            .query(&sql, &[&i64::from(limit)])
            .await
            .map_err(postgres_error)?;
        rows.iter().map(read_row).collect()
    }

    /// The newest orders one person placed first.
    pub async fn list_placed_by(&self, limit: u32, person: &str) -> Result<Vec<StoredOrder>, StoreError> {
        let connection = self.connection().await?;
        let sql = format!("{SELECT} WHERE placed_by = $2 ORDER BY created_at_ms DESC, id DESC LIMIT $1");
        let rows = connection
            .query(&sql, &[&i64::from(limit), &person])
            .await
            .map_err(postgres_error)?;
        rows.iter().map(read_row).collect()
    }

    /// Orders whose status is `status`, oldest first.
    pub async fn with_status(&self, status: OrderStatus) -> Result<Vec<StoredOrder>, StoreError> {
        let connection = self.connection().await?;
        let sql = format!("{SELECT} WHERE status = $1 ORDER BY created_at_ms");
        let rows = connection
            .query(&sql, &[&status.as_str()])
            .await
            .map_err(postgres_error)?;
        rows.iter().map(read_row).collect()
    }

    /// How many orders there are per (cloud, status).
    pub async fn counts_by_cloud_and_status(&self) -> Result<Vec<((String, String), i64)>, StoreError> {
        let connection = self.connection().await?;
        let rows = connection
            .query(
                "SELECT cloud, status, count(*) FROM orders GROUP BY cloud, status ORDER BY cloud, status",
                &[],
            )
            .await
            .map_err(postgres_error)?;
        Ok(rows.iter().map(|row| ((row.get(0), row.get(1)), row.get(2))).collect())
    }

    /// (id, hourly cost bound) of orders since `since_ms` that may be running (see
    /// [`crate::store::Store::committed_hourly_costs`]).
    pub async fn committed_hourly_costs(&self, since_ms: i64) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let connection = self.connection().await?;
        let rows = connection
            .query(
                "SELECT id, max_cost_per_hour FROM orders WHERE (created_at_ms >= $1 OR finished_at_ms >= $1) \
                 AND status IN ('pending', 'succeeded', 'unknown')",
                &[&since_ms],
            )
            .await
            .map_err(postgres_error)?;
        Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
    }
}

/// The columns an order is looked up by.
#[derive(Debug, Clone, Copy)]
pub enum OrderColumn {
    /// Its idempotency key.
    Key,
    /// Its id.
    Id,
}

impl OrderColumn {
    fn name(self) -> &'static str {
        match self {
            OrderColumn::Key => "idempotency_key",
            OrderColumn::Id => "id",
        }
    }
}

/// The advisory lock id of an idempotency key: the first 8 bytes of a SHA-256 of it, namespaced so no other lock
/// collides by design.
fn key_lock_id(key: &str) -> i64 {
    let digest = Sha256::digest(format!("spotplan-order-key:{key}"));
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

fn money_text(money: Option<&Money>) -> Option<String> {
    money.and_then(|money| serde_json::to_string(money).ok())
}

const SELECT: &str = "SELECT id, idempotency_key, order_hash, cloud, region, dry_run, status, client_token, order_json, \
    quoted_price, request_json, response_json, cloud_request_id, instance_ids, cloud_order_id, error_code, \
    error_message, hint, attempts, created_at_ms, finished_at_ms, upstream_us, may_have_reached_cloud, \
    max_cost_per_hour, sealed_password, placed_by FROM orders";

fn json(text: Option<String>, column: &'static str) -> Result<Option<serde_json::Value>, StoreError> {
    text.map(|text| serde_json::from_str(&text).map_err(|_| StoreError::Corrupt { column }))
        .transpose()
}

fn read_row(row: &tokio_postgres::Row) -> Result<StoredOrder, StoreError> {
    let text = |index: usize| -> Result<String, StoreError> { row.try_get(index).map_err(postgres_error) };
    let optional = |index: usize| -> Result<Option<String>, StoreError> { row.try_get(index).map_err(postgres_error) };
    let number = |index: usize| -> Result<Option<i64>, StoreError> { row.try_get(index).map_err(postgres_error) };
    let flag = |index: usize| -> Result<bool, StoreError> { row.try_get(index).map_err(postgres_error) };
    let corrupt = |column| StoreError::Corrupt { column };
    let view = OrderRecord {
        id: text(0)?,
        idempotency_key: text(1)?,
        cloud: spotplan_core::Cloud::from_id(&text(3)?).ok_or(corrupt("cloud"))?,
        region: text(4)?,
        dry_run: flag(5)?,
        status: OrderStatus::parse(&text(6)?),
        client_token: text(7)?,
        order: serde_json::from_str(&text(8)?).map_err(|_| corrupt("order_json"))?,
        quoted_price: optional(9)?,
        request: json(optional(10)?, "request_json")?,
        response: json(optional(11)?, "response_json")?,
        cloud_request_id: optional(12)?,
        instance_ids: serde_json::from_str(&text(13)?).map_err(|_| corrupt("instance_ids"))?,
        cloud_order_id: optional(14)?,
        error_code: optional(15)?,
        error_message: optional(16)?,
        hint: optional(17)?,
        attempts: number(18)?
            .and_then(|n| u32::try_from(n).ok())
            .ok_or(corrupt("attempts"))?,
        created_at_ms: number(19)?.ok_or(corrupt("created_at_ms"))?,
        finished_at_ms: number(20)?,
        upstream_us: number(21)?,
        may_have_reached_cloud: flag(22)?,
        max_cost_per_hour: optional(23)?
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|_| corrupt("max_cost_per_hour"))?,
        placed_by: optional(25)?,
    };
    Ok(StoredOrder {
        view,
        order_hash: text(2)?,
        sealed_password: optional(24)?,
    })
}

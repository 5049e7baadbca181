//! The order log: an embedded SQLite database (WAL, `synchronous = FULL`) holding every submission, written
//! *before* anything is sent so a crash or timeout never loses an order or hides one that may exist. An
//! idempotency key is unique: it maps to one order and one ClientToken forever.
//!
//! Writes go to one writer thread that commits whatever is waiting in a single transaction (group commit): each
//! write is on disk before its caller continues, but two hundred concurrent orders share a few fsyncs instead of
//! queueing for four hundred, and no async worker ever blocks on the disk. Reads use their own connection (WAL
//! lets them run beside the writer).

use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Recorded; the request is being sent.
    Pending,
    /// The cloud accepted it (instances or an order id came back).
    Succeeded,
    /// A dry run the cloud (or, for Baidu, the local checks) passed; nothing was created.
    DryRunPassed,
    /// The cloud refused it, with its error code.
    Failed,
    /// No answer came (timeout or a broken connection after sending): it may or may not exist. Check with the
    /// ClientToken; a retry with the same idempotency key resends with the same token, which is safe.
    Unknown,
}

impl OrderStatus {
    fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Succeeded => "succeeded",
            OrderStatus::DryRunPassed => "dry_run_passed",
            OrderStatus::Failed => "failed",
            OrderStatus::Unknown => "unknown",
        }
    }

    fn parse(text: &str) -> OrderStatus {
        match text {
            "succeeded" => OrderStatus::Succeeded,
            "dry_run_passed" => OrderStatus::DryRunPassed,
            "failed" => OrderStatus::Failed,
            "unknown" => OrderStatus::Unknown,
            _ => OrderStatus::Pending,
        }
    }
}

/// One logged order, as the API answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// Spotplan's id for the order.
    pub id: String,
    /// The idempotency key it was submitted with.
    pub idempotency_key: String,
    /// A hash of the order body, to tell a retry from a different order reusing a key.
    #[serde(skip)]
    pub order_hash: String,
    /// The cloud.
    pub cloud: String,
    /// The region.
    pub region: String,
    /// Whether it was a dry run.
    pub dry_run: bool,
    /// Where it stands.
    pub status: OrderStatus,
    /// The ClientToken sent to the cloud.
    pub client_token: String,
    /// The order as submitted, with any password removed.
    pub order: serde_json::Value,
    /// The quoted price at submission, when the UI sent one.
    pub quoted_price: Option<String>,
    /// The request sent, with secrets removed (signature, credentials, password).
    pub request: Option<serde_json::Value>,
    /// The cloud's answer (body as JSON when it was JSON), secrets never included.
    pub response: Option<serde_json::Value>,
    /// The cloud's request id.
    pub cloud_request_id: Option<String>,
    /// Instance ids created.
    pub instance_ids: Vec<String>,
    /// The cloud's order id (Baidu).
    pub cloud_order_id: Option<String>,
    /// The cloud's error code.
    pub error_code: Option<String>,
    /// The cloud's error message.
    pub error_message: Option<String>,
    /// What to change, in words a person can act on.
    pub hint: Option<String>,
    /// How many HTTP attempts were made (network retries reuse the ClientToken).
    pub attempts: u32,
    /// When it was recorded (Unix milliseconds).
    pub created_at_ms: i64,
    /// When the outcome was recorded (Unix milliseconds).
    pub finished_at_ms: Option<i64>,
    /// Time spent waiting for the cloud, microseconds.
    pub upstream_us: Option<i64>,
}

/// Why the log could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("order log: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored JSON column does not parse.
    #[error("order log: corrupt JSON in {column}")]
    Corrupt {
        /// The column.
        column: &'static str,
    },
    /// The database lock was poisoned by a panic.
    #[error("order log: lock poisoned")]
    Poisoned,
    /// The writer thread is gone.
    #[error("order log: the writer stopped")]
    WriterGone,
    /// A write failed.
    #[error("order log: write failed: {0}")]
    Write(String),
}

/// The order log.
#[derive(Debug, Clone)]
pub struct Store {
    /// The connection reads use.
    connection: Arc<Mutex<Connection>>,
    /// The writer thread's queue.
    writer: mpsc::Sender<Job>,
}

const SCHEMA: &str = "
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
";

impl Store {
    /// Opens (creating if needed) the log at `path`, in WAL mode with full synchronous writes: one connection
    /// for the writer thread, one for reads.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open = || -> Result<Connection, StoreError> {
            let connection = Connection::open(path)?;
            connection.pragma_update(None, "journal_mode", "WAL")?;
            connection.pragma_update(None, "synchronous", "FULL")?;
            connection.busy_timeout(std::time::Duration::from_secs(5))?;
            connection.execute_batch(SCHEMA)?;
            Ok(connection)
        };
        let writer = open()?;
        let reader = open()?;
        Ok(Store {
            connection: Arc::new(Mutex::new(reader)),
            writer: spawn_writer(writer),
        })
    }

    /// An in-memory log (tests): one shared in-memory database for the reader and the writer.
    pub fn in_memory() -> Result<Store, StoreError> {
        use std::sync::atomic::{AtomicU64, Ordering};
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
        writer.execute_batch(SCHEMA)?;
        let reader = Connection::open_with_flags(&name, flags)?;
        Ok(Store {
            connection: Arc::new(Mutex::new(reader)),
            writer: spawn_writer(writer),
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        self.connection.lock().map_err(|_| StoreError::Poisoned)
    }

    /// Records a new order (status pending) before anything is sent; returns once it is on disk.
    pub async fn insert(&self, record: &OrderRecord) -> Result<(), StoreError> {
        self.write(Write::Insert(Box::new(record.clone()))).await
    }

    /// Records an outcome; returns once it is on disk.
    pub async fn finish(&self, record: &OrderRecord) -> Result<(), StoreError> {
        self.write(Write::Finish(Box::new(record.clone()))).await
    }

    async fn write(&self, write: Write) -> Result<(), StoreError> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.writer.send((write, done)).map_err(|_| StoreError::WriterGone)?;
        wait.await
            .map_err(|_| StoreError::WriterGone)?
            .map_err(StoreError::Write)
    }

    /// The order recorded under an idempotency key.
    pub fn by_key(&self, key: &str) -> Result<Option<OrderRecord>, StoreError> {
        let connection = self.lock()?;
        let mut statement = connection.prepare_cached(&format!("{SELECT} WHERE idempotency_key = ?1"))?;
        let row = statement.query_row([key], row_to_record).optional()?;
        row.transpose()
    }

    /// An order by id.
    pub fn by_id(&self, id: &str) -> Result<Option<OrderRecord>, StoreError> {
        let connection = self.lock()?;
        let mut statement = connection.prepare_cached(&format!("{SELECT} WHERE id = ?1"))?;
        let row = statement.query_row([id], row_to_record).optional()?;
        row.transpose()
    }

    /// The newest orders first.
    pub fn list(&self, limit: u32) -> Result<Vec<OrderRecord>, StoreError> {
        let connection = self.lock()?;
        let mut statement =
            connection.prepare_cached(&format!("{SELECT} ORDER BY created_at_ms DESC, id DESC LIMIT ?1"))?;
        let rows = statement.query_map([limit], row_to_record)?;
        rows.map(|row| row.map_err(StoreError::from).and_then(|record| record))
            .collect()
    }
}

/// A write for the writer thread.
enum Write {
    Insert(Box<OrderRecord>),
    Finish(Box<OrderRecord>),
}

/// A write and where to say whether it is on disk.
type Job = (Write, tokio::sync::oneshot::Sender<Result<(), String>>);

/// Starts the writer thread: it takes whatever writes are waiting, commits them in one transaction (one fsync),
/// and tells each caller whether its write is on disk.
fn spawn_writer(connection: Connection) -> mpsc::Sender<Job> {
    let (sender, receiver) = mpsc::channel::<Job>();
    let started = std::thread::Builder::new()
        .name("order-log-writer".into())
        .spawn(move || {
            while let Ok(first) = receiver.recv() {
                let mut batch = vec![first];
                while let Ok(next) = receiver.try_recv() {
                    batch.push(next);
                }
                let results = commit_batch(&connection, &batch);
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

/// One transaction for the whole batch, each write in its own savepoint so one failure (a duplicate key) does
/// not undo the others.
fn commit_batch(connection: &Connection, batch: &[Job]) -> Vec<Result<(), String>> {
    if let Err(error) = connection.execute_batch("BEGIN IMMEDIATE") {
        return batch.iter().map(|_| Err(error.to_string())).collect();
    }
    let results: Vec<Result<(), String>> = batch
        .iter()
        .map(|(write, _)| {
            connection.execute_batch("SAVEPOINT one").map_err(|e| e.to_string())?;
            let result = match write {
                Write::Insert(record) => insert_row(connection, record),
                Write::Finish(record) => finish_row(connection, record),
            };
            match result {
                Ok(()) => connection.execute_batch("RELEASE one").map_err(|e| e.to_string()),
                Err(error) => {
                    let _ = connection.execute_batch("ROLLBACK TO one; RELEASE one");
                    Err(error.to_string())
                }
            }
        })
        .collect();
    match connection.execute_batch("COMMIT") {
        Ok(()) => results,
        Err(error) => {
            let _ = connection.execute_batch("ROLLBACK");
            batch.iter().map(|_| Err(error.to_string())).collect()
        }
    }
}

fn insert_row(connection: &Connection, record: &OrderRecord) -> rusqlite::Result<()> {
    connection.execute(
        "INSERT INTO orders (id, idempotency_key, order_hash, cloud, region, dry_run, status, client_token, \
         order_json, quoted_price, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            record.id,
            record.idempotency_key,
            record.order_hash,
            record.cloud,
            record.region,
            record.dry_run,
            record.status.as_str(),
            record.client_token,
            record.order.to_string(),
            record.quoted_price,
            record.created_at_ms,
        ],
    )?;
    Ok(())
}

fn finish_row(connection: &Connection, record: &OrderRecord) -> rusqlite::Result<()> {
    connection.execute(
        "UPDATE orders SET status = ?2, request_json = ?3, response_json = ?4, cloud_request_id = ?5, \
         instance_ids = ?6, cloud_order_id = ?7, error_code = ?8, error_message = ?9, hint = ?10, attempts = ?11, \
         finished_at_ms = ?12, upstream_us = ?13 WHERE id = ?1",
        params![
            record.id,
            record.status.as_str(),
            record.request.as_ref().map(ToString::to_string),
            record.response.as_ref().map(ToString::to_string),
            record.cloud_request_id,
            serde_json::Value::from(record.instance_ids.clone()).to_string(),
            record.cloud_order_id,
            record.error_code,
            record.error_message,
            record.hint,
            record.attempts,
            record.finished_at_ms,
            record.upstream_us,
        ],
    )?;
    Ok(())
}

const SELECT: &str = "SELECT id, idempotency_key, order_hash, cloud, region, dry_run, status, client_token, order_json, \
    quoted_price, request_json, response_json, cloud_request_id, instance_ids, cloud_order_id, error_code, \
    error_message, hint, attempts, created_at_ms, finished_at_ms, upstream_us FROM orders";

fn json_column(text: Option<String>, column: &'static str) -> Result<Option<serde_json::Value>, StoreError> {
    text.map(|text| serde_json::from_str(&text).map_err(|_| StoreError::Corrupt { column }))
        .transpose()
}

fn row_to_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<OrderRecord, StoreError>> {
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
        Ok(OrderRecord {
            id,
            idempotency_key,
            order_hash,
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
        })
    })())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str) -> OrderRecord {
        OrderRecord {
            id: format!("ord-{key}"),
            idempotency_key: key.into(),
            order_hash: "h".into(),
            cloud: "tencent".into(),
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
        }
    }

    #[tokio::test]
    async fn insert_finish_and_read_back() {
        let store = Store::in_memory().unwrap();
        let mut order = record("key-00000001");
        store.insert(&order).await.unwrap();
        assert_eq!(
            store.by_key("key-00000001").unwrap().unwrap().status,
            OrderStatus::Pending
        );
        order.status = OrderStatus::Succeeded;
        order.instance_ids = vec!["ins-1".into(), "ins-2".into()];
        order.attempts = 1;
        store.finish(&order).await.unwrap();
        let back = store.by_id("ord-key-00000001").unwrap().unwrap();
        assert_eq!(back.instance_ids, ["ins-1", "ins-2"]);
        assert_eq!(back.status, OrderStatus::Succeeded);
        assert_eq!(store.list(10).unwrap().len(), 1);
    }

    #[tokio::test]
    async fn an_idempotency_key_is_unique() {
        let store = Store::in_memory().unwrap();
        store.insert(&record("key-00000002")).await.unwrap();
        let mut again = record("key-00000002");
        again.id = "ord-other".into();
        assert!(store.insert(&again).await.is_err());
    }

    #[tokio::test]
    async fn concurrent_writes_share_transactions_and_all_land() {
        let path = std::env::temp_dir().join(format!("spotplan-store-batch-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let store = Store::open(&path).unwrap();
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
        assert_eq!(store.list(1000).unwrap().len(), 100);
    }

    #[test]
    fn the_file_database_uses_wal_and_full_sync() {
        let path = std::env::temp_dir().join(format!("spotplan-store-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let store = Store::open(&path).unwrap();
        let connection = store.lock().unwrap();
        let mode: String = connection
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        let sync: i64 = connection
            .pragma_query_value(None, "synchronous", |row| row.get(0))
            .unwrap();
        assert_eq!((mode.as_str(), sync), ("wal", 2));
    }
}

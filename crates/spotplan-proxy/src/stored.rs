//! What both order-log backends share and everything above them names: a logged order ([`StoredOrder`]) and why
//! the log could not be used ([`StoreError`]). A leaf: the embedded log (`store`), the shared one (`shared_log`)
//! and the portable SQL (`sql`) all depend on it, so none of them depends on another to name an error.

use spotplan_core::api::orders::OrderRecord;
use spotplan_core::order::outcome::OrderStatus;

/// One logged order: what the API shows ([`OrderRecord`]) and what only the proxy keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOrder {
    /// The order as the API shows it.
    pub view: OrderRecord,
    /// The keyed hash of the order as logged, to tell a retry from a different order reusing a key.
    pub order_hash: String,
    /// The instance password, sealed with the install key, so the order can be resent after a restart.
    pub sealed_password: Option<String>,
}

impl StoredOrder {
    /// The order as it must read while its outcome is not in the log yet: a refusal or a "not sent" reads as
    /// `unknown`, with the cloud's refusal kept in the hint. The log still says `pending`, which a restart here,
    /// or another replica once this one's hold on the key ends, sends again under the same ClientToken — a final
    /// "failed" would have a person place it anew under a new key, and the resend could then make it twice.
    /// Any other outcome (succeeded, unknown) reads as it is.
    #[must_use]
    pub fn read_while_unlanded(mut self) -> StoredOrder {
        let what = match self.view.status {
            OrderStatus::Failed => "refusal",
            OrderStatus::NotSent => "\"not sent\"",
            _ => return self,
        };
        let refusal = self
            .view
            .hint
            .take()
            .map(|hint| format!("{hint} — "))
            .unwrap_or_default();
        self.view.hint = Some(format!(
            "{refusal}this {what} is not in the order log yet (it could not be written): until it is, a restart or \
             another replica may send the order again under its ClientToken. Retry with the same idempotency key \
             to learn where it stands; never place it anew under another key"
        ));
        self.view.status = OrderStatus::Unknown;
        self
    }
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
    /// An order with this idempotency key is already logged.
    #[error("order log: an order with this idempotency key is already logged")]
    DuplicateKey,
    /// A file could not be prepared.
    #[error("order log: {0}")]
    Io(#[from] std::io::Error),
    /// A read task was lost.
    #[error("order log: a read did not finish")]
    ReadLost,
    /// The shared (PostgreSQL) order log failed.
    #[error("shared order log: {0}")]
    Shared(String),
    /// The shared database's connection ended before it confirmed a new row: the row may have been written.
    #[error("shared order log: the connection ended before the write was confirmed: {0}")]
    WriteUnconfirmed(String),
}

/// Whether a logged outcome stands against a later write of `new` (which both backends then drop, answering that
/// it was recorded): a success is final, and a row that may have reached the cloud never becomes `failed` or
/// `not_sent` again — a replica that lost its hold on the key and heard a refusal must not overwrite another's
/// `unknown`, whose resend may have created the instances.
pub fn outcome_is_kept(logged_status: &str, may_have_reached_cloud: bool, new: OrderStatus) -> bool {
    logged_status == OrderStatus::Succeeded.as_str()
        || (may_have_reached_cloud && matches!(new, OrderStatus::Failed | OrderStatus::NotSent))
}

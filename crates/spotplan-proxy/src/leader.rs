//! Which replica runs the background work — following instances, keeping fleets at size, refreshing prices. A
//! proxy alone always does. In team mode exactly one replica at a time does: the one holding a PostgreSQL session
//! advisory lock on a connection of its own. The others try for it every [`CAMPAIGN_EVERY`]; a leader that dies
//! loses the lock with its connection, so another takes over within seconds (well inside 30 s), and a leader that
//! can no longer reach the database, or whose check goes unanswered for 5 s, steps down at once; the server,
//! probing the leader's connection every few seconds, ends a session whose client is gone and frees the lock.
//!
//! During a hand-over an old leader may still finish the action it had started; every such action is keyed
//! (fleet steps and releases by idempotency keys, orders under the cross-replica key lock), so the new leader
//! repeating it acts once at the cloud.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::shared_log::SharedLog;

/// How often a replica that does not lead tries to.
pub const CAMPAIGN_EVERY: Duration = Duration::from_secs(3);
/// How often the leader checks it still holds its connection (and so the lock).
const CHECK_EVERY: Duration = Duration::from_secs(2);
/// How long that check may take: a leader cut off from the database (a partition, a hung server) steps down
/// instead of waiting for TCP to give up, which takes hours.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);
/// What the server is told about the leader's connection: probe it after 5 s of silence, every 2 s, and end the
/// session — releasing the lock — after 3 unanswered probes, so a leader cut off mid-connection lets another
/// replica take over within about 15 s, not when the operating system's two-hour default would.
const SERVER_KEEPALIVES: &str =
    "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3";
/// The advisory lock id of leadership ("SpotLead").
const LEADER_LOCK: i64 = 0x5370_6f74_4c65_6164;

/// Whether this replica leads now (cheap to clone, shared by the background tasks).
#[derive(Debug, Clone)]
pub struct Leadership {
    leading: Arc<AtomicBool>,
}

impl Leadership {
    /// A proxy alone: it always leads.
    pub fn alone() -> Leadership {
        Leadership {
            leading: Arc::new(AtomicBool::new(true)),
        }
    }

    /// A replica of a team: it leads once it wins the lock ([`campaign`]).
    pub fn replica() -> Leadership {
        Leadership {
            leading: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether this replica runs the background work now.
    pub fn is_leader(&self) -> bool {
        self.leading.load(Ordering::SeqCst)
    }

    fn set(&self, leading: bool) {
        if self.leading.swap(leading, Ordering::SeqCst) != leading {
            if leading {
                tracing::info!("this replica now runs the background work (leader)");
            } else {
                tracing::warn!("this replica no longer runs the background work");
            }
        }
    }
}

/// Team mode: tries for leadership now and then for as long as the process runs.
pub fn campaign(shared: SharedLog, leadership: Leadership) {
    tokio::spawn(async move {
        loop {
            match shared.dedicated_connection().await {
                Ok(client) => {
                    if let Err(error) = client.batch_execute(SERVER_KEEPALIVES).await {
                        tracing::warn!(%error, "the database would not take keepalive settings for the leader's connection");
                    }
                    let won = client
                        .query_one("SELECT pg_try_advisory_lock($1)", &[&LEADER_LOCK])
                        .await
                        .map(|row| row.get::<_, bool>(0));
                    if let Ok(true) = won {
                        leadership.set(true);
                        // Lead while the connection — and so the lock — lives and answers in time.
                        while let Ok(Ok(_)) = tokio::time::timeout(CHECK_TIMEOUT, client.simple_query("SELECT 1")).await
                        {
                            tokio::time::sleep(CHECK_EVERY).await;
                        }
                        leadership.set(false);
                        // Closing the connection ends the session on the server, which releases the lock.
                        drop(client);
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot reach the shared database to campaign for leadership"),
            }
            tokio::time::sleep(CAMPAIGN_EVERY).await;
        }
    });
}

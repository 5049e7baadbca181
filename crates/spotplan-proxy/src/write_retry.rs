//! Writes that must land after the clouds have acted: when the book cannot take what a cloud answered (the disk
//! full, the database busy), the caller is answered with what the cloud said and the write is tried again in the
//! background until it lands, so the books converge on the clouds instead of forgetting an answer.
//!
//! Each such write has a key in [`PendingWrites`] while it is retried: a second retry of the same write is not
//! started (the booking sweep finds the same missing instances every round while the book refuses them), and work
//! that would race it can see it is pending (the release resumer leaves a release whose answer is still being
//! written alone, rather than send it again).

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::stored::StoreError;

/// The first pause before a failed write is tried again; each failure doubles it up to [`LONGEST_PAUSE`].
pub const FIRST_PAUSE: Duration = Duration::from_millis(200);
/// The longest pause between two tries.
pub const LONGEST_PAUSE: Duration = Duration::from_secs(10);

/// The writes this process is retrying, by key (each also names the write in the log).
#[derive(Debug, Clone, Default)]
pub struct PendingWrites(Arc<Mutex<HashSet<String>>>);

impl PendingWrites {
    /// Whether the write with this key is being retried.
    pub fn contains(&self, key: &str) -> bool {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).contains(key)
    }

    /// Marks a write pending; false if it already was.
    fn start(&self, key: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.to_owned())
    }

    fn finish(&self, key: &str) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).remove(key);
    }
}

/// Tries `write` again, in a task of its own, until it succeeds, unless the write with this `key` is already being
/// retried; `key` names it in the log.
pub fn until_it_lands<W, F>(pending: &PendingWrites, key: String, mut write: W)
where
    W: FnMut() -> F + Send + 'static,
    F: Future<Output = Result<(), StoreError>> + Send,
{
    if !pending.start(&key) {
        return tracing::info!(what = key, "already being retried");
    }
    let pending = pending.clone();
    tokio::spawn(async move {
        let mut pause = FIRST_PAUSE;
        loop {
            tokio::time::sleep(pause).await;
            match write().await {
                Ok(()) => {
                    pending.finish(&key);
                    return tracing::info!(what = key, "written after all");
                }
                Err(error) => tracing::warn!(what = key, %error, "still not written; trying again"),
            }
            pause = (pause * 2).min(LONGEST_PAUSE);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn a_write_already_retrying_is_not_started_twice_and_leaves_the_pending_set_once_it_lands() {
        let pending = PendingWrites::default();
        let tries = Arc::new(AtomicU32::new(0));
        let retry = |tries: Arc<AtomicU32>| {
            move || {
                let tries = tries.clone();
                async move {
                    // Refused twice, then taken.
                    if tries.fetch_add(1, Ordering::SeqCst) < 2 {
                        Err(StoreError::Write("disk full".into()))
                    } else {
                        Ok(())
                    }
                }
            }
        };
        until_it_lands(&pending, "the instances of order ord-1".into(), retry(tries.clone()));
        until_it_lands(&pending, "the instances of order ord-1".into(), retry(tries.clone()));
        assert!(pending.contains("the instances of order ord-1"));
        assert!(!pending.contains("the instances of order ord-2"));
        // After 200, 400 and 800 ms the third try lands (two tasks would have made four tries by then).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while pending.contains("the instances of order ord-1") {
            assert!(tokio::time::Instant::now() < deadline, "never landed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(FIRST_PAUSE * 2).await;
        assert_eq!(tries.load(Ordering::SeqCst), 3, "one task tried, not two");
    }
}

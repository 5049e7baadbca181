//! Writes that must land after the clouds have acted: when the book cannot take what a cloud answered (the disk
//! full, the database busy), the caller is answered with what the cloud said and the write is tried again in the
//! background until it lands, so the books converge on the clouds instead of forgetting an answer.

use std::future::Future;
use std::time::Duration;

use crate::stored::StoreError;

/// The first pause before a failed write is tried again; each failure doubles it up to [`LONGEST_PAUSE`].
pub const FIRST_PAUSE: Duration = Duration::from_millis(200);
/// The longest pause between two tries.
pub const LONGEST_PAUSE: Duration = Duration::from_secs(10);

/// Tries `write` again, in a task of its own, until it succeeds; `what` names it in the log.
pub fn until_it_lands<W, F>(what: String, mut write: W)
where
    W: FnMut() -> F + Send + 'static,
    F: Future<Output = Result<(), StoreError>> + Send,
{
    tokio::spawn(async move {
        let mut pause = FIRST_PAUSE;
        loop {
            tokio::time::sleep(pause).await;
            match write().await {
                Ok(()) => return tracing::info!(what, "written after all"),
                Err(error) => tracing::warn!(what, %error, "still not written; trying again"),
            }
            pause = (pause * 2).min(LONGEST_PAUSE);
        }
    });
}

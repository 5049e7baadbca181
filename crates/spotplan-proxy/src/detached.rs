//! Work a handler runs in a task of its own, so a client that goes away, or the route's timeout, cannot cut it in
//! two (an order logged and not sent, a release between batches, a lookup's outcome half written) — bounded, so
//! clients that go away cannot pile such tasks up past the proxy's limit: each holds a place of its pool from
//! before it starts until it ends, whether or not anyone still waits for its answer.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::error::ApiError;

/// Runs `work` in its own task once `places` has room, holding the place until the work ends, and answers with its
/// result; `what` names the work in the error of a task that failed.
pub async fn run<T: Send + 'static>(
    places: &Arc<Semaphore>,
    what: &'static str,
    work: impl Future<Output = Result<T, ApiError>> + Send + 'static,
) -> Result<T, ApiError> {
    let place = places
        .clone()
        .acquire_owned()
        .await
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("{what}: {error}")))?;
    let task = tokio::spawn(async move {
        let _place = place;
        work.await
    });
    task.await
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("{what} task failed: {error}")))?
}

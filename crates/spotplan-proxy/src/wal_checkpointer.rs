//! The order log's checkpointer: a thread of its own that copies SQLite's write-ahead log into the database, so
//! no commit pays for a checkpoint and the WAL stays small enough to be rewritten in place.
//!
//! SQLite starts the WAL again from its beginning only when a write begins after a checkpoint has copied every
//! frame and while no reader holds an older snapshot. Under steady writes that moment is short: checkpointing
//! every 2 s met it so rarely that at 200 orders/s the WAL grew by 20 MB a second (616 MB in 30 s), every commit
//! appended to a growing file (an inode write before each sync returned) and p50 and p99 rose with it. So the
//! checkpointer runs every [`WHILE_WRITING`] while the WAL grows, which at that rate keeps it near 26 MB, and
//! every [`WHILE_IDLE`] once nothing new has been written. A burst that did grow it is cut back to
//! [`WAL_SIZE_LIMIT`] when it starts again.
//!
//! Every checkpoint is `PASSIVE`: it never waits for, nor blocks, the writer or a reader.

use std::time::Duration;

use rusqlite::Connection;

/// The pause between checkpoints while frames are being added.
pub const WHILE_WRITING: Duration = Duration::from_millis(100);
/// The pause between checkpoints once a check found no new frame.
pub const WHILE_IDLE: Duration = Duration::from_secs(1);
/// What SQLite truncates a grown WAL back to when it starts it again (`journal_size_limit`, bytes).
pub const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// Starts the checkpointer on its own connection; it ends with the process.
pub fn spawn(connection: Connection) {
    let started = std::thread::Builder::new()
        .name("order-log-checkpoint".into())
        .spawn(move || {
            let mut frames_seen = 0;
            let mut pause = WHILE_WRITING;
            loop {
                std::thread::sleep(pause);
                let frames = checkpoint(&connection)
                    .inspect_err(|error| tracing::warn!(%error, "order log checkpoint failed; it is retried"))
                    .ok();
                pause = next_pause(frames_seen, frames);
                frames_seen = frames.unwrap_or(frames_seen);
            }
        });
    if let Err(error) = started {
        tracing::error!(%error, "cannot start the order log checkpointer");
    }
}

/// Copies what it can of the WAL into the database; returns how many frames the WAL holds.
fn checkpoint(connection: &Connection) -> rusqlite::Result<i64> {
    connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1))
}

/// How long to wait before the next checkpoint, given the WAL's frames at the last two: the short pause while it
/// changes (grown, or started again), the long one while it stays as it was — and after a checkpoint that failed
/// (`None`), so a lasting failure (a full disk) is retried and logged once a second, not ten times.
pub fn next_pause(frames_before: i64, frames_now: Option<i64>) -> Duration {
    match frames_now {
        Some(frames) if frames != frames_before => WHILE_WRITING,
        _ => WHILE_IDLE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_growing_or_restarted_wal_is_checkpointed_soon_and_an_unchanged_one_rarely() {
        assert_eq!(next_pause(0, Some(120)), WHILE_WRITING);
        assert_eq!(next_pause(6_000, Some(40)), WHILE_WRITING);
        assert_eq!(next_pause(120, Some(120)), WHILE_IDLE);
        assert_eq!(next_pause(0, Some(0)), WHILE_IDLE);
        assert_eq!(
            next_pause(120, None),
            WHILE_IDLE,
            "a failed checkpoint waits the long pause"
        );
    }

    #[test]
    fn a_checkpoint_reports_the_frames_the_wal_holds() {
        let directory = std::env::temp_dir().join(format!("spotplan-checkpoint-{}", std::process::id()));
        std::fs::create_dir_all(&directory).expect("a temporary directory");
        let path = directory.join("log.sqlite3");
        let writer = Connection::open(&path).expect("open");
        writer.pragma_update(None, "journal_mode", "WAL").expect("WAL");
        writer
            .pragma_update(None, "wal_autocheckpoint", 0)
            .expect("no automatic checkpoint");
        writer.execute_batch("CREATE TABLE t (x INTEGER)").expect("a table");
        let checkpointer = Connection::open(&path).expect("open");
        let before = checkpoint(&checkpointer).expect("a checkpoint");
        for x in 0..3 {
            writer.execute("INSERT INTO t VALUES (?1)", [x]).expect("a write");
        }
        let after = checkpoint(&checkpointer).expect("a checkpoint");
        assert!(after > before, "three commits add frames: {before} then {after}");
        assert_eq!(next_pause(before, Some(after)), WHILE_WRITING);
        assert_eq!(
            checkpoint(&checkpointer).expect("a checkpoint"),
            after,
            "nothing written since"
        );
        drop((writer, checkpointer));
        let _ = std::fs::remove_dir_all(&directory);
    }
}

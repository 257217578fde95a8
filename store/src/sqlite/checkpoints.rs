//! WAL checkpoints off the writer's thread.
//!
//! SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL
//! past 1,000 pages: it copies them all into the database file and syncs both
//! files, and the writer (with every client waiting on it) stalls for that,
//! 20 to 130 ms under load. Here the writer only notes the WAL's size after
//! each commit (a WAL hook) and, every `NUDGE_FRAMES` new pages, wakes a
//! checkpointer thread that does the copying over its own connection (a
//! `PASSIVE` checkpoint never blocks the writer). Every page more, not past
//! a size: a checkpoint syncs both files, and one after every commit (the WAL
//! stays past any size until it is rewound) was a thousand syncs a second.
//!
//! A WAL is only rewound to its start when a checkpoint has copied all of it
//! and the writer then begins a transaction; a writer that never pauses never
//! lets the background checkpoint catch up. So past `REWIND_FRAMES` the writer
//! runs a checkpoint itself between two batches: the checkpointer has already
//! copied nearly everything, so it copies only the last few pages, and the
//! next transaction rewinds the WAL. The WAL stays under about
//! `REWIND_FRAMES` pages.
//!
//! At close, the writer's connection, the last one open, copies the whole WAL
//! into the database file ([`checkpoint_all`]).

use rusqlite::hooks::Wal;
use rusqlite::Connection;
use std::cell::Cell;
use std::ffi::c_int;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// SQLite's own automatic-checkpoint interval.
const NUDGE_FRAMES: i32 = 1_000;
/// 4,000 pages: 16 MiB of WAL at the default page size.
const REWIND_FRAMES: i32 = 4_000;

thread_local! {
    /// Pages in the WAL after the last commit on this thread's connection.
    static WAL_FRAMES: Cell<i32> = const { Cell::new(0) };
}

fn record_wal_frames(_: &Wal, frames: c_int) -> rusqlite::Result<()> {
    WAL_FRAMES.with(|cell| cell.set(frames));
    Ok(())
}

/// The writer's side. Build it on the writer's thread (the WAL hook records
/// into a thread-local).
pub(crate) struct Checkpoints {
    nudge: SyncSender<()>,
    /// The WAL's size at the last nudge.
    nudged_at: Cell<i32>,
}

impl Checkpoints {
    /// Replaces SQLite's automatic checkpoint on `conn` (the writer's) and
    /// returns the writer's side with the receiver for `run_checkpointer`.
    pub(crate) fn install(conn: &Connection) -> (Checkpoints, Receiver<()>) {
        conn.wal_hook(Some(record_wal_frames));
        WAL_FRAMES.with(|cell| cell.set(0));
        // One pending nudge is enough: the checkpointer copies everything
        // committed when it starts.
        let (nudge, nudges) = sync_channel(1);
        let checkpoints = Checkpoints {
            nudge,
            nudged_at: Cell::new(0),
        };
        (checkpoints, nudges)
    }

    /// Call after each commit on `conn`, on the thread that installed.
    pub(crate) fn after_commit(&self, conn: &Connection) {
        let frames = WAL_FRAMES.with(Cell::get);
        if frames < self.nudged_at.get() {
            // Rewound.
            self.nudged_at.set(0);
        }
        if frames >= REWIND_FRAMES {
            WAL_FRAMES.with(|cell| cell.set(0));
            if let Err(e) = checkpoint(conn, "PASSIVE") {
                tracing::warn!(error = %e, frames, "checkpoint on the writer failed");
            }
        } else if frames - self.nudged_at.get() >= NUDGE_FRAMES {
            self.nudged_at.set(frames);
            // Full: a nudge is already waiting. Disconnected: no checkpointer
            // (it could not open its connection); the writer's own checkpoints
            // above still bound the WAL.
            let _ = self.nudge.try_send(());
        }
    }
}

/// Runs `PRAGMA wal_checkpoint(mode)`: whether some other connection kept it
/// from finishing (busy), the WAL's pages, and how many are in the database.
fn checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<(bool, i64, i64)> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
        Ok((row.get::<_, i64>(0)? != 0, row.get(1)?, row.get(2)?))
    })
}

/// Copies the whole WAL into the database file and empties it (`TRUNCATE`).
/// Call on the last connection before closing it: closing it then removes the
/// WAL. With another connection still reading, the checkpoint cannot finish
/// and the WAL stays (the data is safe in it, but not in the database file
/// alone): that is a bug, logged.
pub(crate) fn checkpoint_all(conn: &Connection) {
    match checkpoint(conn, "TRUNCATE") {
        Ok((false, _, _)) => {}
        Ok((true, frames, copied)) => tracing::error!(
            frames,
            copied,
            "the last checkpoint could not finish (another connection is reading): \
             the WAL stays beside the database"
        ),
        Err(e) => tracing::error!(
            error = %e,
            "the last checkpoint failed: the WAL stays beside the database"
        ),
    }
}

/// The checkpointer thread, over its own connection: a `PASSIVE` checkpoint
/// per nudge, until the writer drops its `Checkpoints`; then it closes its
/// connection (before the writer closes its own, which is the last and
/// removes the WAL).
pub(crate) fn run_checkpointer(conn: Connection, nudges: Receiver<()>) {
    for () in nudges {
        match checkpoint(&conn, "PASSIVE") {
            Ok((_, frames, copied)) => tracing::debug!(frames, copied, "checkpoint"),
            Err(e) => tracing::warn!(error = %e, "checkpoint failed"),
        }
    }
    if let Err((_, e)) = conn.close() {
        tracing::warn!(error = %e, "closing the checkpointer's connection failed");
    }
}

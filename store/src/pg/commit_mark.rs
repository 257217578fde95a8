//! Whether a batch whose `COMMIT` lost its connection was committed.
//!
//! When the connection breaks while `COMMIT` is on its way, the batch may or
//! may not be committed. Answering 503 would be wrong when it was (a client
//! retrying would post its message twice), and running it again would be
//! wrong too. So each batch inserts its own id into `agora_commits` in its
//! transaction (in the same round trip as its `COMMIT`: no extra cost), and
//! after such a failure the writer looks for it on a new connection, under
//! the write lock: the broken transaction held that lock until it ended,
//! so by then it has either committed (the row is there: its outcomes
//! stand) or rolled back (the row is not: the batch runs again). Rows older
//! than an hour are deleted as batches go.

use crate::pg::connection::PgConn;
use agora_core::time::UnixMillis;
use std::fmt::Write;
use std::sync::atomic::{AtomicU32, Ordering};

/// How long a batch's row is kept: far longer than any reconnection.
const KEPT_MS: i64 = 3_600_000;
/// Old rows are deleted by one batch in this many.
const PRUNE_EVERY: u64 = 1024;

/// A batch's id: the writer's random nonce and its batch counter.
pub(crate) struct CommitMark {
    id: [u8; 16],
    at: UnixMillis,
    prune: bool,
}

impl CommitMark {
    pub(crate) fn new(nonce: u64, batch: u64, at: UnixMillis) -> CommitMark {
        let mut id = [0; 16];
        id[..8].copy_from_slice(&nonce.to_be_bytes());
        id[8..].copy_from_slice(&batch.to_be_bytes());
        CommitMark {
            id,
            at,
            prune: batch % PRUNE_EVERY == 0,
        }
    }

    /// The end of the batch's transaction, in one round trip: its row,
    /// sometimes the pruning of old rows, the `NOTIFY` when it recorded
    /// events, and `COMMIT`. Only hex digits and integers are spliced in.
    pub(crate) fn commit_sql(&self, notify: Option<&str>) -> String {
        let mut sql = String::from("INSERT INTO agora_commits (id, at) VALUES ('\\x");
        for byte in self.id {
            let _ = write!(sql, "{byte:02x}");
        }
        let _ = write!(sql, "'::bytea, {}); ", self.at.0);
        if self.prune {
            let _ = write!(
                sql,
                "DELETE FROM agora_commits WHERE at < {}; ",
                self.at.0 - KEPT_MS
            );
        }
        if let Some(channel) = notify {
            let _ = write!(sql, "NOTIFY {channel}; ");
        }
        sql.push_str("COMMIT");
        sql
    }

    /// Whether the batch was committed, read on `conn` inside a transaction
    /// that holds the write lock (see the module's doc).
    pub(crate) fn was_committed(&self, conn: &mut PgConn) -> Result<bool, postgres::Error> {
        crate::pg::writer::begin(conn)?;
        let found = conn.query_opt(
            "SELECT 1 FROM agora_commits WHERE id = $1",
            &[&self.id.as_slice()],
        )?;
        conn.batch("ROLLBACK")?;
        Ok(found.is_some())
    }
}

/// Failures a test asks the writer to play at its next commits.
#[derive(Default, Debug)]
pub struct CommitFaults {
    /// Batches whose connection "breaks" before `COMMIT` reaches the server
    /// (the writer rolls back and reports a broken connection).
    pub lost_before_commit: AtomicU32,
    /// Batches whose connection "breaks" after the server committed, before
    /// the answer (the writer commits and reports a broken connection).
    pub lost_after_commit: AtomicU32,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum CommitFault {
    LostBeforeCommit,
    LostAfterCommit,
}

impl CommitFaults {
    pub(crate) fn take(&self) -> Option<CommitFault> {
        let take = |count: &AtomicU32| {
            count
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                .is_ok()
        };
        if take(&self.lost_before_commit) {
            Some(CommitFault::LostBeforeCommit)
        } else if take(&self.lost_after_commit) {
            Some(CommitFault::LostAfterCommit)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commit_statement_holds_only_hex_and_numbers() {
        let mark = CommitMark::new(0x0102_0304_0506_0708, 1024, UnixMillis(5_000_000));
        assert_eq!(
            mark.commit_sql(Some("agora_events")),
            "INSERT INTO agora_commits (id, at) VALUES \
             ('\\x01020304050607080000000000000400'::bytea, 5000000); \
             DELETE FROM agora_commits WHERE at < 1400000; NOTIFY agora_events; COMMIT"
        );
        let mark = CommitMark::new(1, 1, UnixMillis(7));
        assert_eq!(
            mark.commit_sql(None),
            "INSERT INTO agora_commits (id, at) VALUES \
             ('\\x00000000000000010000000000000001'::bytea, 7); COMMIT"
        );
    }
}

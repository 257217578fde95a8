//! Whether a batch whose `COMMIT` lost its answer was committed.
//!
//! When the connection breaks while `COMMIT` is on its way, the batch may or
//! may not be committed. Answering 503 would be wrong when it was (a client
//! retrying would post its message twice), and running it again would be
//! wrong too. PostgreSQL keeps the fate of every recent transaction: the
//! writer learns its transaction's id in the round trip that begins it, and
//! after such a failure asks for that id's status on a new connection,
//! under the write lock: the broken transaction held that lock until it
//! ended, so by then it has either committed (its outcomes stand) or rolled
//! back (the batch runs again).

use crate::pg::connection::{PgConn, PgResult};
use crate::pg::WRITE_LOCK;
use std::sync::atomic::{AtomicU32, Ordering};

/// Whether transaction `xid` committed (`None`: PostgreSQL no longer knows),
/// read on `conn` inside a transaction that holds the write lock.
pub(crate) fn was_committed(conn: &mut PgConn, xid: i64) -> PgResult<Option<bool>> {
    conn.batch(&format!(
        "BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"
    ))?;
    let status: Option<String> = conn.query_one("SELECT txid_status($1)", &[&xid])?.get(0);
    conn.batch("ROLLBACK")?;
    Ok(match status.as_deref() {
        Some("committed") => Some(true),
        Some("aborted") => Some(false),
        _ => None,
    })
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
    /// Batches whose connection "breaks" after the server committed, and
    /// whose fate cannot be learnt afterwards (as when PostgreSQL no longer
    /// knows the transaction): the writer answers 503, its commit hidden.
    pub lost_after_commit_unknown: AtomicU32,
}

/// Where a faulty commit's connection is lost.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum CommitFault {
    BeforeCommit,
    AfterCommit,
    AfterCommitUnknown,
}

impl CommitFaults {
    pub(crate) fn take(&self) -> Option<CommitFault> {
        let take = |count: &AtomicU32| {
            count
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                .is_ok()
        };
        if take(&self.lost_before_commit) {
            Some(CommitFault::BeforeCommit)
        } else if take(&self.lost_after_commit) {
            Some(CommitFault::AfterCommit)
        } else if take(&self.lost_after_commit_unknown) {
            Some(CommitFault::AfterCommitUnknown)
        } else {
            None
        }
    }
}

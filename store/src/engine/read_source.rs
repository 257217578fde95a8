//! [`ReadSource`]: what the reader threads read through; each wing has one
//! (`sqlite::reading`, `pg::reading`).

use crate::engine::status_memo::state::CommittedState;
use crate::engine::status_memo::StatusReads;
use crate::error::ApplyError;
use agora_core::token::TokenHash;
use agora_core::view::{StoreError, View};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A backend's read side: a reader thread's connection and the read
/// transactions (consistent snapshots) it runs over it.
pub(crate) trait ReadSource: Send + Sync + 'static {
    /// A reader thread's connection, opened again after a failure.
    type Conn: Send + 'static;
    type View<'c>: View
    where
        Self: 'c;

    /// Runs `read` in a read-only transaction of its own. After a failure
    /// the connection is closed (its state is unknown) and opened again on
    /// the next read; a backend may run `read` again on a new connection.
    fn snapshot<T>(
        &self,
        conn: &mut Self::Conn,
        read: impl FnMut(&mut Self::View<'_>) -> Result<T, StoreError>,
    ) -> Result<T, ApplyError>;

    /// Before a page of events is read: bring the hub up to date with the
    /// database, when others write to it.
    fn before_events(&self, _conn: &mut Self::Conn) -> Result<(), ApplyError> {
        Ok(())
    }

    /// (issue 23) Whether this backend gives a [`committed_state`] and
    /// [`status_reads`]: then `Status` is memoized by committed state
    /// (`status_memo::state`), exact whoever else writes.
    ///
    /// [`committed_state`]: ReadSource::committed_state
    /// [`status_reads`]: ReadSource::status_reads
    const STATUS_BY_STATE: bool = false;

    /// A value equal at two moments only if nothing committed in between,
    /// from any process (see `status_memo::state`).
    fn committed_state(&self, _conn: &mut Self::Conn) -> Result<CommittedState, ApplyError> {
        Err(ApplyError::View(StoreError(
            "this backend has no committed state".into(),
        )))
    }

    /// What `Status` reads for `caller`, with the committed state it was
    /// read at, from one snapshot.
    fn status_reads(
        &self,
        _conn: &mut Self::Conn,
        _caller: &TokenHash,
    ) -> Result<(StatusReads, CommittedState), ApplyError> {
        Err(ApplyError::View(StoreError(
            "this backend has no committed state".into(),
        )))
    }
}

/// The result of `read` run under `catch_unwind` (a bug in the rules must
/// not take a reader thread down).
pub(crate) fn guarded<T>(read: impl FnOnce() -> Result<T, StoreError>) -> Result<T, ApplyError> {
    match catch_unwind(AssertUnwindSafe(read)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(ApplyError::View(e)),
        Err(_) => Err(ApplyError::Panicked),
    }
}

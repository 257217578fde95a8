//! [`ReadSource`]: what the reader threads read through, per backend.

use crate::error::{ApplyError, OpenError};
use crate::open::open_reader;
use crate::sql_view::SqlView;
use crate::writer::execute_cached;
use agora_core::view::{StoreError, View};
use rusqlite::Connection;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

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

/// SQLite: read-only connections to the writer's file.
pub(crate) struct SqliteSource {
    pub(crate) path: PathBuf,
}

impl ReadSource for SqliteSource {
    type Conn = Option<Connection>;
    type View<'c> = SqlView<'c>;

    /// `BEGIN` and `ROLLBACK` go through the statement cache: parsing them
    /// for every read showed in profiles.
    fn snapshot<T>(
        &self,
        conn: &mut Option<Connection>,
        mut read: impl FnMut(&mut SqlView<'_>) -> Result<T, StoreError>,
    ) -> Result<T, ApplyError> {
        if conn.is_none() {
            *conn = Some(open_reader(&self.path).map_err(reopen_failed)?);
        }
        let Some(open) = conn.as_ref() else {
            unreachable!("opened above");
        };
        let result = execute_cached(open, "BEGIN").and_then(|()| {
            let value = guarded(|| read(&mut SqlView::new(open)));
            // Nothing was written: ending the snapshot is a rollback.
            let ended = execute_cached(open, "ROLLBACK");
            let value = value?;
            ended.map(|()| value)
        });
        if result.is_err() {
            *conn = None;
        }
        result
    }
}

fn reopen_failed(e: OpenError) -> ApplyError {
    ApplyError::View(StoreError(format!(
        "cannot open a read-only connection: {e}"
    )))
}

//! The SQLite read side: read-only connections to the writer's file, one
//! per reader thread, each read in a transaction of its own.

use super::execute_cached;
use super::open::open_reader;
use super::view::SqlView;
use crate::engine::read_source::{guarded, ReadSource};
use crate::error::{ApplyError, OpenError};
use agora_core::view::StoreError;
use rusqlite::Connection;
use std::path::PathBuf;

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

//! The SQLite wing: one database file in WAL mode, a writer connection that
//! alone changes it, read-only connections for the readers, and a
//! checkpointer.
//!
//! - `start`: opening the file and the connections, the hub from the newest
//!   event, the engine's threads over them.
//! - `open`: the connections (the writer's creates and migrates the file);
//!   [`schema`]: the tables and their versioned migrations.
//! - `wing`: the engine's [`Wing`](crate::engine::wing::Wing) over the writer's
//!   connection; `reading`: the readers' `ReadSource`.
//! - `view`: [`SqlView`](view::SqlView), the rules' `View` over an open
//!   transaction, with the writer's `row_cache`; `idempotency_keys`: the
//!   key log over the same view.
//! - `search`: the FTS5 index and its vocabulary; `term_counts`: the
//!   vocabulary's changes of a batch, written at its commit.
//! - `file_watch`: whether the paths still name the files the writer has
//!   open; `checkpoints`: WAL checkpoints off the writer's thread.

mod accounts;
mod checkpoints;
mod edits;
pub(crate) mod file_watch;
mod idempotency_keys;
pub(crate) mod open;
mod reading;
pub(crate) mod row_cache;
pub mod schema;
// (issue 27)
pub(crate) mod search;
mod start;
pub(crate) mod term_counts;
pub(crate) mod view;
pub(crate) mod wing;

pub(crate) use start::start;

use crate::error::ApplyError;
use rusqlite::Connection;

/// Runs one statement through the connection's statement cache: the
/// transaction and savepoint statements run once per batch or command (and
/// a reader's `BEGIN` and `ROLLBACK` once per read), so parsing them each
/// time would show.
pub(crate) fn execute_cached(conn: &Connection, statement: &'static str) -> Result<(), ApplyError> {
    conn.prepare_cached(statement)
        .and_then(|mut prepared| prepared.execute([]))
        .map(drop)
        .map_err(|source| ApplyError::Statement { statement, source })
}

//! Opening the read-write connection (pragmas, migrations) and the others.

use crate::schema::migrate;
use crate::{OpenError, StoreConfig, SyncMode};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// Enough for every statement `SqlView` prepares, with room to spare.
const STATEMENT_CACHE: usize = 64;

/// Opens (creating it if needed) and migrates the database at `config.path`,
/// with the writer's pragmas (WAL, `config.sync`, `busy_timeout`, foreign
/// keys). The writer uses it; tests and tools may too (only `path`, `sync`
/// and `clock` are read).
pub fn open_connection(config: &StoreConfig) -> Result<Connection, OpenError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        OpenError(format!("{}: {what}: {e}", config.path.display()))
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn =
        Connection::open_with_flags(&config.path, flags).map_err(|e| fail("open", &e))?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(|e| fail("journal_mode", &e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(fail("journal_mode", &format!("WAL refused (got {mode})")));
    }
    let sync = match config.sync {
        SyncMode::Full => "FULL",
        SyncMode::Normal => "NORMAL",
    };
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {sync}; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;"
    ))
    .map_err(|e| fail("pragmas", &e))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    migrate(&mut conn, config.clock.now()).map_err(|e| fail("schema", &e))?;
    Ok(conn)
}

/// Opens a read-write connection for the checkpointer: no schema work, and
/// `synchronous=FULL` so that each checkpoint syncs the WAL before copying it
/// and the database file after.
pub(crate) fn open_checkpoint_connection(path: &Path) -> Result<Connection, OpenError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let fail = |e: rusqlite::Error| OpenError(format!("{}: checkpointer: {e}", path.display()));
    let conn = Connection::open_with_flags(path, flags).map_err(fail)?;
    conn.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA synchronous = FULL;")
        .map_err(fail)?;
    Ok(conn)
}

/// Opens a read-only connection to the database the writer created, for the
/// read path. WAL mode is a property of the file, so it needs no pragma.
pub(crate) fn open_reader(path: &Path) -> Result<Connection, OpenError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| OpenError(format!("{}: open read-only: {e}", path.display())))?;
    conn.execute_batch("PRAGMA busy_timeout = 5000;")
        .map_err(|e| OpenError(format!("{}: pragmas: {e}", path.display())))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

//! Opening the read-write connection: pragmas, migrations, and the clock floor.

use crate::clock::system_now;
use crate::schema::migrate;
use crate::{OpenError, StoreConfig, SyncMode};
use agora_core::time::UnixMillis;
use rusqlite::{Connection, OpenFlags};

/// Enough for every statement `SqlView` prepares, with room to spare.
const STATEMENT_CACHE: usize = 64;

/// Opens (creating it if needed) and migrates the database at `config.path`,
/// with the writer's pragmas (WAL, `config.sync`, `busy_timeout`, foreign
/// keys). The writer uses it; tests and tools may too (only `path` and `sync`
/// are read).
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
    migrate(&mut conn, system_now()).map_err(|e| fail("schema", &e))?;
    Ok(conn)
}

/// The newest instant already written: the writer's clock never goes below it.
/// Ids follow commit order and the clock is monotonic, so the newest rows by id
/// carry the newest times; both lookups are a step down a b-tree, not a scan.
pub(crate) fn newest_instant(conn: &Connection) -> Result<UnixMillis, OpenError> {
    let newest: i64 = conn
        .query_row(
            "SELECT max(
                 coalesce((SELECT pub_date FROM messages ORDER BY id DESC LIMIT 1), 0),
                 coalesce((SELECT created FROM comments ORDER BY id DESC LIMIT 1), 0),
                 coalesce((SELECT created FROM chats ORDER BY id DESC LIMIT 1), 0),
                 coalesce((SELECT created FROM users ORDER BY id DESC LIMIT 1), 0))",
            [],
            |row| row.get(0),
        )
        .map_err(|e| OpenError(format!("reading the newest instant: {e}")))?;
    Ok(UnixMillis(newest))
}

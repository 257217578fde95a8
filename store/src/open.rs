//! Opening the read-write connection: pragmas, migrations, and the clock floor.

use crate::clock::system_now;
use crate::schema::migrate;
use crate::{OpenError, StoreConfig, SyncMode};
use agora_core::time::UnixMillis;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

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

/// The newest instant already written, from the newest row of each table.
/// Ids follow commit order and the writer's clock is monotonic, so the newest
/// rows by id carry the newest times; `max(id)` is a step down a b-tree, so
/// this stays instant on a large database.
const NEWEST_INSTANT: &str = "SELECT max(
    coalesce((SELECT pub_date FROM messages WHERE id = (SELECT max(id) FROM messages)), 0),
    coalesce((SELECT created FROM comments WHERE id = (SELECT max(id) FROM comments)), 0),
    coalesce((SELECT created FROM chats WHERE id = (SELECT max(id) FROM chats)), 0),
    coalesce((SELECT created FROM users WHERE id = (SELECT max(id) FROM users)), 0))";

/// The writer's clock never goes below this, even if the system clock stepped
/// back while the server was down.
pub(crate) fn newest_instant(conn: &Connection) -> Result<UnixMillis, OpenError> {
    conn.query_row(NEWEST_INSTANT, [], |row| row.get(0))
        .map(UnixMillis)
        .map_err(|e| OpenError(format!("reading the newest instant: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Start-up reads no table in full, however large the database.
    #[test]
    fn newest_instant_searches_and_never_scans() {
        let dir = tempfile::tempdir().unwrap();
        let config = StoreConfig {
            path: dir.path().join("agora.db"),
            ..StoreConfig::default()
        };
        let conn = open_connection(&config).unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {NEWEST_INSTANT}"))
            .unwrap()
            .query_map([], |row| row.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter().any(|step| step.starts_with("SEARCH")),
            "{plan:?}"
        );
        let scans_a_table = |step: &String| step.starts_with("SCAN") && step != "SCAN CONSTANT ROW";
        assert!(!plan.iter().any(scans_a_table), "{plan:?}");
        let created: i64 = conn
            .query_row("SELECT created FROM chats WHERE id = 1", [], |r| r.get(0))
            .unwrap();
        assert_eq!(newest_instant(&conn).unwrap(), UnixMillis(created));
    }
}

//! Opening the connections: the writer's (creating the file, private to its
//! owner, with pragmas and migrations), the checkpointer's and the readers'.

use super::schema::migrate;
use crate::config::SyncMode;
use crate::error::OpenError;
use agora_core::time::UnixMillis;
use rusqlite::{Connection, OpenFlags};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Enough for every statement `SqlView` prepares, with room to spare.
const STATEMENT_CACHE: usize = 64;

/// Opens (creating it if needed) and migrates the database at `path`, with
/// the writer's pragmas (WAL, `sync`, `busy_timeout`, foreign keys); `now`
/// dates the migrations. The writer uses it.
pub(crate) fn open_connection(
    path: &Path,
    sync: SyncMode,
    now: UnixMillis,
) -> Result<Connection, OpenError> {
    create_private(path)?;
    let fail = |source| OpenError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(fail)?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(fail)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(OpenError::NoWal {
            path: path.to_path_buf(),
            mode,
        });
    }
    let sync = match sync {
        SyncMode::Full => "FULL",
        SyncMode::Normal => "NORMAL",
    };
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {sync}; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;"
    ))
    .map_err(fail)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    migrate(&mut conn, now).map_err(|source| OpenError::Schema {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(conn)
}

/// The writer's connection to the SQLite database `config` names (see
/// [`open_connection`]), for tests.
#[cfg(feature = "test-hooks")]
pub fn open_database(config: &crate::config::StoreConfig) -> Result<Connection, OpenError> {
    match &config.backend {
        crate::config::Backend::Sqlite { path, sync } => {
            open_connection(path, *sync, config.clock.now())
        }
        crate::config::Backend::Postgres { .. } => {
            Err(OpenError::Unsupported("open_database on PostgreSQL"))
        }
    }
}

/// Creates the database file, if there is none, readable and writable by its
/// owner only: it holds private messages. SQLite gives the `-wal` and `-shm`
/// files it creates the database file's permissions, so they are private too.
/// An existing file keeps the permissions it has.
fn create_private(path: &Path) -> Result<(), OpenError> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|source| OpenError::Create {
            path: path.to_path_buf(),
            source,
        })
}

/// Opens a read-write connection for the checkpointer: no schema work, and
/// `synchronous=FULL` so that each checkpoint syncs the WAL before copying it
/// and the database file after.
pub(crate) fn open_checkpoint_connection(path: &Path) -> Result<Connection, OpenError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    open_ready("checkpointer", path, flags, "PRAGMA synchronous = FULL;")
}

/// Opens a read-only connection to the database the writer created, for the
/// read path. WAL mode is a property of the file, so it needs no pragma.
pub(crate) fn open_reader(path: &Path) -> Result<Connection, OpenError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = open_ready("reader", path, flags, "")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// Opens a second connection to the writer's database and reads from it once:
/// SQLite opens the WAL (another file descriptor) on a connection's first
/// read, and that must fail here, at start, rather than on a client's request.
fn open_ready(
    role: &'static str,
    path: &Path,
    flags: OpenFlags,
    pragmas: &str,
) -> Result<Connection, OpenError> {
    let ready = |conn: &Connection| {
        conn.execute_batch(&format!("PRAGMA busy_timeout = 5000; {pragmas}"))?;
        conn.pragma_query_value(None, "schema_version", |row| row.get::<_, i64>(0))
    };
    Connection::open_with_flags(path, flags)
        .and_then(|conn| ready(&conn).map(|_| conn))
        .map_err(|source| OpenError::Connection {
            role,
            path: path.to_path_buf(),
            source,
        })
}

/// The newest event's id, the hub's starting point (0 for none).
pub(crate) fn newest_event(conn: &Connection) -> Result<agora_core::events::EventId, OpenError> {
    conn.query_row("SELECT coalesce(max(id), 0) FROM events", [], |row| {
        row.get(0)
    })
    .map_err(|source| OpenError::Events { source })
}

/// (issue 25) Every room membership, `(room, user)`: the hub's picture of
/// who gets a room's events, read at start.
pub(crate) fn room_memberships(
    conn: &Connection,
) -> Result<Vec<(agora_core::view::ChatId, agora_core::view::UserId)>, OpenError> {
    conn.prepare(
        "SELECT m.chat_id, m.user_id FROM members m JOIN chats c ON c.id = m.chat_id
         WHERE c.room_key IS NOT NULL",
    )
    .and_then(|mut stmt| {
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect()
    })
    .map_err(|source| OpenError::Events { source })
}

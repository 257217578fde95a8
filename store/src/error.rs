//! The store's errors. Each message names the database once and, where the
//! operator can do something about it, says what.

use crate::pg::connection::describe;
use std::path::{Path, PathBuf};

/// What an operator can check when the database file cannot be created.
const CHECK_THE_FOLDER: &str =
    "check that its folder exists and is writable, or pass another path with --db";
/// ... or when SQLite cannot use it.
const CHECK_THE_FILE: &str =
    "check that it is an agora database that this user can write, or pass another path with --db";

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The file could not be created (with owner-only permissions).
    #[error("cannot open the database {}: {source}; {CHECK_THE_FOLDER}", path.display())]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// SQLite could not open the file or set up the connection.
    #[error("cannot open the database {}: {}; {CHECK_THE_FILE}",
        path.display(), without_path(source, path))]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The file system would not take WAL mode (a network file system, say).
    #[error("cannot open the database {}: it refused WAL mode (journal mode {mode}); \
        keep the database on a local file system", path.display())]
    NoWal { path: PathBuf, mode: String },
    #[error("cannot open the database {}: {source}", path.display())]
    Schema {
        path: PathBuf,
        #[source]
        source: MigrationError,
    },
    /// A reader's or the checkpointer's connection, opened at start so that a
    /// lack of file descriptors shows now rather than as failed reads later.
    #[error("cannot open the {role} connection to the database {}: {}; \
        is the open-file limit (ulimit -n) too low?", path.display(), without_path(source, path))]
    Connection {
        role: &'static str,
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The newest event could not be read (the live-delivery hub starts
    /// from it).
    #[error("cannot read the newest event: {source}")]
    Events {
        #[source]
        source: rusqlite::Error,
    },
    /// PostgreSQL could not be reached or refused the connection.
    #[error(
        "cannot connect to the database {url} ({role}): {}; check that PostgreSQL \
        runs there, that the database exists and that this user may connect to it",
        describe(source)
    )]
    Postgres {
        url: String,
        role: &'static str,
        #[source]
        source: postgres::Error,
    },
    #[error("cannot open the database {url}: {source}")]
    PostgresSchema {
        url: String,
        #[source]
        source: MigrationError,
    },
    /// The newest event could not be read from PostgreSQL.
    #[error("cannot read the newest event from {url}: {}", describe(source))]
    PostgresEvents {
        url: String,
        #[source]
        source: postgres::Error,
    },
    /// (issue 25) The room memberships could not be read from PostgreSQL.
    #[error("cannot read the room memberships from {url}: {message}")]
    PostgresRooms { url: String, message: String },
    #[error("not supported by this backend: {0}")]
    Unsupported(&'static str),
    /// (issue 28) The database was written by nodes with another server
    /// secret (the server's message names the secret file to copy).
    #[error("this database was written with another secret file")]
    OtherSecret,
    /// (issue 28) The server secret's verifier could not be read or written.
    #[error("cannot check the server secret against the database: {0}")]
    Verifier(String),
    #[error("cannot start the store's {name} thread: {source}")]
    Thread {
        name: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// Why the schema could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("reading the schema version: {0}")]
    ReadVersion(#[source] rusqlite::Error),
    #[error("the database has schema version {found}, newer than this build's {supported}")]
    Newer { found: i64, supported: i64 },
    #[error("PostgreSQL schema migration {version} failed: {}", describe(source))]
    Postgres {
        version: i64,
        #[source]
        source: postgres::Error,
    },
    #[error("schema migration {version} failed: {source}")]
    Failed {
        version: i64,
        #[source]
        source: rusqlite::Error,
    },
}

/// Why a command could not be applied (it is answered `store_unavailable`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApplyError {
    #[error(transparent)]
    View(#[from] agora_core::view::StoreError),
    #[error("applying the command panicked")]
    Panicked,
    #[error("{statement} failed: {source}")]
    Statement {
        statement: &'static str,
        #[source]
        source: rusqlite::Error,
    },
}

/// SQLite's message for `error` without the path rusqlite appends to it when
/// a file cannot be opened: the error messages above name the path already.
fn without_path(error: &rusqlite::Error, path: &Path) -> String {
    let message = error.to_string();
    let suffix = format!(": {}", path.display());
    match message.strip_suffix(&suffix) {
        Some(reason) => reason.to_owned(),
        None => message,
    }
}

//! agora's durable store: SQLite through rusqlite (or PostgreSQL, for
//! several nodes on one database: see `pg`), one writer thread with group
//! commit, and the [`Handle`] the adapters call.
//!
//! - [`schema`]: the SQLite tables and their versioned migrations.
//! - `pg` (private): the PostgreSQL backend (its schema, `PgView`, its
//!   writer whose batches take one advisory lock, its readers, and the
//!   feed of the hub from the `events` table); selected by
//!   [`StoreConfig::postgres`]. [`Handle`] is the same for both.
//!   [`copy_sqlite_to_postgres`] (`agora-server migrate`) moves a SQLite
//!   database into an empty PostgreSQL one.
//! - `overlay` (private): the rules' `View` over one batch's rows in
//!   memory, loaded in one round trip and flushed in one (PostgreSQL's
//!   writer runs its batches through it: `pg::batch_rows`).
//! - `read_source` (private): what the reader threads read through, per
//!   backend.
//! - [`SqlView`]: the rules' `View` over an open transaction, with the
//!   writer's [`RowCache`] of the rows every command looks up first.
//! - the writer (private): batches of commands, one transaction each (a
//!   failing command rolls back alone), replies only after `COMMIT`.
//! - the read path (private): `Status` is replayed from a memo on the
//!   caller's thread, or read by reader threads over read-only connections,
//!   without waiting for the writer.
//! - [`Handle`]: `open`, `submit`, `shutdown`; [`Pending`], a submitted
//!   command's outcome to come.
//! - health (private): `GET /health`'s answer from the last reads, or a
//!   probe on a reader thread; [`StoreObserver`]: what metrics are told.

mod checkpoints;
mod clock;
mod error;
mod event_columns;
mod file_watch;
mod handle;
mod health;
mod hub;
mod idempotency_keys;
mod observe;
mod open;
mod overlay;
mod pending;
mod pg;
mod read_source;
mod readers;
mod row_cache;
pub mod schema;
mod sql_view;
mod status_cache;
mod writer;

pub use clock::Clock;
pub use error::{MigrationError, OpenError};
pub use handle::Handle;
pub use health::FRESH as HEALTH_FRESH;
pub use hub::{
    Encoded, Hub, Published, Subscription, Taken, Watch, RING_BYTES as EVENT_RING_BYTES,
};
pub use observe::{Observer, StoreObserver};
pub use open::open_connection as open_database;
pub use pending::{Pending, StoreGone, WaitError};
pub use pg::import::{copy_sqlite_to_postgres, Copied, CopyError, TableCopied};
pub use pg::lost_commit::CommitFaults;
pub use pg::url::{InvalidUrl, PostgresUrl};
pub use row_cache::RowCache;
pub use sql_view::SqlView;
pub use writer::ApplyFn;

use agora_core::config::Config;
use std::path::PathBuf;

/// SQLite's `synchronous` setting for the WAL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncMode {
    /// Every commit is on disk before it is acknowledged (the default).
    Full,
    /// Commits survive a process crash but may be lost on power loss.
    Normal,
}

/// Where the database lives and how the writer runs.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// The database file; it and its schema are created on first start.
    /// Not used when `postgres` is set.
    pub path: PathBuf,
    /// PostgreSQL instead of SQLite: the database (which must exist; its
    /// tables are created and migrated at start). Several processes may
    /// share it (see the `pg` module).
    pub postgres: Option<PostgresUrl>,
    pub sync: SyncMode,
    /// Commands waiting for the writer before `submit` answers `Busy`.
    pub queue_capacity: usize,
    /// Most commands in one transaction (1: one commit per command).
    pub batch_max: usize,
    /// The chat rules' settings, passed to `rules::apply`.
    pub rules: Config,
    /// Reader threads for reads (each with a read-only connection): `Status`,
    /// the pages of `Connect` and `Comments`, and `Events`. 0 sends every
    /// command through the writer, and then `Events` is not served.
    pub readers: usize,
    /// An event subscriber whose unread events pass this many bytes is cut
    /// (its stream ends; the client resumes from its last event id).
    pub event_inbox_bytes: usize,
    /// The wall clock for stored times, quota windows and bans: the system's
    /// unless a test gives one it controls.
    pub clock: Clock,
    /// Told of queued jobs, batches, commits and status memo hits (the
    /// server's metrics); none by default.
    pub observer: Observer,
    /// Failures the PostgreSQL writer plays at its next commits: for tests
    /// of what a lost `COMMIT` answer does. None by default.
    #[doc(hidden)]
    pub commit_faults: std::sync::Arc<CommitFaults>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: PathBuf::from("agora.db"),
            postgres: None,
            sync: SyncMode::Full,
            queue_capacity: 4096,
            batch_max: 256,
            rules: Config::default(),
            readers: 2,
            event_inbox_bytes: 1024 * 1024,
            clock: Clock::system(),
            observer: Observer::default(),
            commit_faults: Default::default(),
        }
    }
}

/// The writer's queue is full: answer 503 `overloaded` with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

//! agora's durable store: one group-commit engine over two backends (SQLite
//! through rusqlite, or PostgreSQL for several nodes on one database), and
//! the [`Handle`] the adapters call. See `store/README.md` for the shape and
//! for where a new command's reads and writes go.
//!
//! - `engine` (private): the backend trait (`Wing`), the one writer thread
//!   (batches of commands, one transaction each, a failing command rolled
//!   back alone, replies only after `COMMIT`), the one reader pool, the
//!   `Status` memo; it hands each committed batch's events to `live`.
//! - `live` (private; its [`Hub`], [`Subscription`] and [`Watch`] are
//!   exported): live delivery in one place: the hub, its inboxes and ring
//!   of recent events, publication, and the feed of a hub from a database
//!   others write to (a wing plugs in only its read and its word of
//!   commits: `pg::feed`).
//! - `sqlite` and `pg` (private): the wings, each its connections, schema,
//!   the rules' `View` over a transaction, its `Wing` and its readers'
//!   source; they never import each other. [`StoreConfig::backend`] picks
//!   one; [`Handle`] is the same for both.
//! - `copy` (private): [`copy_sqlite_to_postgres`] (`agora-server migrate`)
//!   moves a SQLite database into an empty PostgreSQL one.
//! - `overlay` (private): the rules' `View` over one batch's rows in
//!   memory, loaded in one round trip and flushed in one; generic over how
//!   a backend loads and flushes (PostgreSQL's wing runs its batches
//!   through it: `pg::batch_rows`).
//! - [`Handle`]: `open`, `submit`, `shutdown`; [`Pending`], a submitted
//!   command's outcome to come; the [`Hub`] of live events.
//! - health (private): `GET /health`'s answer from the last reads, or a
//!   probe on a reader thread; [`StoreObserver`]: what metrics are told.
//!
//! With the `test-hooks` feature (the store's own tests, and tests
//! elsewhere that need it), the SQLite wing's insides are exported too:
//! `SqlView`, `RowCache`, `schema`, `open_database`, `Handle::open_with`
//! and `StoreConfig::commit_faults`. Production builds carry none of them.

mod clock;
mod config;
mod copy;
mod edit_rows;
mod engine;
mod error;
mod event_columns;
mod event_readers;
mod forward;
mod handle;
mod health;
mod history_page;
mod live;
mod locks;
mod membership;
mod observe;
mod overlay;
mod pending;
mod pg;
mod recorded_events;
mod room_rows;
#[cfg(test)]
mod schema_parity;
mod secret_verifier;
mod sqlite;
mod statements;
mod user_rows;

pub use clock::Clock;
pub use config::{Backend, StoreConfig, SyncMode, DEFAULT_DATABASE};
pub use copy::{copy_sqlite_to_postgres, Copied, CopyError, TableCopied};
pub use error::{MigrationError, OpenError};
pub use handle::Handle;
pub use health::FRESH as HEALTH_FRESH;
pub use live::{Hub, Subscription, Taken, Watch, RING_BYTES as EVENT_RING_BYTES};
pub use observe::{Observer, StoreObserver};
pub use pending::{Pending, StoreGone, WaitError};
pub use pg::url::{InvalidUrl, PostgresUrl};

#[cfg(feature = "test-hooks")]
pub use pg::lost_commit::CommitFaults;
#[cfg(feature = "test-hooks")]
pub use sqlite::{open::open_database, row_cache::RowCache, schema, view::SqlView, wing::ApplyFn};

/// The writer's queue is full: answer 503 `overloaded` with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

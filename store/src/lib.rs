//! agora's durable store: SQLite through rusqlite, one writer thread with group
//! commit, and the [`Handle`] the adapters call. (Being written: see issue 4.)

use agora_core::command::{Command, Outcome};
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

#[derive(Clone, Debug)]
pub struct StoreConfig {
    pub path: PathBuf,
    pub sync: SyncMode,
    /// Commands waiting for the writer before `submit` answers `Busy`.
    pub queue_capacity: usize,
    /// Most commands in one transaction.
    pub batch_max: usize,
    pub rules: Config,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: PathBuf::from("agora.db"),
            sync: SyncMode::Full,
            queue_capacity: 4096,
            batch_max: 256,
            rules: Config::default(),
        }
    }
}

/// Why the store could not be opened.
#[derive(Debug)]
pub struct OpenError(pub String);

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot open the database: {}", self.0)
    }
}

impl std::error::Error for OpenError {}

/// The writer's queue is full: answer 503 `overloaded` with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// The outcome of a submitted command, once committed. A `Future` for async
/// adapters, `recv()` for blocking ones. An error means the writer is gone
/// (shut down): answer 503 `store_unavailable`.
pub type Pending = oneshot::Receiver<Outcome>;

/// The cloneable front of the writer thread.
#[derive(Clone)]
pub struct Handle {}

impl Handle {
    /// Opens (creating and migrating if needed) the database and starts the
    /// writer thread.
    pub fn open(config: StoreConfig) -> Result<Handle, OpenError> {
        let _ = config;
        todo!("issue 4")
    }

    /// Queues a command; never blocks.
    pub fn submit(&self, command: Command) -> Result<Pending, Busy> {
        let _ = command;
        todo!("issue 4")
    }

    /// Stops taking commands, commits what is queued, closes the database and
    /// waits for the writer thread to end.
    pub fn shutdown(&self) {
        todo!("issue 4")
    }
}

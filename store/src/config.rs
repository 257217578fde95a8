//! [`StoreConfig`]: where the database lives ([`Backend`]) and how the
//! writer runs; and how many connections the store opens for it.

use crate::clock::Clock;
use crate::observe::Observer;
use crate::pg::url::PostgresUrl;
use agora_core::config::Config;
use std::fmt;
use std::path::PathBuf;

/// The SQLite database file when none is given.
pub const DEFAULT_DATABASE: &str = "agora.db";

/// SQLite's `synchronous` setting for the WAL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SyncMode {
    /// Every commit is on disk before it is acknowledged (the default).
    #[default]
    Full,
    /// Commits survive a process crash but may be lost on power loss.
    Normal,
}

/// Which database, and what only that backend needs.
// Made once at start and read once: the size of the URL's variant costs
// nothing, and a box would only make every caller write one.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Backend {
    /// One SQLite file; it and its schema are created on first start.
    Sqlite { path: PathBuf, sync: SyncMode },
    /// A PostgreSQL database, which must exist (its tables are created and
    /// migrated at start). Several processes may share it (see the `pg`
    /// module).
    Postgres { url: PostgresUrl },
}

/// The database as a log line may show it: a path, or a URL without its
/// password.
impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::Sqlite { path, .. } => write!(f, "{}", path.display()),
            Backend::Postgres { url } => write!(f, "{url}"),
        }
    }
}

/// Where the database lives and how the writer runs.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    pub backend: Backend,
    /// Commands waiting for the writer before `submit` answers `Busy`.
    pub queue_capacity: usize,
    /// Most commands in one transaction (1: one commit per command).
    pub batch_max: usize,
    /// The chat rules' settings, passed to `rules::apply`.
    pub rules: Config,
    /// Reader threads for reads (each with a connection of its own):
    /// `Status`, the pages of `Connect` and `Comments`, and `Events`. 0
    /// sends every command through the writer, and then `Events` is not
    /// served.
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
    /// (issue 28) The server secret's verifier
    /// (`ServerSecret::verifier`): written by the first start, compared by
    /// every later one (`crate::secret_verifier`). `None` (the default, for
    /// in-process tests) checks nothing.
    pub secret_verifier: Option<[u8; 32]>,
    /// Failures the PostgreSQL writer plays at its next commits: for tests
    /// of what a lost `COMMIT` answer does. None by default.
    #[cfg(feature = "test-hooks")]
    pub commit_faults: std::sync::Arc<crate::pg::lost_commit::CommitFaults>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            backend: Backend::Sqlite {
                path: PathBuf::from(DEFAULT_DATABASE),
                sync: SyncMode::Full,
            },
            queue_capacity: 4096,
            batch_max: 256,
            rules: Config::default(),
            readers: 2,
            event_inbox_bytes: 1024 * 1024,
            clock: Clock::system(),
            observer: Observer::default(),
            secret_verifier: None,
            #[cfg(feature = "test-hooks")]
            commit_faults: Default::default(),
        }
    }
}

impl StoreConfig {
    /// The defaults, on the SQLite file at `path` (`synchronous=FULL`).
    pub fn sqlite(path: impl Into<PathBuf>) -> StoreConfig {
        StoreConfig {
            backend: Backend::Sqlite {
                path: path.into(),
                sync: SyncMode::Full,
            },
            ..StoreConfig::default()
        }
    }

    /// The defaults, on the PostgreSQL database at `url`.
    pub fn postgres(url: PostgresUrl) -> StoreConfig {
        StoreConfig {
            backend: Backend::Postgres { url },
            ..StoreConfig::default()
        }
    }

    /// The database connections the store keeps open: the writer's and each
    /// reader's, and on PostgreSQL the listener's: what the server's
    /// open-file budget counts (SQLite's checkpointer is left to its
    /// reserve).
    pub fn connections(&self) -> usize {
        let wing = match self.backend {
            Backend::Sqlite { .. } => 0,
            Backend::Postgres { .. } => 1,
        };
        1 + self.readers + wing
    }

    /// The commit faults a test set, or none.
    pub(crate) fn commit_faults(&self) -> std::sync::Arc<crate::pg::lost_commit::CommitFaults> {
        #[cfg(feature = "test-hooks")]
        return self.commit_faults.clone();
        #[cfg(not(feature = "test-hooks"))]
        return Default::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_counts_its_connections_per_backend() {
        let mut sqlite = StoreConfig::sqlite("x.db");
        sqlite.readers = 3;
        assert_eq!(sqlite.connections(), 1 + 3, "the writer and each reader");
        let url: PostgresUrl = "postgres://agora:secret@db/agora".parse().unwrap();
        let mut postgres = StoreConfig::postgres(url);
        postgres.readers = 3;
        assert_eq!(postgres.connections(), 1 + 3 + 1, "and the listener");
    }

    #[test]
    fn a_backend_shows_without_its_password() {
        let url: PostgresUrl = "postgres://agora:secret@db/agora".parse().unwrap();
        assert_eq!(
            Backend::Postgres { url }.to_string(),
            "postgres://agora:***@db/agora"
        );
        assert_eq!(
            StoreConfig::sqlite("/srv/agora.db").backend.to_string(),
            "/srv/agora.db"
        );
    }
}

//! The read path: `Status` writes nothing, so it does not need the writer's
//! queue. It runs on the caller's thread, in a read transaction of a read-only
//! connection taken from a small pool. WAL lets readers run beside the writer;
//! a reader sees the last committed state, which is exactly what has been
//! acknowledged, so a client never reads older data than a 201 it received.
//! What `Status` read is memoized until the next commit ([`StatusCache`]).

use crate::clock::SharedClock;
use crate::open::open_reader;
use crate::sql_view::SqlView;
use crate::status_cache::{DataVersion, MemoView, StatusCache, StatusReads};
use crate::StoreConfig;
use agora_core::command::{Command, Failure, Outcome};
use agora_core::config::Config;
use agora_core::rules;
use rusqlite::Connection;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

/// Most read-only connections open at once. Beyond it (the blocking runtime can
/// have thousands of threads), a read goes through the writer's queue instead.
const MAX_READERS: usize = 8;

fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

pub(crate) struct Readers {
    path: PathBuf,
    rules: Config,
    clock: Arc<SharedClock>,
    state: Mutex<Pool>,
    memo: StatusCache,
}

struct Pool {
    idle: Vec<Connection>,
    /// Connections open, idle or in use.
    open: usize,
    /// After shutdown connections are closed, not kept.
    closed: bool,
}

impl Readers {
    pub(crate) fn new(
        config: &StoreConfig,
        clock: Arc<SharedClock>,
        version: Arc<DataVersion>,
    ) -> Readers {
        Readers {
            memo: StatusCache::new(version),
            path: config.path.clone(),
            rules: config.rules.clone(),
            clock,
            state: Mutex::new(Pool {
                idle: Vec::new(),
                open: 0,
                closed: false,
            }),
        }
    }

    /// Whether `command` can take the read path.
    pub(crate) fn serves(command: &Command) -> bool {
        matches!(command, Command::Status { .. })
    }

    /// Runs a read-only command now, on this thread. `None` when every reader
    /// is busy (or the store is shut down): the caller queues it for the writer.
    pub(crate) fn run(&self, command: &Command) -> Option<Outcome> {
        let Command::Status { caller } = command else {
            return None;
        };
        if let Some(reads) = self.memo.get(caller) {
            let mut view = MemoView::replaying(reads);
            let replayed = catch_unwind(AssertUnwindSafe(|| {
                rules::apply(command, &mut view, self.clock.now(), &self.rules)
            }));
            // Anything unexpected: read the database instead.
            if let Ok(Ok(outcome)) = replayed {
                return Some(outcome);
            }
        }
        let version = self.memo.version();
        let conn = self.take()?;
        match self.apply(&conn, command) {
            Ok((outcome, reads)) => {
                self.give_back(conn);
                self.memo.put(*caller, version, reads);
                Some(outcome)
            }
            Err(failure) => {
                tracing::error!(error = %failure, "read failed; answering store_unavailable");
                // Its state is unknown (maybe still in a transaction): close it.
                drop(conn);
                self.lock().open -= 1;
                Some(Outcome::Failed(Failure::StoreUnavailable))
            }
        }
    }

    /// One read transaction: a consistent snapshot for the command's queries.
    /// `BEGIN` and `ROLLBACK` go through the statement cache: parsing them for
    /// every read showed in profiles.
    fn apply(
        &self,
        conn: &Connection,
        command: &Command,
    ) -> Result<(Outcome, StatusReads), String> {
        run_cached(conn, "BEGIN").map_err(|e| format!("BEGIN: {e}"))?;
        let now = self.clock.now();
        let mut view = MemoView::recording(SqlView::new(conn));
        // A bug in the rules must not take the caller's thread down.
        let result = catch_unwind(AssertUnwindSafe(|| {
            rules::apply(command, &mut view, now, &self.rules)
        }));
        // Nothing was written: ending the snapshot is a rollback.
        let ended = run_cached(conn, "ROLLBACK");
        let outcome = match result {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(e)) => return Err(e.to_string()),
            Err(_) => return Err("applying the command panicked".into()),
        };
        ended.map_err(|e| format!("ROLLBACK: {e}"))?;
        Ok((outcome, view.into_reads()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pool> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An idle connection, or a new one while fewer than `MAX_READERS` are open.
    fn take(&self) -> Option<Connection> {
        {
            let mut pool = self.lock();
            if pool.closed {
                return None;
            }
            if let Some(conn) = pool.idle.pop() {
                return Some(conn);
            }
            if pool.open >= MAX_READERS {
                return None;
            }
            pool.open += 1;
        }
        // Opened outside the lock: other readers need not wait for it.
        match open_reader(&self.path) {
            Ok(conn) => Some(conn),
            Err(e) => {
                tracing::error!(error = %e, "cannot open a read-only connection");
                self.lock().open -= 1;
                None
            }
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut pool = self.lock();
        if pool.closed {
            pool.open -= 1;
            drop(pool);
            drop(conn);
        } else {
            pool.idle.push(conn);
        }
    }

    /// Closes the idle connections; those in use are closed when given back.
    pub(crate) fn close(&self) {
        let idle = {
            let mut pool = self.lock();
            pool.closed = true;
            pool.open -= pool.idle.len();
            std::mem::take(&mut pool.idle)
        };
        drop(idle);
    }
}

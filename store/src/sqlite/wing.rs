//! The SQLite wing of the engine: the writer's read-write connection, the
//! rows it keeps between commands ([`RowCache`]), the database files it
//! checks before each commit (`file_watch`) and the checkpointer beside it
//! (`checkpoints`).

use super::checkpoints::{checkpoint_all, run_checkpointer, Checkpoints};
use super::execute_cached;
use super::file_watch::DatabaseFiles;
use super::row_cache::RowCache;
use super::term_counts::TermCounts;
use super::view::SqlView;
use crate::engine::apply::apply_job;
use crate::engine::batch::{Applied, CommandSteps};
use crate::engine::job::Job;
use crate::engine::wing::{Commit, Wing};
use agora_core::command::{Command, Outcome};
use agora_core::events::Event;
use agora_core::time::UnixMillis;
use agora_core::view::StoreError;
use rusqlite::Connection;
use std::thread::JoinHandle;

/// What the writer runs for each command, inside the batch's transaction.
/// Production passes `rules::apply` with the chat configuration; tests can
/// pass anything that reads and writes through the view. It must be
/// deterministic: when a command of a batch fails, the batch is rolled back
/// and every command of it applied again (see `engine::writer`).
pub trait ApplyFn:
    FnMut(&Command, &mut SqlView<'_>, UnixMillis) -> Result<Outcome, StoreError> + Send + 'static
{
}

impl<F> ApplyFn for F where
    F: FnMut(&Command, &mut SqlView<'_>, UnixMillis) -> Result<Outcome, StoreError>
        + Send
        + 'static
{
}

pub(crate) struct SqliteWing<A> {
    conn: Connection,
    /// The files `conn` opened, checked before each commit.
    files: DatabaseFiles,
    apply: A,
    /// The rows every command looks up first, as the last commit left them.
    rows: RowCache,
    /// (issue 27) The open batch's search vocabulary counts, written
    /// before its COMMIT.
    terms: TermCounts,
    /// The WAL's checkpoints, and the checkpointer thread (if it started).
    checkpoints: Checkpoints,
    checkpointer: Option<JoinHandle<()>>,
}

impl<A: ApplyFn> SqliteWing<A> {
    /// On the writer's thread (the WAL hook records into a thread-local):
    /// takes over `conn`'s checkpoints and starts the checkpointer thread
    /// over `checkpointer` (a connection of its own).
    pub(crate) fn new(
        conn: Connection,
        files: DatabaseFiles,
        apply: A,
        checkpointer: Connection,
    ) -> SqliteWing<A> {
        let (checkpoints, nudges) = Checkpoints::install(&conn);
        let thread = std::thread::Builder::new()
            .name("agora-checkpoint".into())
            .spawn(move || run_checkpointer(checkpointer, nudges));
        let checkpointer = match thread {
            Ok(thread) => Some(thread),
            Err(e) => {
                tracing::warn!(error = %e, "no checkpointer thread; the writer checkpoints alone");
                None
            }
        };
        SqliteWing {
            conn,
            files,
            apply,
            rows: RowCache::new(),
            terms: TermCounts::new(),
            checkpoints,
            checkpointer,
        }
    }

    fn execute(&self, statement: &'static str) -> Result<(), String> {
        execute_cached(&self.conn, statement).map_err(|e| e.to_string())
    }
}

impl<A: ApplyFn> CommandSteps for SqliteWing<A> {
    fn apply(&mut self, job: &Job, now: UnixMillis, events: &mut Vec<Event>) -> Applied {
        let mut view = SqlView::with_cache(&self.conn, &mut self.rows)
            .counting_terms(&mut self.terms)
            .recording_events(events);
        let apply = &mut self.apply;
        apply_job(&mut view, job, now, |command, view, now| {
            apply(command, view, now)
        })
    }

    fn savepoint(&mut self) -> Result<(), String> {
        self.terms.mark();
        self.execute("SAVEPOINT command")
    }

    fn release_savepoint(&mut self) -> Result<(), String> {
        self.execute("RELEASE command")
    }

    /// The cache cannot tell which of its rows the rollback undid: it
    /// forgets them all.
    fn rollback_to_savepoint(&mut self) -> Result<(), String> {
        self.rows.clear();
        self.terms.undo_to_mark();
        self.execute("ROLLBACK TO command")?;
        self.execute("RELEASE command")
    }

    /// After some I/O errors (SQLITE_FULL, SQLITE_IOERR) SQLite rolls the
    /// whole transaction back by itself.
    fn in_transaction(&self) -> bool {
        !self.conn.is_autocommit()
    }
}

impl<A: ApplyFn> Wing for SqliteWing<A> {
    const TIMES_WHOLE_TRANSACTION: bool = false;

    fn begin(&mut self) -> Result<(), String> {
        self.execute("BEGIN IMMEDIATE")
    }

    fn rollback(&mut self) -> Result<(), String> {
        self.rows.clear();
        self.terms.clear();
        self.execute("ROLLBACK")
    }

    fn abandon(&mut self) {
        self.rows.clear();
        self.terms.clear();
        if !self.conn.is_autocommit() {
            if let Err(e) = self.execute("ROLLBACK") {
                tracing::error!(error = %e, "ROLLBACK failed");
            }
        }
    }

    /// Refused when the database's paths no longer name the files it would
    /// commit to (see `file_watch`). The batch's search vocabulary counts
    /// are written first, in its transaction.
    fn commit(&mut self, _notify: bool) -> Commit {
        if !self.files.in_place() {
            self.abandon();
            return Commit::NotCommitted("the database files are no longer in place".into());
        }
        if let Err(e) = self.terms.flush(&self.conn) {
            self.abandon();
            return Commit::NotCommitted(format!("search vocabulary: {e}"));
        }
        match self.execute("COMMIT") {
            Ok(()) => Commit::Committed,
            Err(e) => {
                self.abandon();
                Commit::NotCommitted(format!("COMMIT failed: {e}"))
            }
        }
    }

    fn after_batch(&mut self) {
        self.checkpoints.after_commit(&self.conn);
    }

    /// Ends the checkpointer (whose connection must close before this one),
    /// then closes the last connection to the database: the whole WAL is
    /// copied into the database file, and closing removes the `-wal` and
    /// `-shm` files, so that the database file alone holds every
    /// acknowledged write, as a backup or a copy of it expects.
    fn close(self) -> bool {
        let SqliteWing {
            conn,
            checkpoints,
            checkpointer,
            ..
        } = self;
        drop(checkpoints);
        if let Some(thread) = checkpointer {
            if thread.join().is_err() {
                tracing::error!("the checkpointer thread panicked");
            }
        }
        checkpoint_all(&conn);
        match conn.close() {
            Ok(()) => true,
            Err((_, e)) => {
                tracing::error!(error = %e, "closing the database failed; its WAL stays beside it");
                false
            }
        }
    }
}

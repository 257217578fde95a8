//! The read path: `Status` writes nothing, so it does not need the writer's
//! queue. What it read is memoized until the next commit ([`StatusCache`]);
//! a memo hit is replayed through the rules on the caller's thread (a map
//! lookup and some arithmetic: it cannot block). A miss needs SQLite, which
//! can wait on the disk or on file locks, so it never runs on the caller's
//! thread (an async runtime's event loop): it goes over a bounded channel to
//! a few reader threads, each with its own read-only connection (opened at
//! start, so that a lack of file descriptors stops the start rather than
//! failing reads later), which run it in a read transaction and answer the
//! command's `Pending`. WAL lets them read beside the writer; a reader sees
//! the last committed state, which is exactly what has been acknowledged, so
//! a client never reads older data than a 201 it received.

use crate::clock::Clock;
use crate::error::{ApplyError, OpenError};
use crate::open::open_reader;
use crate::pending::Reply;
use crate::sql_view::SqlView;
use crate::status_cache::{DataVersion, MemoView, StatusCache, StatusReads};
use crate::writer::execute_cached;
use crate::StoreConfig;
use agora_core::command::{Command, Failure, Outcome};
use agora_core::config::Config;
use agora_core::rules;
use agora_core::token::TokenHash;
use rusqlite::Connection;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::thread::JoinHandle;

/// Reads waiting per reader thread; past it a `Status` queues for the writer.
const QUEUED_PER_READER: usize = 64;

/// A memo miss for a reader thread: whose status, and where to answer.
struct Job {
    caller: TokenHash,
    reply: Reply,
}

/// What the caller's thread and the reader threads share.
struct Reading {
    path: PathBuf,
    rules: Config,
    clock: Clock,
    memo: StatusCache,
}

pub(crate) struct Readers {
    reading: Arc<Reading>,
    /// `None` once closed. Dropping it tells the threads to finish what is
    /// queued and stop.
    jobs: RwLock<Option<SyncSender<Job>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Readers {
    /// Opens `config.readers` (at least one) read-only connections and starts
    /// a reader thread over each.
    pub(crate) fn start(
        config: &StoreConfig,
        version: Arc<DataVersion>,
    ) -> Result<Readers, OpenError> {
        let count = config.readers.max(1);
        let connections = (0..count)
            .map(|_| open_reader(&config.path))
            .collect::<Result<Vec<_>, _>>()?;
        let (sender, receiver) = sync_channel(count * QUEUED_PER_READER);
        let receiver = Arc::new(Mutex::new(receiver));
        let readers = Readers {
            reading: Arc::new(Reading {
                memo: StatusCache::new(version),
                path: config.path.clone(),
                rules: config.rules.clone(),
                clock: config.clock.clone(),
            }),
            jobs: RwLock::new(Some(sender)),
            threads: Mutex::new(Vec::with_capacity(count)),
        };
        for (i, conn) in connections.into_iter().enumerate() {
            let reading = readers.reading.clone();
            let receiver = receiver.clone();
            let thread = std::thread::Builder::new()
                .name(format!("agora-reader-{i}"))
                .spawn(move || reading.serve(&receiver, conn))
                // Dropping `readers` stops and joins the threads already started.
                .map_err(|source| OpenError::Thread {
                    name: "reader",
                    source,
                })?;
            readers.lock_threads().push(thread);
        }
        Ok(readers)
    }

    /// `caller`'s status replayed from the memo, on this thread; `None` when
    /// the memo has nothing current for it.
    pub(crate) fn replay(&self, caller: &TokenHash) -> Option<Outcome> {
        let reads = self.reading.memo.get(caller)?;
        let command = Command::Status { caller: *caller };
        let mut view = MemoView::replaying(reads);
        let reading = &self.reading;
        let replayed = catch_unwind(AssertUnwindSafe(|| {
            rules::apply(&command, &mut view, reading.clock.now(), &reading.rules)
        }));
        // Anything unexpected: read the database instead.
        match replayed {
            Ok(Ok(outcome)) => Some(outcome),
            _ => None,
        }
    }

    /// Hands `caller`'s status to a reader thread, which answers on `reply`;
    /// never blocks. Gives `reply` back when the readers' queue is full or
    /// they are stopped: the caller queues the command for the writer.
    pub(crate) fn dispatch(&self, caller: TokenHash, reply: Reply) -> Result<(), Reply> {
        let jobs = self.jobs.read().unwrap_or_else(PoisonError::into_inner);
        let Some(sender) = jobs.as_ref() else {
            return Err(reply);
        };
        match sender.try_send(Job { caller, reply }) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => Err(job.reply),
        }
    }

    fn lock_threads(&self) -> std::sync::MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.threads.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stops taking reads, lets the threads answer what is queued, and joins
    /// them. Idempotent.
    pub(crate) fn close(&self) {
        let sender = self
            .jobs
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(sender);
        let threads = std::mem::take(&mut *self.lock_threads());
        for thread in threads {
            if thread.join().is_err() {
                tracing::error!("a store reader thread panicked");
            }
        }
    }
}

impl Drop for Readers {
    fn drop(&mut self) {
        self.close();
    }
}

impl Reading {
    /// A reader thread: answers jobs over `conn` until the channel is closed
    /// and empty, then closes it (before the writer closes the database).
    /// After a failure the connection is opened again on the next job.
    fn serve(&self, jobs: &Mutex<Receiver<Job>>, conn: Connection) {
        let mut conn = Some(conn);
        loop {
            let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
            let Ok(Job { caller, reply }) = job else {
                return;
            };
            let outcome = self.read(&mut conn, caller);
            // The client may have gone; nobody else wants the answer.
            let _ = reply.send(outcome);
        }
    }

    fn read(&self, conn: &mut Option<Connection>, caller: TokenHash) -> Outcome {
        // Read before the transaction starts: a commit in between makes the
        // memo entry stale at once rather than wrongly fresh.
        let version = self.memo.version();
        let conn_ref = match conn {
            Some(conn) => conn,
            None => match open_reader(&self.path) {
                Ok(opened) => conn.insert(opened),
                Err(e) => {
                    tracing::error!(error = %e, "cannot open a read-only connection");
                    return Outcome::Failed(Failure::StoreUnavailable);
                }
            },
        };
        let command = Command::Status { caller };
        match self.apply(conn_ref, &command) {
            Ok((outcome, reads)) => {
                self.memo.put(caller, version, reads);
                outcome
            }
            Err(failure) => {
                tracing::error!(error = %failure, "read failed; answering store_unavailable");
                // Its state is unknown (maybe still in a transaction): close it.
                *conn = None;
                Outcome::Failed(Failure::StoreUnavailable)
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
    ) -> Result<(Outcome, StatusReads), ApplyError> {
        execute_cached(conn, "BEGIN")?;
        let now = self.clock.now();
        let mut view = MemoView::recording(SqlView::new(conn));
        // A bug in the rules must not take the reader thread down.
        let result = catch_unwind(AssertUnwindSafe(|| {
            rules::apply(command, &mut view, now, &self.rules)
        }));
        // Nothing was written: ending the snapshot is a rollback.
        let ended = execute_cached(conn, "ROLLBACK");
        let outcome = match result {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(e)) => return Err(ApplyError::View(e)),
            Err(_) => return Err(ApplyError::Panicked),
        };
        ended?;
        Ok((outcome, view.into_reads()))
    }
}

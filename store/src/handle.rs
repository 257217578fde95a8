//! [`Handle`]: the cloneable, runtime-agnostic front of the writer thread.

use crate::config::{Backend, StoreConfig};
use crate::engine::job::{Job, Request};
use crate::engine::readers::reads;
use crate::engine::running::Running;
use crate::error::OpenError;
use crate::live::{Hub, Watch};
use crate::locks;
use crate::pending::Pending;
use crate::{pg, sqlite, Busy};
use agora_core::command::{Command, Failure, Outcome};
use agora_core::idempotency::Keyed;
use agora_core::rules;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Instant;

/// Whether `job` carries a password to check or hash (issue 28).
fn needs_hashing(job: &Job) -> bool {
    match job {
        Job::Command(command) | Job::Keyed { command, .. } => {
            matches!(command, Command::Account(account) if account.needs_hashing())
        }
        Job::Advance { .. } => false,
    }
}

/// The cloneable front of the writer thread, shared by every connection task.
///
/// The contract for adapters:
/// - [`submit`](Handle::submit) never blocks. `Err(Busy)` means the writer's
///   queue is full: answer 503 `overloaded` with `Retry-After`.
/// - The [`Pending`] it returns resolves (as a `Future`, or with a blocking
///   [`wait`](Pending::wait)) only after the batch holding the command is
///   committed: a success outcome (e.g. 201 for a send) means the data is
///   durable (with [`SyncMode::Full`](crate::SyncMode::Full)).
/// - A store failure resolves to `Outcome::Failed(Failure::StoreUnavailable)`
///   (so does every write once the database file was removed or replaced
///   under the server); a `Pending` that resolves to
///   [`StoreGone`](crate::StoreGone) means the writer is gone (shut down).
///   Both are 503 `store_unavailable`.
/// - [`shutdown`](Handle::shutdown) (idempotent) stops taking commands, lets
///   the readers answer and the writer commit what is queued, closes the
///   database (leaving the database file alone, with no `-wal` or `-shm`)
///   and joins the threads. Dropping the last clone does the same.
#[derive(Clone)]
pub struct Handle {
    running: Arc<Running>,
}

impl Handle {
    /// Opens (creating and migrating if needed) the database and every
    /// connection the store will use, and starts the writer thread, which
    /// applies `agora_core::rules::apply` with `config.rules`.
    ///
    /// Reads do not wait for the writer (unless `config.readers` is 0):
    /// `submit` replays a `Status` from a memo of its last reads when no batch
    /// has been committed since (SQLite only), and returns a `Pending` that
    /// is already resolved; otherwise one of `config.readers` reader threads
    /// reads it (or a `Connect` or `Comments` page) over a connection of its
    /// own. The database is never used on the thread that calls `submit`.
    pub fn open(config: StoreConfig) -> Result<Handle, OpenError> {
        let running = match &config.backend {
            Backend::Sqlite { path, sync } => {
                let rules_config = config.rules.clone();
                sqlite::start(&config, path, *sync, true, move |command, view, now| {
                    rules::apply(command, view, now, &rules_config)
                })?
            }
            Backend::Postgres { url } => pg::start(&config, url)?,
        };
        Ok(Handle {
            running: Arc::new(running),
        })
    }

    /// Like [`open`](Handle::open), but the writer runs `apply` for each command
    /// (inside the batch's transaction) instead of the chat rules; it may run
    /// more than once for a command (see [`ApplyFn`](crate::ApplyFn)). For
    /// tests; `config.rules` is not used. Every command, `Status` included,
    /// goes through the writer. SQLite only.
    #[cfg(feature = "test-hooks")]
    pub fn open_with(
        config: StoreConfig,
        apply: impl crate::sqlite::wing::ApplyFn,
    ) -> Result<Handle, OpenError> {
        let Backend::Sqlite { path, sync } = &config.backend else {
            return Err(OpenError::Unsupported(
                "a custom apply function on PostgreSQL",
            ));
        };
        let running = sqlite::start(&config, path, *sync, false, apply)?;
        Ok(Handle {
            running: Arc::new(running),
        })
    }

    /// Queues a command; never blocks. `Err(Busy)` when the queue is full.
    ///
    /// With the read path (see [`open`](Handle::open)), a `Status` whose memo
    /// is current is answered before `submit` returns; one whose memo is not,
    /// a `Connect` and a `Comments` go to the reader threads, or to the
    /// writer's queue when theirs is full (`Busy` only if that one is full
    /// too). A `Connect`'s reader hands the writer only the move of the read
    /// position, and its `Pending` resolves once that is committed.
    ///
    /// A `Health` is answered at once when a reader answered a read and the
    /// database files were found in place within the last
    /// [`HEALTH_FRESH`](crate::HEALTH_FRESH), else by a probe on a reader
    /// thread; it is never `Busy` (full readers answer it unavailable).
    pub fn submit(&self, mut command: Command) -> Result<Pending, Busy> {
        self.note_use(&command);
        let (mut reply, pending) = Pending::channel();
        if let (Command::Health, Some(readers)) = (&command, &self.running.readers) {
            return Ok(readers.check_health(reply, pending));
        }
        let queue = locks::read(&self.running.queue);
        let Some(sender) = queue.as_ref() else {
            // Shut down: `reply` is dropped, so `pending` resolves to an error.
            return Ok(pending);
        };
        if let Some(readers) = self.running.readers.as_ref().filter(|_| reads(&command)) {
            if let Command::Status { caller } = &command {
                if let Some(outcome) = readers.replay(caller) {
                    let _ = reply.send(outcome);
                    return Ok(pending);
                }
            }
            match readers.dispatch(command, reply) {
                Ok(()) => return Ok(pending),
                Err(returned) => (command, reply) = returned,
            }
        }
        let job = Job::Command(command);
        self.to_writer(sender, Request { job, reply })
            .map(|()| pending)
    }

    /// Queues a POST's command with its `Idempotency-Key`; never blocks. It
    /// goes to the writer, whatever it is (a `Connect` too): the key and
    /// the answer are kept in the transaction that applies it (see
    /// `agora_core::idempotency`). `Err(Busy)` when the queue is full.
    pub fn submit_keyed(&self, command: Command, keyed: Keyed) -> Result<Pending, Busy> {
        self.note_use(&command);
        let (reply, pending) = Pending::channel();
        let queue = locks::read(&self.running.queue);
        let Some(sender) = queue.as_ref() else {
            return Ok(pending);
        };
        let job = Job::Keyed { command, keyed };
        self.to_writer(sender, Request { job, reply })
            .map(|()| pending)
    }

    /// (issue 28) Queues the write of a token's `last_used` when one is due
    /// (see `engine::device_use`); a full queue skips it.
    fn note_use(&self, command: &Command) {
        let Some(touch) = self.running.device_use.touch(command, Instant::now()) else {
            return;
        };
        let queue = locks::read(&self.running.queue);
        if let Some(sender) = queue.as_ref() {
            let (reply, _) = Pending::channel();
            let _ = sender.try_send(Request {
                job: Job::Command(touch),
                reply,
            });
        }
    }

    /// Queues `request` for the writer without blocking; `Err(Busy)` when
    /// the queue is full. (issue 28) A `/login` or `/password` goes to a
    /// reader thread first, which checks and hashes its passwords off the
    /// writer and off the caller's thread (see `engine::credentials`), then
    /// to the writer. Without readers it goes to the writer as it is, and
    /// the rules refuse it unchecked (`login_failed`, `wrong_password`, 503
    /// for a new hash).
    fn to_writer(&self, sender: &SyncSender<Request>, request: Request) -> Result<(), Busy> {
        if let (true, Some(readers)) = (needs_hashing(&request.job), &self.running.readers) {
            return readers
                .prepare(request.job, request.reply)
                .then_some(())
                .ok_or(Busy);
        }
        match sender.try_send(request) {
            Ok(()) => {
                self.running.observer.queued();
                Ok(())
            }
            Err(TrySendError::Full(_)) => Err(Busy),
            // The writer is gone; the dropped reply makes `pending` an error.
            Err(TrySendError::Disconnected(_)) => Ok(()),
        }
    }

    /// Queues a `GET /events` ([`Command::Events`]); never blocks. Its
    /// [`Watch`] holds the page and, when the request waits for more, the
    /// subscription. `Err(Busy)` when the readers' queue is full. Without
    /// the read path the `Watch` is 503 `store_unavailable`.
    pub fn watch(&self, command: Command) -> Result<Pending<Watch>, Busy> {
        self.note_use(&command);
        let (reply, pending) = Pending::channel();
        let Some(readers) = &self.running.readers else {
            let _ = reply.send(Watch {
                outcome: Outcome::Failed(Failure::StoreUnavailable),
                subscription: None,
            });
            return Ok(pending);
        };
        if readers.watch(command, reply) {
            Ok(pending)
        } else {
            Err(Busy)
        }
    }

    /// The fan-out hub: its subscriptions, its head; close it when the
    /// server stops so that every waiting request ends.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.running.hub
    }

    /// Stops taking commands, answers the reads and commits the writes that
    /// are queued, closes the database (the database file then holds every
    /// acknowledged write, with no `-wal` or `-shm` beside it) and waits for
    /// the reader and writer threads to end. Idempotent.
    pub fn shutdown(&self) {
        self.running.shutdown();
    }
}

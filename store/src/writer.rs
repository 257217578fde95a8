//! The writer thread: the only user of the read-write connection. It applies
//! queued commands in batches, one transaction per batch (a failing command
//! rolls back alone: see `run_batch`), and answers only after the batch is
//! committed (group commit).

use crate::checkpoints::{checkpoint_all, run_checkpointer, Checkpoints};
use crate::clock::Clock;
use crate::error::ApplyError;
use crate::file_watch::DatabaseFiles;
use crate::hub::Hub;
use crate::observe::Observer;
use crate::pending::Reply;
use crate::row_cache::RowCache;
use crate::sql_view::SqlView;
use crate::status_cache::DataVersion;
use agora_core::command::{Command, Failure, Outcome};
use agora_core::events::Event;
use agora_core::idempotency::{self, Keyed};
use agora_core::rules::{self, Advance};
use agora_core::time::UnixMillis;
use agora_core::view::StoreError;
use rusqlite::{Connection, TransactionBehavior};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the writer runs for each command, inside the batch's transaction.
/// Production passes `rules::apply` with the chat configuration; tests can pass
/// anything that reads and writes through the view. It must be deterministic:
/// when a command of a batch fails, the batch is rolled back and every command
/// of it applied again (see `run_batch`).
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

/// One queued job and where its outcome goes.
pub(crate) struct Request {
    pub(crate) job: Job,
    pub(crate) reply: Reply,
}

/// What the writer does for a request.
pub(crate) enum Job {
    /// Apply a command.
    Command(Command),
    /// Apply a command once per idempotency key (`idempotency::apply_once`).
    Keyed { command: Command, keyed: Keyed },
    /// Move a read position forward (`agora_core::rules::advance`), then
    /// answer with `page`, the `Connect` page a reader read.
    Advance { to: Advance, page: Outcome },
}

impl Request {
    /// The outcome to send once the batch is over: `page` for an `Advance`
    /// that was applied.
    pub(crate) fn answer(self, outcome: Outcome) -> (Reply, Outcome) {
        match self.job {
            Job::Advance { page, .. } if outcome == ADVANCED => (self.reply, page),
            _ => (self.reply, outcome),
        }
    }
}

/// What applying an `Advance` gives, before its page goes out in its place.
pub(crate) const ADVANCED: Outcome = Outcome::Connected {
    chat: String::new(),
    messages: Vec::new(),
    history_truncated: false,
    unread_messages: Vec::new(),
    unread_truncated: false,
};

pub(crate) struct Writer<A> {
    pub(crate) conn: Connection,
    /// The files `conn` opened, checked before each commit.
    pub(crate) files: DatabaseFiles,
    pub(crate) queue: Receiver<Request>,
    pub(crate) batch_max: usize,
    pub(crate) clock: Clock,
    /// Bumped after every batch, before its outcomes go out (see `status_cache`).
    pub(crate) version: Arc<DataVersion>,
    pub(crate) apply: A,
    /// The rows every command looks up first, as the last commit left them.
    pub(crate) rows: RowCache,
    /// The events the batch in progress recorded, published once committed.
    pub(crate) events: Vec<Event>,
    pub(crate) hub: Arc<Hub>,
    /// Told of each batch and how long its commit took.
    pub(crate) observer: Observer,
    /// Transactions and commands so far, logged at close: their ratio is the
    /// mean group-commit batch.
    pub(crate) batches: u64,
    pub(crate) commands: u64,
}

pub(crate) const UNAVAILABLE: Outcome = Outcome::Failed(Failure::StoreUnavailable);

impl<A: ApplyFn> Writer<A> {
    /// Runs until every sender of the queue is gone and the queue is drained,
    /// with a checkpointer thread over `checkpointer` (a connection of its
    /// own), then closes the connection. Never stops on an SQL error: the
    /// affected commands are answered `StoreUnavailable` and the next batch
    /// tries again.
    pub(crate) fn run(mut self, checkpointer: Connection) {
        let (checkpoints, nudges) = Checkpoints::install(&self.conn);
        std::thread::scope(|scope| {
            let thread = std::thread::Builder::new()
                .name("agora-checkpoint".into())
                .spawn_scoped(scope, move || run_checkpointer(checkpointer, nudges));
            if let Err(e) = thread {
                tracing::warn!(error = %e, "no checkpointer thread; the writer checkpoints alone");
            }
            self.serve(&checkpoints);
            // Ends the checkpointer, whose connection must close before ours.
            drop(checkpoints);
        });
        self.close();
    }

    /// Closes the last connection to the database (the readers and the
    /// checkpointer have closed theirs): the whole WAL is copied into the
    /// database file, and closing removes the `-wal` and `-shm` files, so
    /// that the database file alone holds every acknowledged write, as a
    /// backup or a copy of it expects.
    fn close(self) {
        checkpoint_all(&self.conn);
        if let Err((_, e)) = self.conn.close() {
            tracing::error!(error = %e, "closing the database failed; its WAL stays beside it");
        } else {
            tracing::info!(
                batches = self.batches,
                commands = self.commands,
                "store closed"
            );
        }
    }

    /// The batch loop. Each batch's outcomes go out once it is committed, from
    /// this thread: handing them to a thread of their own (so that the writer
    /// could go on at once) cost more in thread wake-ups than it saved, on
    /// every runtime (send throughput +7 % to +13 % without it).
    fn serve(&mut self, checkpoints: &Checkpoints) {
        let mut batch: Vec<Request> = Vec::with_capacity(self.batch_max);
        while let Ok(first) = self.queue.recv() {
            batch.push(first);
            while batch.len() < self.batch_max {
                match self.queue.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
            let now = self.clock.now();
            let queue = &self.queue;
            let mut applier = Applier {
                apply: &mut self.apply,
                rows: &mut self.rows,
                files: &mut self.files,
                events: &mut self.events,
                commit: None,
            };
            let outcomes = run_batch(
                &mut self.conn,
                &mut batch,
                self.batch_max,
                || queue.try_recv().ok(),
                now,
                &mut applier,
            );
            let commit = applier.commit;
            self.version.bump();
            self.observer.batch(batch.len(), commit);
            self.batches += 1;
            self.commands += batch.len() as u64;
            // Before the replies, so that a client's next page holds the
            // events of what it was told is done...
            let events = self.hub.record(std::mem::take(&mut self.events));
            send_replies(batch.drain(..).zip(outcomes));
            // ...after them, waking every subscriber of a public event, which
            // must not hold up the 201s of the batch.
            self.hub.fan_out(&events);
            checkpoints.after_commit(&self.conn);
        }
    }
}

pub(crate) fn send_replies(batch: impl Iterator<Item = (Request, Outcome)>) {
    for (request, outcome) in batch {
        let (reply, outcome) = request.answer(outcome);
        // A client that went away dropped its receiver; nothing to do.
        let _ = reply.send(outcome);
    }
}

/// Applies the commands of `batch` in one `BEGIN IMMEDIATE` .. `COMMIT`.
/// Commands that arrive meanwhile (`more`) join the batch, up to `batch_max`,
/// until the queue is empty: they share this commit instead of each waiting
/// for the next one's fsync. Returns one outcome per command of `batch`; if
/// the transaction cannot be begun or committed, or the database's paths no
/// longer name the files it would commit to (see `file_watch`), every outcome
/// is `StoreUnavailable`.
///
/// A command whose apply fails must roll back alone. Savepoints do that, but
/// one per command costs two statements and a copy of every page it touches,
/// for a failure that almost never happens. So the batch first runs without
/// them; if a command fails, the whole transaction is rolled back and the
/// batch runs again with one savepoint per command. Its commands are then
/// applied twice, to the same database state at the same `now`, so they come
/// to the same outcomes (the rules are deterministic; `ApplyFn` must be too).
pub(crate) fn run_batch<A: ApplyFn>(
    conn: &mut Connection,
    batch: &mut Vec<Request>,
    batch_max: usize,
    more: impl FnMut() -> Option<Request>,
    now: UnixMillis,
    applier: &mut Applier<'_, A>,
) -> Vec<Outcome> {
    match run_transaction(conn, batch, batch_max, more, now, applier, Isolation::Batch) {
        Attempt::Done(outcomes) => outcomes,
        Attempt::CommandFailed => {
            tracing::warn!(
                commands = batch.len(),
                "a command failed; running its batch again with a savepoint per command"
            );
            let careful = run_transaction(
                conn,
                batch,
                batch.len(),
                || None,
                now,
                applier,
                Isolation::PerCommand,
            );
            match careful {
                Attempt::Done(outcomes) => outcomes,
                Attempt::CommandFailed => vec![UNAVAILABLE; batch.len()],
            }
        }
    }
}

/// What rolls back when a command fails.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Isolation {
    /// The whole transaction: the batch must be run again.
    Batch,
    /// The command alone, in its own savepoint.
    PerCommand,
}

enum Attempt {
    Done(Vec<Outcome>),
    /// With `Isolation::Batch`: a command failed and everything was rolled back.
    CommandFailed,
}

fn run_transaction<A: ApplyFn>(
    conn: &mut Connection,
    batch: &mut Vec<Request>,
    batch_max: usize,
    mut more: impl FnMut() -> Option<Request>,
    now: UnixMillis,
    applier: &mut Applier<'_, A>,
    isolation: Isolation,
) -> Attempt {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            tracing::error!(error = %e, commands = batch.len(), "BEGIN failed; answering store_unavailable");
            return unavailable(batch, applier);
        }
    };
    let mut outcomes = Vec::with_capacity(batch.len());
    loop {
        while let Some(request) = batch.get(outcomes.len()) {
            let outcome = match isolation {
                Isolation::PerCommand => apply_in_savepoint(&tx, &request.job, now, applier),
                Isolation::Batch => match applier.apply(&tx, &request.job, now) {
                    Ok(outcome) => Ok(outcome),
                    Err(failure) => {
                        tracing::warn!(error = %failure, "command failed");
                        applier.rolled_back();
                        return match tx.rollback() {
                            Ok(()) => Attempt::CommandFailed,
                            Err(e) => {
                                tracing::error!(error = %e, "ROLLBACK failed; answering store_unavailable");
                                unavailable(batch, applier)
                            }
                        };
                    }
                },
            };
            // After some I/O errors (SQLITE_FULL, SQLITE_IOERR) SQLite rolls the
            // whole transaction back by itself. Later savepoints would then run in
            // autocommit mode and commit alone: stop here instead.
            if outcome.is_err() || tx.is_autocommit() {
                tracing::error!(
                    commands = batch.len(),
                    "transaction lost; answering the batch store_unavailable"
                );
                return unavailable(batch, applier);
            }
            outcomes.extend(outcome.ok());
        }
        let before = batch.len();
        while batch.len() < batch_max {
            match more() {
                Some(request) => batch.push(request),
                None => break,
            }
        }
        if batch.len() == before {
            break;
        }
    }
    if !applier.files.in_place() {
        // Dropping the transaction rolls it back.
        return unavailable(batch, applier);
    }
    let started = Instant::now();
    let committed = tx.commit();
    applier.commit = Some(started.elapsed());
    match committed {
        Ok(()) => Attempt::Done(outcomes),
        Err(e) => {
            // Dropping the transaction rolled it back.
            tracing::error!(error = %e, commands = batch.len(), "COMMIT failed; answering store_unavailable");
            unavailable(batch, applier)
        }
    }
}

/// Every command of `batch` fails: nothing of it was kept, so the kept rows
/// go too (some may come from its rolled-back writes).
fn unavailable<A: ApplyFn>(batch: &[Request], applier: &mut Applier<'_, A>) -> Attempt {
    applier.rolled_back();
    Attempt::Done(vec![UNAVAILABLE; batch.len()])
}

/// What the writer brings to each transaction: the apply function, the rows
/// it keeps between commands, and the files it checks before committing.
pub(crate) struct Applier<'w, A> {
    pub(crate) apply: &'w mut A,
    pub(crate) rows: &'w mut RowCache,
    pub(crate) files: &'w mut DatabaseFiles,
    /// The events of the commands applied so far in this transaction.
    pub(crate) events: &'w mut Vec<Event>,
    /// How long the last `COMMIT` took (the WAL's fsync included).
    pub(crate) commit: Option<Duration>,
}

impl<A: ApplyFn> Applier<'_, A> {
    /// Applies one job; a store error or a panic (a bug in the rules must
    /// not take the writer, and every client, down) comes back as an error.
    fn apply(
        &mut self,
        conn: &Connection,
        job: &Job,
        now: UnixMillis,
    ) -> Result<Outcome, ApplyError> {
        let result = catch_unwind(AssertUnwindSafe(|| {
            let mut view = SqlView::with_cache(conn, self.rows).recording_events(self.events);
            match job {
                Job::Command(command) => (self.apply)(command, &mut view, now),
                Job::Keyed { command, keyed } => {
                    idempotency::apply_once(&mut view, command, keyed, now, |view| {
                        (self.apply)(command, view, now)
                    })
                }
                Job::Advance { to, .. } => rules::advance(&mut view, to).map(|()| ADVANCED),
            }
        }));
        match result {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(e)) => Err(ApplyError::View(e)),
            Err(_) => Err(ApplyError::Panicked),
        }
    }

    /// The transaction was rolled back: the kept rows may be ahead of the
    /// database, and none of its events happened.
    fn rolled_back(&mut self) {
        self.rows.clear();
        self.events.clear();
    }
}

/// Runs one statement through the connection's statement cache: the savepoint
/// statements run once per command (and a reader's `BEGIN` and `ROLLBACK`
/// once per read), so parsing them each time would show.
pub(crate) fn execute_cached(conn: &Connection, statement: &'static str) -> Result<(), ApplyError> {
    conn.prepare_cached(statement)
        .and_then(|mut prepared| prepared.execute([]))
        .map(drop)
        .map_err(|source| ApplyError::Statement { statement, source })
}

/// The command's writes could not be undone alone: the whole transaction must
/// be rolled back.
struct BatchLost;

/// Applies one command in its own savepoint: its outcome, a rolled-back
/// `StoreUnavailable`, or `BatchLost` when even the rollback failed.
fn apply_in_savepoint<A: ApplyFn>(
    conn: &Connection,
    job: &Job,
    now: UnixMillis,
    applier: &mut Applier<'_, A>,
) -> Result<Outcome, BatchLost> {
    if let Err(e) = execute_cached(conn, "SAVEPOINT command") {
        tracing::error!(error = %e, "SAVEPOINT failed; answering store_unavailable");
        return Ok(UNAVAILABLE);
    }
    let events_before = applier.events.len();
    let failure = match applier
        .apply(conn, job, now)
        .and_then(|outcome| execute_cached(conn, "RELEASE command").map(|()| outcome))
    {
        Ok(outcome) => return Ok(outcome),
        Err(failure) => failure,
    };
    tracing::warn!(error = %failure, "command rolled back; answering store_unavailable");
    // Only this command is undone: the events of the others stand.
    applier.rows.clear();
    applier.events.truncate(events_before);
    let rolled_back = execute_cached(conn, "ROLLBACK TO command")
        .and_then(|()| execute_cached(conn, "RELEASE command"));
    match rolled_back {
        Ok(()) => Ok(UNAVAILABLE),
        Err(e) => {
            tracing::error!(error = %e, "rolling back a command failed");
            Err(BatchLost)
        }
    }
}

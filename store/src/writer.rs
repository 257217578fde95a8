//! The writer thread: the only user of the read-write connection. It applies
//! queued commands in batches, one transaction per batch and one savepoint per
//! command, and answers only after the batch is committed (group commit).

use crate::clock::SharedClock;
use crate::sql_view::SqlView;
use crate::status_cache::DataVersion;
use agora_core::command::{Command, Failure, Outcome};
use agora_core::time::UnixMillis;
use agora_core::view::StoreError;
use rusqlite::{Connection, TransactionBehavior};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;

/// What the writer runs for each command, inside that command's savepoint.
/// Production passes `rules::apply` with the chat configuration; tests can pass
/// anything that reads and writes through the view.
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

/// One queued command and where its outcome goes.
pub(crate) struct Request {
    pub(crate) command: Command,
    pub(crate) reply: oneshot::Sender<Outcome>,
}

pub(crate) struct Writer<A> {
    pub(crate) conn: Connection,
    pub(crate) queue: Receiver<Request>,
    pub(crate) batch_max: usize,
    pub(crate) clock: Arc<SharedClock>,
    /// Bumped after every batch, before its outcomes go out (see `status_cache`).
    pub(crate) version: Arc<DataVersion>,
    pub(crate) apply: A,
    /// Transactions and commands so far, logged at close: their ratio is the
    /// mean group-commit batch.
    pub(crate) batches: u64,
    pub(crate) commands: u64,
}

const UNAVAILABLE: Outcome = Outcome::Failed(Failure::StoreUnavailable);

impl<A: ApplyFn> Writer<A> {
    /// Runs until every sender of the queue is gone and the queue is drained,
    /// then closes the connection. Never stops on an SQL error: the affected
    /// commands are answered `StoreUnavailable` and the next batch tries again.
    pub(crate) fn run(mut self) {
        // Waking up to a few hundred waiting clients costs a system call each;
        // a second thread does it while the writer goes on with the next batch.
        let (to_replier, replies) = mpsc::channel::<Vec<(Request, Outcome)>>();
        std::thread::scope(|scope| {
            let replier = std::thread::Builder::new()
                .name("agora-store-reply".into())
                .spawn_scoped(scope, move || {
                    for batch in replies {
                        send_replies(batch);
                    }
                });
            let threaded = replier.is_ok();
            // Owns the only sender: when `serve` returns and drops it, the
            // replier's loop ends and the scope can join it.
            let deliver = move |batch: Vec<(Request, Outcome)>| {
                if !threaded {
                    return send_replies(batch);
                }
                if let Err(mpsc::SendError(batch)) = to_replier.send(batch) {
                    send_replies(batch);
                }
            };
            self.serve(deliver);
        });
        if let Err((_, e)) = self.conn.close() {
            tracing::error!(error = %e, "closing the database failed");
        } else {
            tracing::info!(
                batches = self.batches,
                commands = self.commands,
                "store closed"
            );
        }
    }

    /// The batch loop. `deliver` gets each batch's outcomes once committed.
    fn serve(&mut self, deliver: impl Fn(Vec<(Request, Outcome)>)) {
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
            let outcomes = run_batch(
                &mut self.conn,
                &mut batch,
                self.batch_max,
                || queue.try_recv().ok(),
                now,
                &mut self.apply,
            );
            self.version.bump();
            self.batches += 1;
            self.commands += batch.len() as u64;
            deliver(batch.drain(..).zip(outcomes).collect());
        }
    }
}

fn send_replies(batch: Vec<(Request, Outcome)>) {
    for (request, outcome) in batch {
        // A client that went away dropped its receiver; nothing to do.
        let _ = request.reply.send(outcome);
    }
}

/// Applies the commands of `batch` in one `BEGIN IMMEDIATE` .. `COMMIT`, each
/// in its own savepoint. Commands that arrive meanwhile (`more`) join the
/// batch, up to `batch_max`, until the queue is empty: they share this commit
/// instead of each waiting for the next one's fsync. Returns one outcome per
/// command of `batch`; if the transaction cannot be begun or committed, every
/// outcome is `StoreUnavailable`.
pub(crate) fn run_batch<A: ApplyFn>(
    conn: &mut Connection,
    batch: &mut Vec<Request>,
    batch_max: usize,
    mut more: impl FnMut() -> Option<Request>,
    now: UnixMillis,
    apply: &mut A,
) -> Vec<Outcome> {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            tracing::error!(error = %e, commands = batch.len(), "BEGIN failed; answering store_unavailable");
            return vec![UNAVAILABLE; batch.len()];
        }
    };
    let mut outcomes = Vec::with_capacity(batch.len());
    loop {
        while let Some(request) = batch.get(outcomes.len()) {
            let outcome = apply_in_savepoint(&tx, &request.command, now, apply);
            // After some I/O errors (SQLITE_FULL, SQLITE_IOERR) SQLite rolls the
            // whole transaction back by itself. Later savepoints would then run in
            // autocommit mode and commit alone: stop here instead.
            if outcome.is_err() || tx.is_autocommit() {
                tracing::error!(
                    commands = batch.len(),
                    "transaction lost; answering the batch store_unavailable"
                );
                return vec![UNAVAILABLE; batch.len()];
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
    match tx.commit() {
        Ok(()) => outcomes,
        Err(e) => {
            // Dropping the transaction rolled it back.
            tracing::error!(error = %e, commands = batch.len(), "COMMIT failed; answering store_unavailable");
            vec![UNAVAILABLE; batch.len()]
        }
    }
}

/// Runs one statement through the connection's statement cache: the savepoint
/// statements run once per command, so parsing them each time would show.
fn execute_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// The command's writes could not be undone alone: the whole transaction must
/// be rolled back.
struct BatchLost;

/// Applies one command in its own savepoint: its outcome, a rolled-back
/// `StoreUnavailable`, or `BatchLost` when even the rollback failed.
fn apply_in_savepoint<A: ApplyFn>(
    conn: &Connection,
    command: &Command,
    now: UnixMillis,
    apply: &mut A,
) -> Result<Outcome, BatchLost> {
    if let Err(e) = execute_cached(conn, "SAVEPOINT command") {
        tracing::error!(error = %e, "SAVEPOINT failed; answering store_unavailable");
        return Ok(UNAVAILABLE);
    }
    // A bug in the rules must not take the writer (and every client) down:
    // roll the one command back and keep serving.
    let result = catch_unwind(AssertUnwindSafe(|| {
        apply(command, &mut SqlView::new(conn), now)
    }));
    let failure = match result {
        Ok(Ok(outcome)) => match execute_cached(conn, "RELEASE command") {
            Ok(()) => return Ok(outcome),
            Err(e) => format!("RELEASE failed: {e}"),
        },
        Ok(Err(e)) => e.to_string(),
        Err(_) => "applying the command panicked".to_string(),
    };
    tracing::warn!(error = %failure, "command rolled back; answering store_unavailable");
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

//! The PostgreSQL writer thread: the SQLite writer's group commit (see
//! `crate::writer`), with each batch's transaction taking the write lock
//! first (see `crate::pg`), notifying the other nodes when it recorded
//! events, and learning its transaction's id for a `COMMIT` whose answer is
//! lost (see `lost_commit`).

use crate::clock::Clock;
use crate::error::ApplyError;
use crate::observe::Observer;
use crate::pg::batch_rows::PgBatch;
use crate::pg::connection::{describe, PgConn, PgResult, Slot};
use crate::pg::lost_commit::{was_committed, CommitFault, CommitFaults};
use crate::pg::view::PgView;
use crate::pg::{CHANNEL, WRITE_LOCK};
use crate::writer::{send_replies, Isolation, Job, Request, ADVANCED, UNAVAILABLE};
use agora_core::command::Outcome;
use agora_core::config::Config;
use agora_core::events::Event;
use agora_core::idempotency;
use agora_core::rules;
use agora_core::time::UnixMillis;
use postgres::SimpleQueryMessage;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::Instant;

pub(crate) struct PgWriter {
    pub(crate) slot: Slot,
    /// Failures to play at commits (tests).
    pub(crate) faults: Arc<CommitFaults>,
    pub(crate) queue: Receiver<Request>,
    pub(crate) batch_max: usize,
    pub(crate) clock: Clock,
    pub(crate) rules: Config,
    pub(crate) observer: Observer,
    pub(crate) batches: u64,
    pub(crate) commands: u64,
}

enum Attempt {
    Done(Vec<Outcome>),
    /// With `Isolation::Batch`: a command failed, the transaction was
    /// rolled back; run the batch again with a savepoint per command.
    CommandFailed,
    /// The connection failed before `COMMIT` was sent: nothing of the batch
    /// was committed, it may run again.
    Lost(String),
    /// The connection failed during `COMMIT`: whether transaction `xid`,
    /// with these outcomes, was committed is for [`was_committed`] to say
    /// (`None`: it cannot be asked, a test's fault).
    LostInCommit {
        error: String,
        outcomes: Vec<Outcome>,
        xid: Option<i64>,
    },
}

impl PgWriter {
    /// Runs until every sender of the queue is gone and the queue is drained.
    pub(crate) fn run(mut self) {
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
            let started = Instant::now();
            let outcomes = self.run_batch(&mut batch, now);
            self.observer.batch(batch.len(), Some(started.elapsed()));
            self.observer.round_trips(self.slot.take_round_trips());
            self.batches += 1;
            self.commands += batch.len() as u64;
            // The events reach this node's hub through the listener (this
            // transaction's NOTIFY), and a reader catches up before it pages.
            send_replies(batch.drain(..).zip(outcomes));
        }
        self.slot.close();
        tracing::info!(
            batches = self.batches,
            commands = self.commands,
            "store closed"
        );
    }

    /// Runs the batch; when the connection turns out broken before the
    /// commit (a database restart since its last use shows only then), or
    /// the batch is found not committed after its `COMMIT` lost its
    /// connection, runs it again, once, on a new connection: nothing of it
    /// was committed.
    fn run_batch(&mut self, batch: &mut Vec<Request>, now: UnixMillis) -> Vec<Outcome> {
        let reused = self.slot.is_open();
        let outcomes = match self.attempt(batch, now) {
            Err(e) if reused || self.slot.is_open() => {
                tracing::warn!(error = %e, "PostgreSQL connection lost; running the batch again on a new one");
                self.attempt(batch, now)
            }
            other => other,
        };
        outcomes.unwrap_or_else(|e| {
            tracing::error!(error = %e, commands = batch.len(),
                "PostgreSQL transaction failed; answering the batch store_unavailable");
            self.slot.failed();
            vec![UNAVAILABLE; batch.len()]
        })
    }

    /// One run of the batch: its outcomes (`StoreUnavailable` for all when
    /// the database cannot be reached, or when a `COMMIT` that lost its
    /// connection cannot be checked), or why it was not committed and may
    /// run again (the connection is then closed, or new and working).
    fn attempt(
        &mut self,
        batch: &mut Vec<Request>,
        now: UnixMillis,
    ) -> Result<Vec<Outcome>, String> {
        let Some(conn) = self.slot.get() else {
            return Ok(vec![UNAVAILABLE; batch.len()]);
        };
        let queue = &self.queue;
        let more = || queue.try_recv().ok();
        let run = BatchRun {
            now,
            rules: &self.rules,
            faults: &self.faults,
        };
        let first = transaction(conn, batch, self.batch_max, more, Isolation::Batch, &run);
        let attempt = match first {
            Attempt::CommandFailed => {
                tracing::warn!(
                    commands = batch.len(),
                    "a command failed; running its batch again with a savepoint per command"
                );
                let len = batch.len();
                transaction(conn, batch, len, || None, Isolation::PerCommand, &run)
            }
            other => other,
        };
        match attempt {
            Attempt::Done(outcomes) => Ok(outcomes),
            Attempt::CommandFailed => Ok(vec![UNAVAILABLE; batch.len()]),
            Attempt::Lost(e) => {
                self.slot.failed();
                Err(e)
            }
            Attempt::LostInCommit {
                error: e,
                outcomes,
                xid,
            } => {
                self.slot.failed();
                let checked = match xid {
                    Some(xid) => self.slot.get().map(|conn| was_committed(conn, xid)),
                    None => Some(Ok(None)),
                };
                match checked {
                    Some(Ok(Some(true))) => {
                        tracing::warn!(error = %e, commands = batch.len(),
                            "PostgreSQL COMMIT lost its answer; the batch was committed");
                        Ok(outcomes)
                    }
                    Some(Ok(Some(false))) => Err(format!("{e}; the batch was not committed")),
                    Some(Ok(None)) => {
                        tracing::error!(error = %e, xid, commands = batch.len(),
                            "PostgreSQL COMMIT lost its answer and no longer knows the transaction; answering the batch store_unavailable");
                        Ok(vec![UNAVAILABLE; batch.len()])
                    }
                    Some(Err(check)) => {
                        tracing::error!(error = %e, check = %describe(&check), commands = batch.len(),
                            "PostgreSQL COMMIT lost its answer and cannot be checked; answering the batch store_unavailable");
                        self.slot.failed();
                        Ok(vec![UNAVAILABLE; batch.len()])
                    }
                    None => {
                        tracing::error!(error = %e, commands = batch.len(),
                            "PostgreSQL COMMIT lost its answer and the database is gone; answering the batch store_unavailable");
                        Ok(vec![UNAVAILABLE; batch.len()])
                    }
                }
            }
        }
    }
}

/// What every transaction of one batch shares: its time, the rules, and
/// the faults a test asked for.
struct BatchRun<'a> {
    now: UnixMillis,
    rules: &'a Config,
    faults: &'a CommitFaults,
}

impl BatchRun<'_> {
    /// `COMMIT` (after the `NOTIFY`, when `notify`, in the same round trip);
    /// `Err` with why when its answer did not come, and whether its fate
    /// may be asked.
    fn commit(&self, conn: &mut PgConn, notify: bool) -> Result<(), (String, bool)> {
        let sql = if notify {
            format!("NOTIFY {CHANNEL}; COMMIT")
        } else {
            "COMMIT".to_owned()
        };
        match self.faults.take() {
            None => conn.batch(&sql).map_err(|e| (describe(&e), true)),
            Some(CommitFault::BeforeCommit) => {
                let _ = conn.batch("ROLLBACK");
                Err(("injected: lost before COMMIT".into(), true))
            }
            Some(CommitFault::AfterCommit) => {
                let _ = conn.batch(&sql);
                Err(("injected: lost after COMMIT".into(), true))
            }
            Some(CommitFault::AfterCommitUnknown) => {
                let _ = conn.batch(&sql);
                Err(("injected: lost after COMMIT, fate unknown".into(), false))
            }
        }
    }
}

/// One transaction for `batch` (joined by what `more` gives once the lock
/// is held, up to `batch_max`): `BEGIN`, the write lock, the commands (over
/// the batch overlay with `Isolation::Batch`, a load and a flush; over
/// `PgView` with a savepoint each otherwise), a `NOTIFY` if any recorded
/// events, `COMMIT`.
fn transaction(
    conn: &mut PgConn,
    batch: &mut Vec<Request>,
    batch_max: usize,
    mut more: impl FnMut() -> Option<Request>,
    isolation: Isolation,
    run: &BatchRun<'_>,
) -> Attempt {
    let (now, rules_config) = (run.now, run.rules);
    let xid = match begin_batch(conn) {
        Ok(xid) => xid,
        Err(e) => {
            let _ = conn.batch("ROLLBACK");
            return Attempt::Lost(e);
        }
    };
    let mut events: Vec<Event> = Vec::new();
    let mut outcomes = Vec::with_capacity(batch.len());
    // The batch's reads and writes in memory (see `crate::overlay`).
    let mut overlay = PgBatch::new(now, rules_config);
    // What arrived while this transaction waited for the write lock joins
    // it before the batch's one load (see `crate::overlay`); what arrives
    // while it runs starts the next batch.
    while batch.len() < batch_max {
        match more() {
            Some(request) => batch.push(request),
            None => break,
        }
    }
    while let Some(request) = batch.get(outcomes.len()) {
        let outcome = match isolation {
            Isolation::Batch => match overlay.apply(conn, batch, outcomes.len(), &mut events) {
                Ok(outcome) => outcome,
                Err(failure) => {
                    tracing::warn!(error = %failure, "command failed");
                    return match conn.batch("ROLLBACK") {
                        Ok(()) => Attempt::CommandFailed,
                        Err(e) => Attempt::Lost(describe(&e)),
                    };
                }
            },
            Isolation::PerCommand => {
                match in_savepoint(conn, &request.job, now, rules_config, &mut events) {
                    Ok(outcome) => outcome,
                    Err(e) => {
                        let _ = conn.batch("ROLLBACK");
                        return Attempt::Lost(describe(&e));
                    }
                }
            }
        };
        outcomes.push(outcome);
    }
    if let Err(failure) = overlay.flush(conn) {
        tracing::warn!(error = %failure, "batch flush failed");
        return match conn.batch("ROLLBACK") {
            Ok(()) => Attempt::CommandFailed,
            Err(e) => Attempt::Lost(describe(&e)),
        };
    }
    match run.commit(conn, !events.is_empty()) {
        Ok(()) => Attempt::Done(outcomes),
        // Committed or not: unknown yet. Nothing was acknowledged.
        Err((error, askable)) => Attempt::LostInCommit {
            error,
            outcomes,
            xid: askable.then_some(xid),
        },
    }
}

/// A batch's `BEGIN`, the write lock and its transaction's id (kept for a
/// `COMMIT` whose answer is lost), in one round trip.
fn begin_batch(conn: &mut PgConn) -> Result<i64, String> {
    let sql = format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK}); SELECT txid_current()");
    let replies = conn.client().simple_query(&sql).map_err(|e| describe(&e))?;
    let xid = replies.iter().rev().find_map(|reply| match reply {
        SimpleQueryMessage::Row(row) => row.get(0),
        _ => None,
    });
    xid.and_then(|xid| xid.parse().ok())
        .ok_or_else(|| "BEGIN gave no transaction id".to_owned())
}

/// `BEGIN` and the write lock, in one round trip.
pub(crate) fn begin(conn: &mut PgConn) -> PgResult<()> {
    conn.batch(&format!(
        "BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"
    ))
}

/// Applies one job; a store error or a panic comes back as an error.
fn apply(
    conn: &mut PgConn,
    job: &Job,
    now: UnixMillis,
    rules_config: &Config,
    events: &mut Vec<Event>,
) -> Result<Outcome, ApplyError> {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut view = PgView::new(conn).recording_events(events);
        match job {
            Job::Command(command) => rules::apply(command, &mut view, now, rules_config),
            Job::Keyed { command, keyed } => {
                idempotency::apply_once(&mut view, command, keyed, now, |view| {
                    rules::apply(command, view, now, rules_config)
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

/// Applies one job in its own savepoint: its outcome, or `StoreUnavailable`
/// with its writes and events undone. `Err` when the connection failed.
fn in_savepoint(
    conn: &mut PgConn,
    job: &Job,
    now: UnixMillis,
    rules_config: &Config,
    events: &mut Vec<Event>,
) -> PgResult<Outcome> {
    conn.batch("SAVEPOINT command")?;
    let events_before = events.len();
    match apply(conn, job, now, rules_config, events) {
        Ok(outcome) => {
            conn.batch("RELEASE SAVEPOINT command")?;
            Ok(outcome)
        }
        Err(failure) => {
            tracing::warn!(error = %failure, "command rolled back; answering store_unavailable");
            events.truncate(events_before);
            conn.batch("ROLLBACK TO SAVEPOINT command; RELEASE SAVEPOINT command")?;
            Ok(UNAVAILABLE)
        }
    }
}

//! The writer thread: the group-commit engine over a [`Wing`]. It gathers
//! queued jobs into a batch, runs it in one transaction (a failing command
//! rolls back alone: see `run_batch`), answers only after the batch is
//! committed, and hands the batch's events to publication.

use super::batch::{Abort, ApplyStep, Isolation};
use super::job::{send_replies, Request, UNAVAILABLE};
use super::status_memo::DataVersion;
use super::wing::{Commit, Wing};
use crate::clock::Clock;
use crate::live::Publication;
use crate::observe::Observer;
use agora_core::command::Outcome;
use agora_core::events::Event;
use agora_core::time::UnixMillis;
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) struct Writer<W> {
    pub(crate) wing: W,
    pub(crate) queue: Receiver<Request>,
    pub(crate) batch_max: usize,
    pub(crate) clock: Clock,
    /// Bumped after every batch, before its outcomes go out (see
    /// `status_memo`).
    pub(crate) version: Arc<DataVersion>,
    pub(crate) publication: Publication,
    /// Told of each batch and how long its commit took.
    pub(crate) observer: Observer,
}

/// One run of a batch's transaction.
enum Attempt {
    /// Committed (or answered `store_unavailable` throughout).
    Done(Vec<Outcome>),
    /// With `Isolation::Batch`: a command failed and everything was rolled
    /// back.
    CommandFailed,
    /// Nothing of it was committed; it may run again (`Wing::retryable`).
    NotCommitted(String),
}

impl<W: Wing> Writer<W> {
    /// The batch loop, until every sender of the queue is gone and the queue
    /// is drained; then the wing closes its connection. Never stops on a
    /// database error: the affected commands are answered
    /// `StoreUnavailable` and the next batch tries again.
    ///
    /// Each batch's outcomes go out once it is committed, from this thread:
    /// handing them to a thread of their own (so that the writer could go on
    /// at once) cost more in thread wake-ups than it saved, on every runtime
    /// (send throughput +7 % to +13 % without it).
    pub(crate) fn run(mut self) {
        let (mut batches, mut commands) = (0u64, 0u64);
        let mut batch: Vec<Request> = Vec::with_capacity(self.batch_max);
        let mut events: Vec<Event> = Vec::new();
        while let Ok(first) = self.queue.recv() {
            batch.push(first);
            self.gather(&mut batch, self.batch_max);
            let now = self.clock.now();
            let (outcomes, timed) = self.run_batch(&mut batch, now, &mut events);
            self.version.bump();
            self.observer.batch(batch.len(), timed);
            let trips = self.wing.take_round_trips();
            self.observer.round_trips(trips.made);
            self.observer.statements_prepared(trips.prepared);
            self.observer.write_lock_wait(self.wing.take_lock_wait());
            batches += 1;
            commands += batch.len() as u64;
            let published = self.publication.record(std::mem::take(&mut events));
            send_replies(batch.drain(..).zip(outcomes));
            self.publication.fan_out(&published);
            self.wing.after_batch();
        }
        if self.wing.close() {
            tracing::info!(batches, commands, "store closed");
        }
    }

    /// Takes what else is queued, up to `batch_max`, without waiting;
    /// whether any came.
    fn gather(&mut self, batch: &mut Vec<Request>, batch_max: usize) -> bool {
        let before = batch.len();
        while batch.len() < batch_max {
            match self.queue.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        batch.len() > before
    }

    /// Runs the batch: one outcome per command of `batch` (every one
    /// `StoreUnavailable` when the transaction could not be committed), and
    /// the time to tell the observer. A batch that was not committed runs
    /// again, once, when the wing has a connection worth trying it on (see
    /// `Wing::retryable`): nothing of it was committed.
    ///
    /// A command whose apply fails must roll back alone. Savepoints do that,
    /// but one per command costs statements (and on SQLite a copy of every
    /// page it touches), for a failure that almost never happens. So the
    /// batch first runs without them; if a command fails, the whole
    /// transaction is rolled back and the batch runs again with one
    /// savepoint per command. Its commands are then applied twice, to the
    /// same database state at the same `now`, so they come to the same
    /// outcomes (the rules are deterministic; a test's apply must be too).
    fn run_batch(
        &mut self,
        batch: &mut Vec<Request>,
        now: UnixMillis,
        events: &mut Vec<Event>,
    ) -> (Vec<Outcome>, Option<Duration>) {
        let started = Instant::now();
        let mut commit_time = None;
        let reused = self.wing.retryable();
        let outcomes = match self.attempt(batch, now, events, &mut commit_time) {
            Err(e) if reused || self.wing.retryable() => {
                tracing::warn!(error = %e, "the batch was not committed; running it again on a new connection");
                self.attempt(batch, now, events, &mut commit_time)
            }
            other => other,
        };
        let outcomes = outcomes.unwrap_or_else(|e| {
            tracing::error!(error = %e, commands = batch.len(),
                "the batch was not committed; answering it store_unavailable");
            vec![UNAVAILABLE; batch.len()]
        });
        let timed = if W::TIMES_WHOLE_TRANSACTION {
            Some(started.elapsed())
        } else {
            commit_time
        };
        (outcomes, timed)
    }

    /// One run of the batch: without savepoints, then, if a command failed,
    /// with one per command. `Err` when it was not committed.
    fn attempt(
        &mut self,
        batch: &mut Vec<Request>,
        now: UnixMillis,
        events: &mut Vec<Event>,
        commit_time: &mut Option<Duration>,
    ) -> Result<Vec<Outcome>, String> {
        let batch_max = self.batch_max;
        let first = self.transaction(batch, batch_max, now, Isolation::Batch, events, commit_time);
        let attempt = match first {
            Attempt::CommandFailed => {
                tracing::warn!(
                    commands = batch.len(),
                    "a command failed; running its batch again with a savepoint per command"
                );
                let len = batch.len();
                self.transaction(batch, len, now, Isolation::PerCommand, events, commit_time)
            }
            other => other,
        };
        match attempt {
            Attempt::Done(outcomes) => Ok(outcomes),
            Attempt::CommandFailed => Ok(vec![UNAVAILABLE; batch.len()]),
            Attempt::NotCommitted(e) => Err(e),
        }
    }

    /// One transaction for `batch`. Jobs that arrive meanwhile join it, up
    /// to `batch_max`, until the queue is empty: they share this commit
    /// instead of each waiting for the next one's. Those that came while
    /// `begin` waited (on PostgreSQL, for the lock every node shares) join
    /// before the first apply step; later ones only if the wing says so
    /// (`Wing::JOINS_AFTER_APPLY`).
    fn transaction(
        &mut self,
        batch: &mut Vec<Request>,
        batch_max: usize,
        now: UnixMillis,
        isolation: Isolation,
        events: &mut Vec<Event>,
        commit_time: &mut Option<Duration>,
    ) -> Attempt {
        events.clear();
        if let Err(e) = self.wing.begin() {
            self.wing.abandon();
            return Attempt::NotCommitted(format!("BEGIN failed: {e}"));
        }
        self.gather(batch, batch_max);
        let mut outcomes = Vec::with_capacity(batch.len());
        loop {
            let jobs = &batch[outcomes.len()..];
            let applied = self.wing.apply_batch(ApplyStep {
                jobs,
                now,
                isolation,
                events,
                outcomes: &mut outcomes,
            });
            match applied {
                Ok(()) => {}
                Err(Abort::CommandFailed) => {
                    events.clear();
                    return match self.wing.rollback() {
                        Ok(()) => Attempt::CommandFailed,
                        Err(e) => {
                            self.wing.abandon();
                            Attempt::NotCommitted(format!("ROLLBACK failed: {e}"))
                        }
                    };
                }
                Err(Abort::Lost(e)) => {
                    events.clear();
                    self.wing.abandon();
                    return Attempt::NotCommitted(e);
                }
            }
            if !W::JOINS_AFTER_APPLY || !self.gather(batch, batch_max) {
                break;
            }
        }
        let started = Instant::now();
        let committed = self.wing.commit(!events.is_empty());
        *commit_time = Some(started.elapsed());
        match committed {
            Commit::Committed => Attempt::Done(outcomes),
            Commit::NotCommitted(e) => {
                events.clear();
                Attempt::NotCommitted(e)
            }
            Commit::Unknown(e) => {
                events.clear();
                tracing::error!(error = %e, commands = batch.len(),
                    "whether the batch was committed is unknown; answering it store_unavailable");
                Attempt::Done(vec![UNAVAILABLE; batch.len()])
            }
        }
    }
}

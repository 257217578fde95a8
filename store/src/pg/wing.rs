//! The PostgreSQL wing of the engine: the writer's connection, whose batches
//! each take the write lock first (see `crate::pg`), notify the other nodes
//! when they recorded events, and learn their transaction's id for a
//! `COMMIT` whose answer is lost (see `lost_commit`).
//!
//! A batch runs over the batch overlay (`crate::overlay`, through
//! `batch_rows`): `BEGIN` with the lock, one load, one flush, `COMMIT`:
//! four round trips whatever its size. The flush ends the apply step, not
//! the commit: a failed flush is then rolled back and the batch run again
//! with a savepoint per command over `PgView`, like a failed command (the
//! step runs once per transaction: see `JOINS_AFTER_APPLY`, so flushing
//! there costs no round trip more).

use super::batch_rows;
use super::connection::{describe, PgConn, Slot};
use super::lost_commit::{was_committed, CommitFault, CommitFaults};
use super::view::PgView;
use super::{CHANNEL, WRITE_LOCK};
use crate::engine::apply::apply_job;
use crate::engine::batch::{apply_each, Abort, Applied, ApplyStep, CommandSteps, Isolation};
use crate::engine::job::Job;
use crate::engine::wing::{Commit, RoundTrips, Wing};
use crate::error::ApplyError;

use agora_core::config::Config;
use agora_core::events::Event;
use agora_core::rules;
use agora_core::time::UnixMillis;
use agora_core::view::StoreError;
use postgres::SimpleQueryMessage;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) struct PgWing {
    pub(crate) slot: Slot,
    /// Failures to play at commits (tests).
    pub(crate) faults: Arc<CommitFaults>,
    pub(crate) rules: Config,
    /// The open transaction's id, learnt in the round trip that began it.
    pub(crate) xid: i64,
    /// Time spent in `begin` since the observer was last told: its round
    /// trip, which waits for the write lock while another node's batch
    /// holds it (`agora_store_write_lock_wait_seconds`).
    pub(crate) lock_wait: Duration,
}

impl PgWing {
    /// The connection of the open transaction.
    fn conn(&mut self) -> Result<&mut PgConn, String> {
        self.slot
            .current()
            .ok_or_else(|| "the connection was lost".to_owned())
    }

    fn batch(&mut self, sql: &str) -> Result<(), String> {
        self.conn()?.batch(sql).map_err(|e| describe(&e))
    }

    /// `COMMIT` (after the `NOTIFY`, when `notify`, in the same round
    /// trip); `Err` with why when its answer did not come, and whether its
    /// fate may be asked.
    fn send_commit(&mut self, notify: bool) -> Result<(), (String, bool)> {
        let sql = if notify {
            format!("NOTIFY {CHANNEL}; COMMIT")
        } else {
            "COMMIT".to_owned()
        };
        let fault = self.faults.take();
        let conn = self.conn().map_err(|e| (e, true))?;
        match fault {
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

    /// The `COMMIT` lost its answer: whether transaction `xid` committed,
    /// asked on a new connection (`None`: it cannot be asked, a test's
    /// fault).
    fn look_up(&mut self, error: String, xid: Option<i64>) -> Commit {
        self.slot.failed();
        let checked = match xid {
            Some(xid) => self.slot.get().map(|conn| was_committed(conn, xid)),
            None => Some(Ok(None)),
        };
        match checked {
            Some(Ok(Some(true))) => {
                tracing::warn!(error = %error, "PostgreSQL COMMIT lost its answer; the batch was committed");
                Commit::Committed
            }
            Some(Ok(Some(false))) => {
                Commit::NotCommitted(format!("{error}; the batch was not committed"))
            }
            Some(Ok(None)) => Commit::Unknown(format!(
                "{error}; PostgreSQL COMMIT lost its answer and no longer knows the transaction"
            )),
            Some(Err(check)) => {
                self.slot.failed();
                Commit::Unknown(format!(
                    "{error}; PostgreSQL COMMIT lost its answer and cannot be checked: {}",
                    describe(&check)
                ))
            }
            None => Commit::Unknown(format!(
                "{error}; PostgreSQL COMMIT lost its answer and the database is gone"
            )),
        }
    }
}

impl CommandSteps for PgWing {
    fn apply(&mut self, job: &Job, now: UnixMillis, events: &mut Vec<Event>) -> Applied {
        let rules_config = &self.rules;
        let conn = self
            .slot
            .current()
            .ok_or_else(|| ApplyError::View(StoreError("the connection was lost".into())))?;
        let mut view = PgView::new(conn).recording_events(events);
        apply_job(&mut view, job, now, |command, view, now| {
            rules::apply(command, view, now, rules_config)
        })
    }

    fn savepoint(&mut self) -> Result<(), String> {
        self.batch("SAVEPOINT command")
    }

    fn release_savepoint(&mut self) -> Result<(), String> {
        self.batch("RELEASE SAVEPOINT command")
    }

    fn rollback_to_savepoint(&mut self) -> Result<(), String> {
        self.batch("ROLLBACK TO SAVEPOINT command; RELEASE SAVEPOINT command")
    }
}

impl Wing for PgWing {
    const TIMES_WHOLE_TRANSACTION: bool = true;
    /// Jobs that arrive while a batch is applied start the next batch: a
    /// second apply step would cost a load and a flush more while the lock
    /// every node shares is held. (Those that arrived while `begin` waited
    /// for the lock have joined before the load.)
    const JOINS_AFTER_APPLY: bool = false;

    /// With `Isolation::Batch`, the jobs over the batch overlay (one load,
    /// one flush: `batch_rows::apply_batch`); a command that fails is taken
    /// back in memory and answered `store_unavailable`, unless its writes
    /// already reached the database (a range read flushes first), which
    /// fails the step. With `Isolation::PerCommand` (that rerun), each job
    /// over `PgView` in a savepoint of its own.
    fn apply_batch(&mut self, step: ApplyStep<'_>) -> Result<(), Abort> {
        if step.isolation == Isolation::PerCommand {
            return apply_each(self, step);
        }
        let conn = self
            .slot
            .current()
            .ok_or_else(|| Abort::Lost("the connection was lost".into()))?;
        batch_rows::apply_batch(conn, step, &self.rules).map_err(|failure| {
            tracing::warn!(error = %failure, "batch failed over the overlay");
            Abort::CommandFailed
        })
    }

    /// `BEGIN`, the write lock and the transaction's id (kept for a
    /// `COMMIT` whose answer is lost), in one round trip.
    fn begin(&mut self) -> Result<(), String> {
        let sql =
            format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK}); SELECT txid_current()");
        let conn = self
            .slot
            .get()
            .ok_or_else(|| "PostgreSQL cannot be reached".to_owned())?;
        let started = Instant::now();
        let replies = conn.client().simple_query(&sql);
        self.lock_wait += started.elapsed();
        let replies = replies.map_err(|e| describe(&e))?;
        let xid = replies.iter().rev().find_map(|reply| match reply {
            SimpleQueryMessage::Row(row) => row.get(0),
            _ => None,
        });
        self.xid = xid
            .and_then(|xid| xid.parse().ok())
            .ok_or_else(|| "BEGIN gave no transaction id".to_owned())?;
        Ok(())
    }

    fn rollback(&mut self) -> Result<(), String> {
        self.batch("ROLLBACK")
    }

    /// A connection whose state is unknown is closed; the next batch opens
    /// another.
    fn abandon(&mut self) {
        let _ = self.batch("ROLLBACK");
        self.slot.failed();
    }

    fn commit(&mut self, notify: bool) -> Commit {
        match self.send_commit(notify) {
            Ok(()) => Commit::Committed,
            // Committed or not: unknown yet. Nothing was acknowledged.
            Err((error, askable)) => {
                let xid = askable.then_some(self.xid);
                self.look_up(error, xid)
            }
        }
    }

    fn retryable(&self) -> bool {
        self.slot.is_open()
    }

    fn take_round_trips(&mut self) -> RoundTrips {
        self.slot.take_round_trips()
    }

    fn take_lock_wait(&mut self) -> Duration {
        std::mem::take(&mut self.lock_wait)
    }

    fn close(mut self) -> bool {
        self.slot.close();
        true
    }
}

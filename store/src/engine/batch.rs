//! The apply step of a batch, as today's wings run it: each job over the
//! wing's view of the open transaction, in a savepoint of its own when one
//! failure must not undo the others (see `Wing::apply_batch`), through the
//! per-command steps a wing gives ([`CommandSteps`]).

use super::job::{Job, Request, UNAVAILABLE};
use crate::error::ApplyError;
use agora_core::command::Outcome;
use agora_core::events::Event;
use agora_core::time::UnixMillis;

/// What rolls back when a command fails.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Isolation {
    /// The whole transaction: the batch must be run again.
    Batch,
    /// The command alone, in its own savepoint.
    PerCommand,
}

/// Why an apply step stopped before the end of its jobs.
#[derive(Debug)]
pub(crate) enum Abort {
    /// With `Isolation::Batch`: a command failed; roll back and run the
    /// batch again with `Isolation::PerCommand`.
    CommandFailed,
    /// The transaction cannot go on.
    Lost(String),
}

/// One job's outcome, or why it failed (its writes must then be undone).
pub(crate) type Applied = Result<Outcome, ApplyError>;

/// One call of `Wing::apply_batch`: the jobs, the batch's time and
/// isolation, and where their events and outcomes (one a job, in order)
/// go.
pub(crate) struct ApplyStep<'a> {
    pub(crate) jobs: &'a [Request],
    pub(crate) now: UnixMillis,
    pub(crate) isolation: Isolation,
    pub(crate) events: &'a mut Vec<Event>,
    pub(crate) outcomes: &'a mut Vec<Outcome>,
}

/// What the default apply step ([`apply_each`]) asks of a wing, per
/// command, inside the open transaction.
pub(crate) trait CommandSteps {
    /// Applies one job over the wing's view of the open transaction (see
    /// `engine::apply::apply_job`), appending its events to `events`. A
    /// panic must come back as `ApplyError::Panicked`.
    fn apply(&mut self, job: &Job, now: UnixMillis, events: &mut Vec<Event>) -> Applied;

    /// A savepoint before one command (`Isolation::PerCommand`).
    fn savepoint(&mut self) -> Result<(), String>;
    /// The command succeeded: its savepoint goes, its writes stay.
    fn release_savepoint(&mut self) -> Result<(), String>;
    /// The command failed: its writes are undone (and anything the wing
    /// cached from them forgotten), its savepoint goes.
    fn rollback_to_savepoint(&mut self) -> Result<(), String>;

    /// Whether the transaction is still open after a command (SQLite rolls
    /// the whole transaction back by itself after some I/O errors; later
    /// savepoints would then commit alone).
    fn in_transaction(&self) -> bool {
        true
    }
}

/// Applies `jobs` one by one: with `Isolation::Batch` the first failure
/// stops the step; with `Isolation::PerCommand` each runs in a savepoint
/// and a failure is undone alone and answered `store_unavailable`.
pub(crate) fn apply_each<W: CommandSteps + ?Sized>(
    wing: &mut W,
    step: ApplyStep<'_>,
) -> Result<(), Abort> {
    let ApplyStep {
        jobs,
        now,
        isolation,
        events,
        outcomes,
    } = step;
    for request in jobs {
        let outcome = match isolation {
            Isolation::Batch => match wing.apply(&request.job, now, events) {
                Ok(outcome) => outcome,
                Err(failure) => {
                    tracing::warn!(error = %failure, "command failed");
                    return Err(Abort::CommandFailed);
                }
            },
            Isolation::PerCommand => in_savepoint(wing, &request.job, now, events)?,
        };
        if !wing.in_transaction() {
            return Err(Abort::Lost(
                "the transaction was rolled back under the batch".into(),
            ));
        }
        outcomes.push(outcome);
    }
    Ok(())
}

/// Applies one job in its own savepoint: its outcome, or `StoreUnavailable`
/// with its writes and events undone.
fn in_savepoint<W: CommandSteps + ?Sized>(
    wing: &mut W,
    job: &Job,
    now: UnixMillis,
    events: &mut Vec<Event>,
) -> Result<Outcome, Abort> {
    wing.savepoint()
        .map_err(|e| Abort::Lost(format!("SAVEPOINT failed: {e}")))?;
    let events_before = events.len();
    let failure = match wing.apply(job, now, events) {
        Ok(outcome) => match wing.release_savepoint() {
            Ok(()) => return Ok(outcome),
            Err(e) => e,
        },
        Err(failure) => failure.to_string(),
    };
    tracing::warn!(error = %failure, "command rolled back; answering store_unavailable");
    // Only this command is undone: the events of the others stand.
    events.truncate(events_before);
    match wing.rollback_to_savepoint() {
        Ok(()) => Ok(UNAVAILABLE),
        Err(e) => Err(Abort::Lost(format!("rolling back a command failed: {e}"))),
    }
}

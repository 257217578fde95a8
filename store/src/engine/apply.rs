//! One job over a view: the rules (or a test's apply function), the
//! idempotency log, or a read position's move, with a panic caught (a bug
//! in the rules must not take the writer, and every client, down).

use super::job::{Job, ADVANCED};
use crate::error::ApplyError;
use agora_core::command::{Command, Outcome};
use agora_core::idempotency::{self, KeyLog};
use agora_core::rules;
use agora_core::time::UnixMillis;
use agora_core::view::{StoreError, View};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Applies `job` over `view` with `apply` (the chat rules, for a command);
/// a store error or a panic comes back as an error.
pub(crate) fn apply_job<V: View + KeyLog>(
    view: &mut V,
    job: &Job,
    now: UnixMillis,
    apply: impl FnMut(&Command, &mut V, UnixMillis) -> Result<Outcome, StoreError>,
) -> Result<Outcome, ApplyError> {
    let result = catch_unwind(AssertUnwindSafe(|| run_job(view, job, now, apply)));
    match result {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(e)) => Err(ApplyError::View(e)),
        Err(_) => Err(ApplyError::Panicked),
    }
}

/// Runs `job` over `view` with `apply`, without catching a panic (the
/// caller does: [`apply_job`], or the batch overlay, which also takes the
/// command's writes back).
pub(crate) fn run_job<V: View + KeyLog>(
    view: &mut V,
    job: &Job,
    now: UnixMillis,
    mut apply: impl FnMut(&Command, &mut V, UnixMillis) -> Result<Outcome, StoreError>,
) -> Result<Outcome, StoreError> {
    match job {
        Job::Command(command) => apply(command, view, now),
        Job::Keyed { command, keyed } => {
            idempotency::apply_once(view, command, keyed, now, |view| apply(command, view, now))
        }
        Job::Advance { to, .. } => rules::advance(view, to).map(|()| ADVANCED),
    }
}

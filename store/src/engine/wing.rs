//! [`Wing`]: the backend trait. What a backend (`crate::sqlite`,
//! `crate::pg`) gives the engine's group-commit writer, step by step.
//!
//! The writer (`engine::writer`) calls, for each batch:
//!
//! ```text
//! begin -> apply_batch (once, then again for each group of jobs that
//!          joined while it ran) -> commit
//!        \-> rollback (a command failed: the batch runs again with
//!            Isolation::PerCommand) or abandon (the transaction is lost)
//! ```
//!
//! and `after_batch` once the replies are out; `close` when the queue is
//! closed and drained. Every method runs on the writer's thread, in that
//! order: a wing never sees two transactions at once.

use super::batch::{apply_each, Abort, ApplyStep, CommandSteps};
use std::time::Duration;

/// How a `COMMIT` ended.
pub(crate) enum Commit {
    /// Durable: the batch's outcomes stand.
    Committed,
    /// Not committed, nothing of it kept (rolled back, or found not
    /// committed after its answer was lost): the batch may run again.
    NotCommitted(String),
    /// Committed or not, nobody can tell: every command of the batch is
    /// answered `store_unavailable`, and it never runs again.
    Unknown(String),
}

/// A backend: one connection that changes the database, owned by the writer
/// thread. Its per-command steps (apply one job, savepoints) are the
/// [`CommandSteps`] the default apply step runs. The engine keeps the queue, the gathering of a batch, the replies
/// and the publication of its events; the wing keeps the connection, the
/// SQL and whatever it caches between batches.
pub(crate) trait Wing: CommandSteps {
    /// Whether `StoreObserver::batch` is told the whole transaction's time
    /// (`BEGIN` to `COMMIT`: on PostgreSQL the wait for the lock every node
    /// shares is what bounds writes) rather than the `COMMIT`'s alone (on
    /// SQLite, the fsync).
    const TIMES_WHOLE_TRANSACTION: bool;

    /// Whether jobs that arrive while the batch is applied join its
    /// transaction (another `apply_batch` call, then another, until the
    /// queue is empty) rather than start the next batch. Those that arrive
    /// while `begin` waits always join, before the first `apply_batch`. A
    /// wing whose apply step costs round trips of its own whatever its size
    /// (the PostgreSQL overlay's load and flush) says `false`.
    const JOINS_AFTER_APPLY: bool = true;

    /// Begins the batch's transaction, taking whatever orders batches
    /// against other writers (PostgreSQL's advisory lock). May assume no
    /// transaction is open. `Err`: nothing began (the wing has cleaned up;
    /// the engine calls `abandon` anyway).
    fn begin(&mut self) -> Result<(), String>;

    /// Applies `jobs`, in order, inside the open transaction, pushing one
    /// outcome per job onto `outcomes` and each recorded event onto
    /// `events` (the engine publishes them once committed). This is the
    /// batch's one apply step; a wing may replace the default (each job
    /// through its [`CommandSteps`], a savepoint per command: see
    /// [`apply_each`]) with any that keeps this contract:
    ///
    /// - It may be called more than once per transaction (jobs that arrived
    ///   meanwhile join it); each call sees what the earlier ones wrote.
    /// - The rules must run deterministically: after `Err(CommandFailed)`
    ///   the transaction is rolled back and the same jobs run again, at the
    ///   same `now`, with `Isolation::PerCommand`.
    /// - With `Isolation::Batch`, a failing command (a store error or a
    ///   panic) may end the call with `Err(Abort::CommandFailed)`, leaving
    ///   the rest to the rollback. With `Isolation::PerCommand` it must undo
    ///   that command alone (its writes and its events: truncate `events`
    ///   back), answer it `store_unavailable` and go on.
    /// - `Err(Abort::Lost)`: the transaction cannot go on (a broken
    ///   connection); the engine abandons it.
    /// - Writes it keeps in memory must reach the database by the end of
    ///   [`commit`](Wing::commit), before `COMMIT`.
    fn apply_batch(&mut self, step: ApplyStep<'_>) -> Result<(), Abort> {
        apply_each(self, step)
    }

    /// Rolls the open transaction back (a command failed with
    /// `Isolation::Batch`; nothing else went wrong). Forgets anything cached
    /// from its writes. `Err`: the engine abandons it.
    fn rollback(&mut self) -> Result<(), String>;

    /// The transaction is lost (a failed statement or connection): roll back
    /// what can be, forget what was cached, and drop a connection whose
    /// state is unknown.
    fn abandon(&mut self);

    /// Commits, first writing anything `apply_batch` kept in memory; with
    /// `notify`, the batch recorded events and the other nodes (if any) are
    /// told in the same round trip. On failure the wing cleans up itself
    /// (and looks up a `COMMIT` whose answer was lost, when it can).
    fn commit(&mut self, notify: bool) -> Commit;

    /// Whether a batch that failed may run again: the wing has a connection
    /// that was open before (a database restart since its last use shows
    /// only when it is used) or a new one. Asked before the first attempt
    /// and after it.
    fn retryable(&self) -> bool {
        false
    }

    /// The round trips to the database since the last call, told to the
    /// observer after each batch (`agora_store_round_trips_total`, and of
    /// them `agora_store_statements_prepared_total`); none for a wing that
    /// has none to count.
    fn take_round_trips(&mut self) -> RoundTrips {
        RoundTrips::default()
    }

    /// How long the batches since the last call waited in `begin` (on
    /// PostgreSQL for the write lock every node shares), told to the
    /// observer after each batch; zero for a wing that waits for nobody.
    fn take_lock_wait(&mut self) -> Duration {
        Duration::ZERO
    }

    /// After each batch, its replies sent (SQLite's checkpoint nudges).
    fn after_batch(&mut self) {}

    /// The queue is closed and drained: close the connection. `false` when
    /// closing failed (the wing has said why).
    fn close(self) -> bool;
}

/// Round trips a wing made to its database, counted together so that the
/// two counts are taken, and kept across a dropped connection, as one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RoundTrips {
    /// Every round trip.
    pub(crate) made: u64,
    /// Of those, the ones that prepared a statement.
    pub(crate) prepared: u64,
}

impl std::ops::AddAssign for RoundTrips {
    fn add_assign(&mut self, other: RoundTrips) {
        self.made += other.made;
        self.prepared += other.prepared;
    }
}

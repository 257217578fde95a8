//! The store engine: one group-commit writer and one reader pool, generic
//! over a backend (`Wing`); `crate::sqlite` and `crate::pg` implement it
//! and never import each other.
//!
//! - `wing`: the backend trait, step by step (begin, apply the batch,
//!   savepoints, rollback, commit with an outcome of committed / not
//!   committed / unknown).
//! - `writer`: gathering a batch from the queue, its transaction (without
//!   savepoints first, then one per command if a command failed), a retry
//!   on a new connection, replies only after `COMMIT`, then the batch's
//!   events handed to live delivery (`crate::live`'s `Publication`, all
//!   the engine knows of it besides the `Hub` the readers subscribe to).
//! - `batch`: the default apply step (each job through the wing's
//!   per-command steps, a savepoint per command when one must fail alone;
//!   PostgreSQL's wing runs its first try over the batch overlay instead,
//!   `crate::overlay`); `apply`: one job over a view, a panic caught.
//! - `job`: what the queue carries and how outcomes are sent.
//! - `readers`, `read_source`, `status_memo`: the read path over a wing's
//!   `ReadSource`, with the `Status` memo: until the next commit when the
//!   writer is the only one, else checked against the database's committed
//!   state (`status_memo::state`, PostgreSQL).
//! - `start`: the threads, from what a wing opened; `running`: the started
//!   store the `Handle` fronts, and its shutdown in order.

pub(crate) mod apply;
pub(crate) mod batch;
pub(crate) mod credentials;
pub(crate) mod device_use;
pub(crate) mod job;
pub(crate) mod read_source;
pub(crate) mod readers;
pub(crate) mod running;
#[cfg(test)]
mod sample_commands;
pub(crate) mod start;
pub(crate) mod status_memo;
pub(crate) mod wing;
pub(crate) mod writer;

#[cfg(test)]
mod writer_tests;

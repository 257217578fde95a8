//! How long the writer waits for a batch to fill before it begins it.
//!
//! Under load the writer's cycle is: commit a batch, send its replies, then
//! the clients' next commands arrive one by one as the HTTP threads read
//! them. Taking the first of them at once made a batch of one (a whole
//! COMMIT and fsync for one send) while the HTTP side was still reading the
//! rest: of 8,842 batches of a 64-connection send cell, 2,679 were of one
//! command (BENCHMARKS.md, "Issue 23: the writer's cycle").
//!
//! So after a batch of more than one command, the next one waits for its
//! jobs for as long as they keep coming (no gap longer than `gap` between
//! two), until it holds as many as the last batch did, and never longer
//! than `most` in all. After a batch of one nothing waits: a lone client's
//! send is begun as soon as it arrives.

use super::job::Request;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// The wait before a batch, and what it remembers of the last one.
pub(crate) struct Gathering {
    /// The longest pause between two arrivals that still counts as the
    /// same wave of commands; zero: never wait.
    gap: Duration,
    /// The longest wait in all, however steadily they arrive.
    most: Duration,
    /// How many commands the last batch held.
    last_batch: usize,
}

impl Gathering {
    pub(crate) fn new(gap: Duration, most: Duration) -> Gathering {
        Gathering {
            gap,
            most,
            last_batch: 0,
        }
    }

    /// A batch of `commands` was run.
    pub(crate) fn ran(&mut self, commands: usize) {
        self.last_batch = commands;
    }

    /// Adds to `batch` (which holds the first job) what is queued, then, if
    /// the last batch held more than one command, what arrives while the
    /// jobs keep coming, up to the last batch's size and `batch_max`.
    pub(crate) fn fill(&self, queue: &Receiver<Request>, batch: &mut Vec<Request>, batch_max: usize) {
        take_queued(queue, batch, batch_max);
        let want = self.last_batch.min(batch_max);
        if self.gap.is_zero() || want <= 1 {
            return;
        }
        let deadline = Instant::now() + self.most;
        while batch.len() < want {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match queue.recv_timeout(self.gap.min(left)) {
                Ok(request) => {
                    batch.push(request);
                    take_queued(queue, batch, batch_max);
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
    }
}

/// Takes what is queued, up to `batch_max`, without waiting; whether any
/// came.
pub(crate) fn take_queued(
    queue: &Receiver<Request>,
    batch: &mut Vec<Request>,
    batch_max: usize,
) -> bool {
    let before = batch.len();
    while batch.len() < batch_max {
        match queue.try_recv() {
            Ok(request) => batch.push(request),
            Err(_) => break,
        }
    }
    batch.len() > before
}

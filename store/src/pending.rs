//! [`Pending`]: the outcome of a submitted command, still to come.

use agora_core::command::Outcome;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// The outcome of a submitted command, once committed: `.await` it (async
/// adapters) or [`wait`](Pending::wait) for it (blocking ones). It is
/// `Err(StoreGone)` when the store shut down before answering: answer 503
/// `store_unavailable`.
#[derive(Debug)]
#[must_use = "the command's outcome arrives through it"]
pub struct Pending(oneshot::Receiver<Outcome>);

/// Where the store sends a [`Pending`]'s outcome.
pub(crate) type Reply = oneshot::Sender<Outcome>;

/// The store shut down before answering a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the store shut down before answering")]
pub struct StoreGone;

/// Why [`Pending::wait_timeout`] came back without an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WaitError {
    #[error(transparent)]
    Gone(#[from] StoreGone),
    #[error("no outcome within {0:?}")]
    TimedOut(Duration),
}

impl Pending {
    /// A pending outcome and the sender that resolves it.
    pub(crate) fn channel() -> (Reply, Pending) {
        let (reply, receiver) = oneshot::channel();
        (reply, Pending(receiver))
    }

    /// Blocks the thread until the outcome arrives.
    pub fn wait(self) -> Result<Outcome, StoreGone> {
        self.0.recv().map_err(|_| StoreGone)
    }

    /// Blocks the thread until the outcome arrives or `timeout` passes.
    pub fn wait_timeout(&self, timeout: Duration) -> Result<Outcome, WaitError> {
        self.0.recv_timeout(timeout).map_err(|e| match e {
            oneshot::RecvTimeoutError::Timeout => WaitError::TimedOut(timeout),
            oneshot::RecvTimeoutError::Disconnected => WaitError::Gone(StoreGone),
        })
    }
}

impl Future for Pending {
    type Output = Result<Outcome, StoreGone>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|received| received.map_err(|_| StoreGone))
    }
}

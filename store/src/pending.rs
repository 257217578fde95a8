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
///
/// `T` is `Outcome` for every command but `GET /events`, whose answer is a
/// [`Watch`](crate::Watch).
#[derive(Debug)]
#[must_use = "the command's outcome arrives through it"]
pub struct Pending<T = Outcome>(oneshot::Receiver<T>);

/// Where the store sends a [`Pending`]'s outcome.
pub(crate) type Reply<T = Outcome> = oneshot::Sender<T>;

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

impl<T> Pending<T> {
    /// A pending outcome and the sender that resolves it.
    pub(crate) fn channel() -> (Reply<T>, Pending<T>) {
        let (reply, receiver) = oneshot::channel();
        (reply, Pending(receiver))
    }

    /// Blocks the thread until the outcome arrives.
    pub fn wait(self) -> Result<T, StoreGone> {
        self.0.recv().map_err(|_| StoreGone)
    }

    /// Blocks the thread until the outcome arrives or `timeout` passes.
    pub fn wait_timeout(&self, timeout: Duration) -> Result<T, WaitError> {
        self.0.recv_timeout(timeout).map_err(|e| match e {
            oneshot::RecvTimeoutError::Timeout => WaitError::TimedOut(timeout),
            oneshot::RecvTimeoutError::Disconnected => WaitError::Gone(StoreGone),
        })
    }
}

impl<T> Future for Pending<T> {
    type Output = Result<T, StoreGone>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|received| received.map_err(|_| StoreGone))
    }
}

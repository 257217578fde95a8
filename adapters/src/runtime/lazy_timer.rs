//! A connection's deadline timer that is moved only when it must be.
//!
//! The core hands out a new deadline after every request, almost always later
//! than the last one. Registering a fresh runtime timer for each wait costs a
//! wake-up of the timer's driver per request (tokio writes its `eventfd`,
//! async-io notifies its reactor; both showed in profiles under load). So the
//! armed timer is kept while the deadline only moves later: it then fires
//! early, which the core ignores (an `Input::Timeout` before the deadline is
//! spurious), and the next wait arms it for the deadline of that moment. A
//! deadline that moves earlier (a request starts on an idle connection, and
//! the header timeout is shorter than the idle one) re-arms it at once.

use std::future::Future;
use std::time::Instant;

/// A runtime's one-shot timer that can be pointed at a new instant.
pub trait Rearm: Future + Unpin {
    fn rearm(&mut self, at: Instant);
}

pub struct LazyTimer<T> {
    timer: T,
    /// The instant the timer is set for, until it has fired.
    armed: Option<Instant>,
}

impl<T: Rearm> LazyTimer<T> {
    /// `timer` is set by the first wait that has a deadline.
    pub fn new(timer: T) -> LazyTimer<T> {
        LazyTimer { timer, armed: None }
    }

    /// Waits until `deadline` or earlier; forever without one.
    pub async fn wait(&mut self, deadline: Option<Instant>) {
        let Some(at) = deadline else {
            return std::future::pending().await;
        };
        if self.armed.is_none_or(|armed| armed > at) {
            self.timer.rearm(at);
            self.armed = Some(at);
        }
        (&mut self.timer).await;
        self.armed = None;
    }
}

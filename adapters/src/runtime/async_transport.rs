//! The connection transport of both async runtimes (tokio, smol), written
//! once over the few socket and timer calls that differ ([`AsyncSocket`]): a
//! wait races the socket's readiness, the deadline, shutdown and a held
//! request's events.

use crate::drive::{events_ready, Interest, Ready, Transport};
use crate::runtime::lazy_timer::{LazyTimer, Rearm};
use crate::shutdown::Shutdown;
use futures_lite::{future, FutureExt};
use std::future::Future;
use std::io;
use std::net::Shutdown as SocketShutdown;
use std::os::fd::AsFd;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

/// A connected socket of one async runtime, and its timers.
#[allow(async_fn_in_trait)]
pub(crate) trait AsyncSocket: AsFd {
    /// The runtime's one-shot timer that can be pointed at a new instant.
    type Timer: Rearm;
    /// A timer not yet set (the first wait with a deadline sets it).
    fn timer() -> Self::Timer;
    /// Ready once a read would not wait (bytes, EOF or an error). The waker
    /// stays registered from one wait to the next until then.
    fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// Reads what is there; `WouldBlock` when nothing is (and the runtime
    /// then waits for new readiness).
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize>;
    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()>;
    async fn sleep_until(at: Instant);
}

pub(crate) struct AsyncTransport<S: AsyncSocket> {
    socket: S,
    /// Resolves when the server shuts down. One future for the connection's
    /// life: a new one per wait would register a waiter on the runtime's
    /// channel on every request.
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
    /// The same signal, for a quick look before each wait: the race below
    /// polls readability first, so a busy connection would not see
    /// `shutdown` there.
    stop: Arc<Shutdown>,
    /// `shutdown` has resolved, and must not be polled again.
    stopping: bool,
    timer: LazyTimer<S::Timer>,
}

impl<S: AsyncSocket> AsyncTransport<S> {
    pub(crate) fn new(
        socket: S,
        shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
        stop: Arc<Shutdown>,
    ) -> AsyncTransport<S> {
        AsyncTransport {
            socket,
            shutdown,
            stop,
            stopping: false,
            timer: LazyTimer::new(S::timer()),
        }
    }
}

impl<S: AsyncSocket> Transport for AsyncTransport<S> {
    async fn ready(&mut self, deadline: Option<Instant>, interest: Interest<'_>) -> Ready {
        if self.stopping || self.stop.is_triggered() {
            return Ready::Shutdown;
        }
        let AsyncTransport {
            socket,
            shutdown,
            stopping,
            timer,
            ..
        } = self;
        let readable = async {
            if !interest.socket {
                return future::pending().await;
            }
            // An error shows up again, with its cause, in `try_read`.
            // Polling readiness keeps this task's waker registered from one
            // wait to the next; a fresh `readable()` future per wait would
            // register anew each time (on smol re-arming the socket in epoll,
            // an `epoll_ctl` call, on every event a held stream delivers).
            let _ = future::poll_fn(|cx| socket.poll_readable(cx)).await;
            Ready::Readable
        };
        let deadline = async {
            timer.wait(deadline).await;
            Ready::Deadline
        };
        let stop = async {
            // A held request's subscription is closed at shutdown (see
            // `Shared::new`), which ends its wait through `events`; the
            // shutdown channel that every connection shares is then left
            // alone: polling it takes its lock, on every event of every
            // stream.
            if interest.events.is_some() {
                return future::pending().await;
            }
            shutdown.as_mut().await;
            *stopping = true;
            Ready::Shutdown
        };
        let events = async {
            events_ready(interest.events).await;
            Ready::Events
        };
        readable.or(deadline).or(stop).or(events).await
    }

    fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.socket.try_read(buf)
    }

    async fn write_all(&mut self, bytes: &[u8], deadline: Instant) -> io::Result<()> {
        let timeout = async {
            S::sleep_until(deadline).await;
            Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out"))
        };
        self.socket.write_all(bytes).or(timeout).await
    }

    async fn shutdown_write(&mut self) {
        let _ = socket2::SockRef::from(&self.socket).shutdown(SocketShutdown::Write);
    }

    fn quick_ack(&mut self) {
        crate::tcp::quick_ack(&self.socket);
    }
}

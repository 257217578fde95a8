//! An `async-io` socket as the drive loop sees it: readiness raced against
//! the deadline, shutdown and a held request's events with `or`.

use crate::drive::{events_ready, Interest, Ready, Transport};
use crate::runtime::lazy_timer::{LazyTimer, Rearm};
use async_io::{Async, Timer};
use futures_lite::{future, AsyncWriteExt, FutureExt};
use smol::channel;
use std::future::Future;
use std::io::{self, Read};
use std::net::{Shutdown as SocketShutdown, TcpStream};
use std::pin::Pin;
use std::time::Instant;

pub(super) struct SmolTransport {
    stream: Async<TcpStream>,
    /// Resolves when the server shuts down (the channel is closed, never sent
    /// on). One future for the connection's life: a new `recv()` per wait would
    /// register a new listener on every request.
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
    /// The same channel, for a quick look before each wait: `or` below polls
    /// readability first, so a busy connection would not see `shutdown` there.
    /// Once it is closed `shutdown` has resolved, and is not polled again.
    stop: channel::Receiver<()>,
    timer: LazyTimer<Timer>,
}

impl Rearm for Timer {
    fn rearm(&mut self, at: Instant) {
        self.set_at(at);
    }
}

impl SmolTransport {
    pub(super) fn new(stream: Async<TcpStream>, stop: channel::Receiver<()>) -> SmolTransport {
        let closed = stop.clone();
        let shutdown = Box::pin(async move {
            let _ = closed.recv().await;
        });
        SmolTransport {
            stream,
            shutdown,
            stop,
            timer: LazyTimer::new(Timer::never()),
        }
    }
}

impl Transport for SmolTransport {
    async fn ready(&mut self, deadline: Option<Instant>, interest: Interest<'_>) -> Ready {
        if self.stop.is_closed() {
            return Ready::Shutdown;
        }
        let SmolTransport {
            stream,
            shutdown,
            timer,
            ..
        } = self;
        let readable = async {
            if !interest.socket {
                return future::pending().await;
            }
            // An error shows up again, with its cause, in `try_read`.
            // `poll_readable` keeps this task's waker registered from one
            // wait to the next until the socket is readable; `readable()`
            // would register anew on every wait, and re-arm the socket in
            // epoll (an `epoll_ctl` call) each time, which is every event a
            // held stream delivers.
            let _ = future::poll_fn(|cx| stream.poll_readable(cx)).await;
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
            Ready::Shutdown
        };
        let events = async {
            events_ready(interest.events).await;
            Ready::Events
        };
        readable.or(deadline).or(stop).or(events).await
    }

    fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // `Async` put the socket in non-blocking mode.
        (&mut self.stream.get_ref()).read(buf)
    }

    async fn write_all(&mut self, bytes: &[u8], deadline: Instant) -> io::Result<()> {
        let write = self.stream.write_all(bytes);
        let timeout = async {
            Timer::at(deadline).await;
            Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out"))
        };
        write.or(timeout).await
    }

    async fn shutdown_write(&mut self) {
        let _ = self.stream.get_ref().shutdown(SocketShutdown::Write);
    }

    fn quick_ack(&mut self) {
        crate::tcp::quick_ack(&self.stream.get_ref());
    }
}

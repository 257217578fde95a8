//! A tokio socket as the drive loop sees it: readiness raced against the
//! deadline, shutdown and a held request's events with `select!`.

use crate::drive::{events_ready, Interest, Ready, Transport};
use crate::runtime::lazy_timer::{LazyTimer, Rearm};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::time::Instant;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Sleep;

pub(super) struct TokioTransport {
    stream: TcpStream,
    /// Resolves when the server shuts down. One future for the connection's
    /// life: a new `changed()` per wait would register a waiter on every request.
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
    /// The same channel, for a quick look before each wait, so that a busy
    /// connection stops at once whichever branch `select!` would pick.
    stop: watch::Receiver<bool>,
    stopping: bool,
    timer: LazyTimer<Pin<Box<Sleep>>>,
}

impl Rearm for Pin<Box<Sleep>> {
    fn rearm(&mut self, at: Instant) {
        self.as_mut().reset(at.into());
    }
}

impl TokioTransport {
    pub(super) fn new(stream: TcpStream, stop: watch::Receiver<bool>) -> TokioTransport {
        let mut changes = stop.clone();
        let shutdown = Box::pin(async move {
            // A dropped sender also means shutdown.
            let _ = changes.wait_for(|stopping| *stopping).await;
        });
        TokioTransport {
            stream,
            shutdown,
            stop,
            stopping: false,
            // Set by the first wait with a deadline (a `Sleep` needs one to exist).
            timer: LazyTimer::new(Box::pin(tokio::time::sleep_until(
                tokio::time::Instant::now(),
            ))),
        }
    }
}

impl Transport for TokioTransport {
    async fn ready(&mut self, deadline: Option<Instant>, interest: Interest<'_>) -> Ready {
        if self.stopping || *self.stop.borrow() {
            return Ready::Shutdown;
        }
        let TokioTransport {
            stream,
            shutdown,
            stopping,
            timer,
            ..
        } = self;
        tokio::select! {
            // An error shows up again, with its cause, in `try_read`.
            _ = stream.readable(), if interest.socket => Ready::Readable,
            _ = timer.wait(deadline) => Ready::Deadline,
            // A held request's subscription is closed at shutdown (see
            // `Shared::new`), which ends its wait through `events`; the
            // shutdown channel that every connection shares is then left
            // alone: polling it takes its lock, on every event of every
            // stream.
            _ = shutdown.as_mut(), if interest.events.is_none() => {
                *stopping = true;
                Ready::Shutdown
            }
            _ = events_ready(interest.events) => Ready::Events,
        }
    }

    fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.try_read(buf)
    }

    async fn write_all(&mut self, bytes: &[u8], deadline: Instant) -> io::Result<()> {
        tokio::time::timeout_at(deadline.into(), self.stream.write_all(bytes))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "write timed out"))?
    }

    async fn shutdown_write(&mut self) {
        let _ = self.stream.shutdown().await;
    }

    fn quick_ack(&mut self) {
        crate::tcp::quick_ack(&self.stream);
    }
}

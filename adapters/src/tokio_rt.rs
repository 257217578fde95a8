//! tokio glue: a multi-thread runtime, an accept loop, one task per connection.

use crate::accept_errors::AcceptErrors;
use crate::drive::{events_ready, run_connection, Interest, Ready, Transport};
use crate::lazy_timer::{LazyTimer, Rearm};
use crate::shared::Shared;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Sleep;
use tracing::warn;

struct TokioTransport {
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
    fn new(stream: TcpStream, stop: watch::Receiver<bool>) -> TokioTransport {
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

pub fn serve(listener: std::net::TcpListener, shared: Arc<Shared>) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(shared.config.worker_threads())
        .thread_name("agora-tokio")
        .enable_all()
        .build()?;
    let (stop_tx, stop_rx) = watch::channel(false);
    shared.shutdown.on_trigger(move || {
        let _ = stop_tx.send(true);
    });
    listener.set_nonblocking(true)?;
    let accepted = runtime.block_on(accept_loop(listener, shared.clone(), stop_rx));
    let left = shared.conns.wait_until_idle(shared.config.shutdown_grace);
    if left > 0 {
        warn!("{left} connections still open after the shutdown grace period");
    }
    runtime.shutdown_timeout(Duration::from_millis(100));
    accepted
}

async fn accept_loop(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> io::Result<()> {
    let listener = TcpListener::from_std(listener)?;
    let mut errors = AcceptErrors::new();
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => return Ok(()),
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                let pause = errors.failed(&e);
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = stop.changed() => return Ok(()),
                }
                continue;
            }
        };
        errors.accepted();
        let _ = stream.set_nodelay(true);
        crate::tcp::limit_send_buffer(&stream);
        let transport = TokioTransport::new(stream, stop.clone());
        let admission = shared.conns.admit(peer.ip());
        tokio::spawn(run_connection(transport, shared.clone(), admission));
    }
}

//! smol glue: an `Executor` on worker threads, `async-io` sockets and timers.

use crate::accept_errors::AcceptErrors;
use crate::drive::{events_ready, run_connection, Interest, Ready, Transport};
use crate::lazy_timer::{LazyTimer, Rearm};
use crate::shared::Shared;
use async_io::{Async, Timer};
use futures_lite::{future, AsyncWriteExt, FutureExt};
use smol::channel;
use smol::Executor;
use std::future::Future;
use std::io::{self, Read};
use std::net::{Shutdown as SocketShutdown, TcpListener, TcpStream};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;
use tracing::warn;

struct SmolTransport {
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
    fn new(stream: Async<TcpStream>, stop: channel::Receiver<()>) -> SmolTransport {
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

pub fn serve(listener: TcpListener, shared: Arc<Shared>) -> io::Result<()> {
    let executor = Arc::new(Executor::new());
    let (stop_tx, stop_rx) = channel::bounded::<()>(1);
    shared.shutdown.on_trigger(move || {
        stop_tx.close();
    });
    // Workers run until the process exits: after the grace period nothing they
    // still hold matters (the calling thread stops running tasks when the
    // accept loop ends, so it does not count as one).
    // `async_io::block_on` lets an idle executor thread wait in the reactor
    // itself; with `future::block_on` every readiness event would be a hop from
    // async-io's own thread to a worker (a profile showed a fifth of the CPU
    // time spent there).
    for i in 0..shared.config.worker_threads() {
        let executor = executor.clone();
        std::thread::Builder::new()
            .name(format!("agora-smol-{i}"))
            .spawn(move || async_io::block_on(executor.run(future::pending::<()>())))?;
    }
    let listener = Async::new(listener)?;
    // The calling thread only accepts: connections run on the workers alone,
    // so `--threads N` is the number of threads serving them.
    let accepted = async_io::block_on(accept_loop(&executor, listener, shared.clone(), stop_rx));
    let left = shared.conns.wait_until_idle(shared.config.shutdown_grace);
    if left > 0 {
        warn!("{left} connections still open after the shutdown grace period");
    }
    accepted
}

async fn accept_loop(
    executor: &Arc<Executor<'static>>,
    listener: Async<TcpListener>,
    shared: Arc<Shared>,
    stop: channel::Receiver<()>,
) -> io::Result<()> {
    let mut errors = AcceptErrors::new();
    loop {
        let accept = async { Some(listener.accept().await) };
        let stopped = async {
            let _ = stop.recv().await;
            None
        };
        let (stream, peer) = match accept.or(stopped).await {
            None => return Ok(()),
            Some(Ok(accepted)) => accepted,
            Some(Err(e)) => {
                let pause = errors.failed(&e);
                Timer::after(pause).await;
                continue;
            }
        };
        errors.accepted();
        let _ = stream.get_ref().set_nodelay(true);
        crate::tcp::limit_send_buffer(stream.get_ref());
        let transport = SmolTransport::new(stream, stop.clone());
        let admission = shared.conns.admit(peer.ip());
        executor
            .spawn(run_connection(transport, shared.clone(), admission))
            .detach();
    }
}

//! smol: an `Executor` on worker threads, `async-io` sockets and timers, one
//! task per connection. The calling thread only accepts; shutdown closes a
//! channel that every wait watches.

use crate::accept::{self, ServerRuntime};
use crate::drive::run_connection;
use crate::limits::Admission;
use crate::runtime::async_transport::{AsyncSocket, AsyncTransport};
use crate::runtime::lazy_timer::Rearm;
use crate::shared::Shared;
use async_io::{Async, Timer};
use futures_lite::{future, AsyncWriteExt};
use smol::channel;
use smol::Executor;
use std::future::Future;
use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

struct Smol {
    executor: Arc<Executor<'static>>,
    /// Closed (never sent on) once the server shuts down.
    stop: channel::Receiver<()>,
}

pub(crate) fn serve(listener: TcpListener, shared: Arc<Shared>) -> io::Result<()> {
    let executor = Arc::new(Executor::new());
    let (stop_tx, stop) = channel::bounded::<()>(1);
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
    // The calling thread only accepts: connections run on the workers alone,
    // so `--threads N` is the number of threads serving them.
    accept::serve(&Smol { executor, stop }, listener, &shared)
}

impl ServerRuntime for Smol {
    type Listener = Async<TcpListener>;
    type Stream = Async<TcpStream>;

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        async_io::block_on(future)
    }

    fn listener(&self, listener: TcpListener) -> io::Result<Async<TcpListener>> {
        Async::new(listener)
    }

    async fn accept(
        &self,
        listener: &Async<TcpListener>,
    ) -> io::Result<(Async<TcpStream>, SocketAddr)> {
        listener.accept().await
    }

    async fn sleep(&self, pause: Duration) {
        Timer::after(pause).await;
    }

    async fn stopped(&self) {
        let _ = self.stop.recv().await;
    }

    fn spawn(&self, stream: Async<TcpStream>, shared: &Arc<Shared>, admission: Admission) {
        let closed = self.stop.clone();
        let stopped = Box::pin(async move {
            let _ = closed.recv().await;
        });
        let transport = AsyncTransport::new(stream, stopped, shared.shutdown.clone());
        let life = run_connection(transport, shared.clone(), admission);
        self.executor.spawn(life).detach();
    }
}

impl AsyncSocket for Async<TcpStream> {
    type Timer = Timer;

    fn timer() -> Timer {
        Timer::never()
    }

    fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Async::poll_readable(self, cx)
    }

    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        // `Async` put the socket in non-blocking mode.
        (&mut self.get_ref()).read(buf)
    }

    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        AsyncWriteExt::write_all(self, bytes).await
    }

    async fn sleep_until(at: Instant) {
        Timer::at(at).await;
    }
}

impl Rearm for Timer {
    fn rearm(&mut self, at: Instant) {
        self.set_at(at);
    }
}

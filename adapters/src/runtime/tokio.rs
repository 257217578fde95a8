//! tokio: a multi-thread runtime, one task per connection. The accept loop
//! runs on the calling thread (`block_on`); shutdown reaches the waits through
//! a `watch` channel.

use crate::accept::{self, ServerRuntime};
use crate::drive::run_connection;
use crate::limits::Admission;
use crate::runtime::async_transport::{AsyncSocket, AsyncTransport};
use crate::runtime::lazy_timer::Rearm;
use crate::shared::Shared;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Sleep;

struct Tokio {
    runtime: tokio::runtime::Runtime,
    /// `true` once the server shuts down.
    stop: watch::Receiver<bool>,
}

pub(crate) fn serve(listener: std::net::TcpListener, shared: Arc<Shared>) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(shared.config.worker_threads())
        .thread_name("agora-tokio")
        .enable_all()
        .build()?;
    let (stop_tx, stop) = watch::channel(false);
    shared.shutdown.on_trigger(move || {
        let _ = stop_tx.send(true);
    });
    let tokio = Tokio { runtime, stop };
    let served = accept::serve(&tokio, listener, &shared);
    tokio.runtime.shutdown_timeout(Duration::from_millis(100));
    served
}

impl ServerRuntime for Tokio {
    type Listener = TcpListener;
    type Stream = TcpStream;

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    fn listener(&self, listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        TcpListener::from_std(listener)
    }

    async fn accept(&self, listener: &TcpListener) -> io::Result<(TcpStream, SocketAddr)> {
        listener.accept().await
    }

    async fn sleep(&self, pause: Duration) {
        tokio::time::sleep(pause).await;
    }

    async fn stopped(&self) {
        // A dropped sender also means shutdown.
        let _ = self.stop.clone().wait_for(|stopping| *stopping).await;
    }

    fn spawn(&self, stream: TcpStream, shared: &Arc<Shared>, admission: Admission) {
        let mut stop = self.stop.clone();
        let stopped = Box::pin(async move {
            let _ = stop.wait_for(|stopping| *stopping).await;
        });
        let transport = AsyncTransport::new(stream, stopped, shared.shutdown.clone());
        tokio::spawn(run_connection(transport, shared.clone(), admission));
    }
}

impl AsyncSocket for TcpStream {
    type Timer = Pin<Box<Sleep>>;

    fn timer() -> Pin<Box<Sleep>> {
        // A `Sleep` needs an instant to exist; the first wait moves it.
        Box::pin(tokio::time::sleep_until(tokio::time::Instant::now()))
    }

    fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_read_ready(cx)
    }

    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        // Clears the readiness tokio saw when nothing is there.
        TcpStream::try_read(self, buf)
    }

    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        AsyncWriteExt::write_all(self, bytes).await
    }

    async fn sleep_until(at: Instant) {
        tokio::time::sleep_until(at.into()).await;
    }
}

impl Rearm for Pin<Box<Sleep>> {
    fn rearm(&mut self, at: Instant) {
        self.as_mut().reset(at.into());
    }
}

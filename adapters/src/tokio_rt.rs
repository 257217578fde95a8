//! tokio glue: a multi-thread runtime, an accept loop, one task per connection.

use crate::drive::{run_connection, Ready, Transport};
use crate::shared::Shared;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tracing::{error, warn};

struct TokioTransport {
    stream: TcpStream,
    shutdown: watch::Receiver<bool>,
}

impl Transport for TokioTransport {
    async fn ready(&mut self, deadline: Option<Instant>) -> Ready {
        if *self.shutdown.borrow() {
            return Ready::Shutdown;
        }
        let timer = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            // An error shows up again, with its cause, in `try_read`.
            _ = self.stream.readable() => Ready::Readable,
            _ = timer => Ready::Deadline,
            _ = self.shutdown.changed() => Ready::Shutdown,
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
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => return Ok(()),
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                error!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let transport = TokioTransport {
            stream,
            shutdown: stop.clone(),
        };
        let slot = shared.conns.try_acquire();
        tokio::spawn(run_connection(transport, shared.clone(), slot));
    }
}

//! The accept loop, written once for every runtime: accept, pause after a
//! failed accept (`accept_errors`), set the socket's options, admit or refuse
//! the connection (`limits`: too many open in all or from one address), start
//! its drive, stop accepting at shutdown, then give the open connections their
//! grace period.
//!
//! What differs between runtimes is behind [`ServerRuntime`]: how a listener
//! accepts, how to sleep, how shutdown is seen while waiting, how a connection
//! is started (a task, or a thread of its own) and how the loop itself runs
//! (`block_on`). The runtimes are in `runtime/`.

use crate::accept_errors::AcceptErrors;
use crate::limits::Admission;
use crate::shared::Shared;
use crate::tcp;
use futures_lite::FutureExt;
use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Duration;
use tracing::warn;

/// What one runtime gives the accept loop.
#[allow(async_fn_in_trait)]
pub(crate) trait ServerRuntime {
    /// The runtime's listening socket.
    type Listener;
    /// An accepted connection's socket.
    type Stream: AsFd;

    /// Runs `future` to its end on the calling thread.
    fn block_on<F: Future>(&self, future: F) -> F::Output;
    /// Takes the bound listener over; called inside [`Self::block_on`].
    fn listener(&self, listener: TcpListener) -> io::Result<Self::Listener>;
    /// The next connection and its TCP peer.
    async fn accept(&self, listener: &Self::Listener) -> io::Result<(Self::Stream, SocketAddr)>;
    async fn sleep(&self, pause: Duration);
    /// Resolves once shutdown has begun. A runtime whose waits cannot be
    /// raced (the blocking one) never resolves it, and wakes its accept by
    /// other means.
    async fn stopped(&self);
    /// Starts the connection's life (`drive::run_connection`) on a task or a
    /// thread of its own.
    fn spawn(&self, stream: Self::Stream, shared: &Arc<Shared>, admission: Admission);
}

/// Accepts on `listener` until shutdown, then waits (at most the grace
/// period) for the open connections to finish.
pub(crate) fn serve<R: ServerRuntime>(
    runtime: &R,
    listener: TcpListener,
    shared: &Arc<Shared>,
) -> io::Result<()> {
    let accepted = runtime.block_on(accept_loop(runtime, listener, shared));
    let left = shared.conns.wait_until_idle(shared.config.shutdown_grace);
    if left > 0 {
        warn!("{left} connections still open after the shutdown grace period");
    }
    accepted
}

async fn accept_loop<R: ServerRuntime>(
    runtime: &R,
    listener: TcpListener,
    shared: &Arc<Shared>,
) -> io::Result<()> {
    let listener = runtime.listener(listener)?;
    let mut errors = AcceptErrors::new();
    loop {
        let accept = async { Some(runtime.accept(&listener).await) };
        let stopped = async {
            runtime.stopped().await;
            None
        };
        let accepted = accept.or(stopped).await;
        // Also after an accept that shutdown ended by failing it (blocking).
        if shared.shutdown.is_triggered() {
            return Ok(());
        }
        let (stream, peer) = match accepted {
            None => return Ok(()),
            Some(Ok(accepted)) => accepted,
            Some(Err(e)) => {
                let pause = errors.failed(&e);
                runtime.sleep(pause).or(runtime.stopped()).await;
                continue;
            }
        };
        errors.accepted();
        tcp::set_nodelay(&stream);
        tcp::limit_send_buffer(&stream);
        let admission = shared.conns.admit(peer.ip());
        runtime.spawn(stream, shared, admission);
    }
}

//! std::net: a thread per connection, running the drive loop with a trivial
//! `block_on` (every await there is a blocking call). Shutdown wakes the
//! blocked accept and reads by shutting their sockets.

mod open_sockets;
mod transport;
mod wake_fd;

use crate::accept::{self, ServerRuntime};
use crate::drive::run_connection;
use crate::limits::Admission;
use crate::shared::Shared;
use futures_lite::future;
use open_sockets::OpenSockets;
use std::future::Future;
use std::io;
use std::net::{Shutdown as SocketShutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Duration;
use tracing::error;
use transport::BlockingTransport;

/// Connection threads need little stack: the read buffer is 8 KiB.
const STACK_SIZE: usize = 256 * 1024;

struct Blocking {
    open: Arc<OpenSockets>,
}

pub(crate) fn serve(listener: TcpListener, shared: Arc<Shared>) -> io::Result<()> {
    let open = Arc::new(OpenSockets::default());
    // The hook owns its own descriptor of the listening socket, so it stays valid.
    let listener_handle = listener.try_clone()?;
    let open_for_hook = open.clone();
    shared.shutdown.on_trigger(move || {
        // Wakes the acceptor blocked in accept(2) (Linux then fails it with
        // EINVAL) and every connection blocked in a read.
        // SAFETY: shutdown(2) on a descriptor we own; it only changes socket state.
        unsafe { libc::shutdown(listener_handle.as_raw_fd(), libc::SHUT_RDWR) };
        open_for_hook.shut_reads();
    });
    accept::serve(&Blocking { open }, listener, &shared)
}

impl ServerRuntime for Blocking {
    type Listener = TcpListener;
    type Stream = TcpStream;

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        future::block_on(future)
    }

    fn listener(&self, listener: TcpListener) -> io::Result<TcpListener> {
        Ok(listener)
    }

    async fn accept(&self, listener: &TcpListener) -> io::Result<(TcpStream, SocketAddr)> {
        listener.accept()
    }

    async fn sleep(&self, pause: Duration) {
        std::thread::sleep(pause);
    }

    async fn stopped(&self) {
        // A blocked accept cannot be raced: shutdown fails it instead (above).
        future::pending().await
    }

    fn spawn(&self, stream: TcpStream, shared: &Arc<Shared>, admission: Admission) {
        // Refused connections are not registered: they end within a second.
        let registered = match &admission {
            Admission::Serve(_) => self.open.register(&stream),
            Admission::Refuse(_) => None,
        };
        // Registered after the sockets could have been swept: check again.
        if shared.shutdown.is_triggered() {
            let _ = stream.shutdown(SocketShutdown::Read);
        }
        let transport = BlockingTransport::new(stream, shared.clone(), registered);
        let shared = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("agora-conn".into())
            .stack_size(STACK_SIZE)
            .spawn(move || future::block_on(run_connection(transport, shared, admission)));
        // The closure, with the socket and its registration, was dropped.
        if let Err(e) = spawned {
            error!("cannot start a connection thread: {e}");
        }
    }
}

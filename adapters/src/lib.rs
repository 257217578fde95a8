//! agora's runtime adapters: socket, timer and spawn glue around one drive loop.
//!
//! Everything that does not depend on the runtime is written once: the
//! sans-IO `agora_core::session::Session` decides what a connection does;
//! [`session_io::SessionIo`] hands it the clock, the RNG and the store's
//! answers, and does what it asks; the generic [`drive::serve_connection`]
//! loop runs it over a [`drive::Transport`], the socket.
//! Each runtime file (`tokio_rt`, `smol_rt`, `blocking_rt`) implements
//! `Transport` for its socket type and runs an accept loop.

pub mod accept_errors;
pub mod address_limit;
pub mod answered;
pub mod clock;
pub mod config;
pub mod drive;
pub mod keyed_limit;
pub mod lazy_timer;
pub mod limits;
pub mod listen;
pub mod metrics;
pub mod open_files;
pub mod outbound;
pub mod session_io;
pub mod shared;
pub mod shutdown;
pub mod tcp;
#[cfg(feature = "blocking")]
mod wake_fd;

#[cfg(feature = "blocking")]
pub mod blocking_rt;
#[cfg(feature = "smol")]
pub mod smol_rt;
#[cfg(feature = "tokio")]
pub mod tokio_rt;

pub use config::{Runtime, ServerConfig};
pub use shared::Shared;
pub use shutdown::Shutdown;

use std::net::TcpListener;
use std::sync::Arc;

/// Serves `listener` on the chosen runtime until `shared.shutdown` is triggered
/// and the open connections have finished (or the grace period ran out).
pub fn serve(runtime: Runtime, listener: TcpListener, shared: Arc<Shared>) -> std::io::Result<()> {
    match runtime {
        #[cfg(feature = "tokio")]
        Runtime::Tokio => tokio_rt::serve(listener, shared),
        #[cfg(feature = "smol")]
        Runtime::Smol => smol_rt::serve(listener, shared),
        #[cfg(feature = "blocking")]
        Runtime::Blocking => blocking_rt::serve(listener, shared),
        #[allow(unreachable_patterns)]
        other => Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            format!("runtime {other} is not compiled in"),
        )),
    }
}

//! agora's runtime adapters: socket, timer and spawn glue around one drive loop.
//!
//! Everything that does not depend on the runtime is written once: core's
//! sans-IO `agora_core::session::Session` decides what a connection does;
//! [`session_io::SessionIo`] hands it the clock, the RNG and the store's
//! answers, and does what it asks; the generic [`drive::serve_connection`]
//! loop runs it over a [`drive::Transport`], the socket; one accept loop
//! (`accept`) admits connections and starts their drive. Each runtime
//! (`runtime/{tokio,smol,blocking}.rs`) holds only what differs: accept,
//! sleep, spawn and `block_on` for the accept loop, and the socket calls
//! under its `Transport` (tokio and smol share one,
//! `runtime/async_transport.rs`).
//!
//! Public is only what other crates use: [`serve`] and its [`Shared`] state,
//! [`ServerConfig`], [`Runtime`], [`Shutdown`], `listen`, `open_files` and
//! `metrics` for the server binary, `session_io`, `clock` and `drive` for the
//! tests.

mod accept;
mod accept_errors;
mod address_limit;
mod answered;
pub mod clock;
mod config;
pub mod drive;
mod keyed_limit;
mod limits;
pub mod listen;
pub mod metrics;
pub mod open_files;
mod outbound;
mod runtime;
pub mod session_io;
mod shared;
mod shutdown;
mod tcp;

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
        Runtime::Tokio => runtime::tokio::serve(listener, shared),
        #[cfg(feature = "smol")]
        Runtime::Smol => runtime::smol::serve(listener, shared),
        #[cfg(feature = "blocking")]
        Runtime::Blocking => runtime::blocking::serve(listener, shared),
        #[allow(unreachable_patterns)]
        other => Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            format!("runtime {other} is not compiled in"),
        )),
    }
}

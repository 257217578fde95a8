//! The runtimes: what differs between tokio, smol and blocking `std::net`, and
//! nothing else. Each gives the accept loop (`accept::ServerRuntime`: accept,
//! sleep, shutdown, spawn, `block_on`) and the drive loop (`drive::Transport`:
//! a connection's socket, timer and shutdown) what it needs. Both loops are
//! written once, outside this folder; the `Transport` of the two async
//! runtimes is written once here (`async_transport`), over the few socket and
//! timer calls they differ in (`AsyncSocket`). The blocking runtime has its
//! own: a thread per connection waits in blocking calls and poll(2).

#[cfg(any(feature = "tokio", feature = "smol"))]
mod async_transport;
#[cfg(feature = "blocking")]
pub(crate) mod blocking;
#[cfg(any(feature = "tokio", feature = "smol"))]
mod lazy_timer;
#[cfg(feature = "smol")]
pub(crate) mod smol;
#[cfg(feature = "tokio")]
pub(crate) mod tokio;

//! TCP socket options every runtime sets the same way.

use std::os::fd::AsFd;

/// Acknowledges what the socket has received now rather than when the
/// kernel's delayed-ACK timer fires (40 ms on Linux).
///
/// A client with Nagle's algorithm on that writes a request's head and body
/// separately holds the body until the head is acknowledged; our delayed ACK
/// would then cost every such request 40 ms. The flag is not sticky (Linux
/// goes back to delaying ACKs once we send), so it is set again after each
/// read that leaves a request incomplete; when an ACK is due, setting it sends
/// that ACK at once. Where the option does not exist this does nothing.
pub fn quick_ack(socket: &impl AsFd) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // A failure only means the ACK is delayed as before.
        let _ = socket2::SockRef::from(socket).set_tcp_quickack(true);
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = socket;
}

/// Sends small writes at once (no Nagle): an answer goes out whole as soon
/// as it is written.
pub fn set_nodelay(socket: &impl AsFd) {
    // A failure leaves Nagle's algorithm on, as the kernel chose.
    let _ = socket2::SockRef::from(socket).set_tcp_nodelay(true);
}

/// What the kernel may hold of a connection's unsent output: twice this
/// (Linux doubles it for its own bookkeeping). The default grows to 4 MiB per
/// connection, so a thousand clients that ask for a page and never read held
/// a gigabyte of kernel memory. 128 KiB keeps a loopback or LAN client at
/// full speed and still moves about 5 MB/s to a client 50 ms away.
pub const SEND_BUFFER: usize = 128 * 1024;

/// Sets the socket's send buffer to [`SEND_BUFFER`] (see `outbound`).
pub fn limit_send_buffer(socket: &impl AsFd) {
    // A failure leaves the kernel's default, as before.
    let _ = socket2::SockRef::from(socket).set_send_buffer_size(SEND_BUFFER);
}

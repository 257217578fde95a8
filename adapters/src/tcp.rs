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

//! The listening socket. std's `TcpListener::bind` always asks for a backlog
//! of 128, which a burst of connects overflows (the kernel then drops SYNs and
//! clients retry a second later), so the socket is made here with the backlog
//! the operator chose.

use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};

/// Listens on the first of `address`'s resolved addresses that can be bound,
/// with `backlog` pending connections (the kernel caps it at
/// `net.core.somaxconn`).
pub fn bind(address: impl ToSocketAddrs, backlog: u32) -> io::Result<TcpListener> {
    let mut last_error = None;
    for addr in address.to_socket_addrs()? {
        match bind_one(addr, backlog) {
            Ok(listener) => return Ok(listener),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the address resolved to nothing",
        )
    }))
}

fn bind_one(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // As std does on Unix: a restarted server can bind its port while the
    // last run's connections are still in TIME_WAIT.
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    Ok(socket.into())
}

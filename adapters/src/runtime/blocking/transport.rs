//! A blocking `std::net` socket as the drive loop sees it: socket timeouts
//! from the core's deadlines, and poll(2) on the socket and an eventfd while
//! a request is held. Every await here is a blocking call.

use super::open_sockets::Registered;
use super::wake_fd::WakeFd;
use crate::drive::{Interest, Ready, Transport};
use crate::shared::Shared;
use agora_store::Subscription;
use std::io::{self, Read, Write};
use std::net::{Shutdown as SocketShutdown, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::task::Context;
use std::time::{Duration, Instant};

/// How long a held request whose eventfd could not be made waits before it
/// looks at its subscription again.
const NO_WAKE_FD_PAUSE: Duration = Duration::from_millis(50);

pub(super) struct BlockingTransport {
    stream: TcpStream,
    shared: Arc<Shared>,
    /// Made by the first held request (a long-poll, a stream), kept after.
    wake: Option<Arc<WakeFd>>,
    /// The socket's place among those shutdown wakes, given up with it.
    _registered: Option<Registered>,
}

impl BlockingTransport {
    pub(super) fn new(
        stream: TcpStream,
        shared: Arc<Shared>,
        registered: Option<Registered>,
    ) -> BlockingTransport {
        BlockingTransport {
            stream,
            shared,
            wake: None,
            _registered: registered,
        }
    }

    /// A held request's wait: poll(2) on the socket (if watched) and on the
    /// eventfd that the subscription's waker writes.
    fn hold(&mut self, deadline: Option<Instant>, socket: bool, events: &Subscription) -> Ready {
        let wake = match &self.wake {
            Some(wake) => wake.clone(),
            None => match WakeFd::new() {
                Ok(wake) => self.wake.insert(wake).clone(),
                // Without an eventfd (no descriptor left), look again after
                // a pause rather than at once: returning at once would spin.
                Err(_) => {
                    std::thread::sleep(NO_WAKE_FD_PAUSE);
                    return Ready::Events;
                }
            },
        };
        let waker = wake.waker();
        if events
            .poll_ready(&mut Context::from_waker(&waker))
            .is_ready()
        {
            return Ready::Events;
        }
        let Some(timeout) = time_left(deadline) else {
            return Ready::Deadline;
        };
        let polled = wake.poll(self.stream.as_raw_fd(), socket, timeout);
        if self.shared.shutdown.is_triggered() {
            return Ready::Shutdown;
        }
        match polled {
            Ok((_, true)) => {
                wake.clear();
                Ready::Events
            }
            // Bytes, EOF, or an error that `try_read` reports.
            Ok((true, false)) | Err(_) => Ready::Readable,
            Ok((false, false)) => Ready::Deadline,
        }
    }
}

impl Transport for BlockingTransport {
    async fn ready(&mut self, deadline: Option<Instant>, interest: Interest<'_>) -> Ready {
        if self.shared.shutdown.is_triggered() {
            return Ready::Shutdown;
        }
        if let Some(events) = interest.events {
            return self.hold(deadline, interest.socket, events);
        }
        let Some(timeout) = time_left(deadline) else {
            return Ready::Deadline;
        };
        if self.stream.set_read_timeout(timeout).is_err() {
            return Ready::Readable;
        }
        let waited = self.stream.peek(&mut [0u8; 1]);
        // Shutdown wakes this thread by shutting the socket's read side.
        if self.shared.shutdown.is_triggered() {
            return Ready::Shutdown;
        }
        match waited {
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ready::Deadline
            }
            // Bytes, EOF, or an error that `try_read` reports.
            _ => Ready::Readable,
        }
    }

    fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read(buf)
    }

    fn read_now(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // The socket is in blocking mode: this one read must not wait.
        // SAFETY: recv(2) into `buf`, at most its length, on a descriptor we own.
        let n = unsafe {
            libc::recv(
                self.stream.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
            )
        };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }

    async fn write_all(&mut self, bytes: &[u8], deadline: Instant) -> io::Result<()> {
        // A write timeout bounds each send(2), and one that took a few bytes
        // starts the next afresh: the deadline is checked between them, so
        // that a client taking a trickle still ends at the deadline.
        let mut rest = bytes;
        while !rest.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out"));
            }
            self.stream
                .set_write_timeout(Some(left.max(Duration::from_millis(1))))?;
            match self.stream.write(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out"));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn shutdown_write(&mut self) {
        let _ = self.stream.shutdown(SocketShutdown::Write);
    }

    fn quick_ack(&mut self) {
        crate::tcp::quick_ack(&self.stream);
    }
}

/// How long a wait for `deadline` may block (`Some(None)`: without end), or
/// `None` once it has passed.
fn time_left(deadline: Option<Instant>) -> Option<Option<Duration>> {
    let Some(at) = deadline else {
        return Some(None);
    };
    match at.checked_duration_since(Instant::now()) {
        Some(left) if !left.is_zero() => Some(Some(left)),
        _ => None,
    }
}

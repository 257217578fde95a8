//! std::net glue: a thread per connection, socket timeouts from the core's
//! deadlines. The shared drive loop runs on each thread with a trivial
//! `block_on`: every await there is a blocking call.

use crate::accept_errors::AcceptErrors;
use crate::drive::{run_connection, Interest, Ready, Transport};
use crate::limits::Admission;
use crate::shared::Shared;
use crate::wake_fd::WakeFd;
use agora_store::Subscription;
use futures_lite::future::block_on;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown as SocketShutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};
use std::task::Context;
use std::time::{Duration, Instant};
use tracing::{error, warn};

/// Connection threads need little stack: the read buffer is 8 KiB.
const STACK_SIZE: usize = 256 * 1024;
/// How long a held request whose eventfd could not be made waits before it
/// looks at its subscription again.
const NO_WAKE_FD_PAUSE: Duration = Duration::from_millis(50);

/// The open sockets, so that shutdown can wake threads blocked in a read.
#[derive(Default)]
struct OpenSockets {
    next_id: u64,
    sockets: HashMap<u64, TcpStream>,
}

struct BlockingTransport {
    stream: TcpStream,
    shared: Arc<Shared>,
    /// Made by the first held request (a long-poll, a stream), kept after.
    wake: Option<Arc<WakeFd>>,
}

impl BlockingTransport {
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
        let timeout = match deadline {
            None => None,
            Some(at) => match at.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Some(left),
                _ => return Ready::Deadline,
            },
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
        let timeout = match deadline {
            None => None,
            Some(at) => match at.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Some(left),
                _ => return Ready::Deadline,
            },
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

pub fn serve(listener: TcpListener, shared: Arc<Shared>) -> io::Result<()> {
    let open = Arc::new(Mutex::new(OpenSockets::default()));
    // The hook owns its own descriptor of the listening socket, so it stays valid.
    let listener_handle = listener.try_clone()?;
    let open_for_hook = open.clone();
    shared.shutdown.on_trigger(move || {
        // Wakes the acceptor blocked in accept(2) (Linux then fails it with
        // EINVAL) and every connection blocked in a read (it sees EOF, then the
        // flag).
        // SAFETY: shutdown(2) on a descriptor we own; it only changes socket state.
        unsafe { libc::shutdown(listener_handle.as_raw_fd(), libc::SHUT_RDWR) };
        let open = open_for_hook.lock().unwrap_or_else(|e| e.into_inner());
        for socket in open.sockets.values() {
            let _ = socket.shutdown(SocketShutdown::Read);
        }
    });
    let mut errors = AcceptErrors::new();
    for accepted in listener.incoming() {
        if shared.shutdown.is_triggered() {
            break;
        }
        let stream = match accepted {
            Ok(stream) => stream,
            Err(e) => {
                std::thread::sleep(errors.failed(&e));
                continue;
            }
        };
        errors.accepted();
        let _ = stream.set_nodelay(true);
        crate::tcp::limit_send_buffer(&stream);
        let peer = stream.peer_addr().map(|peer| peer.ip());
        let admission = shared
            .conns
            .admit(peer.unwrap_or(Ipv4Addr::UNSPECIFIED.into()));
        // Refused connections are not registered: they end within a second.
        let registered: Option<u64> = match (&admission, stream.try_clone()) {
            (Admission::Serve(_), Ok(clone)) => Some(register(&open, clone)),
            _ => None,
        };
        // Registered after the flag could have been swept: check again.
        if shared.shutdown.is_triggered() {
            let _ = stream.shutdown(SocketShutdown::Read);
        }
        let transport = BlockingTransport {
            wake: None,
            stream,
            shared: shared.clone(),
        };
        let open_for_thread = open.clone();
        let conn_shared = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("agora-conn".into())
            .stack_size(STACK_SIZE)
            .spawn(move || {
                block_on(run_connection(transport, conn_shared, admission));
                unregister(&open_for_thread, registered);
            });
        if let Err(e) = spawned {
            // The closure, with the socket and the slot, was dropped.
            error!("cannot start a connection thread: {e}");
            unregister(&open, registered);
        }
    }
    drop(listener);
    let left = shared.conns.wait_until_idle(shared.config.shutdown_grace);
    if left > 0 {
        warn!("{left} connections still open after the shutdown grace period");
    }
    Ok(())
}

fn register(open: &Mutex<OpenSockets>, socket: TcpStream) -> u64 {
    let mut open = open.lock().unwrap_or_else(|e| e.into_inner());
    let id = open.next_id;
    open.next_id += 1;
    open.sockets.insert(id, socket);
    id
}

fn unregister(open: &Mutex<OpenSockets>, id: Option<u64>) {
    if let Some(id) = id {
        let mut open = open.lock().unwrap_or_else(|e| e.into_inner());
        open.sockets.remove(&id);
    }
}

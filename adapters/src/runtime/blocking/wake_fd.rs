//! For the blocking runtime: a [`Waker`] that writes to an eventfd, so that a
//! connection's thread can wait in poll(2) for its socket and for the events
//! of a held request at once (the hub wakes subscribers through their
//! wakers, as it does tokio's and smol's tasks).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::task::{Wake, Waker};
use std::time::Duration;

pub struct WakeFd {
    fd: OwnedFd,
}

impl WakeFd {
    pub fn new() -> io::Result<Arc<WakeFd>> {
        // SAFETY: eventfd(2) takes no pointers; a non-negative result is a
        // new descriptor that we own from here on.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a valid descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Arc::new(WakeFd { fd }))
    }

    pub fn waker(self: &Arc<Self>) -> Waker {
        Waker::from(self.clone())
    }

    /// Resets the counter after a wake-up was seen.
    pub fn clear(&self) {
        let mut count = [0u8; 8];
        // SAFETY: read(2) into an 8-byte buffer we own; EAGAIN (nothing to
        // clear) is fine.
        unsafe { libc::read(self.fd.as_raw_fd(), count.as_mut_ptr().cast(), count.len()) };
    }

    /// Waits until `socket` (when `watch_socket`) or this fd is readable, or
    /// `timeout` passes. Returns (socket readable, woken).
    pub fn poll(
        &self,
        socket: RawFd,
        watch_socket: bool,
        timeout: Option<Duration>,
    ) -> io::Result<(bool, bool)> {
        let mut fds = [
            libc::pollfd {
                fd: self.fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                // A negative fd is ignored by poll(2).
                fd: if watch_socket { socket } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let millis = timeout.map_or(-1, |t| {
            // Rounded up, so that a wake at the deadline is not early.
            i32::try_from(t.as_micros().div_ceil(1000)).unwrap_or(i32::MAX)
        });
        // SAFETY: poll(2) over an array of two pollfd structs we own.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, millis) };
        if ready < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                return Ok((false, false));
            }
            return Err(error);
        }
        Ok((fds[1].revents != 0, fds[0].revents != 0))
    }
}

impl Wake for WakeFd {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let one = 1u64.to_ne_bytes();
        // SAFETY: write(2) of 8 bytes we own to our eventfd; a full counter
        // (EAGAIN) already means "woken".
        unsafe { libc::write(self.fd.as_raw_fd(), one.as_ptr().cast(), one.len()) };
    }
}

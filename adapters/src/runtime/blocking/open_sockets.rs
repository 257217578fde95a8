//! The sockets of the connections being served, so that shutdown can wake the
//! threads blocked reading them (it shuts their read side: they see EOF, then
//! the flag).

use std::collections::HashMap;
use std::net::{Shutdown as SocketShutdown, TcpStream};
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub(super) struct OpenSockets {
    sockets: Mutex<Sockets>,
}

#[derive(Default)]
struct Sockets {
    next_id: u64,
    by_id: HashMap<u64, TcpStream>,
}

/// One socket's place in [`OpenSockets`]; dropping it takes the socket out.
pub(super) struct Registered {
    open: Arc<OpenSockets>,
    id: u64,
}

impl OpenSockets {
    /// Keeps a handle of `socket` (`None` when it cannot be cloned: it is then
    /// woken only by its own deadline).
    pub(super) fn register(self: &Arc<Self>, socket: &TcpStream) -> Option<Registered> {
        let socket = socket.try_clone().ok()?;
        let mut sockets = self.lock();
        let id = sockets.next_id;
        sockets.next_id += 1;
        sockets.by_id.insert(id, socket);
        Some(Registered {
            open: self.clone(),
            id,
        })
    }

    /// Shuts the read side of every registered socket.
    pub(super) fn shut_reads(&self) {
        for socket in self.lock().by_id.values() {
            let _ = socket.shutdown(SocketShutdown::Read);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Sockets> {
        self.sockets.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.open.lock().by_id.remove(&self.id);
    }
}

//! [`Running`]: a started store, whatever its wing: the writer's queue and
//! thread, the reader pool, the hub, and what stops them in order. The
//! `Handle` is its cloneable front.

use super::job::Request;
use super::readers::Readers;
use crate::live::Hub;
use crate::locks;
use crate::observe::Observer;
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

pub(crate) struct Running {
    /// `None` once shut down. Dropping the last sender is what tells the writer
    /// to drain its queue and stop.
    pub(crate) queue: RwLock<Option<SyncSender<Request>>>,
    pub(crate) thread: Mutex<Option<JoinHandle<()>>>,
    /// The read path, when the writer runs the chat rules and
    /// `StoreConfig::readers` is not 0.
    pub(crate) readers: Option<Readers>,
    pub(crate) hub: Arc<Hub>,
    pub(crate) observer: Observer,
    /// What the wing stops once the writer is done (PostgreSQL's listener,
    /// see `live::listener`).
    pub(crate) after_writer: Mutex<Option<Box<dyn FnOnce() + Send>>>,
    /// (issue 28) when each token's `last_used` was last queued.
    pub(crate) device_use: super::device_use::DeviceUse,
}

impl Running {
    pub(crate) fn shutdown(&self) {
        // The readers first: their connections must be closed before the
        // writer closes its own, the last, whose close empties and removes the
        // WAL (with a reader still open, the WAL would stay). Meanwhile the
        // writer still takes commands, reads included.
        if let Some(readers) = &self.readers {
            readers.close();
        }
        drop(locks::take_written(&self.queue));
        if let Some(thread) = locks::take(&self.thread) {
            if thread.join().is_err() {
                tracing::error!("the store writer thread panicked");
            }
        }
        if let Some(stop) = locks::take(&self.after_writer) {
            stop();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown();
    }
}

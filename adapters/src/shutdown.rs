//! One shutdown signal for the whole server. Signal handlers call [`Shutdown::trigger`];
//! each runtime registers, with [`Shutdown::on_trigger`], how to wake its acceptor
//! and its idle connections.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

type Hook = Box<dyn FnOnce() + Send>;

#[derive(Default)]
pub struct Shutdown {
    triggered: AtomicBool,
    hooks: Mutex<Vec<Hook>>,
}

impl Shutdown {
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    pub fn is_triggered(&self) -> bool {
        self.triggered.load(Ordering::Acquire)
    }

    /// Sets the flag and runs every registered hook once. Later calls do nothing.
    pub fn trigger(&self) {
        let hooks = {
            let mut hooks = self.hooks.lock().unwrap_or_else(|e| e.into_inner());
            if self.triggered.swap(true, Ordering::AcqRel) {
                return;
            }
            std::mem::take(&mut *hooks)
        };
        for hook in hooks {
            hook();
        }
    }

    /// Runs `hook` when the signal is triggered, or now if it already was.
    pub fn on_trigger(&self, hook: impl FnOnce() + Send + 'static) {
        {
            let mut hooks = self.hooks.lock().unwrap_or_else(|e| e.into_inner());
            if !self.triggered.load(Ordering::Acquire) {
                hooks.push(Box::new(hook));
                return;
            }
        }
        hook();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    #[test]
    fn hooks_run_once_including_late_ones() {
        let s = Shutdown::new();
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        s.on_trigger(move || {
            c.fetch_add(1, Ordering::SeqCst);
        });
        assert!(!s.is_triggered());
        s.trigger();
        s.trigger();
        assert!(s.is_triggered());
        assert_eq!(count.load(Ordering::SeqCst), 1);
        let c = count.clone();
        s.on_trigger(move || {
            c.fetch_add(10, Ordering::SeqCst);
        });
        assert_eq!(count.load(Ordering::SeqCst), 11);
    }
}

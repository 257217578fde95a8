//! Counting open connections against `--max-connections`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct ConnLimit {
    active: AtomicUsize,
    max: usize,
}

/// One open connection's place; dropping it (also while unwinding from a panic)
/// gives the place back.
pub struct ConnSlot(Arc<ConnLimit>);

impl ConnLimit {
    pub fn new(max: usize) -> Arc<ConnLimit> {
        Arc::new(ConnLimit {
            active: AtomicUsize::new(0),
            max,
        })
    }

    /// A place for a new connection, or `None` when `max` are open.
    pub fn try_acquire(self: &Arc<Self>) -> Option<ConnSlot> {
        let mut current = self.active.load(Ordering::Relaxed);
        loop {
            if current >= self.max {
                return None;
            }
            match self.active.compare_exchange_weak(
                current,
                current + 1,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(ConnSlot(self.clone())),
                Err(seen) => current = seen,
            }
        }
    }

    pub fn active(&self) -> usize {
        self.active.load(Ordering::Acquire)
    }

    /// Blocks the calling thread until no connection is open or `grace` passed;
    /// returns how many are still open.
    pub fn wait_until_idle(&self, grace: Duration) -> usize {
        let deadline = Instant::now() + grace;
        while self.active() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.active()
    }
}

impl Drop for ConnSlot {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_bounded_and_returned() {
        let limit = ConnLimit::new(2);
        let a = limit.try_acquire().unwrap();
        let b = limit.try_acquire().unwrap();
        assert!(limit.try_acquire().is_none());
        assert_eq!(limit.active(), 2);
        drop(a);
        let c = limit.try_acquire().unwrap();
        drop((b, c));
        assert_eq!(limit.wait_until_idle(Duration::from_millis(1)), 0);
    }
}

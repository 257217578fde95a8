//! Counting open connections against `--max-connections`, and the connections
//! being refused beyond it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Connections over the limit that may be answered 503 and then linger (read
/// what the client still sends, so that its 503 is not lost to a reset) at
/// once. Each holds a descriptor for up to a second; beyond this many, a
/// refused connection is closed right after its 503, so that a flood of them
/// cannot take the descriptors the served connections and the store need.
pub const REFUSING_MAX: usize = 32;

pub struct ConnLimit {
    active: AtomicUsize,
    max: usize,
    refusing: AtomicUsize,
}

/// What a new connection gets.
pub enum Admission {
    /// Served; the slot is its place among the open connections.
    Serve(ConnSlot),
    /// Over the limit: answered 503 `overloaded` and closed, after lingering
    /// if it has a place among the connections being refused.
    Refuse(Option<ConnSlot>),
}

/// One connection's place (served or being refused); dropping it (also while
/// unwinding from a panic) gives the place back.
pub struct ConnSlot {
    limit: Arc<ConnLimit>,
    refusal: bool,
}

impl ConnLimit {
    pub fn new(max: usize) -> Arc<ConnLimit> {
        Arc::new(ConnLimit {
            active: AtomicUsize::new(0),
            max,
            refusing: AtomicUsize::new(0),
        })
    }

    /// A place for a new connection, or `None` when `max` are open.
    pub fn try_acquire(self: &Arc<Self>) -> Option<ConnSlot> {
        take(&self.active, self.max).then(|| ConnSlot {
            limit: self.clone(),
            refusal: false,
        })
    }

    /// Serve a new connection, or refuse it.
    pub fn admit(self: &Arc<Self>) -> Admission {
        if let Some(slot) = self.try_acquire() {
            return Admission::Serve(slot);
        }
        let refusal = take(&self.refusing, REFUSING_MAX).then(|| ConnSlot {
            limit: self.clone(),
            refusal: true,
        });
        Admission::Refuse(refusal)
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

/// Adds one to `counter` unless it is at `max`.
fn take(counter: &AtomicUsize, max: usize) -> bool {
    let mut current = counter.load(Ordering::Relaxed);
    loop {
        if current >= max {
            return false;
        }
        match counter.compare_exchange_weak(
            current,
            current + 1,
            Ordering::AcqRel,
            Ordering::Relaxed,
        ) {
            Ok(_) => return true,
            Err(seen) => current = seen,
        }
    }
}

impl Drop for ConnSlot {
    fn drop(&mut self) {
        let counter = if self.refusal {
            &self.limit.refusing
        } else {
            &self.limit.active
        };
        counter.fetch_sub(1, Ordering::AcqRel);
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

    #[test]
    fn refusals_beyond_their_bound_get_no_place() {
        let limit = ConnLimit::new(1);
        let served = limit.admit();
        assert!(matches!(served, Admission::Serve(_)));
        let refused: Vec<Admission> = (0..REFUSING_MAX).map(|_| limit.admit()).collect();
        assert!(refused
            .iter()
            .all(|a| matches!(a, Admission::Refuse(Some(_)))));
        assert!(matches!(limit.admit(), Admission::Refuse(None)));
        assert_eq!(limit.active(), 1, "refusals are not open connections");
        drop(refused);
        assert!(matches!(limit.admit(), Admission::Refuse(Some(_))));
        drop(served);
        assert!(matches!(limit.admit(), Admission::Serve(_)));
    }
}

//! The store's wall clock: read once per batch by the writer and once per read
//! by the read path.
//!
//! It is the real clock, with no floor: after the system clock steps back, new
//! rows carry the real (earlier) time, and quota windows and bans are measured
//! against the real time, so the `Retry-After` a client was given holds (a
//! clock held at the newest stamp written would stand still until the system
//! clock caught up, and every wait would be refused again). Nothing orders by
//! time: order is by id, which follows commit order (see `schema`).

use agora_core::time::UnixMillis;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Where the store reads the time: the system clock unless a test or tool
/// gives another (see [`StoreConfig::clock`](crate::StoreConfig::clock)).
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> UnixMillis + Send + Sync>);

impl Clock {
    /// The system's wall clock.
    pub fn system() -> Clock {
        Clock::new(system_now)
    }

    /// A clock that answers `read()`, for tests that control the time.
    pub fn new(read: impl Fn() -> UnixMillis + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(read))
    }

    pub fn now(&self) -> UnixMillis {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

fn system_now() -> UnixMillis {
    let millis = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_millis()).unwrap_or(i64::MAX),
        // A clock before 1970 is broken; the stamps say so rather than guess.
        Err(_) => 0,
    };
    UnixMillis(millis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, Ordering};

    #[test]
    fn the_system_clock_is_real_milliseconds() {
        let before = system_now();
        let now = Clock::system().now();
        assert!(now >= before);
        // Well after 2020-01-01.
        assert!(now.0 > 1_577_836_800_000);
    }

    #[test]
    fn a_given_clock_is_followed_even_backwards() {
        let time = Arc::new(AtomicI64::new(2_000));
        let clock = {
            let time = time.clone();
            Clock::new(move || UnixMillis(time.load(Ordering::Relaxed)))
        };
        assert_eq!(clock.now(), UnixMillis(2_000));
        time.store(1_000, Ordering::Relaxed);
        assert_eq!(clock.clone().now(), UnixMillis(1_000));
    }
}

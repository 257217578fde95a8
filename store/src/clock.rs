//! The store's wall clock: read once per batch by the writer and once per read
//! by the read path, never going backwards.

use agora_core::time::UnixMillis;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock time that never steps back, even when the system clock does, so
/// that message `pub_date`s follow message ids. Shared by the writer and the
/// readers, so a read never sees a time before one already written.
pub(crate) struct SharedClock {
    last: AtomicI64,
}

impl SharedClock {
    /// A clock that never answers less than `floor` (the newest instant already
    /// stored, so that a restart after the system clock stepped back is safe).
    pub(crate) fn starting_at(floor: UnixMillis) -> SharedClock {
        SharedClock {
            last: AtomicI64::new(floor.0),
        }
    }

    pub(crate) fn now(&self) -> UnixMillis {
        self.advance(system_now())
    }

    fn advance(&self, reading: UnixMillis) -> UnixMillis {
        let before = self.last.fetch_max(reading.0, Ordering::Relaxed);
        UnixMillis(before.max(reading.0))
    }
}

pub(crate) fn system_now() -> UnixMillis {
    let millis = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_millis()).unwrap_or(i64::MAX),
        // A clock before 1970 is broken; the floor keeps time moving forward.
        Err(_) => 0,
    };
    UnixMillis(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_goes_back() {
        let clock = SharedClock::starting_at(UnixMillis(1_000));
        assert_eq!(clock.advance(UnixMillis(500)), UnixMillis(1_000));
        assert_eq!(clock.advance(UnixMillis(2_000)), UnixMillis(2_000));
        assert_eq!(clock.advance(UnixMillis(1_500)), UnixMillis(2_000));
        assert_eq!(clock.advance(UnixMillis(2_001)), UnixMillis(2_001));
    }

    #[test]
    fn follows_the_system_clock() {
        let clock = SharedClock::starting_at(UnixMillis(0));
        let before = system_now();
        let now = clock.now();
        assert!(now >= before);
        // Well after 2020-01-01: the reading is real milliseconds.
        assert!(now.0 > 1_577_836_800_000);
    }
}

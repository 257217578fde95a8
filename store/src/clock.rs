//! The writer's wall clock: read once per batch, never going backwards.

use agora_core::time::UnixMillis;
use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock time that never steps back, even when the system clock does, so
/// that message `pub_date`s follow message ids.
pub(crate) struct WallClock {
    last: UnixMillis,
}

impl WallClock {
    /// A clock that never answers less than `floor` (the newest instant already
    /// stored, so that a restart after the system clock stepped back is safe).
    pub(crate) fn starting_at(floor: UnixMillis) -> WallClock {
        WallClock { last: floor }
    }

    pub(crate) fn now(&mut self) -> UnixMillis {
        self.advance(system_now())
    }

    fn advance(&mut self, reading: UnixMillis) -> UnixMillis {
        self.last = self.last.max(reading);
        self.last
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
        let mut clock = WallClock::starting_at(UnixMillis(1_000));
        assert_eq!(clock.advance(UnixMillis(500)), UnixMillis(1_000));
        assert_eq!(clock.advance(UnixMillis(2_000)), UnixMillis(2_000));
        assert_eq!(clock.advance(UnixMillis(1_500)), UnixMillis(2_000));
        assert_eq!(clock.advance(UnixMillis(2_001)), UnixMillis(2_001));
    }

    #[test]
    fn follows_the_system_clock() {
        let mut clock = WallClock::starting_at(UnixMillis(0));
        let before = system_now();
        let now = clock.now();
        assert!(now >= before);
        // Well after 2020-01-01: the reading is real milliseconds.
        assert!(now.0 > 1_577_836_800_000);
    }
}

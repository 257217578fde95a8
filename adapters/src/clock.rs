//! The clocks and the random source: read here, and only here, for the
//! sans-IO machines in core (which are handed what these return).

use agora_core::http::Now;
use agora_core::time::UnixMillis;
use agora_core::token::Token;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Both clocks, read now.
pub fn now() -> Now {
    Now {
        mono: Instant::now(),
        wall: wall_clock(),
    }
}

pub fn wall_clock() -> UnixMillis {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    UnixMillis(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
}

/// A fresh token from the operating system's CSPRNG.
pub fn fresh_token() -> Token {
    let mut bytes = [0u8; 16];
    // Without an OS RNG no token can be issued safely; the panic stays in this
    // connection's task (see the adapters' panic containment).
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    Token(bytes)
}

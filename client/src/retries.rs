//! Safe retries of POSTs: each carries an `Idempotency-Key` of its own, so
//! the server applies it at most once however often it is sent (API.md,
//! "Retries and abuse"). A POST whose connection broke, or that got 503,
//! is sent again with the same key, a bounded number of times, waiting at
//! least what the server's `Retry-After` asks.

use std::time::Duration;

/// Retries after the first attempt.
pub const RETRIES: u32 = 3;
/// The first wait; each retry waits twice the one before.
const FIRST_WAIT: Duration = Duration::from_millis(250);
/// No wait is longer, whatever `Retry-After` says: a CLI command must end.
const LONGEST_WAIT: Duration = Duration::from_secs(10);

/// A fresh key: 16 bytes of the operating system's random source, in hex.
pub fn fresh_key() -> String {
    let mut bytes = [0u8; 16];
    // Without an OS random source a key could collide with another of the
    // user's: better to stop than to have the server replay the wrong answer.
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How long to wait before retry `retry` (0 for the first), given the
/// server's `Retry-After` in seconds if it sent one.
pub fn wait_before(retry: u32, retry_after: Option<u64>) -> Duration {
    let backoff = FIRST_WAIT.saturating_mul(1 << retry.min(8));
    let asked = Duration::from_secs(retry_after.unwrap_or(0));
    backoff.max(asked).min(LONGEST_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_fresh_and_valid() {
        let (a, b) = (fresh_key(), fresh_key());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn waits_double_honour_retry_after_and_stay_bounded() {
        assert_eq!(wait_before(0, None), Duration::from_millis(250));
        assert_eq!(wait_before(1, None), Duration::from_millis(500));
        assert_eq!(wait_before(0, Some(2)), Duration::from_secs(2));
        assert_eq!(wait_before(1, Some(3600)), LONGEST_WAIT);
        assert_eq!(wait_before(40, None), LONGEST_WAIT);
    }
}

//! The public quota: a fixed window per user. The window opens at the first
//! accepted public message sent after the previous window closed and lasts
//! `quota_window_ms`; at most `quota` public messages are accepted in it.
//! A refused send never opens a window. (With `quota == 0` every public send
//! is refused, with `retry_after` one window length.)

use crate::command::Outcome;
use crate::config::Config;
use crate::time::UnixMillis;
use crate::view::User;

/// Where a user's quota stands at some instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotaState {
    /// Public messages that may still be sent in the current window.
    pub left: u32,
    /// End of the current window; `None` when no window is open.
    pub resets_at: Option<UnixMillis>,
}

impl QuotaState {
    pub fn of(user: &User, now: UnixMillis, config: &Config) -> QuotaState {
        match open_window_end(user, now, config) {
            Some(end) => QuotaState {
                left: config.quota.saturating_sub(user.window_count),
                resets_at: Some(end),
            },
            None => QuotaState {
                left: config.quota,
                resets_at: None,
            },
        }
    }
}

/// The end of the window that is open at `now`, if any.
fn open_window_end(user: &User, now: UnixMillis, config: &Config) -> Option<UnixMillis> {
    let end = user.window_start?.plus_ms(config.quota_window_ms);
    (now < end).then_some(end)
}

/// Counts one public message against the quota, or refuses it with 429. On
/// success `user` holds the new window and must be saved.
pub fn take(user: &mut User, now: UnixMillis, config: &Config) -> Result<(), Outcome> {
    match open_window_end(user, now, config) {
        Some(until) if user.window_count >= config.quota => {
            Err(Outcome::QuotaExceeded { until, now })
        }
        Some(_) => {
            user.window_count += 1;
            Ok(())
        }
        None if config.quota == 0 => Err(Outcome::QuotaExceeded {
            until: now.plus_ms(config.quota_window_ms),
            now,
        }),
        None => {
            user.window_start = Some(now);
            user.window_count = 1;
            Ok(())
        }
    }
}

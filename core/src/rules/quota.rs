//! The quotas: a fixed window per user, one for public messages and one for
//! comments. A window opens at the first accepted message (or comment) sent
//! after the previous window closed and lasts `quota_window_ms`; at most
//! `quota` public messages (`comment_quota` comments) are accepted in it.
//! A refused send never opens a window. (With a quota of 0 every send of that
//! kind is refused, with `retry_after` one window length.)

use crate::command::Outcome;
use crate::config::Config;
use crate::time::UnixMillis;
use crate::view::User;

/// Where a user's public quota stands at some instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotaState {
    /// Public messages that may still be sent in the current window.
    pub left: u32,
    /// End of the current window; `None` when no window is open.
    pub resets_at: Option<UnixMillis>,
}

impl QuotaState {
    pub fn of(user: &User, now: UnixMillis, config: &Config) -> QuotaState {
        match open_window_end(user.window_start, now, config) {
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

/// The end of the window that started at `start`, if it is open at `now`.
fn open_window_end(
    start: Option<UnixMillis>,
    now: UnixMillis,
    config: &Config,
) -> Option<UnixMillis> {
    let end = start?.plus_ms(config.quota_window_ms);
    (now < end).then_some(end)
}

/// Counts one send against a window of `limit`; `Err(until)` when the window
/// is full (or `limit` is 0). On success the window may have been opened.
fn take_window(
    start: &mut Option<UnixMillis>,
    count: &mut u32,
    limit: u32,
    now: UnixMillis,
    config: &Config,
) -> Result<(), UnixMillis> {
    match open_window_end(*start, now, config) {
        Some(until) if *count >= limit => Err(until),
        Some(_) => {
            *count += 1;
            Ok(())
        }
        None if limit == 0 => Err(now.plus_ms(config.quota_window_ms)),
        None => {
            *start = Some(now);
            *count = 1;
            Ok(())
        }
    }
}

/// Counts one public message against the quota, or refuses it with 429. On
/// success `user` holds the new window and must be saved.
pub fn take(user: &mut User, now: UnixMillis, config: &Config) -> Result<(), Outcome> {
    take_window(
        &mut user.window_start,
        &mut user.window_count,
        config.quota,
        now,
        config,
    )
    .map_err(|until| Outcome::QuotaExceeded { until, now })
}

/// Counts one comment against the comment quota, or refuses it with 429
/// `comment_quota_exceeded`. On success `user` must be saved.
pub fn take_comment(user: &mut User, now: UnixMillis, config: &Config) -> Result<(), Outcome> {
    take_window(
        &mut user.comment_window_start,
        &mut user.comment_window_count,
        config.comment_quota,
        now,
        config,
    )
    .map_err(|until| Outcome::CommentQuotaExceeded { until, now })
}

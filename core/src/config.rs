//! Every chat setting of API.md's defaults table that the rules and the codec
//! read. The server binary fills it from its command line.

/// Chat rules and codec settings. `Default` gives API.md's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Messages of history returned by `/connect` when the request names none.
    pub history_default: u32,
    /// Largest `messages_number` a client may ask for.
    pub history_max: u32,
    /// Public messages allowed per window.
    pub quota: u32,
    /// Length of the quota window, in milliseconds.
    pub quota_window_ms: u64,
    /// Distinct reporters that trigger a ban.
    pub ban_threshold: u32,
    /// Length of a ban, in milliseconds.
    pub ban_ms: u64,
    /// Longest message or comment, in characters (Unicode scalar values).
    pub max_text_chars: usize,
    /// Most unread messages returned by one `/connect`.
    pub unread_max: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            history_default: 20,
            history_max: 100,
            quota: 20,
            quota_window_ms: 3_600_000,
            ban_threshold: 3,
            ban_ms: 4 * 3_600_000,
            max_text_chars: 4096,
            unread_max: 1000,
        }
    }
}

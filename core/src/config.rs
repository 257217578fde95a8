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
    /// Comments allowed per user per quota window (`quota_window_ms`).
    pub comment_quota: u32,
    /// Newest comments carried by a message object (`GET /comments` pages
    /// the older ones).
    pub comments_per_message: u32,
    /// Byte budgets of the JSON a page may hold, so that no response body
    /// reaches 2 MiB whatever the data: the history page of `/connect`, its
    /// unread page, the comments a message object carries, and a page of
    /// `GET /comments`. Each page stops before the message (or comment) that
    /// would pass its budget, but always holds at least one, so a reader
    /// always moves on; [`Config::MAX_TEXT_CHARS`] keeps a single message
    /// within the smaller budget.
    pub history_budget: usize,
    pub unread_budget: usize,
    pub embedded_comments_budget: usize,
    pub comments_page_budget: usize,
    /// Most events one `GET /events` answer (or one catch-up page) holds;
    /// it also stops at `events_page_budget` bytes.
    pub events_page_max: u32,
    pub events_page_budget: usize,
    /// How long a long-poll waits when the request names no `timeout`.
    pub events_timeout_default_secs: u32,
    /// New users per client address per [`Config::REGISTER_WINDOW_MS`]; 0:
    /// no limit.
    pub register_rate: u32,
    /// A report counts only from a reporter whose account is at least this
    /// old and who has sent a message; 0: every reporter counts.
    pub reporter_min_age_ms: u64,
    /// Users who may unban (names compare without ASCII case).
    pub moderators: Vec<String>,
    // Issue 25: history and people.
    /// Messages in a `GET /messages` page when the request names no `limit`.
    pub messages_page_default: u32,
    /// The byte budget of a `GET /messages` page (see `history_budget`).
    pub messages_page_budget: usize,
}

impl Config {
    /// The largest `max_text_chars` a server accepts: a text of it, escaped
    /// at 6 bytes a character at worst, plus a message's embedded comments
    /// (`embedded_comments_budget`) stays below the default history budget.
    pub const MAX_TEXT_CHARS: usize = 65_536;

    /// The window `register_rate` counts in: one hour.
    pub const REGISTER_WINDOW_MS: u64 = 3_600_000;

    /// Whether `name` is one of the moderators.
    pub fn is_moderator(&self, name: &str) -> bool {
        self.moderators.iter().any(|m| m.eq_ignore_ascii_case(name))
    }
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
            comment_quota: 60,
            comments_per_message: 20,
            history_budget: 768 * 1024,
            unread_budget: 1024 * 1024,
            embedded_comments_budget: 256 * 1024,
            comments_page_budget: 1024 * 1024,
            events_page_max: 500,
            events_page_budget: 1024 * 1024,
            events_timeout_default_secs: 30,
            register_rate: 10,
            reporter_min_age_ms: 3_600_000,
            moderators: Vec::new(),
            messages_page_default: 50,
            messages_page_budget: 1024 * 1024,
        }
    }
}

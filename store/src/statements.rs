//! Statements both wings run as written: one SQL text that SQLite (through
//! rusqlite) and PostgreSQL (through `postgres`) each accept, kept here once
//! so the two cannot drift apart; each wing keeps only its driver call.
//!
//! Why one text serves both:
//! - Parameters are `$1`, `$2`, ... PostgreSQL numbers them by their digits.
//!   The bundled SQLite (3.50) takes `$1` as a *named* parameter and gives
//!   each name the next index at its first appearance; a name that appears
//!   again (`$4` twice in [`NEW_DEVICE`]) is the same parameter. rusqlite's
//!   `params!` binds by index, so a statement here must name its parameters
//!   first in the order `$1`, `$2`, ... (the tests below check each).
//! - `ON CONFLICT DO NOTHING` (SQLite 3.24+) where SQLite alone once said
//!   `INSERT OR IGNORE`: both skip a row that would break a uniqueness
//!   constraint. `OR IGNORE` also skips a row that breaks NOT NULL or CHECK;
//!   the tables written here have no CHECK, and every value bound is a
//!   non-optional Rust value, so no such row is ever offered; if a bug ever
//!   offered one, it now fails the command instead of being skipped as if
//!   the row were already there.
//! - `RETURNING id` (SQLite 3.35+) where SQLite read `last_insert_rowid()`:
//!   the same id (the row's INTEGER PRIMARY KEY), read from the statement.
//!   It costs SQLite's engine about 2 µs more per insert (it gathers the
//!   rows in a table of its own first: `bench/sqlite_returning.c`,
//!   BENCHMARKS.md); these inserts run on registration, login and a private
//!   chat's first message, each a commit of its own, never on a send.

/// A new user's row (`View::create_user`); its id.
pub(crate) const NEW_USER: &str =
    "INSERT INTO users (name, name_key, token_hash, created, created_from)
     VALUES ($1, $2, $3, $4, $5) RETURNING id";

/// A new private chat between `$1 < $2` (`View::create_private_chat`); its
/// id.
pub(crate) const NEW_PRIVATE_CHAT: &str =
    "INSERT INTO chats (user_a, user_b, created) VALUES ($1, $2, $3) RETURNING id";

/// A membership (`View::join`): one row changed if it is new, none if the
/// user was already a member.
pub(crate) const NEW_MEMBER: &str =
    "INSERT INTO members (user_id, chat_id, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";

/// A new member counted in its chat (after [`NEW_MEMBER`] changed a row).
pub(crate) const MEMBER_COUNTED: &str =
    "UPDATE chats SET member_count = member_count + 1 WHERE id = $1";

/// User `$1` out of chat `$2` (`View::leave`): one row changed if it was a
/// member.
pub(crate) const MEMBER_REMOVED: &str = "DELETE FROM members WHERE user_id = $1 AND chat_id = $2";

/// A member gone from its chat's count (after [`MEMBER_REMOVED`] changed a
/// row).
pub(crate) const MEMBER_UNCOUNTED: &str =
    "UPDATE chats SET member_count = member_count - 1 WHERE id = $1";

/// The private chat between `$1 < $2` (`View::private_chat`), if any.
pub(crate) const PRIVATE_CHAT: &str = "SELECT id FROM chats WHERE user_a = $1 AND user_b = $2";

/// User `$1`'s read position in chat `$2` (`View::read_position`), if a
/// member.
pub(crate) const READ_POSITION: &str =
    "SELECT position FROM members WHERE user_id = $1 AND chat_id = $2";

/// User `$2`'s read position in chat `$3` set to `$1`
/// (`View::set_read_position`; the position first, so that the parameters
/// are named in order): one row changed if a member.
pub(crate) const SET_READ_POSITION: &str =
    "UPDATE members SET position = $1 WHERE user_id = $2 AND chat_id = $3";

/// The two members of private chat `$1` with their names
/// (`View::private_members`), if it is one.
pub(crate) const PRIVATE_MEMBERS: &str = "SELECT c.user_a, a.name, c.user_b, b.name
     FROM chats c JOIN users a ON a.id = c.user_a JOIN users b ON b.id = c.user_b
     WHERE c.id = $1";

/// The newest message id of chat `$1` (`View::latest_message`).
pub(crate) const LATEST_MESSAGE: &str = "SELECT last_message FROM chats WHERE id = $1";

/// The messages of chat `$1` after id `$2` (`View::count_after`): a range
/// on `messages_by_chat`.
pub(crate) const COUNT_AFTER: &str = "SELECT count(*) FROM messages WHERE chat_id = $1 AND id > $2";

/// The chat of message `$1` (`View::chat_of_message`).
pub(crate) const CHAT_OF_MESSAGE: &str = "SELECT chat_id FROM messages WHERE id = $1";

/// Whether user `$2` reports user `$1` (`View::has_reported`).
pub(crate) const HAS_REPORTED: &str = "SELECT 1 FROM reports WHERE target = $1 AND reporter = $2";

/// The standing reports of user `$1` (`View::report_count`).
pub(crate) const REPORT_COUNT: &str = "SELECT count(*) FROM reports WHERE target = $1";

/// User `$2` reports user `$1` at `$3` (`View::add_report`): reports are a
/// set, a second by the same reporter changes nothing.
pub(crate) const ADD_REPORT: &str =
    "INSERT INTO reports (target, reporter, created) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING";

/// User `$1`'s reports gone (`View::clear_reports`).
pub(crate) const CLEAR_REPORTS: &str = "DELETE FROM reports WHERE target = $1";

/// Whether user `$2` is invited to room `$1` (`View::is_invited`).
pub(crate) const IS_INVITED: &str =
    "SELECT 1 FROM room_invites WHERE chat_id = $1 AND user_id = $2";

/// The rooms user `$1` is a member of (`View::rooms_of`).
pub(crate) const ROOMS_OF: &str = "SELECT m.chat_id FROM members m JOIN chats c ON c.id = m.chat_id
     WHERE m.user_id = $1 AND c.room_key IS NOT NULL";

/// The chats of user `$1` (`View::chats_of`), in id order: their counters,
/// unread count (a range on `messages_by_chat`), the other member's name
/// for a private chat, the room's name for a room, and the unread mentions
/// of the user. `ORDER BY m.chat_id`, the same as `c.id` by the join: on
/// SQLite the order the members' primary key already gives (no sort; by
/// `c.id` it sorted), on PostgreSQL the same plan as by `c.id` (its
/// planner takes the two as one).
pub(crate) const CHATS_OF: &str =
    "SELECT c.id, c.created, c.message_count, c.member_count, c.last_message,
            (SELECT count(*) FROM messages x
              WHERE x.chat_id = c.id AND x.id > m.position),
            (SELECT u.name FROM users u
              WHERE u.id = CASE WHEN c.user_a = $1 THEN c.user_b ELSE c.user_a END),
            c.room_name,
            (SELECT count(*) FROM mentions n
              WHERE n.user_id = $1 AND n.chat_id = c.id AND n.message_id > m.position)
     FROM members m JOIN chats c ON c.id = m.chat_id
     WHERE m.user_id = $1
     ORDER BY m.chat_id";

/// A device (`Accounts::add_device`), first used when it is created: `$4`
/// is both times; its id.
pub(crate) const NEW_DEVICE: &str =
    "INSERT INTO devices (user_id, token_hash, label, created, last_used)
     VALUES ($1, $2, $3, $4, $4) RETURNING id";

/// A kept answer by scope and key, if kept since `$3`
/// (`KeyLog::find_key`).
pub(crate) const FIND_KEY: &str = "SELECT fingerprint, status, headers, body FROM idempotency_keys
     WHERE scope = $1 AND key = $2 AND created_at >= $3";

/// An invitation to room `$1` for user `$2`; none changed if it was there.
pub(crate) const INVITE: &str =
    "INSERT INTO room_invites (chat_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";

/// An invitation taken back (or used).
pub(crate) const UNINVITE: &str = "DELETE FROM room_invites WHERE chat_id = $1 AND user_id = $2";

/// The statement that leaves user `$2` invited to room `$1`, or not
/// (`set_invited`).
pub(crate) fn set_invited(invited: bool) -> &'static str {
    if invited {
        INVITE
    } else {
        UNINVITE
    }
}

/// Every statement above, for the tests that run them on both engines.
#[cfg(test)]
const ALL: [&str; 24] = [
    NEW_USER,
    NEW_PRIVATE_CHAT,
    NEW_MEMBER,
    MEMBER_COUNTED,
    MEMBER_REMOVED,
    MEMBER_UNCOUNTED,
    PRIVATE_CHAT,
    READ_POSITION,
    SET_READ_POSITION,
    CHATS_OF,
    NEW_DEVICE,
    FIND_KEY,
    INVITE,
    UNINVITE,
    PRIVATE_MEMBERS,
    LATEST_MESSAGE,
    COUNT_AFTER,
    CHAT_OF_MESSAGE,
    HAS_REPORTED,
    REPORT_COUNT,
    ADD_REPORT,
    CLEAR_REPORTS,
    IS_INVITED,
    ROOMS_OF,
];

#[cfg(test)]
mod tests;

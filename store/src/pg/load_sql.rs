//! The batch overlay's load statement (`batch_rows`): one `SELECT` of
//! tagged rows (`UNION ALL`, the first column says which table a row is
//! from), of only the parts the batch's keys need (see `pg::composed`).
//! A part left out is one that would read nothing: its keys are empty, or
//! (rooms) no chat the load can find is a room.
//!
//! Each part is a lookup by a key some index leads with (the parts are
//! `UNION`s, not `OR`s, so that none becomes a scan). The fragments are
//! numbered as the whole statement's [`PARAMETERS`], which `batch_rows`
//! binds.

use crate::overlay::Needs;
use crate::pg::composed::{composed, Composed};
use agora_core::view::PUBLIC_CHAT;
use std::sync::Arc;

/// The parameters of the whole load (`$1` to `$18`).
pub(crate) const PARAMETERS: usize = 18;

/// Tags of the load's rows.
pub(crate) const USER: i32 = 1;
pub(crate) const CHAT: i32 = 2;
pub(crate) const MEMBER: i32 = 3;
pub(crate) const MESSAGE: i32 = 4;
pub(crate) const REPORT: i32 = 5;
pub(crate) const REGISTRATION: i32 = 6;
pub(crate) const NEXT_IDS: i32 = 7;
/// (issue 28) a device token and its user.
pub(crate) const DEVICE: i32 = 8;
/// (issue 25) a room invitation.
pub(crate) const INVITE: i32 = 9;

/// Parts a load may leave out, a bit each.
const MESSAGES: u32 = 1 << 0;
const ROOMS: u32 = 1 << 1;
const REPORTS: u32 = 1 << 2;
const REGISTRATIONS: u32 = 1 << 3;
const MEMBERS: u32 = 1 << 4;
/// Every part (the whole statement).
#[cfg(test)]
const ALL: u32 = (1 << 5) - 1;

/// The next id a table's sequence gives (`pg_sequence_last_value` is
/// `NULL` before its first `nextval`).
macro_rules! next_id {
    ($table:literal) => {
        concat!(
            "coalesce(pg_sequence_last_value(pg_get_serial_sequence('",
            $table,
            "', 'id')::regclass), 0) + 1"
        )
    };
}

/// The load in order, each fragment with the part it belongs to (0: every
/// load). Columns of the result: tag, eight `bigint`s, a `text`, a
/// `bytea`, a `boolean`. (See `Needs` for what comes with each row found.)
const FRAGMENTS: &[(u32, &str)] = &[
    (
        0,
        "WITH
 dv AS (SELECT token_hash, user_id FROM devices
        WHERE token_hash = ANY($1::bytea[]) OR token_hash = ANY($5::bytea[])),
 u0 AS (SELECT * FROM users
        WHERE id IN (SELECT user_id FROM dv) OR name_key = ANY($2::text[])
              OR id = ANY($3::int8[])),
 tp AS (SELECT least(a.id, b.id) AS lo, greatest(a.id, b.id) AS hi
          FROM unnest($5::bytea[], $6::text[]) AS p(t, n)
          JOIN dv ON dv.token_hash = p.t JOIN users a ON a.id = dv.user_id
          JOIN users b ON b.name_key = p.n
        UNION ALL SELECT * FROM unnest($7::int8[], $8::int8[])),",
    ),
    (
        MESSAGES,
        "
 msg AS (SELECT id, chat_id, comment_count FROM messages WHERE id = ANY($11::int8[])),",
    ),
    (
        0,
        "
 ch AS (SELECT * FROM chats WHERE id = ANY($4::int8[])",
    ),
    (
        ROOMS,
        "
        UNION SELECT * FROM chats WHERE room_key = ANY($18::text[])",
    ),
    (
        MESSAGES,
        "
        UNION SELECT c.* FROM chats c JOIN msg ON c.id = msg.chat_id",
    ),
    (
        0,
        "
        UNION SELECT c.* FROM chats c JOIN tp ON c.user_a = tp.lo AND c.user_b = tp.hi
              WHERE c.user_a IS NOT NULL),
 u AS (SELECT * FROM u0
       UNION SELECT users.* FROM users JOIN ch ON users.id IN (ch.user_a, ch.user_b)),
 mem AS (SELECT chat_id, user_id, position FROM members
           WHERE chat_id = 1 AND user_id IN (SELECT id FROM u)
         UNION SELECT m.chat_id, m.user_id, m.position FROM ch
           JOIN members m ON m.chat_id = ch.id AND m.user_id IN (ch.user_a, ch.user_b)",
    ),
    (
        MEMBERS,
        "
         UNION SELECT m.chat_id, m.user_id, m.position FROM members m
           JOIN unnest($9::int8[], $10::int8[]) AS k(c, u) ON m.chat_id = k.c AND m.user_id = k.u",
    ),
    (
        ROOMS,
        "
         UNION SELECT m.chat_id, m.user_id, m.position FROM ch
           JOIN members m ON m.chat_id = ch.id
           WHERE ch.room_key IS NOT NULL AND m.user_id IN (SELECT id FROM u)),
 inv AS (SELECT i.chat_id, i.user_id FROM ch JOIN room_invites i ON i.chat_id = ch.id
         WHERE ch.room_key IS NOT NULL AND i.user_id IN (SELECT id FROM u)",
    ),
    (0, ")"),
    (
        REPORTS,
        ",
 rep AS (SELECT target, reporter, created FROM reports WHERE target = ANY($13::int8[])
         UNION SELECT r.target, r.reporter, r.created FROM users t
           JOIN reports r ON r.target = t.id WHERE t.name_key = ANY($12::text[]))",
    ),
    (
        REGISTRATIONS,
        ",
 reg AS (SELECT o.origin, r.created FROM unnest($14::text[]) AS o(origin)
         CROSS JOIN LATERAL (SELECT created FROM users
                             WHERE created_from = o.origin AND created >= $15::int8
                             ORDER BY created DESC LIMIT $16::int8) r)",
    ),
    (
        0,
        "
SELECT 1, id, banned_until, window_start, window_count, comment_window_start,
       comment_window_count, created, NULL::int8, name, token_hash, sent_message FROM u
UNION ALL SELECT 2, id, user_a, user_b, created, message_count, member_count, last_message,
       NULL, room_name, convert_to(room_topic, 'UTF8'), room_public FROM ch
UNION ALL SELECT 3, chat_id, user_id, position, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
       FROM mem
UNION ALL SELECT 8, user_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, token_hash, NULL
       FROM dv",
    ),
    (
        MESSAGES,
        "
UNION ALL SELECT 4, id, chat_id, comment_count, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
       FROM msg",
    ),
    (
        REPORTS,
        "
UNION ALL SELECT 5, target, reporter, created, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
       FROM rep",
    ),
    (
        REGISTRATIONS,
        "
UNION ALL SELECT 6, created, NULL, NULL, NULL, NULL, NULL, NULL, NULL, origin, NULL, NULL
       FROM reg",
    ),
    (
        ROOMS,
        "
UNION ALL SELECT 9, chat_id, user_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
       FROM inv",
    ),
    (
        0,
        concat!(
            "
UNION ALL SELECT 7, ",
            next_id!("users"),
            ", ",
            next_id!("chats"),
            ", ",
            next_id!("messages"),
            ", ",
            next_id!("comments"),
            ", ",
            next_id!("events"),
            ", NULL, NULL, NULL, NULL, NULL, NULL WHERE $17::bool"
        ),
    ),
];

/// The parts `needs` reads something with. Rooms: a room is found by its
/// key, by its id, or as the chat of a message; the public chat is none,
/// and the private chats the pairs find are none.
fn parts(needs: &Needs) -> u32 {
    let mut parts = 0;
    if !needs.messages.is_empty() {
        parts |= MESSAGES;
    }
    if !needs.room_keys.is_empty()
        || !needs.messages.is_empty()
        || needs.chats.iter().any(|&chat| chat != PUBLIC_CHAT)
    {
        parts |= ROOMS;
    }
    if !needs.report_names.is_empty() || !needs.report_ids.is_empty() {
        parts |= REPORTS;
    }
    if !needs.origins.is_empty() {
        parts |= REGISTRATIONS;
    }
    if !needs.members.is_empty() {
        parts |= MEMBERS;
    }
    parts
}

fn compose(parts: u32) -> String {
    FRAGMENTS
        .iter()
        .filter(|(part, _)| *part == 0 || parts & part != 0)
        .map(|(_, sql)| *sql)
        .collect()
}

/// The load of what `needs` names.
pub(crate) fn statement(needs: &Needs) -> Arc<Composed> {
    let parts = parts(needs);
    composed("load", parts, || compose(parts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pg::composed::renumber;

    #[test]
    fn the_whole_load_uses_every_parameter() {
        let whole = renumber(&compose(ALL));
        let mut seen = whole.parameters.clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..PARAMETERS).collect::<Vec<_>>());
    }

    #[test]
    fn a_load_of_sends_reads_no_room_report_registration_or_message() {
        let mut needs = Needs::default();
        needs.tokens.push([1; 32]);
        needs.token_pairs.push(([1; 32], "bob".into()));
        needs.chats.push(PUBLIC_CHAT);
        needs.next_ids = true;
        let sql = compose(parts(&needs));
        for left_out in [
            "reports",
            "room_invites",
            "created_from",
            "FROM messages",
            "$9",
        ] {
            assert!(!sql.contains(left_out), "{left_out} in {sql}");
        }
        for kept in ["FROM devices", "FROM chats", "FROM members", "FROM u"] {
            assert!(sql.contains(kept), "{kept} missing from {sql}");
        }
    }

    #[test]
    fn a_chat_that_may_be_a_room_brings_its_members_and_invitations() {
        for needs in [
            Needs {
                chats: vec![7],
                ..Needs::default()
            },
            Needs {
                messages: vec![3],
                ..Needs::default()
            },
            Needs {
                room_keys: vec!["#lobby".into()],
                ..Needs::default()
            },
        ] {
            let sql = compose(parts(&needs));
            assert!(sql.contains("room_invites"), "{needs:?}");
            assert!(sql.contains("ch.room_key IS NOT NULL"), "{needs:?}");
        }
    }
}

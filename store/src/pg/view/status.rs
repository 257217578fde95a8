//! (issue 23) `GET /status` on PostgreSQL in one statement, and the
//! committed state its memo is checked against (`engine::status_memo::state`).
//!
//! Through `PgView` a `Status` is five round trips (`BEGIN`, the user, its
//! chats, its report count, `ROLLBACK`). One statement reads all three parts
//! from one snapshot (a single statement needs no transaction around it to
//! be consistent), and returns that snapshot too: it is what the memo entry
//! is tagged with, taken by the very statement that made the reads, so no
//! commit can fall between the reads and their tag.

use super::{chat_at, count, store_error, user_at};
use crate::engine::status_memo::state::CommittedState;
use crate::engine::status_memo::StatusReads;
use crate::pg::connection::PgConn;
use agora_core::token::TokenHash;
use agora_core::view::ViewResult;

/// A row per chat of the caller (at least one row: the snapshot), each
/// with the caller's columns (`user_at`, from 1; `NULL` when the token is
/// no device's), its report count (10) and the chat's columns (`chat_at`,
/// from 11; `NULL` when it has no chat). The parts are `PgView`'s
/// `USER_BY_DEVICE`, `chats_of` and `report_count`, which must read the same.
const STATUS: &str = "
WITH me AS (
    SELECT id, name, banned_until, window_start, window_count,
           comment_window_start, comment_window_count, created, sent_message
    FROM users WHERE id = (SELECT user_id FROM devices WHERE token_hash = $1))
SELECT s.at,
       me.id, me.name, me.banned_until, me.window_start, me.window_count,
       me.comment_window_start, me.comment_window_count, me.created, me.sent_message,
       (SELECT count(*) FROM reports WHERE target = me.id),
       c.id, c.created, c.message_count, c.member_count, c.last_message,
       (SELECT count(*) FROM messages x WHERE x.chat_id = c.id AND x.id > m.position),
       (SELECT u.name FROM users u
         WHERE u.id = CASE WHEN c.user_a = me.id THEN c.user_b ELSE c.user_a END),
       c.room_name,
       (SELECT count(*) FROM mentions n
         WHERE n.user_id = me.id AND n.chat_id = c.id AND n.message_id > m.position)
FROM (SELECT pg_current_snapshot()::text AS at) s
     LEFT JOIN me ON true
     LEFT JOIN members m ON m.user_id = me.id
     LEFT JOIN chats c ON c.id = m.chat_id
ORDER BY c.id";

/// The snapshot a new statement sees now. Two are equal only if no
/// transaction ended between them: a transaction that had an id and was
/// running at the first is no longer in the second's list of running ones,
/// and one that got its id since moves `xmax` on when it ends. Every write
/// has an id, so an equal snapshot means the same rows are visible. Read-only
/// transactions (readers, `/status` itself) get no id and change nothing
/// here; any write anywhere in the cluster makes it differ (a miss, never a
/// stale answer).
const COMMITTED_STATE: &str = "SELECT pg_current_snapshot()::text";

/// What `Status` reads for `caller`, and the snapshot it was read at.
pub(crate) fn status_reads(
    conn: &mut PgConn,
    caller: &TokenHash,
) -> ViewResult<(StatusReads, CommittedState)> {
    let rows = conn.query(STATUS, &[&&caller.0[..]]).map_err(store_error)?;
    let first = rows.first().ok_or_else(|| {
        agora_core::view::StoreError("the status statement returned no row".into())
    })?;
    let at: String = first.get(0);
    let user = match first.get::<_, Option<i64>>(1) {
        Some(_) => Some(user_at(first, 1)?),
        None => None,
    };
    let cautions = match &user {
        Some(_) => count(first.get(10))?,
        None => 0,
    };
    let mut chats = Vec::with_capacity(rows.len());
    for row in &rows {
        if row.get::<_, Option<i64>>(11).is_some() {
            chats.push(chat_at(row, 11)?);
        }
    }
    Ok((StatusReads::of(user, chats, cautions), at.into()))
}

/// The committed state now (see [`COMMITTED_STATE`]).
pub(crate) fn committed_state(conn: &mut PgConn) -> ViewResult<CommittedState> {
    conn.query_one(COMMITTED_STATE, &[])
        .map(|row| row.get::<_, String>(0).into())
        .map_err(store_error)
}

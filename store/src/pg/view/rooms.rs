//! (issue 25) `PgView`'s rooms: rows of `chats` with a `room_key`, their
//! invitations in `room_invites` (as SQLite's `sqlite/view/rooms.rs`).
//! `View for PgView` calls these; the batch overlay reads and writes rooms
//! through them too.

use super::{store_error, PgView};
use crate::membership::MemberRows;
use crate::room_rows::{room_from_columns, room_where};
use crate::statements;
use agora_core::records::name_key;
use agora_core::view::{
    ChatId, ChatUser, Membership, NewRoom, Room, RoomListing, RoomsPage, UserId, ViewResult,
};
use postgres::Row;

/// A room from the first six columns (see `room_where!`).
fn room_from_row(row: &Row) -> ViewResult<Room> {
    room_from_columns((
        row.get(0),
        row.get(1),
        row.get(2),
        row.get(3),
        row.get(4),
        row.get(5),
    ))
}

/// The rooms `$1` may see whose key starts with `$2`, by key, at most `$3`:
/// a range of `chats_by_room_key`, private rooms kept only for their members
/// and invited users.
const ROOMS_FOR: &str = "SELECT c.id, c.room_name, c.room_public, c.room_topic, c.created,
            c.member_count, m.user_id IS NOT NULL, i.user_id IS NOT NULL
     FROM chats c
     LEFT JOIN members m ON m.chat_id = c.id AND m.user_id = $1
     LEFT JOIN room_invites i ON i.chat_id = c.id AND i.user_id = $1
     WHERE c.room_key LIKE $2 || '%' AND c.room_key IS NOT NULL
       AND (c.room_public OR m.user_id IS NOT NULL OR i.user_id IS NOT NULL)
     ORDER BY c.room_key
     LIMIT $3";

/// `LIKE`'s own characters in a prefix, escaped (room names hold `_`).
fn like_prefix(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len());
    for c in name_key(prefix).chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl PgView<'_> {
    pub(crate) fn room_by_name(&mut self, name: &str) -> ViewResult<Option<Room>> {
        let row = self
            .conn
            .query_opt(room_where!("room_key = $1"), &[&name_key(name)])
            .map_err(store_error)?;
        row.as_ref().map(room_from_row).transpose()
    }

    pub(crate) fn room_of(&mut self, chat: ChatId) -> ViewResult<Option<Room>> {
        let row = self
            .conn
            .query_opt(room_where!("id = $1 AND room_key IS NOT NULL"), &[&chat])
            .map_err(store_error)?;
        row.as_ref().map(room_from_row).transpose()
    }

    pub(crate) fn create_room(&mut self, new: NewRoom<'_>) -> ViewResult<ChatId> {
        let NewRoom { name, topic, .. } = new;
        self.conn
            .query_one(
                "INSERT INTO chats (created, room_name, room_key, room_public, room_topic)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[&new.now.0, &name, &name_key(name), &new.public, &topic],
            )
            .map(|row| row.get(0))
            .map_err(store_error)
    }

    pub(crate) fn rooms_for(&mut self, page: RoomsPage<'_>) -> ViewResult<Vec<RoomListing>> {
        let RoomsPage {
            user,
            prefix,
            limit,
        } = page;
        let rows = self
            .conn
            .query(ROOMS_FOR, &[&user, &like_prefix(prefix), &i64::from(limit)])
            .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(RoomListing {
                    room: room_from_row(row)?,
                    membership: Membership::from_flags(row.get(6), row.get(7)),
                })
            })
            .collect()
    }

    pub(crate) fn is_invited(&mut self, room: ChatId, user: UserId) -> ViewResult<bool> {
        self.exists(statements::IS_INVITED, &[&room, &user])
    }

    pub(crate) fn set_invited(&mut self, invitation: ChatUser, invited: bool) -> ViewResult<()> {
        let sql = statements::set_invited(invited);
        self.conn
            .execute(sql, &[&invitation.chat, &invitation.user])
            .map(drop)
            .map_err(store_error)
    }

    /// Ends a membership and takes it off the chat's `member_count`.
    pub(crate) fn leave(&mut self, chat: ChatId, user: UserId) -> ViewResult<()> {
        self.remove_member(ChatUser { chat, user })
    }

    pub(crate) fn rooms_of(&mut self, user: UserId) -> ViewResult<Vec<ChatId>> {
        let rows = self
            .conn
            .query(statements::ROOMS_OF, &[&user])
            .map_err(store_error)?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }
}

/// (issue 25) Every room membership, `(room, user)`: the hub's picture of
/// who gets a room's events, read at start.
pub(crate) fn room_memberships(
    conn: &mut crate::pg::connection::PgConn,
) -> Result<Vec<(ChatId, UserId)>, agora_core::view::StoreError> {
    let rows = conn
        .query(
            "SELECT m.chat_id, m.user_id FROM members m JOIN chats c ON c.id = m.chat_id
             WHERE c.room_key IS NOT NULL",
            &[],
        )
        .map_err(store_error)?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}

//! (issue 25) `SqlView`'s rooms: rows of `chats` with a `room_key`, their
//! invitations in `room_invites`. `View for SqlView` calls these.

use super::{store_error, SqlView};
use crate::membership::MemberRows;
use crate::room_rows::{room_from_columns, room_where, RoomColumns};
use crate::statements;
use agora_core::records::name_key;
use agora_core::view::{
    ChatId, ChatUser, Membership, NewRoom, Room, RoomListing, RoomsPage, UserId, ViewResult,
};
use rusqlite::{params, OptionalExtension, Row};

/// The room of a row's first six columns (see `room_where!`), read.
fn room_columns(row: &Row<'_>) -> rusqlite::Result<RoomColumns> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

/// The rooms `?1` may see whose key starts with `?2`, by key: a range of
/// `chats_by_room_key`, private rooms kept only for their members and
/// invited users.
const ROOMS_FOR: &str = concat!(
    "SELECT c.id, c.room_name, c.room_public, c.room_topic, c.created, c.member_count,
            EXISTS (SELECT 1 FROM members m WHERE m.user_id = ?1 AND m.chat_id = c.id),
            EXISTS (SELECT 1 FROM room_invites i WHERE i.chat_id = c.id AND i.user_id = ?1)
     FROM chats c
     WHERE c.room_key >= ?2 AND substr(c.room_key, 1, length(?2)) = ?2",
    " ORDER BY c.room_key"
);

impl SqlView<'_> {
    pub(super) fn room_by_name(&mut self, name: &str) -> ViewResult<Option<Room>> {
        self.room_where(room_where!("room_key = ?1"), &name_key(name))
    }

    pub(super) fn room_of(&mut self, chat: ChatId) -> ViewResult<Option<Room>> {
        self.room_where(room_where!("id = ?1 AND room_key IS NOT NULL"), &chat)
    }

    /// The room `sql` (a `room_where!`) finds by `key`.
    fn room_where(&self, sql: &str, key: &dyn rusqlite::ToSql) -> ViewResult<Option<Room>> {
        let columns = self
            .conn
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.query_row([key], room_columns).optional())
            .map_err(store_error)?;
        columns.map(room_from_columns).transpose()
    }

    pub(super) fn create_room(&mut self, new: NewRoom<'_>) -> ViewResult<ChatId> {
        let NewRoom { name, topic, .. } = new;
        let key = name_key(name);
        self.conn
            .prepare_cached(
                "INSERT INTO chats (created, room_name, room_key, room_public, room_topic)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut stmt| stmt.insert(params![new.now.0, name, key, new.public, topic]))
            .map_err(store_error)
    }

    pub(super) fn rooms_for(&mut self, page: RoomsPage<'_>) -> ViewResult<Vec<RoomListing>> {
        let mut stmt = self.conn.prepare_cached(ROOMS_FOR).map_err(store_error)?;
        let rows = stmt
            .query_map(params![page.user, name_key(page.prefix)], |row| {
                Ok((room_columns(row)?, row.get(6)?, row.get(7)?))
            })
            .map_err(store_error)?;
        let mut out = Vec::new();
        for row in rows {
            let (columns, member, invited) = row.map_err(store_error)?;
            let listing = RoomListing {
                room: room_from_columns(columns)?,
                membership: Membership::from_flags(member, invited),
            };
            if listing.room.public || listing.membership.is_some() {
                out.push(listing);
                if out.len() >= page.limit as usize {
                    break;
                }
            }
        }
        Ok(out)
    }

    pub(super) fn is_invited(&mut self, room: ChatId, user: UserId) -> ViewResult<bool> {
        self.conn
            .prepare_cached(statements::IS_INVITED)
            .and_then(|mut stmt| stmt.exists([room, user]))
            .map_err(store_error)
    }

    pub(super) fn set_invited(&mut self, invitation: ChatUser, invited: bool) -> ViewResult<()> {
        let sql = statements::set_invited(invited);
        self.conn
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute([invitation.chat, invitation.user]))
            .map_err(store_error)?;
        Ok(())
    }

    pub(super) fn leave(&mut self, chat: ChatId, user: UserId) -> ViewResult<()> {
        self.remove_member(ChatUser { chat, user })
    }

    pub(super) fn rooms_of(&mut self, user: UserId) -> ViewResult<Vec<ChatId>> {
        self.conn
            .prepare_cached(statements::ROOMS_OF)
            .and_then(|mut stmt| stmt.query_map([user], |row| row.get(0))?.collect())
            .map_err(store_error)
    }
}

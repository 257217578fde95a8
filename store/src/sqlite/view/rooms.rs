//! (issue 25) `SqlView`'s rooms: rows of `chats` with a `room_key`, their
//! invitations in `room_invites`. `View for SqlView` calls these.

use super::{store_error, SqlView};
use agora_core::records::name_key;
use agora_core::time::UnixMillis;
use agora_core::view::{
    ChatId, Membership, NewRoom, Room, RoomListing, RoomsPage, UserId, ViewResult,
};
use rusqlite::{params, OptionalExtension, Row};

/// A room's columns, in the order `room_from_row` reads them.
macro_rules! room_where {
    ($key:literal) => {
        concat!(
            "SELECT id, room_name, room_public, room_topic, created, member_count
             FROM chats WHERE ",
            $key
        )
    };
}

fn room_from_row(row: &Row<'_>) -> rusqlite::Result<Room> {
    Ok(Room {
        id: row.get(0)?,
        name: row.get(1)?,
        public: row.get(2)?,
        topic: row.get(3)?,
        created: UnixMillis(row.get(4)?),
        members_number: row.get(5)?,
    })
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
        self.conn
            .prepare_cached(room_where!("room_key = ?1"))
            .and_then(|mut stmt| stmt.query_row([name_key(name)], room_from_row).optional())
            .map_err(store_error)
    }

    pub(super) fn room_of(&mut self, chat: ChatId) -> ViewResult<Option<Room>> {
        self.conn
            .prepare_cached(room_where!("id = ?1 AND room_key IS NOT NULL"))
            .and_then(|mut stmt| stmt.query_row([chat], room_from_row).optional())
            .map_err(store_error)
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
                Ok(RoomListing {
                    room: room_from_row(row)?,
                    membership: Membership::from_flags(row.get(6)?, row.get(7)?),
                })
            })
            .map_err(store_error)?;
        let mut out = Vec::new();
        for listing in rows {
            let listing = listing.map_err(store_error)?;
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
            .prepare_cached("SELECT 1 FROM room_invites WHERE chat_id = ?1 AND user_id = ?2")
            .and_then(|mut stmt| stmt.exists([room, user]))
            .map_err(store_error)
    }

    pub(super) fn set_invited(
        &mut self,
        room: ChatId,
        user: UserId,
        invited: bool,
    ) -> ViewResult<()> {
        let sql = if invited {
            "INSERT OR IGNORE INTO room_invites (chat_id, user_id) VALUES (?1, ?2)"
        } else {
            "DELETE FROM room_invites WHERE chat_id = ?1 AND user_id = ?2"
        };
        self.conn
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute([room, user]))
            .map_err(store_error)?;
        Ok(())
    }

    pub(super) fn leave(&mut self, chat: ChatId, user: UserId) -> ViewResult<()> {
        let removed = self
            .conn
            .prepare_cached("DELETE FROM members WHERE user_id = ?1 AND chat_id = ?2")
            .and_then(|mut stmt| stmt.execute([user, chat]))
            .map_err(store_error)?;
        if removed == 1 {
            self.conn
                .prepare_cached("UPDATE chats SET member_count = member_count - 1 WHERE id = ?1")
                .and_then(|mut stmt| stmt.execute([chat]))
                .map_err(store_error)?;
        }
        if let Some(rows) = self.rows.as_mut() {
            rows.keep_read_position(chat, user, None);
        }
        Ok(())
    }

    pub(super) fn rooms_of(&mut self, user: UserId) -> ViewResult<Vec<ChatId>> {
        self.conn
            .prepare_cached(
                "SELECT m.chat_id FROM members m JOIN chats c ON c.id = m.chat_id
                 WHERE m.user_id = ?1 AND c.room_key IS NOT NULL",
            )
            .and_then(|mut stmt| stmt.query_map([user], |row| row.get(0))?.collect())
            .map_err(store_error)
    }
}

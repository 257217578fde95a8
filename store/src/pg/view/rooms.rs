//! (issue 25) `PgView`'s rooms, as `SqlView`'s (`sqlite/view/rooms.rs`):
//! rows of `chats` with a `room_key`, their invitations in `room_invites`.
//! `View for PgView` calls these.

use super::{store_error, text, PgView};
use agora_core::records::name_key;
use agora_core::time::UnixMillis;
use agora_core::view::{ChatId, Membership, Room, RoomListing, UserId, ViewResult};
use postgres::Row;

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

fn room_from_row(row: &Row) -> ViewResult<Room> {
    Ok(Room {
        id: row.get(0),
        name: row.get(1),
        public: row.get(2),
        topic: text(row.get(3))?,
        created: UnixMillis(row.get(4)),
        members_number: u64::try_from(row.get::<_, i64>(5)).unwrap_or(0),
    })
}

/// The rooms `$1` may see whose key starts with `$2`, by key (byte order,
/// `chats_by_room_key_bytes`): public rooms, and private rooms only for
/// their members and invited users. `$3` is `$2` followed by 0x7f: room
/// keys are ASCII below it, so the range is exactly the prefix's.
const ROOMS_FOR: &str = r#"SELECT c.id, c.room_name, c.room_public, c.room_topic, c.created,
            c.member_count,
            EXISTS (SELECT 1 FROM members m WHERE m.user_id = $1 AND m.chat_id = c.id),
            EXISTS (SELECT 1 FROM room_invites i WHERE i.chat_id = c.id AND i.user_id = $1)
     FROM chats c
     WHERE c.room_key IS NOT NULL
       AND c.room_key COLLATE "C" >= $2 AND c.room_key COLLATE "C" < $3
     ORDER BY c.room_key COLLATE "C""#;

impl PgView<'_> {
    pub(super) fn pg_room_by_name(&mut self, name: &str) -> ViewResult<Option<Room>> {
        let row = self
            .conn
            .query_opt(room_where!("room_key = $1"), &[&name_key(name)])
            .map_err(store_error)?;
        row.as_ref().map(room_from_row).transpose()
    }

    pub(super) fn pg_room_of(&mut self, chat: ChatId) -> ViewResult<Option<Room>> {
        let row = self
            .conn
            .query_opt(room_where!("id = $1 AND room_key IS NOT NULL"), &[&chat])
            .map_err(store_error)?;
        row.as_ref().map(room_from_row).transpose()
    }

    pub(super) fn pg_create_room(
        &mut self,
        name: &str,
        public: bool,
        topic: &str,
        now: UnixMillis,
    ) -> ViewResult<ChatId> {
        let row = self
            .conn
            .query_one(
                "INSERT INTO chats (created, room_name, room_key, room_public, room_topic)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[&now.0, &name, &name_key(name), &public, &topic.as_bytes()],
            )
            .map_err(store_error)?;
        Ok(row.get(0))
    }

    pub(super) fn pg_rooms_for(
        &mut self,
        user: UserId,
        prefix: &str,
        limit: u32,
    ) -> ViewResult<Vec<RoomListing>> {
        let start = name_key(prefix);
        let end = format!("{start}\u{7f}");
        let rows = self
            .conn
            .query(ROOMS_FOR, &[&user, &start, &end])
            .map_err(store_error)?;
        let mut out = Vec::new();
        for row in &rows {
            let member: bool = row.get(6);
            let invited: bool = row.get(7);
            let membership = match (member, invited) {
                (true, _) => Some(Membership::Member),
                (false, true) => Some(Membership::Invited),
                (false, false) => None,
            };
            let room = room_from_row(row)?;
            if room.public || membership.is_some() {
                out.push(RoomListing { room, membership });
                if out.len() >= limit as usize {
                    break;
                }
            }
        }
        Ok(out)
    }

    pub(super) fn pg_is_invited(&mut self, room: ChatId, user: UserId) -> ViewResult<bool> {
        let row = self
            .conn
            .query_opt(
                "SELECT 1 FROM room_invites WHERE chat_id = $1 AND user_id = $2",
                &[&room, &user],
            )
            .map_err(store_error)?;
        Ok(row.is_some())
    }

    pub(super) fn pg_set_invited(
        &mut self,
        room: ChatId,
        user: UserId,
        invited: bool,
    ) -> ViewResult<()> {
        let sql = if invited {
            "INSERT INTO room_invites (chat_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM room_invites WHERE chat_id = $1 AND user_id = $2"
        };
        self.conn
            .execute(sql, &[&room, &user])
            .map(drop)
            .map_err(store_error)
    }

    /// One statement: the membership goes, and the room's count with it
    /// when there was one.
    pub(super) fn pg_leave(&mut self, chat: ChatId, user: UserId) -> ViewResult<()> {
        self.conn
            .execute(
                "WITH gone AS (DELETE FROM members WHERE user_id = $2 AND chat_id = $1
                               RETURNING chat_id)
                 UPDATE chats SET member_count = member_count - 1
                 WHERE id = $1 AND EXISTS (SELECT 1 FROM gone)",
                &[&chat, &user],
            )
            .map(drop)
            .map_err(store_error)
    }

    pub(super) fn pg_rooms_of(&mut self, user: UserId) -> ViewResult<Vec<ChatId>> {
        let rows = self
            .conn
            .query(
                "SELECT m.chat_id FROM members m JOIN chats c ON c.id = m.chat_id
                 WHERE m.user_id = $1 AND c.room_key IS NOT NULL",
                &[&user],
            )
            .map_err(store_error)?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }
}

/// Every room membership, `(room, user)`: the hub's picture of who gets a
/// room's events, read at start (as `sqlite::open::room_memberships`).
pub(crate) fn room_memberships(
    conn: &mut crate::pg::connection::PgConn,
) -> Result<Vec<(ChatId, UserId)>, postgres::Error> {
    let rows = conn.query(
        "SELECT m.chat_id, m.user_id FROM members m JOIN chats c ON c.id = m.chat_id
         WHERE c.room_key IS NOT NULL",
        &[],
    )?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}

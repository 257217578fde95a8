//! (issue 25) A room's row as both wings read it: the columns of `chats`
//! that `room_where!` selects, and the [`Room`] made of them. The condition
//! after `WHERE` (its placeholders) is each wing's own.

use agora_core::time::UnixMillis;
use agora_core::view::{ChatId, Room, StoreError, ViewResult};

/// A room's columns from `chats`, in the order of [`RoomColumns`],
/// completed by a condition in the wing's dialect.
macro_rules! room_where {
    ($key:literal) => {
        concat!(
            "SELECT id, room_name, room_public, room_topic, created, member_count
             FROM chats WHERE ",
            $key
        )
    };
}
pub(crate) use room_where;

/// The columns `room_where!` selects (id, name, public, topic, created,
/// member count), as a driver reads them.
pub(crate) type RoomColumns = (ChatId, String, bool, String, i64, i64);

/// The room of a row's [`RoomColumns`].
pub(crate) fn room_from_columns(columns: RoomColumns) -> ViewResult<Room> {
    let (id, name, public, topic, created, members) = columns;
    Ok(Room {
        id,
        name,
        public,
        topic,
        created: UnixMillis(created),
        members_number: u64::try_from(members)
            .map_err(|_| StoreError(format!("room {id}: member count {members}")))?,
    })
}

//! (issue 25) Rooms in the batch overlay. A room is a chat: its members,
//! read positions, messages and counters are the overlay's chats and
//! members, held as theirs are. The batch's load brings the rooms its
//! commands name (`Needs::room_keys`) with the memberships and invitations
//! in them of the users it loads, so that sending to, reading, joining a
//! room or inviting to it costs no round trip of its own (invitations are
//! kept and flushed like any row). The rare writes that make or end a row
//! the flush does not write (a new room: its id is the chats sequence's;
//! leaving: a membership deleted) go straight to the database, as
//! idempotency keys do (the command can then no longer be taken back in
//! memory), and the overlay then holds what they wrote; what it does not
//! hold (a room list, a user's rooms) it reads through after a flush.

use super::OverlayView;
use crate::overlay::table::Cached;
use crate::overlay::{name_key, BatchRows, ChatRow, Needs, RoomColumns};
use agora_core::view::{
    ChatId, ChatUser, NewRoom, Room, RoomListing, RoomsPage, UserId, View, ViewResult, PUBLIC_CHAT,
};

impl<B: BatchRows> OverlayView<'_, B> {
    /// The room whose chat is `chat`, from the chat row held (loaded on
    /// its own if not held).
    fn held_room(&mut self, chat: ChatId) -> ViewResult<Option<Room>> {
        let Some(row) = self.chat(chat)? else {
            return Ok(None);
        };
        Ok(row.room.map(|room| Room {
            id: row.id,
            name: room.name,
            public: room.public,
            topic: room.topic,
            created: row.created,
            members_number: u64::try_from(row.member_count).unwrap_or(0),
        }))
    }

    pub(super) fn room_by_name(&mut self, name: &str) -> ViewResult<Option<Room>> {
        let key = name_key(name);
        if !self.overlay.rooms.contains(&key) {
            self.load(Needs {
                room_keys: vec![key.clone()],
                ..Needs::default()
            })?;
        }
        match self.overlay.rooms.get(&key).copied().flatten() {
            Some(chat) => self.held_room(chat),
            None => Ok(None),
        }
    }

    pub(super) fn room_of(&mut self, chat: ChatId) -> ViewResult<Option<Room>> {
        if chat == PUBLIC_CHAT {
            return Ok(None);
        }
        self.held_room(chat)
    }

    /// Written through: the chat's id comes from the database's sequence,
    /// and the overlay's next chat id moves past it.
    pub(super) fn create_room(&mut self, new: NewRoom<'_>) -> ViewResult<ChatId> {
        self.overlay.spilled = true;
        let created = self.through().and_then(|mut db| db.create_room(new));
        let id = self.overlay.backend(created)?;
        for next in [&mut self.overlay.next, &mut self.overlay.flushed_next] {
            if let Some(next) = next.as_mut() {
                next.chat = next.chat.max(id + 1);
            }
        }
        // As the database now has it: no members, no invitations.
        let row = ChatRow {
            id,
            pair: None,
            created: new.now,
            message_count: 0,
            member_count: 0,
            last_message: 0,
            room: Some(RoomColumns {
                name: new.name.to_owned(),
                public: new.public,
                topic: new.topic.to_owned(),
            }),
        };
        self.overlay.chats.set(id, Cached::clean(Some(row)));
        self.overlay.rooms.set(name_key(new.name), Some(id));
        let users: Vec<UserId> = self.overlay.users.iter().map(|(&id, _)| id).collect();
        for user in users {
            self.overlay.members.set((id, user), Cached::clean(None));
            self.overlay
                .invites
                .set((id, user), Cached::clean(Some(false)));
        }
        Ok(id)
    }

    pub(super) fn rooms_for(&mut self, page: RoomsPage<'_>) -> ViewResult<Vec<RoomListing>> {
        let read = self.through().and_then(|mut db| db.rooms_for(page));
        self.overlay.backend(read)
    }

    /// From the load when it brought the room with the user; else read
    /// (the database after a flush) and held.
    pub(super) fn is_invited(&mut self, room: ChatId, user: UserId) -> ViewResult<bool> {
        if let Some(Cached {
            value: Some(invited),
            ..
        }) = self.overlay.invites.get(&(room, user))
        {
            return Ok(*invited);
        }
        let read = self.through().and_then(|mut db| db.is_invited(room, user));
        let invited = self.overlay.backend(read)?;
        self.overlay
            .invites
            .set((room, user), Cached::clean(Some(invited)));
        Ok(invited)
    }

    /// Kept, and written with the batch's flush.
    pub(super) fn set_invited(&mut self, invitation: ChatUser, invited: bool) -> ViewResult<()> {
        let ChatUser { chat: room, user } = invitation;
        if self.is_invited(room, user)? == invited {
            return Ok(());
        }
        self.overlay.wrote = true;
        super::write_row(&mut self.overlay.invites, (room, user), invited);
        Ok(())
    }

    /// Written through; the overlay then knows the membership gone and the
    /// room's count one less, as the database has them.
    pub(super) fn leave(&mut self, chat: ChatId, user: UserId) -> ViewResult<()> {
        if self.read_position(chat, user)?.is_none() {
            return Ok(());
        }
        self.overlay.spilled = true;
        let left = self.through().and_then(|mut db| db.leave(chat, user));
        self.overlay.backend(left)?;
        self.overlay.members.set((chat, user), Cached::clean(None));
        if let Some(Some(mut row)) = self.overlay.chats.get(&chat).map(|c| c.value.clone()) {
            row.member_count -= 1;
            self.overlay.chats.set(chat, Cached::clean(Some(row)));
        }
        Ok(())
    }

    pub(super) fn rooms_of(&mut self, user: UserId) -> ViewResult<Vec<ChatId>> {
        let read = self.through().and_then(|mut db| db.rooms_of(user));
        self.overlay.backend(read)
    }
}

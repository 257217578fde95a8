//! (issue 25) The hub's picture of room membership: who gets a room's
//! events live, and whose catch-up from the ring includes them. One set
//! per room, so that a room's event walks its members once, whatever the
//! number of subscribers elsewhere; kept current by the `member` events the
//! hub records, in commit order, on every node alike.

use agora_core::events::{EventBody, MemberAction};
use agora_core::view::{ChatId, UserId};
use std::collections::{HashMap, HashSet};

#[derive(Default)]
pub(super) struct RoomMembers {
    by_room: HashMap<ChatId, HashSet<UserId>>,
}

impl RoomMembers {
    pub(super) fn load(&mut self, memberships: impl IntoIterator<Item = (ChatId, UserId)>) {
        for (room, user) in memberships {
            self.by_room.entry(room).or_default().insert(user);
        }
    }

    /// Applies a recorded event: a `member` event's join or leave.
    pub(super) fn follow(&mut self, body: &EventBody) {
        let EventBody::Member {
            room, user, action, ..
        } = body
        else {
            return;
        };
        match action {
            MemberAction::Joined => {
                self.by_room.entry(*room).or_default().insert(*user);
            }
            MemberAction::Left => {
                if let Some(members) = self.by_room.get_mut(room) {
                    members.remove(user);
                }
            }
            MemberAction::Invited => {}
        }
    }

    pub(super) fn has(&self, room: ChatId, user: UserId) -> bool {
        self.by_room.get(&room).is_some_and(|m| m.contains(&user))
    }

    pub(super) fn members(&self, room: ChatId) -> impl Iterator<Item = UserId> + '_ {
        self.by_room.get(&room).into_iter().flatten().copied()
    }
}

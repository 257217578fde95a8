//! The `event_readers` rows an event gets: who may read it through the
//! catch-up index (`events_after`: a forward range per reader). Worked out
//! here once, from the event's audience as the rules know it
//! ([`EventBody::audience`]), and written by the store in the statement or
//! transaction that inserts the event: by `SqlView` and `PgView`, and in
//! the PostgreSQL batch overlay's one flush statement. (Until issue 23 a
//! trigger per dialect wrote them, re-deriving the audience from the
//! `chats` row; on PostgreSQL a plpgsql call per event was most of what a
//! send cost the database.)
//!
//! - Everyone (the public chat's events): one row, reader [`EVERYONE`].
//! - A private chat's events: a row per member.
//! - A ban or a `signed_out` event: a row for its user.
//! - A room's events: none (catch-up finds them through the reader's
//!   memberships and `events_by_chat`: a room of 10,000 members costs no
//!   row per member); a `member` event one, for the user it names, who may
//!   not be a member (invited, or just left).

use agora_core::events::{Audience, Event, EventBody, EventId};
use agora_core::view::UserId;

/// The reader of an event every user may read.
pub(crate) const EVERYONE: UserId = 0;

/// An event's readers: none, one or two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Readers {
    ids: [UserId; 2],
    len: usize,
}

impl Readers {
    fn of(ids: &[UserId]) -> Readers {
        let mut readers = Readers {
            ids: [0; 2],
            len: 0,
        };
        for &id in ids {
            // A chat of a user with itself would name it twice; its row is
            // one (the table's key is the reader and the event).
            if !readers.as_slice().contains(&id) {
                readers.ids[readers.len] = id;
                readers.len += 1;
            }
        }
        readers
    }

    pub(crate) fn as_slice(&self) -> &[UserId] {
        &self.ids[..self.len]
    }
}

/// The `event_readers` rows of `body`, as readers.
pub(crate) fn readers(body: &EventBody) -> Readers {
    match body.audience() {
        Audience::Everyone => Readers::of(&[EVERYONE]),
        Audience::Two(a, b) => Readers::of(&[a, b]),
        Audience::One(user) | Audience::RoomAnd(_, user) => Readers::of(&[user]),
        Audience::Room(_) => Readers::of(&[]),
    }
}

/// The `event_readers` rows of `events` as two columns (reader, event id),
/// for a multi-row insert of arrays.
pub(crate) fn columns(events: &[Event]) -> (Vec<UserId>, Vec<EventId>) {
    let mut readers = Vec::with_capacity(events.len() * 2);
    let mut ids = Vec::with_capacity(events.len() * 2);
    for event in events {
        for &reader in self::readers(&event.body).as_slice() {
            readers.push(reader);
            ids.push(event.id);
        }
    }
    (readers, ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_core::events::{EventChat, MemberAction};
    use agora_core::time::UnixMillis;
    use agora_core::view::StoredMessage;

    fn message(chat: EventChat) -> EventBody {
        EventBody::Message {
            chat,
            message: StoredMessage::default(),
        }
    }

    #[test]
    fn each_audience_gives_its_rows() {
        let private = EventChat::private(9, (3, "c".into()), (2, "b".into()));
        let room = EventChat::Room {
            id: 9,
            name: "#r".into(),
        };
        assert_eq!(readers(&message(EventChat::Public)).as_slice(), [EVERYONE]);
        assert_eq!(readers(&message(private)).as_slice(), [2, 3]);
        assert_eq!(readers(&message(room)).as_slice(), [] as [UserId; 0]);
        let banned = EventBody::Banned {
            user: 4,
            until: UnixMillis(1),
        };
        assert_eq!(readers(&banned).as_slice(), [4]);
        assert_eq!(readers(&EventBody::SignedOut { user: 5 }).as_slice(), [5]);
        let member = EventBody::Member {
            room: 9,
            room_name: "#r".into(),
            user: 6,
            user_name: "f".into(),
            action: MemberAction::Invited,
        };
        assert_eq!(readers(&member).as_slice(), [6]);
        let own = EventChat::private(9, (7, "g".into()), (7, "g".into()));
        assert_eq!(readers(&message(own)).as_slice(), [7]);
    }

    #[test]
    fn columns_pair_each_reader_with_its_event() {
        let events = [
            Event {
                id: 10,
                body: message(EventChat::private(9, (2, "b".into()), (3, "c".into()))),
            },
            Event {
                id: 11,
                body: message(EventChat::Room {
                    id: 8,
                    name: "#r".into(),
                }),
            },
            Event {
                id: 12,
                body: message(EventChat::Public),
            },
        ];
        assert_eq!(columns(&events), (vec![2, 3, EVERYONE], vec![10, 10, 12]));
    }
}

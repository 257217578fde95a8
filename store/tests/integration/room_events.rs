//! (issue 25) A room's events: the hub hands a room's message to its members
//! only, follows joins and leaves from `member` events, and keeps them out
//! of everyone else's catch-up; in SQLite a room's message is one `events`
//! row and no `event_readers` row, however many members the room has, and
//! catching up finds it through the reader's memberships.

use crate::support::{new_user, sql_value, view_database, T0};
use agora_core::events::{Event, EventBody, EventChat, EventId, MemberAction};
use agora_core::view::{NewRoom, StoredMessage, UserId, View};
use agora_store::{Hub, SqlView};

const ROOM: i64 = 7;

/// The event body of message `id` by `author` in the room `room` named `name`.
fn message_body(id: EventId, author: &str, text: &str, room: i64, name: &str) -> EventBody {
    let message = StoredMessage {
        id,
        author: author.into(),
        pub_date: T0,
        text: text.into(),
        comments: Vec::new(),
        comments_total: 0,
        ..StoredMessage::default()
    };
    let chat = EventChat::Room {
        id: room,
        name: name.into(),
    };
    EventBody::Message { chat, message }
}

fn room_message(id: EventId) -> Event {
    Event {
        id,
        body: message_body(id, "alice", "hi room", ROOM, "#ops"),
    }
}

fn member(id: EventId, user: UserId, action: MemberAction) -> Event {
    Event {
        id,
        body: EventBody::Member {
            room: ROOM,
            room_name: "#ops".into(),
            user,
            user_name: format!("u{user}"),
            action,
        },
    }
}

fn ids(events: &[Event]) -> Vec<EventId> {
    events.iter().map(|e| e.id).collect()
}

/// The ids of what `user` catches up on from the hub's memory.
fn recent_ids(hub: &Hub, user: UserId) -> Vec<EventId> {
    let recent = hub.recent(user, 0, 100).expect("in memory");
    recent.iter().map(|e| e.id).collect()
}

#[test]
fn the_hub_hands_a_rooms_events_to_its_members_and_follows_membership() {
    let hub = Hub::new(0, 1 << 20);
    hub.load_rooms([(ROOM, 1), (ROOM, 2)]);
    let subscribers: Vec<_> = (1..=4).map(|user| hub.subscribe(user).0).collect();
    let taken = |user: usize| -> Vec<EventId> {
        subscribers[user - 1]
            .take(usize::MAX)
            .events
            .iter()
            .map(|e| e.id())
            .collect()
    };

    let published = hub.record(vec![room_message(1)]);
    hub.fan_out(&published);
    assert_eq!(
        [taken(1), taken(2), taken(3), taken(4)],
        [vec![1], vec![1], vec![], vec![]]
    );

    // One batch: 3 invited (told, not a member), 2 leaves (told of it, and
    // of nothing after), 4 joins.
    let published = hub.record(vec![
        member(2, 3, MemberAction::Invited),
        member(3, 2, MemberAction::Left),
        member(4, 4, MemberAction::Joined),
        room_message(5),
    ]);
    hub.fan_out(&published);
    assert_eq!(taken(1), [2, 3, 4, 5]);
    assert_eq!(taken(2), [3]);
    assert_eq!(taken(3), [2]);
    // Membership is the batch's once it is recorded: 4, in the room when
    // the batch is handed out, gets all of it (as its catch-up would).
    assert_eq!(taken(4), [2, 3, 4, 5]);

    // Catch-up from the ring follows the same membership.
    assert_eq!(recent_ids(&hub, 2), [3]);
    assert_eq!(recent_ids(&hub, 3), [2]);
    assert_eq!(recent_ids(&hub, 4), [1, 2, 3, 4, 5]);
}

#[test]
fn a_rooms_message_has_no_reader_rows_and_reaches_members_only() {
    let (_dir, mut conn) = view_database();
    let tx = conn.transaction().unwrap();
    let mut v = SqlView::new(&tx);
    let users: Vec<UserId> = (0..50u8)
        .map(|n| new_user(&mut v, &format!("u{n}"), n))
        .collect();
    let big = NewRoom {
        name: "#big",
        public: true,
        topic: "",
        now: T0,
    };
    let room = v.create_room(big).unwrap();
    for &user in &users[..40] {
        v.join(room, user, 0).unwrap();
    }
    let readers_before: i64 = sql_value(&tx, "SELECT count(*) FROM event_readers");
    let id = v
        .append_message(
            room,
            agora_core::view::NewText::new(users[0], "to all forty", T0),
        )
        .unwrap();
    let event = v
        .append_event(message_body(id, "u0", "to all forty", room, "#big"))
        .unwrap();
    let readers_after: i64 = sql_value(&tx, "SELECT count(*) FROM event_readers");
    assert_eq!(readers_after, readers_before, "no reader row per member");

    assert_eq!(ids(&v.events_after(users[39], 0, 10).unwrap()), [event]);
    assert_eq!(
        ids(&v.events_after(users[40], 0, 10).unwrap()),
        Vec::<EventId>::new()
    );
    v.leave(room, users[39]).unwrap();
    assert_eq!(
        ids(&v.events_after(users[39], 0, 10).unwrap()),
        Vec::<EventId>::new()
    );
}

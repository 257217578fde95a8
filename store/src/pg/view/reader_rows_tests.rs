//! (issue 23) `PgView`'s own event insert (the path of a batch rerun with a
//! savepoint per command, without the overlay) writes each event's
//! `event_readers` rows in the same statement: the public chat's
//! `everyone` (0), a private chat's two members, a room's none, a ban's,
//! a `member` event's and a `signed_out` event's user. (The overlay's
//! flush is checked through the whole store by the integration test
//! `reader_rows`.)

use super::test_fixture::{add_room, add_user, fresh_transaction, T0};
use crate::pg::view::PgView;
use agora_core::events::{EventBody, EventChat, MemberAction};
use agora_core::view::{StoredMessage, View, PUBLIC_CHAT};

fn message(view: &mut PgView<'_>, chat: i64, author: i64, chat_of: EventChat) -> EventBody {
    let id = view
        .append_message(chat, agora_core::view::NewText::new(author, "hello", T0))
        .unwrap();
    EventBody::Message {
        chat: chat_of,
        message: StoredMessage {
            id,
            ..StoredMessage::default()
        },
    }
}

#[test]
fn pg_view_writes_each_event_s_reader_rows() {
    let Some((_database, mut conn)) = fresh_transaction("pg_view_writes_each_event_s_reader_rows")
    else {
        return;
    };
    let mut view = PgView::new(&mut conn);
    let mut user = |name: &str, byte: u8| add_user(&mut view, name, byte);
    let (alice, bob, carol) = (user("alice", 1), user("bob", 2), user("carol", 3));
    let pair = view.create_private_chat(alice, bob, T0).unwrap();
    let room = add_room(&mut view, "#den");
    let private = EventChat::private(pair, (alice, "alice".into()), (bob, "bob".into()));
    let in_room = EventChat::Room {
        id: room,
        name: "#den".into(),
    };
    let bodies = [
        message(&mut view, PUBLIC_CHAT, alice, EventChat::Public),
        message(&mut view, pair, alice, private),
        message(&mut view, room, alice, in_room),
        EventBody::Banned {
            user: carol,
            until: T0.plus_ms(1),
        },
        EventBody::Member {
            room,
            room_name: "#den".into(),
            user: carol,
            user_name: "carol".into(),
            action: MemberAction::Invited,
        },
        EventBody::SignedOut { user: bob },
    ];
    let ids: Vec<i64> = bodies
        .into_iter()
        .map(|body| view.append_event(body).unwrap())
        .collect();
    let rows: Vec<(i64, i64)> = conn
        .query(
            "SELECT event_id, reader FROM event_readers ORDER BY event_id, reader",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let expected = vec![
        (ids[0], 0),
        (ids[1], alice),
        (ids[1], bob),
        (ids[3], carol),
        (ids[4], carol),
        (ids[5], bob),
    ];
    assert_eq!(rows, expected);
    conn.batch("ROLLBACK").unwrap();
}

//! Catch-up through the `event_readers` index (SQLite): a reader's page costs
//! what it may see, not the events others exchanged in between; the contract
//! of `events_after` (id order, limit, who sees what) holds; a database made
//! before the index gets it backfilled.

use crate::support::{new_users, reopen, sql_value, view_database, with_view, T0};
use agora_core::events::{Event, EventBody, EventChat, EventId};
use agora_core::view::{StoredMessage, UserId, View, PUBLIC_CHAT};
use agora_store::SqlView;
use rusqlite::Connection;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

struct Seeded {
    alice: UserId,
    bob: UserId,
    carol: UserId,
    /// The private alice-bob message every bulk event refers to.
    private_event: EventId,
}

/// alice and bob in a private chat, carol outside it; one public message,
/// one private message, and a ban of carol, each with its event.
fn seed(conn: &mut Connection) -> Seeded {
    with_view(conn, |v| {
        let [alice, bob, carol] = new_users(v, ["alice", "bob", "carol"]);
        let chat = v.create_private_chat(alice, bob, T0).unwrap();
        let message = |v: &mut SqlView<'_>, chat, author, text: &str| {
            let id = v
                .append_message(chat, agora_core::view::NewText::new(author, text, T0))
                .unwrap();
            StoredMessage {
                id,
                author: "x".into(),
                pub_date: T0,
                text: text.into(),
                comments: Vec::new(),
                comments_total: 0,
                ..StoredMessage::default()
            }
        };
        let public = message(v, PUBLIC_CHAT, alice, "hello all");
        v.append_event(EventBody::Message {
            chat: EventChat::Public,
            message: public,
        })
        .unwrap();
        let private = message(v, chat, alice, "psst");
        let private_event = v
            .append_event(EventBody::Message {
                chat: EventChat::private(chat, (alice, "alice".into()), (bob, "bob".into())),
                message: private,
            })
            .unwrap();
        v.append_event(EventBody::Banned {
            user: carol,
            until: T0.plus_ms(1000),
        })
        .unwrap();
        Seeded {
            alice,
            bob,
            carol,
            private_event,
        }
    })
}

/// `count` more events of the private chat, as fast as SQL makes them,
/// each with the reader rows the store gives a private chat's event (one
/// per member; see `a_new_event_is_indexed_by_the_store` for the store's
/// own).
fn bulk_private_events(conn: &Connection, seeded: &Seeded, count: u32) {
    let head: i64 = sql_value(conn, "SELECT max(id) FROM events");
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO events (kind, chat_id, message_id)
         SELECT e.kind, e.chat_id, e.message_id FROM n, events e WHERE e.id = ?2",
        rusqlite::params![count, seeded.private_event],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO event_readers (reader, event_id)
         SELECT c.user_a, e.id FROM events e JOIN chats c ON c.id = e.chat_id WHERE e.id > ?1
         UNION ALL
         SELECT c.user_b, e.id FROM events e JOIN chats c ON c.id = e.chat_id WHERE e.id > ?1",
        [head],
    )
    .unwrap();
}

fn ids(events: &[Event]) -> Vec<EventId> {
    events.iter().map(|e| e.id).collect()
}

/// SQLite virtual-machine steps (in hundreds) `f` runs on `conn`.
fn vm_steps<R>(conn: &mut Connection, f: impl FnOnce(&mut Connection) -> R) -> (u64, R) {
    let steps = Arc::new(AtomicU64::new(0));
    let counter = steps.clone();
    conn.progress_handler(
        100,
        Some(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            false
        }),
    );
    let result = f(conn);
    conn.progress_handler(100, None::<fn() -> bool>);
    (steps.load(Ordering::Relaxed), result)
}

#[test]
fn an_outsiders_catch_up_does_not_read_other_peoples_private_events() {
    let (_dir, mut conn) = view_database();
    let seeded = seed(&mut conn);
    let outsider = |conn: &mut Connection| {
        vm_steps(conn, |conn| {
            with_view(conn, |v| v.events_after(seeded.carol, 0, 500).unwrap())
        })
    };
    bulk_private_events(&conn, &seeded, 1_000);
    let (few, page) = outsider(&mut conn);
    assert_eq!(ids(&page), vec![1, 3], "the public event and carol's ban");
    bulk_private_events(&conn, &seeded, 50_000);
    let (many, page) = outsider(&mut conn);
    assert_eq!(ids(&page), vec![1, 3]);
    // Flat: 50 times the private events, the same work (a scan of them
    // would take several steps each: hundreds of thousands).
    assert!(
        many <= few + 20,
        "{few}00 VM steps at 1,000 private events, {many}00 at 51,000"
    );
    assert!(many < 200, "{many}00 VM steps for an empty catch-up");
}

#[test]
fn pages_keep_id_order_limits_and_visibility() {
    let (_dir, mut conn) = view_database();
    let seeded = seed(&mut conn);
    bulk_private_events(&conn, &seeded, 10);
    // Another public event after the bulk: ids 1..=3, 4..=13 private, 14 public.
    with_view(&mut conn, |v| {
        let public = v
            .append_message(
                PUBLIC_CHAT,
                agora_core::view::NewText::new(seeded.bob, "later", T0),
            )
            .unwrap();
        let message = StoredMessage {
            id: public,
            author: "bob".into(),
            pub_date: T0,
            text: "later".into(),
            comments: Vec::new(),
            comments_total: 0,
            ..StoredMessage::default()
        };
        let id = v
            .append_event(EventBody::Message {
                chat: EventChat::Public,
                message,
            })
            .unwrap();
        assert_eq!(id, 14);
    });
    with_view(&mut conn, |v| {
        let alice = v.events_after(seeded.alice, 0, 500).unwrap();
        let mut expected = vec![1, 2];
        expected.extend(4..=14);
        assert_eq!(ids(&alice), expected);
        assert_eq!(
            ids(&v.events_after(seeded.bob, 0, 3).unwrap()),
            vec![1, 2, 4]
        );
        assert_eq!(
            ids(&v.events_after(seeded.bob, 12, 500).unwrap()),
            vec![13, 14]
        );
        assert_eq!(
            ids(&v.events_after(seeded.carol, 1, 500).unwrap()),
            vec![3, 14]
        );
        assert_eq!(
            ids(&v.events_after(seeded.carol, 14, 500).unwrap()),
            Vec::<i64>::new()
        );
        // The events are rebuilt in full, each member naming the other.
        let Some(EventBody::Message { chat, message }) = alice.get(1).map(|e| &e.body) else {
            panic!("{alice:?}");
        };
        assert_eq!(chat.name_for(seeded.alice), "bob");
        assert_eq!(message.text, "psst");
    });
}

#[test]
fn a_database_made_before_the_index_is_backfilled() {
    let (dir, mut conn) = view_database();
    let seeded = seed(&mut conn);
    bulk_private_events(&conn, &seeded, 5);
    let before: Vec<Vec<EventId>> = [seeded.alice, seeded.bob, seeded.carol]
        .iter()
        .map(|&user| with_view(&mut conn, |v| ids(&v.events_after(user, 0, 500).unwrap())))
        .collect();
    // Back to the schema before the index, as an older build left it: the
    // migrations after it taken back, newest first, so that they run again.
    conn.execute_batch(UNDO_LATER_MIGRATIONS).unwrap();
    conn.execute_batch("DROP TRIGGER events_readers; DROP TABLE event_readers;")
        .unwrap();
    conn.pragma_update(None, "user_version", EVENT_READERS_VERSION - 1)
        .unwrap();
    drop(conn);
    let mut conn = reopen(&dir);
    let after: Vec<Vec<EventId>> = [seeded.alice, seeded.bob, seeded.carol]
        .iter()
        .map(|&user| with_view(&mut conn, |v| ids(&v.events_after(user, 0, 500).unwrap())))
        .collect();
    assert_eq!(after, before);
    assert_eq!(before[2], vec![1, 3]);
    assert_eq!(before[0].len(), 2 + 5);
    // New events are indexed again (by the store: the triggers the
    // migrations made on the way are gone again).
    let head = with_view(&mut conn, |v| v.event_head().unwrap());
    with_view(&mut conn, |v| {
        v.append_event(EventBody::Banned {
            user: seeded.bob,
            until: T0.plus_ms(1000),
        })
        .unwrap()
    });
    assert_eq!(
        with_view(&mut conn, |v| ids(&v
            .events_after(seeded.bob, head, 500)
            .unwrap())),
        vec![head + 1]
    );
    let triggers: i64 = sql_value(
        &conn,
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'",
    );
    assert_eq!(triggers, 0);
}

/// The migration that made `event_readers` (see `sqlite::schema`).
const EVENT_READERS_VERSION: i64 = 6;

/// What the migrations after [`EVENT_READERS_VERSION`] made, taken back,
/// newest first: each later migration adds its own undoing here.
const UNDO_LATER_MIGRATIONS: &str = "
    -- (issue 23) reader rows written by the store: its triggers back (as
    -- stubs: the undoing below drops them; `events` stays without
    -- REFERENCES, which nothing before needs, and the migration makes it
    -- again from whatever it finds).
    CREATE TRIGGER events_readers AFTER INSERT ON events BEGIN SELECT 1; END;
    CREATE TRIGGER events_readers_signed_out AFTER INSERT ON events BEGIN SELECT 1; END;
    -- (issue 27) search: the index's vocabulary, the index.
    DROP TABLE message_search_terms;
    DROP TABLE message_search;
    -- (issue 28) accounts and devices.
    DROP TRIGGER events_readers_signed_out; DROP TABLE devices;
    DROP TABLE passwords; DROP TABLE login_failures;
    -- (issue 26) edits, deletions, reactions, mentions.
    DROP TABLE mentions;
    DROP TABLE reactions;
    ALTER TABLE comments DROP COLUMN deleted_by;
    ALTER TABLE comments DROP COLUMN deleted;
    ALTER TABLE comments DROP COLUMN edited;
    ALTER TABLE messages DROP COLUMN mentions;
    ALTER TABLE messages DROP COLUMN reactions;
    ALTER TABLE messages DROP COLUMN deleted_by;
    ALTER TABLE messages DROP COLUMN deleted;
    ALTER TABLE messages DROP COLUMN edited;
    -- (issue 25) rooms.
    DROP TABLE room_invites; DROP INDEX chats_by_room_key; DROP INDEX events_by_chat;
    ALTER TABLE chats DROP COLUMN room_name; ALTER TABLE chats DROP COLUMN room_key;
    ALTER TABLE chats DROP COLUMN room_public; ALTER TABLE chats DROP COLUMN room_topic;
    ALTER TABLE events DROP COLUMN action;
";

//! Catch-up through the `event_readers` index on PostgreSQL: pages keep
//! their contract (id order, limit, `more`, who sees what) with thousands of
//! other people's private events in between, and a database migrated from
//! before the index is backfilled.

use crate::support;

use agora_core::command::{ChatRef, Command, Outcome};
use agora_core::events::EventId;
use agora_core::token::TokenHash;
use agora_store::Handle;
use agora_tests::pg::PgDatabase;
use std::time::Duration;
use support::{fresh_pg, pg_config, register_all};

fn open(database: &PgDatabase) -> Handle {
    Handle::open(pg_config(database)).expect("the store opens on PostgreSQL")
}

fn send(handle: &Handle, caller: TokenHash, to: ChatRef, text: &str) {
    let command = Command::Send {
        caller,
        to,
        text: text.into(),
    };
    let outcome = handle
        .submit(command)
        .unwrap()
        .wait_timeout(Duration::from_secs(10))
        .unwrap();
    assert!(
        matches!(outcome, Outcome::MessageSent { .. }),
        "{outcome:?}"
    );
}

/// The ids of `caller`'s page after `since`, and its `more`.
fn page(handle: &Handle, caller: TokenHash, since: EventId) -> (Vec<EventId>, bool) {
    let (ids, more, _next) = support::events_page(handle, caller, since);
    (ids, more)
}

#[test]
fn pages_follow_the_readers_index_and_an_old_database_is_backfilled() {
    let Some(database) = fresh_pg() else { return };
    let handle = open(&database);
    let [alice, bob, carol] = register_all(&handle, ["alice", "bob", "carol"]);
    send(&handle, alice, ChatRef::Public, "hello all"); // event 1
    send(&handle, alice, ChatRef::Private("bob".into()), "psst"); // event 2
    handle.shutdown();

    // 3,000 more events of the private chat (ids 3..=3002), each with the
    // reader rows the store gives a private chat's event (a row per
    // member), then one public event (3003) through the store.
    let mut admin = postgres::Client::connect(database.url(), postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "WITH e AS (INSERT INTO events (kind, chat_id, message_id)
                        SELECT kind, chat_id, message_id FROM events, generate_series(1, 3000)
                        WHERE id = 2
                        RETURNING id, chat_id)
             INSERT INTO event_readers (reader, event_id)
             SELECT r.reader, e.id FROM e JOIN chats c ON c.id = e.chat_id,
                    LATERAL (VALUES (c.user_a), (c.user_b)) AS r(reader)",
        )
        .unwrap();
    let handle = open(&database);
    send(&handle, bob, ChatRef::Public, "later");

    let pages = |handle: &Handle| {
        [
            page(handle, alice, 0),
            page(handle, bob, 2990),
            page(handle, carol, 0),
            page(handle, carol, 1),
            page(handle, carol, 3003),
        ]
    };
    let before = pages(&handle);
    let first: Vec<EventId> = (1..=500).collect();
    assert_eq!(before[0], (first, true), "a member's first page");
    assert_eq!(before[1], ((2991..=3003).collect(), false));
    assert_eq!(before[2], (vec![1, 3003], false), "an outsider's catch-up");
    assert_eq!(before[3], (vec![3003], false));
    assert_eq!(before[4], (vec![], false));
    handle.shutdown();

    // Back to the schema before the index (migration 4), as an older build
    // left it; the migrations after it run again too, and take what they
    // find in place (issue 25's are written to).
    admin
        .batch_execute(
            "-- The migrations after it, taken back, newest first: each
             -- later migration adds its own undoing here.
             -- (issue 27) search's per-chat vocabulary.
             DROP TABLE message_search_terms;
             -- (issue 23) reader rows written by the store: the events'
             -- REFERENCES back, and its triggers (as stubs: the undoing
             -- below drops them).
             ALTER TABLE events
                 ADD CONSTRAINT events_chat_id_fkey FOREIGN KEY (chat_id) REFERENCES chats(id),
                 ADD CONSTRAINT events_message_id_fkey
                     FOREIGN KEY (message_id) REFERENCES messages(id),
                 ADD CONSTRAINT events_comment_id_fkey
                     FOREIGN KEY (comment_id) REFERENCES comments(id),
                 ADD CONSTRAINT events_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id);
             CREATE FUNCTION agora_event_readers() RETURNS trigger LANGUAGE plpgsql
                 AS $fn$ BEGIN RETURN NULL; END $fn$;
             CREATE TRIGGER events_readers AFTER INSERT ON events
                 FOR EACH ROW EXECUTE FUNCTION agora_event_readers();
             CREATE FUNCTION agora_signed_out_readers() RETURNS trigger LANGUAGE plpgsql
                 AS $fn$ BEGIN RETURN NULL; END $fn$;
             CREATE TRIGGER events_readers_signed_out AFTER INSERT ON events
                 FOR EACH ROW EXECUTE FUNCTION agora_signed_out_readers();
             -- (issue 25) people: its index is made IF NOT EXISTS.
             -- (issue 27) search.
             DROP TABLE message_search;
             -- (issue 28) accounts and devices.
             DROP TRIGGER events_readers_signed_out ON events;
             DROP FUNCTION agora_signed_out_readers();
             DROP TABLE devices; DROP TABLE passwords; DROP TABLE login_failures;
             -- (issue 26) edits, deletions, reactions, mentions.
             DROP TABLE mentions;
             DROP TABLE reactions;
             ALTER TABLE comments DROP COLUMN deleted_by, DROP COLUMN deleted,
                 DROP COLUMN edited;
             ALTER TABLE messages DROP COLUMN mentions, DROP COLUMN reactions,
                 DROP COLUMN deleted_by, DROP COLUMN deleted, DROP COLUMN edited;
             -- (issue 25) rooms.
             DROP TABLE room_invites; DROP INDEX chats_by_room_key; DROP INDEX events_by_chat;
             ALTER TABLE chats DROP COLUMN room_name, DROP COLUMN room_key,
                 DROP COLUMN room_public, DROP COLUMN room_topic;
             ALTER TABLE events DROP COLUMN action;
             -- 4: the migration that made event_readers (see `pg::schema`).
             DROP TRIGGER events_readers ON events;
             DROP FUNCTION agora_event_readers();
             DROP TABLE event_readers;
             UPDATE agora_schema SET version = 3;",
        )
        .unwrap();
    let handle = open(&database);
    assert_eq!(pages(&handle), before, "the same pages after the backfill");
    // New events are indexed by the store: the triggers the migrations
    // made on the way are gone again, and so are the events' REFERENCES.
    send(&handle, alice, ChatRef::Private("bob".into()), "again"); // event 3004
    assert_eq!(page(&handle, bob, 3003), (vec![3004], false));
    assert_eq!(page(&handle, carol, 3003), (vec![], false));
    handle.shutdown();
    let left: i64 = admin
        .query_one(
            "SELECT (SELECT count(*) FROM pg_trigger
                     WHERE tgrelid = 'events'::regclass AND NOT tgisinternal)
                  + (SELECT count(*) FROM pg_constraint
                     WHERE conrelid = 'events'::regclass AND contype = 'f')",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "triggers and foreign keys on events");
}

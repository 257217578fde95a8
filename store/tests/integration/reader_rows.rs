//! (issue 23) Every kind of event gets the `event_readers` rows it got when
//! triggers wrote them, now that the store writes them with the event:
//! one event of each kind in the public chat, a private chat and a room,
//! made by the real rules through a `Handle`, on SQLite (`SqlView`) and on
//! PostgreSQL (the batch overlay's flush, several events in one flush at
//! the end). The rows expected are the triggers' rules, written out by
//! hand: the public chat's events `everyone` (reader 0), a private chat's
//! its two members, a room's none, a `member` event its user, a ban and a
//! `signed_out` their user.

use crate::support;

use agora_core::accounts::AccountCommand;
use agora_core::command::{ChatRef, ChatType, Command, Outcome, Target};
use agora_core::token::TokenHash;
use agora_store::{Handle, StoreConfig};
use std::collections::BTreeMap;
use support::{fresh_pg, pg_config, register};

/// `events.kind` by name: the kind numbered `n` is `KINDS[n - 1]` (see the
/// store's `event_columns`), so that a failure names the kinds.
const KINDS: [&str; 8] = [
    "message",
    "comment",
    "banned",
    "member",
    "edited",
    "deleted",
    "reaction",
    "signed_out",
];

fn kind_name(kind: i64) -> &'static str {
    usize::try_from(kind - 1)
        .ok()
        .and_then(|i| KINDS.get(i))
        .unwrap_or_else(|| panic!("no such event kind: {kind}"))
}

/// Each event in id order: its kind and its readers' names (`everyone`
/// for reader 0), sorted.
const EXPECTED: &[(&str, &[&str])] = &[
    ("message", &["everyone"]),
    ("message", &["alice", "bob"]),
    ("comment", &["everyone"]),
    ("comment", &["alice", "bob"]),
    ("edited", &["everyone"]),
    ("edited", &["alice", "bob"]),
    ("reaction", &["everyone"]),
    ("reaction", &["alice", "bob"]),
    ("deleted", &["alice", "bob"]),
    ("deleted", &["everyone"]),
    // #den: created (alice joins), carol invited, joins, talks, leaves.
    ("member", &["alice"]),
    ("member", &["carol"]),
    ("member", &["carol"]),
    ("message", &[]),
    ("comment", &[]),
    ("reaction", &[]),
    ("edited", &[]),
    ("member", &["carol"]),
    ("banned", &["dave"]),
    ("signed_out", &["carol"]),
    // Submitted together: one batch where the batch overlay makes them.
    ("message", &["everyone"]),
    ("message", &["alice", "bob"]),
    ("message", &[]),
];

fn ok(handle: &Handle, command: Command) -> Outcome {
    let outcome = support::run(handle, command.clone());
    assert!(
        !matches!(outcome, Outcome::Failed(_)),
        "{command:?}: {outcome:?}"
    );
    outcome
}

fn send(caller: TokenHash, to: ChatRef, text: &str) -> Command {
    Command::Send {
        caller,
        to,
        text: text.into(),
    }
}

fn sent(handle: &Handle, command: Command) -> i64 {
    match ok(handle, command) {
        Outcome::MessageSent { message_id, .. } => message_id,
        other => panic!("{other:?}"),
    }
}

fn commented(handle: &Handle, caller: TokenHash, message_id: i64) -> i64 {
    let command = Command::Comment {
        caller,
        message_id,
        text: "a comment".into(),
    };
    match ok(handle, command) {
        Outcome::CommentAdded { comment_id, .. } => comment_id,
        other => panic!("{other:?}"),
    }
}

fn edit(caller: TokenHash, target: Target) -> Command {
    Command::Edit {
        caller,
        target,
        text: "edited".into(),
    }
}

fn react(caller: TokenHash, message_id: i64) -> Command {
    Command::React {
        caller,
        message_id,
        emoji: "👍".into(),
        remove: false,
    }
}

/// One event of every kind, in [`EXPECTED`]'s order.
fn make_every_kind(handle: &Handle) {
    // dave is only reported (and so banned).
    let [alice, bob, carol, _dave] = ["alice", "bob", "carol", "dave"].map(|n| register(handle, n));
    let public = sent(handle, send(alice, ChatRef::Public, "hello all"));
    let private = sent(handle, send(alice, ChatRef::Private("bob".into()), "psst"));
    let public_comment = commented(handle, bob, public);
    let private_comment = commented(handle, bob, private);
    ok(handle, edit(alice, Target::Message(public)));
    ok(handle, edit(bob, Target::Comment(private_comment)));
    ok(handle, react(carol, public));
    ok(handle, react(bob, private));
    ok(
        handle,
        Command::Delete {
            caller: alice,
            target: Target::Message(private),
        },
    );
    ok(
        handle,
        Command::Delete {
            caller: bob,
            target: Target::Comment(public_comment),
        },
    );
    let name = "#den".to_string();
    ok(
        handle,
        Command::CreateRoom {
            caller: alice,
            room: name.clone(),
            public: false,
            topic: String::new(),
        },
    );
    ok(
        handle,
        Command::Invite {
            caller: alice,
            room: name.clone(),
            user_name: "carol".into(),
        },
    );
    ok(
        handle,
        Command::Join {
            caller: carol,
            room: name.clone(),
        },
    );
    let in_room = sent(handle, send(carol, ChatRef::Room(name.clone()), "inside"));
    commented(handle, alice, in_room);
    ok(handle, react(alice, in_room));
    ok(handle, edit(carol, Target::Message(in_room)));
    ok(
        handle,
        Command::Leave {
            caller: carol,
            room: name.clone(),
        },
    );
    for reporter in [alice, bob] {
        ok(
            handle,
            Command::Report {
                caller: reporter,
                target: "dave".into(),
                chat_type: ChatType::Public,
            },
        );
    }
    let logout = AccountCommand::Logout {
        caller: carol,
        device: None,
    };
    ok(handle, Command::Account(Box::new(logout)));
    let together = [
        send(bob, ChatRef::Public, "one"),
        send(bob, ChatRef::Private("alice".into()), "two"),
        send(alice, ChatRef::Room(name), "three"),
    ]
    .map(|command| handle.submit(command).expect("the queue has room"));
    for pending in together {
        assert!(support::is_sent(&support::outcome(pending)));
    }
}

fn config(mut store: StoreConfig) -> StoreConfig {
    store.rules.register_rate = 0;
    store.rules.reporter_min_age_ms = 0;
    store.rules.ban_threshold = 2;
    store
}

/// Each event's kind (by name) and readers' names, in id order, from the rows of
/// `events (id, kind)`, `event_readers (reader, event_id)` and
/// `users (id, name)`.
fn readers_by_event(
    events: Vec<(i64, i64)>,
    readers: Vec<(i64, i64)>,
    users: Vec<(i64, String)>,
) -> Vec<(&'static str, Vec<String>)> {
    let names: BTreeMap<i64, String> = users.into_iter().collect();
    let mut by_event: BTreeMap<i64, (&str, Vec<String>)> = events
        .into_iter()
        .map(|(id, kind)| (id, (kind_name(kind), Vec::new())))
        .collect();
    for (reader, event) in readers {
        let name = match reader {
            0 => "everyone".to_string(),
            user => names[&user].clone(),
        };
        by_event
            .get_mut(&event)
            .unwrap_or_else(|| panic!("a reader row of no event: {event}"))
            .1
            .push(name);
    }
    by_event
        .into_values()
        .map(|(kind, mut names)| {
            names.sort();
            (kind, names)
        })
        .collect()
}

fn expected() -> Vec<(&'static str, Vec<String>)> {
    EXPECTED
        .iter()
        .map(|(kind, names)| (*kind, names.iter().map(|n| n.to_string()).collect()))
        .collect()
}

#[test]
fn every_kind_of_event_gets_its_reader_rows_on_sqlite() {
    let (_dir, path) = support::temp_database();
    let handle = Handle::open(config(StoreConfig::sqlite(&path))).unwrap();
    make_every_kind(&handle);
    handle.shutdown();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let pairs = |sql: &str| -> Vec<(i64, i64)> {
        let mut stmt = conn.prepare(sql).unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)));
        rows.unwrap().map(Result::unwrap).collect()
    };
    let events = pairs("SELECT id, kind FROM events");
    let readers = pairs("SELECT reader, event_id FROM event_readers");
    let mut stmt = conn.prepare("SELECT id, name FROM users").unwrap();
    let users = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(readers_by_event(events, readers, users), expected());
}

#[test]
fn every_kind_of_event_gets_its_reader_rows_on_postgres() {
    let Some(database) = fresh_pg() else { return };
    let handle = Handle::open(config(pg_config(&database))).unwrap();
    make_every_kind(&handle);
    handle.shutdown();
    let mut admin = postgres::Client::connect(database.url(), postgres::NoTls).unwrap();
    let mut pairs = |sql: &str| -> Vec<(i64, i64)> {
        let rows = admin.query(sql, &[]).unwrap();
        rows.iter().map(|r| (r.get(0), r.get(1))).collect()
    };
    let events = pairs("SELECT id, kind::int8 FROM events");
    let readers = pairs("SELECT reader, event_id FROM event_readers");
    let users = admin
        .query("SELECT id, name FROM users", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(readers_by_event(events, readers, users), expected());
}

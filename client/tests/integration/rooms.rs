//! End-to-end (issue 25): rooms, history paging and the user directory from
//! the command line, against a real server on 127.0.0.1.

use crate::support;

use std::time::Duration;
use support::{number_after, Client, Running, Server};

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn rooms_create_join_send_read_leave_and_their_refusals() {
    let server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice", "bob", "carol"]);

    let created = client.run_as(
        "alice",
        &["room", "create", "Design", "--topic", "pixels and type"],
    );
    created.assert_out(0, "created #Design");
    // Any case names the room; the answer spells it as created.
    let taken = client.run_as("bob", &["room", "create", "#design"]);
    taken.assert_err(1, "room_exists");
    assert!(
        taken.stderr.contains("agora room join '#design'"),
        "{taken:?}"
    );
    let bad = client.run_as("bob", &["room", "create", "no spaces"]);
    bad.assert_err(1, "invalid_room_name");

    let listed = client.run_as("bob", &["rooms"]);
    listed.assert_out(0, "#Design");
    assert!(listed.stdout.contains("1 member"), "{listed:?}");
    assert!(listed.stdout.contains("pixels and type"), "{listed:?}");
    assert!(!listed.stdout.contains("(member)"), "{listed:?}");

    // Not a member yet: refused, with what to do.
    let early = client.run_as("bob", &["send", "--to", "#design", "hi"]);
    early.assert_err(1, "not_a_member");
    assert!(early.stderr.contains("agora room join"), "{early:?}");

    client
        .run_as("bob", &["room", "join", "design"])
        .assert_out(0, "joined #Design");
    let sent = client.run_as("alice", &["send", "--to", "#design", "welcome"]);
    assert_eq!(sent.code, 0, "{sent:?}");
    let read = client.run_as("bob", &["read", "--with", "#DESIGN"]);
    read.assert_out(0, "alice: welcome");
    assert!(read.stdout.contains("--- unread ---"), "{read:?}");
    let status = client.run_as("bob", &["status"]);
    assert!(status.stdout.contains("#Design"), "{status:?}");
    assert!(status.stdout.contains("room"), "{status:?}");

    client.expect_runs(&[
        ("bob", &["room", "leave", "#design"], 0, "left #Design"),
        ("bob", &["room", "leave", "#design"], 1, "not_a_member"),
        ("bob", &["room", "join", "#nowhere"], 1, "room_not_found"),
    ]);
}

#[test]
fn a_private_room_is_joined_by_invitation_only() {
    let server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice", "bob", "carol"]);
    client
        .run_as("alice", &["room", "create", "ops", "--private"])
        .assert_out(0, "created #ops");

    // Carol cannot see it: the same answer as no room at all.
    let hidden = client.run_as("carol", &["rooms"]);
    assert!(!hidden.stdout.contains("#ops"), "{hidden:?}");
    client.expect_runs(&[
        ("carol", &["room", "join", "ops"], 1, "room_not_found"),
        (
            "alice",
            &["room", "invite", "ops", "bob"],
            0,
            "invited bob to #ops",
        ),
        (
            "alice",
            &["room", "invite", "ops", "nobody"],
            1,
            "user_not_found",
        ),
        (
            "carol",
            &["room", "invite", "ops", "carol"],
            1,
            "room_not_found",
        ),
        ("bob", &["rooms"], 0, "(invited)"),
        ("bob", &["room", "join", "#ops"], 0, "joined #ops"),
        (
            "alice",
            &["room", "invite", "ops", "bob"],
            1,
            "already_a_member",
        ),
    ]);
}

#[test]
fn history_pages_back_to_the_beginning_and_users_lists_by_prefix() {
    let server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice", "Bob", "bobby", "carol"]);
    let mut ids = Vec::new();
    for i in 1..=5 {
        let sent = client.run_as("alice", &["send", &format!("note {i}")]);
        ids.push(number_after(&sent.stdout, "sent message #", ' '));
    }

    let newest = client.run_as("carol", &["history", "--limit", "2"]);
    newest.assert_out(0, "alice: note 4");
    assert!(newest.stdout.contains("alice: note 5"), "{newest:?}");
    assert!(!newest.stdout.contains("note 3"), "{newest:?}");
    let before = number_after(&newest.stdout, "--before ", ' ');
    assert_eq!(before, ids[3]);
    let older = client.run_as(
        "carol",
        &["history", "--before", &before.to_string(), "--limit", "3"],
    );
    older.assert_out(0, "alice: note 1");
    assert!(
        older.stdout.contains("the beginning of the chat"),
        "{older:?}"
    );
    // History is not reading: carol's messages are still unread.
    let read = client.run_as("carol", &["read"]);
    assert!(read.stdout.contains("--- unread ---"), "{read:?}");
    client
        .run_as("carol", &["history", "--with", "nobody"])
        .assert_err(1, "user_not_found");

    let users = client.run_as("carol", &["users", "BO"]);
    assert_eq!(users.code, 0, "{users:?}");
    assert_eq!(users.stdout, "Bob\nbobby\n");
}

#[test]
fn watch_and_chat_show_room_messages_and_member_events() {
    let server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice", "bob"]);
    client
        .run_as("alice", &["room", "create", "design"])
        .assert_out(0, "created #design");

    let mut watch = Running::start(&client, &["--user", "alice", "watch"]);
    watch.stderr.expect("watching", WAIT);
    client
        .run_as("bob", &["room", "join", "design"])
        .assert_out(0, "joined");
    watch.expect_line("bob joined #design", WAIT);
    client.run_as("bob", &["send", "--to", "#design", "hello room"]);
    watch.expect_line("room #design", WAIT);
    watch.expect_line("bob: hello room", WAIT);

    let mut chat = Running::chat(&client, "alice");
    chat.expect_line("--- the public chat ---", WAIT);
    client.run_as("bob", &["send", "--to", "#design", "elsewhere"]);
    chat.expect_line("in the room #design; /read #design follows it", WAIT);
    chat.type_line("/read #design");
    chat.expect_line("--- the room #design ---", WAIT);
    client.run_as("bob", &["send", "--to", "#design", "followed"]);
    chat.expect_line("bob: followed", WAIT);
    client.run_as("bob", &["room", "leave", "design"]);
    chat.expect_line("bob left #design", WAIT);
    chat.type_line("/to #design still here");
    chat.expect_line("sent message", WAIT);
    chat.type_line("/leave design");
    chat.expect_line("left #design", WAIT);
    chat.type_line("/rooms");
    chat.expect_line("0 members", WAIT);
    chat.type_line("/join #design");
    chat.expect_line("joined #design", WAIT);
    // A room just joined is followed: its history shows, as `/read` shows it.
    chat.stdout.seen.clear();
    chat.expect_line("alice: still here", WAIT);
    let (code, _) = chat.finish();
    assert_eq!(code, 0);
}

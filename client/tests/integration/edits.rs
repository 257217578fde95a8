//! (issue 26) End-to-end: `agora edit`, `delete` and `react` against a real
//! server, and how `read`, `watch` and `chat` show edits, tombstones,
//! reactions and the caller's mentions.

use crate::support;

use std::time::Duration;
use support::{Client, Running, Server};

const LINE: Duration = Duration::from_secs(10);

fn sent(client: &Client, user: &str, text: &str) -> u64 {
    let out = client.ok_as(user, &["send", text]);
    support::number_after(&out, "sent message #", ' ')
}

#[test]
fn edit_delete_react_and_read_shows_them() {
    let server = Server::start(&["--moderator", "mod"]);
    let client = Client::with_users(&server, &["alice", "bob", "mod"]);
    let id = sent(&client, "alice", "helo @bob");
    let out = client.ok_as("alice", &["edit", &id.to_string(), "hello", "@bob"]);
    assert!(
        out.starts_with(&format!("edited message #{id} at ")),
        "{out:?}"
    );
    let out = client.ok_as("bob", &["react", &id.to_string(), "👍"]);
    assert_eq!(out, format!("message #{id}: 👍 1 (bob)\n"));
    client.ok_as("alice", &["react", &id.to_string(), "🎉"]);
    let out = client.ok_as("alice", &["react", &id.to_string(), "🎉", "--remove"]);
    assert_eq!(out, format!("message #{id}: 👍 1 (bob)\n"));

    // bob sees the edit, the reaction and that it mentions him.
    let read = client.ok_as("bob", &["read"]);
    let line = read
        .lines()
        .find(|l| l.contains(&format!("#{id}  alice:")))
        .unwrap_or_else(|| panic!("{read:?}"));
    assert!(
        line.ends_with("alice: hello @bob (edited)  @ you"),
        "{line:?}"
    );
    assert!(read.contains("    👍 1 (bob)\n"), "{read:?}");
    let status = client.ok_as("bob", &["status"]);
    assert!(
        !status.contains("mentioning you"),
        "read already: {status:?}"
    );

    // Not his: refused, exit 1; a moderator may delete it.
    let refused = client.run_as("bob", &["edit", &id.to_string(), "mine"]);
    refused.assert_err(1, "not_author");
    let refused = client.run_as("bob", &["react", &id.to_string(), "x"]);
    refused.assert_err(1, "invalid_emoji");
    let out = client.ok_as("mod", &["delete", &id.to_string()]);
    assert_eq!(out, format!("deleted message #{id}\n"));
    let read = client.ok_as("alice", &["read"]);
    assert!(
        read.contains(&format!("#{id}  alice: (deleted by mod)\n")),
        "{read:?}"
    );

    // Comments: --comment.
    let other = sent(&client, "bob", "post");
    let out = client.ok_as("alice", &["comment", &other.to_string(), "frist"]);
    let comment = support::number_after(&out, "added comment #", ' ');
    client.ok_as(
        "alice",
        &["edit", "--comment", &comment.to_string(), "first"],
    );
    let read = client.ok_as("bob", &["read"]);
    assert!(read.contains("alice: first (edited)\n"), "{read:?}");
    client.ok_as("alice", &["delete", "--comment", &comment.to_string()]);
    let read = client.ok_as("bob", &["read"]);
    assert!(read.contains("alice: (deleted)\n"), "{read:?}");
}

#[test]
fn watch_and_chat_show_changes_as_they_happen() {
    let server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice", "bob"]);
    let mut command = client.command(&["--user", "bob", "watch"]);
    command.env("TZ", "UTC");
    let mut watching = Running::of(command);
    watching.stderr.expect("watching ", LINE);
    sent(&client, "alice", "before");
    let mut chatting = Running::chat(&client, "bob");
    chatting.expect_line("alice: before", LINE);

    let id = sent(&client, "alice", "hi @BOB");
    watching.expect_line(&format!("#{id}  alice: hi @BOB  @ you"), LINE);
    client.ok_as("alice", &["edit", &id.to_string(), "hi all"]);
    watching.expect_line(&format!("public  edited #{id}  alice: hi all"), LINE);
    chatting.expect_line(&format!("    * public  edited #{id}  alice: hi all"), LINE);
    client.ok_as("alice", &["react", &id.to_string(), "👀"]);
    watching.expect_line(&format!("public  reactions on #{id}: 👀 1 (alice)"), LINE);
    chatting.expect_line("👀 1 (alice)", LINE);
    client.ok_as("alice", &["delete", &id.to_string()]);
    watching.expect_line(&format!("public  deleted #{id}  alice: (deleted)"), LINE);
    chatting.expect_line(&format!("deleted #{id}"), LINE);
    // Typed in chat: the same, answered there.
    let own = sent(&client, "bob", "tpyo");
    chatting.type_line(&format!("/edit {own} typo"));
    chatting.expect_line(&format!("edited message #{own} at "), LINE);
    chatting.type_line(&format!("/react {own} 🎉"));
    chatting.expect_line(&format!("message #{own}: 🎉 1 (bob)"), LINE);
    chatting.type_line(&format!("/delete {own}"));
    chatting.expect_line(&format!("deleted message #{own}"), LINE);
    watching.interrupt();
    chatting.type_line("/quit");
    chatting.finish();
}

//! End-to-end: `agora watch` against a real server, stopped and started again
//! under it.

use crate::support;

use serde_json::value::RawValue;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use support::{Client, Running, Server};

/// Bound on waiting for one line where nothing slow stands in the way.
const LINE: Duration = Duration::from_secs(10);

/// `agora --user USER watch ARGS...`, once it has said where it starts (from
/// then on it misses nothing).
fn watch(client: &Client, user: &str, args: &[&str]) -> Running {
    watch_in_zone(client, user, args, "UTC")
}

fn watch_in_zone(client: &Client, user: &str, args: &[&str], tz: &str) -> Running {
    let mut command = client.command(&[&["--user", user, "watch"], args].concat());
    command.env("TZ", tz);
    let mut watching = Running::of(command);
    let banner = watching.stderr.expect("watching ", LINE);
    // `agora:` starts errors only; the event cursor is named as such.
    assert!(banner.starts_with("watching http://"), "{banner:?}");
    assert!(banner.contains(" from event cursor "), "{banner:?}");
    watching
}

/// The event cursor a watch's first stderr line starts from.
fn start_cursor(watching: &Running) -> u64 {
    let banner = &watching.stderr.seen[0];
    support::number_after(banner, "from event cursor ", ' ')
}

/// `agora --user USER send ARGS...`, which must succeed; the message's id.
fn send(client: &Client, user: &str, args: &[&str]) -> u64 {
    let stdout = client.ok_as(user, &[&["--json", "send"], args].concat());
    let reply: Value = serde_json::from_str(&stdout).unwrap();
    reply["message_id"].as_u64().unwrap()
}

/// Asserts that `lines` end, in this order, with `endings`, and that there
/// are no others.
fn assert_lines_end_with(lines: &[String], endings: &[String]) {
    assert_eq!(lines.len(), endings.len(), "{lines:#?}");
    for (line, ending) in lines.iter().zip(endings) {
        assert!(line.ends_with(ending.as_str()), "{line:?} vs {ending:?}");
    }
}

#[test]
fn watch_prints_what_others_do_as_it_comes_in_order() {
    let server = Server::start(&["--ban-threshold", "1"]);
    let client = Client::new(&server);
    for user in ["alice", "bob", "carol"] {
        client.register(user);
    }
    // 5 h 30 min east of UTC: the ban's end is shown on the local clock.
    let mut bob = watch_in_zone(&client, "bob", &[], "XST-5:30");
    let mut ids = Vec::new();
    for text in ["one", "two", "three"] {
        ids.push(send(&client, "alice", &[text]));
        // A long-poll wakes at once; a second or two at most on a loaded
        // machine. Polling on a timer of seconds would miss this bound.
        bob.expect_line(&format!("alice: {text}"), Duration::from_secs(3));
    }
    client.ok_as("alice", &["comment", &ids[0].to_string(), "+1"]);
    bob.expect_line("comment on #", LINE);
    client.ok_as("carol", &["report", "bob"]);
    bob.expect_line("you are banned until ", LINE);
    let (code, stderr) = bob.interrupt();
    assert_eq!(code, 0, "Ctrl-C ends it well: {stderr}");

    let status = client.ok_as("bob", &["--json", "status"]);
    let status: Value = serde_json::from_str(&status).unwrap();
    let until: jiff::Timestamp = status["banned_until"].as_str().unwrap().parse().unwrap();
    let east = jiff::tz::Offset::from_seconds(5 * 3600 + 1800).unwrap();
    let local = until.to_zoned(jiff::tz::TimeZone::fixed(east));
    assert_lines_end_with(
        &bob.stdout.seen,
        &[
            format!("  public  #{}  alice: one", ids[0]),
            format!("  public  #{}  alice: two", ids[1]),
            format!("  public  #{}  alice: three", ids[2]),
            format!("  public  comment on #{}  alice: +1", ids[0]),
            format!(
                "you are banned until {}",
                local.strftime("%Y-%m-%d %H:%M:%S")
            ),
        ],
    );
}

/// `GET path` with `token`, straight over a socket: the body, as sent.
fn http_get(server: &Server, path: &str, token: &str) -> String {
    let address = server.url.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    body.to_owned()
}

/// The token `agora` saved for `user`.
fn token(client: &Client, user: &str) -> String {
    let file = client.config.path().join("agora").join("tokens.json");
    let saved: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    saved[&client.server][user].as_str().unwrap().to_owned()
}

#[test]
fn watch_json_prints_the_servers_event_objects_as_they_are() {
    let server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice", "bob"]);
    let mut bob = watch(&client, "bob", &["--json"]);
    let start = start_cursor(&bob);
    let public = send(&client, "alice", &["hello"]);
    send(&client, "alice", &["--to", "bob", "psst"]);
    client.ok_as("alice", &["comment", &public.to_string(), "+1"]);
    bob.expect_line(r#""comment_text":"+1""#, LINE);
    let (code, stderr) = bob.interrupt();
    assert_eq!(code, 0, "{stderr}");

    let page = http_get(
        &server,
        &format!("/events?since={start}&timeout=0"),
        &token(&client, "bob"),
    );
    #[derive(serde::Deserialize)]
    struct Page {
        events: Vec<Box<RawValue>>,
    }
    let page: Page = serde_json::from_str(&page).unwrap();
    let served: Vec<&str> = page.events.iter().map(|e| e.get()).collect();
    assert_eq!(served.len(), 3, "{served:?}");
    assert_eq!(
        bob.stdout.seen, served,
        "the server's objects, byte for byte"
    );
    let types: Vec<Value> = bob
        .stdout
        .seen
        .iter()
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["type"].clone())
        .collect();
    assert_eq!(types, ["message", "message", "comment"]);
}

#[test]
fn watch_since_starts_after_a_given_event() {
    let server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice", "bob"]);
    let first = send(&client, "alice", &["earlier"]);
    let mut bob = watch(&client, "bob", &["--since", "0"]);
    bob.expect_line(&format!("#{first}  alice: earlier"), LINE);
    bob.interrupt();

    let beyond = client.run_as("bob", &["watch", "--since", "1000"]);
    beyond.assert_err(1, "invalid_since");
}

#[test]
fn watch_resumes_after_a_server_restart_printing_everything_once() {
    let mut server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice", "bob"]);
    let mut bob = watch(&client, "bob", &[]);
    let mut expected = Vec::new();
    for text in ["before 1", "before 2"] {
        let id = send(&client, "alice", &[text]);
        expected.push(format!("#{id}  alice: {text}"));
        bob.expect_line(text, LINE);
    }

    server.stop();
    bob.stderr.expect("reconnecting", LINE);
    // Back on the same address and database: what was sent since the watch
    // lost its connection comes when it is back, and nothing twice.
    server.restart();
    for text in ["while away 1", "while away 2", "while away 3"] {
        let id = send(&client, "alice", &[text]);
        expected.push(format!("#{id}  alice: {text}"));
    }
    // Its waits between attempts are at most 8 s.
    bob.stderr.expect("reconnected", Duration::from_secs(20));
    let id = send(&client, "alice", &["after"]);
    expected.push(format!("#{id}  alice: after"));
    bob.expect_line("alice: after", LINE);
    let (code, stderr) = bob.interrupt();
    assert_eq!(code, 0, "{stderr}");
    assert_lines_end_with(&bob.stdout.seen, &expected);
}

#[test]
fn a_private_message_to_someone_else_never_shows() {
    let server = Server::start(&[]);
    let client = Client::new(&server);
    for user in ["alice", "bob", "carol"] {
        client.register(user);
    }
    let mut carol = watch(&client, "carol", &[]);
    let mut carol_json = watch(&client, "carol", &["--json"]);
    let secret = send(&client, "alice", &["--to", "bob", "secret"]);
    client.ok_as("bob", &["comment", &secret.to_string(), "ok"]);
    let public = send(&client, "alice", &["for everyone"]);
    // Events come in order: had the private ones reached carol, they would
    // have come before this one.
    carol.expect_line("alice: for everyone", LINE);
    carol_json.expect_line(r#""message_text":"for everyone""#, LINE);
    carol.interrupt();
    carol_json.interrupt();
    assert_lines_end_with(
        &carol.stdout.seen,
        &[format!("  public  #{public}  alice: for everyone")],
    );
    assert_eq!(
        carol_json.stdout.seen.len(),
        1,
        "{:?}",
        carol_json.stdout.seen
    );
}

#[test]
fn watch_ends_when_the_server_refuses_or_cannot_be_reached_at_first() {
    let mut server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice", "bob"]);
    send(&client, "alice", &["so the cursor is past 0"]);
    let mut bob = watch(&client, "bob", &[]);
    // A server that no longer knows bob's token: refused, not retried.
    server.restart_with_a_new_database();
    let (code, stderr) = bob.wait_for_exit();
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("(unauthorized)"), "{stderr}");

    server.stop();
    let run = client.run_as("bob", &["watch"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.starts_with("agora: cannot reach"), "{run:?}");
}

#[test]
fn event_cursors_are_named_apart_from_message_ids_and_resume_a_watch() {
    let server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice", "bob"]);
    // Two messages bob does not see (a private chat of alice and carol)
    // and a comment: event cursors and message ids part ways.
    client.register("carol");
    let first = send(&client, "alice", &["first"]);
    send(&client, "alice", &["--to", "carol", "not for bob"]);
    client.ok_as("alice", &["comment", &first.to_string(), "+1"]);
    let mut bob = watch(&client, "bob", &[]);
    let start = start_cursor(&bob);
    let second = send(&client, "alice", &["second"]);
    let shown = bob.expect_line("alice: second", LINE);
    // The message is shown by its id, as `agora read` shows it; the event
    // cursor appears nowhere on stdout.
    assert!(shown.contains(&format!("  #{second}  ")), "{shown:?}");
    let (code, stderr) = bob.interrupt();
    assert_eq!(code, 0, "{stderr}");
    let last = bob.stderr.seen.last().unwrap().clone();
    assert!(!last.starts_with("agora:"), "{last:?}");
    let cursor = support::number_after(&last, "stopped at event cursor ", ':');
    assert!(cursor > start, "{start} then {cursor}");
    assert!(
        last.contains(&format!("agora watch --since {cursor}")),
        "{last:?}"
    );

    // Starting again from it: what came after, nothing twice.
    let third = send(&client, "alice", &["third"]);
    let mut again = watch(&client, "bob", &["--since", &cursor.to_string()]);
    again.expect_line("alice: third", LINE);
    again.interrupt();
    assert_lines_end_with(
        &again.stdout.seen,
        &[format!("  public  #{third}  alice: third")],
    );
}

//! End-to-end: each subcommand against a real server on 127.0.0.1.

use crate::support;

use std::os::unix::fs::PermissionsExt;
use support::{Client, Server};

/// The message id in "sent message #N ..." output.
fn sent_id(stdout: &str) -> u64 {
    let rest = stdout
        .split("sent message #")
        .nth(1)
        .unwrap_or_else(|| panic!("not a send confirmation: {stdout:?}"));
    rest.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn register_saves_a_private_token_file() {
    let server = Server::start(&[]);
    let client = Client::new(&server);
    let run = client.run(&["register", "alice"]);
    run.assert_out(0, "registered alice");

    let dir = client.config.path().join("agora");
    let file = dir.join("tokens.json");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&dir), 0o700);
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let token = saved[&server.url]["alice"].as_str().unwrap();
    assert_eq!(token.len(), 32);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));

    // The name is taken now: refused by the server, exit 1, file unchanged.
    let again = client.run(&["register", "alice"]);
    again.assert_err(1, "token_already_issued");
    let bad = client.run(&["register", "no spaces"]);
    bad.assert_err(1, "invalid_user_name");
    let after: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(after, saved);
}

#[test]
fn send_read_comment_status_report() {
    let server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice", "bob"]);

    let sent = client.run_as("alice", &["send", "hello", "world"]);
    assert_eq!(sent.code, 0, "{sent:?}");
    let id = sent_id(&sent.stdout);

    // Bob has not read it: it comes after the unread mark, with its id.
    let read = client.run_as("bob", &["read"]);
    assert_eq!(read.code, 0, "{read:?}");
    let (history, unread) = read.stdout.split_once("--- unread ---\n").expect("marked");
    assert!(!history.contains("hello world"), "{read:?}");
    assert!(
        unread.contains(&format!("#{id}  alice: hello world")),
        "{read:?}"
    );
    // Now it is read: history, no mark.
    let again = client.run_as("bob", &["read", "-n", "5"]);
    assert!(!again.stdout.contains("--- unread ---"), "{again:?}");
    assert!(again.stdout.contains("alice: hello world"), "{again:?}");

    let comment = client.run_as("bob", &["comment", &id.to_string(), "nice"]);
    assert_eq!(comment.code, 0, "{comment:?}");
    assert!(
        comment.stdout.contains(&format!("to message #{id}")),
        "{comment:?}"
    );
    // The comment shows indented under its message.
    let read = client.run_as("alice", &["read"]);
    let lines: Vec<&str> = read.stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("alice: hello world"))
        .expect("message shown");
    assert!(
        lines[at + 1].starts_with("    ↳ ") && lines[at + 1].ends_with("bob: nice"),
        "{read:?}"
    );

    let private = client.run_as("alice", &["send", "--to", "bob", "psst"]);
    private.assert_out(0, "to bob");
    let status = client.run_as("bob", &["status"]);
    assert_eq!(status.code, 0, "{status:?}");
    assert!(
        status.stdout.starts_with("connected as bob\n"),
        "{status:?}"
    );
    let alice_line = status
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("alice "))
        .expect("private chat listed");
    assert!(
        alice_line.contains("private") && alice_line.ends_with("  1 message, 2 users, 1 unread"),
        "{status:?}"
    );
    let read = client.run_as("bob", &["read", "--with", "alice"]);
    assert!(read.stdout.contains("--- unread ---\n"), "{read:?}");
    assert!(read.stdout.contains("alice: psst"), "{read:?}");

    let report = client.run_as("bob", &["report", "alice", "--private"]);
    report.assert_out(0, "reported alice: 1 caution");
    let twice = client.run_as("bob", &["report", "alice"]);
    twice.assert_err(1, "already_reported");
}

#[test]
fn json_prints_the_servers_bodies() {
    let server = Server::start(&[]);
    let client = Client::new(&server);
    let json = |run: &support::Run| -> serde_json::Value {
        // One value on one line: the server's final newline is not doubled.
        let lines = run.stdout.split_inclusive('\n').count();
        assert!(lines == 1 && run.stdout.ends_with('\n'), "{run:?}");
        serde_json::from_str(run.stdout.trim_end())
            .unwrap_or_else(|e| panic!("not one JSON value ({e}): {run:?}"))
    };
    let reg = client.run(&["--json", "register", "alice"]);
    assert_eq!(json(&reg)["user_name"], "alice");
    let sent = client.run(&["send", "--json", "hi"]);
    assert_eq!(sent.code, 0, "{sent:?}");
    assert_eq!(json(&sent)["info"], "message sent");
    let id = json(&sent)["message_id"].as_u64().unwrap();
    let read = client.run(&["--json", "read"]);
    assert_eq!(json(&read)["chat"], "public_chat");
    assert_eq!(json(&read)["messages"][0]["id"], id);
    let status = client.run(&["--json", "status"]);
    assert_eq!(json(&status)["connected_as"], "alice");
    let comment = client.run(&["--json", "comment", &id.to_string(), "+1"]);
    assert_eq!(json(&comment)["info"], "comment added");
    // A refusal: the error body on stdout, its sentence on stderr, exit 1.
    let refused = client.run(&["--json", "send", "--to", "nobody", "hi"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert_eq!(json(&refused)["code"], "user_not_found");
    assert!(refused.stderr.contains("user_not_found"), "{refused:?}");
}

#[test]
fn exit_codes() {
    let mut server = Server::start(&[]);
    let client = Client::new(&server);

    // 2: no saved token, usage errors, https.
    let none = client.run(&["status"]);
    none.assert_err(2, "agora register");
    assert_eq!(client.run(&["send"]).code, 2);
    assert_eq!(client.run(&["comment", "x", "y"]).code, 2);
    let https = client.run(&["--server", "https://127.0.0.1:1", "status"]);
    https.assert_err(2, "https");

    client.register("alice");
    client.register("bob");
    let which = client.run(&["status"]);
    which.assert_err(2, "--user");
    let unknown = client.run_as("carol", &["status"]);
    assert_eq!(unknown.code, 2, "{unknown:?}");

    // 0 and 1.
    assert_eq!(client.run_as("alice", &["status"]).code, 0);
    let refused = client.run_as("alice", &["report", "alice"]);
    refused.assert_refused(1, &[]);
    let missing = client.run_as("alice", &["comment", "999", "hi"]);
    missing.assert_err(1, "message_not_found");

    // 3: the server is gone.
    server.stop();
    let gone = client.run_as("alice", &["status"]);
    gone.assert_err(3, "cannot reach");
}

#[test]
fn quota_refusal_says_when_to_retry() {
    let server = Server::start(&["--quota", "1", "--quota-window", "1h"]);
    let client = Client::with_users(&server, &["alice"]);
    assert_eq!(client.run(&["send", "one"]).code, 0);
    let refused = client.run(&["send", "two"]);
    refused.assert_refused(1, &["quota_exceeded"]);
    // The window is an hour: the retry is most of it away, with a clock time.
    let secs = support::number_after(&refused.stderr, "retry in ", ' ');
    assert!((3500..=3600).contains(&secs), "{refused:?}");
    assert!(refused.stderr.contains(" s (at "), "{refused:?}");
    // Private messages do not count.
    client.register("bob");
    let private = client.run_as("alice", &["send", "--to", "bob", "still ok"]);
    assert_eq!(private.code, 0, "{private:?}");
}

#[test]
fn ban_refusal_says_when_to_retry() {
    let server = Server::start(&["--ban-threshold", "1", "--ban-duration", "2h"]);
    let client = Client::with_users(&server, &["alice", "bob"]);
    let report = client.run_as("bob", &["report", "alice"]);
    report.assert_out(0, "now banned until");
    let already = client.run_as("bob", &["report", "alice"]);
    already.assert_out(0, "already banned until");

    let refused = client.run_as("alice", &["send", "hi"]);
    refused.assert_err(1, "banned");
    assert!(refused.stderr.contains("retry in "), "{refused:?}");
    let status = client.run_as("alice", &["status"]);
    assert!(status.stdout.contains("banned until"), "{status:?}");
}

#[test]
fn errors_have_one_prefix_and_name_the_arguments() {
    let server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice"]);
    let refused = |args: &[&str]| {
        let run = client.run(args);
        assert_eq!(run.code, 1, "{run:?}");
        run.stderr
    };
    assert_eq!(
        refused(&["read", "-n", "500"]),
        "agora: -n/--number must be from 1 to 100 (invalid_messages_number)\n"
    );
    assert_eq!(
        refused(&["send", "--to", "alice", "hi"]),
        "agora: --to names yourself (self_target)\n"
    );
    assert_eq!(
        refused(&["send", " "]),
        "agora: TEXT must be 1 to 4096 characters and not only whitespace (invalid_text)\n"
    );
    // Usage errors, the command line's and clap's, have the same prefix.
    for args in [
        &["read", "-n", "0"][..],
        &["status", "--frobnicate"],
        &["login"],
    ] {
        client.run(args).assert_refused(2, &[]);
    }
    let zero = client.run(&["read", "-n", "0"]);
    assert!(zero.stderr.contains("--number"), "{zero:?}");
}

#[test]
fn help_says_where_tokens_are_and_what_each_argument_is() {
    let client = Client::at("http://127.0.0.1:1");
    let help = client.run(&["--help"]);
    assert_eq!(help.code, 0, "{help:?}");
    for text in ["tokens.json", "AGORA_CONFIG_DIR", "login"] {
        assert!(help.stdout.contains(text), "{text}: {help:?}");
    }
    /// The help line of `name` has words after the name.
    fn explained(help: &str, name: &str) -> bool {
        help.lines()
            .map(str::trim_start)
            .find(|line| line.starts_with(name))
            .is_some_and(|line| line[name.len()..].trim().len() > 10)
    }
    let report = client.run(&["report", "--help"]).stdout;
    assert!(!report.contains("Not named"), "{report}");
    assert!(explained(&report, "<USER>"), "{report}");
    assert!(explained(&report, "--private"), "{report}");
    let comment = client.run(&["comment", "--help"]).stdout;
    assert!(explained(&comment, "<MESSAGE_ID>"), "{comment}");
    let login = client.run(&["login", "--help"]).stdout;
    assert!(explained(&login, "--token"), "{login}");
}

#[test]
fn times_show_on_the_local_clock() {
    let server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice"]);
    assert_eq!(client.run(&["send", "hi"]).code, 0);
    // The time at the start of the message line, in each zone.
    let shown_in = |tz: &str| -> jiff::civil::DateTime {
        let read = client.run_in_zone(tz, &["read"]);
        assert_eq!(read.code, 0, "{read:?}");
        read.stdout[..19]
            .parse()
            .unwrap_or_else(|e| panic!("{e}: {read:?}"))
    };
    let utc = shown_in("UTC");
    // A POSIX TZ rule: 5 h 30 min east of UTC, no daylight saving.
    let east = shown_in("XST-5:30");
    assert_eq!(
        east.duration_since(utc),
        jiff::SignedDuration::from_mins(5 * 60 + 30)
    );
}

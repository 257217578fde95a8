//! End-to-end: `agora chat` driven through stdin, the other side checking.

use crate::support;

use std::time::Duration;
use support::cutting_proxy::CuttingProxy;
use support::{Client, Running, Server};

#[test]
fn chat_lines_reach_the_other_side() {
    let server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice", "bob"]);

    let input = "hello from chat\n/to bob a private word\n/quit\nnot sent after quit\n";
    let run = client.run_with_input(&["--user", "alice", "chat"], input);
    run.assert_out(0, "to the public chat");
    assert!(run.stdout.contains("to bob"), "{run:?}");

    let public = client.run_as("bob", &["read"]);
    assert!(
        public.stdout.contains("alice: hello from chat"),
        "{public:?}"
    );
    assert!(!public.stdout.contains("not sent after quit"), "{public:?}");
    let private = client.run_as("bob", &["read", "--with", "alice"]);
    assert!(
        private.stdout.contains("alice: a private word"),
        "{private:?}"
    );
}

#[test]
fn chat_shows_new_messages_while_idle_and_quits_at_end_of_input() {
    let server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice", "bob"]);
    client.run_as("alice", &["send", "before"]);

    let mut bob = Running::chat(&client, "bob");
    bob.expect_line("alice: before", Duration::from_secs(10));
    let sent = client.run_as("alice", &["send", "while you wait"]);
    assert_eq!(sent.code, 0, "{sent:?}");
    bob.expect_line("alice: while you wait", Duration::from_secs(10));

    // Following a private chat: its new messages appear too.
    bob.type_line("/read alice");
    bob.expect_line(
        "--- the private chat with alice ---",
        Duration::from_secs(10),
    );
    client.run_as("alice", &["send", "--to", "bob", "just us"]);
    bob.expect_line("alice: just us", Duration::from_secs(10));

    // Commands answer in place; slips and refusals do not end the session.
    bob.type_line("/status");
    bob.expect_line("connected as bob", Duration::from_secs(10));
    bob.type_line("/comment 999999 hi");
    bob.type_line("/nonsense");
    bob.type_line("/help");
    bob.expect_line("/report USER [private]", Duration::from_secs(10));

    let (code, stderr) = bob.finish();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("message_not_found"), "{stderr}");
    assert!(stderr.contains("unknown command /nonsense"), "{stderr}");
}

#[test]
fn chat_ends_with_exit_3_when_the_server_goes_away() {
    let mut server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice"]);
    let mut alice = Running::chat(&client, "alice");
    alice.expect_line("--- the public chat ---", Duration::from_secs(10));
    server.stop();
    // The feed finds no server, tries again for a few seconds, and gives up.
    let (code, stderr) = alice.finish_after_exit();
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("cannot reach"), "{stderr}");
}

#[test]
fn chat_goes_on_across_a_server_restart() {
    let mut server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice", "bob"]);
    let mut bob = Running::chat(&client, "bob");
    bob.expect_line("--- the public chat ---", Duration::from_secs(10));
    server.restart(); // same address, same database
    bob.stderr.expect("reconnecting", Duration::from_secs(10));
    client.run_as("alice", &["send", "welcome back"]);
    bob.expect_line("alice: welcome back", Duration::from_secs(20));
    bob.type_line("/status");
    bob.expect_line("connected as bob", Duration::from_secs(10));
    let (code, stderr) = bob.finish();
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn chat_comments_and_reports() {
    let server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice", "bob"]);
    let mut alice = Running::chat(&client, "alice");
    alice.type_line("something to discuss");
    let line = alice.expect_line("sent message #", Duration::from_secs(10));
    let id = support::number_after(&line, "sent message #", ' ');
    alice.type_line(&format!("/comment {id} first comment"));
    alice.expect_line(&format!("to message #{id}"), Duration::from_secs(10));
    alice.type_line("/report bob");
    alice.expect_line("reported bob: 1 caution", Duration::from_secs(10));
    alice.type_line("/report bob private");
    let (code, stderr) = alice.finish();
    assert_eq!(code, 0, "{stderr}");
    // No private chat with bob yet (and already reported): refused, shown, not fatal.
    assert!(stderr.starts_with("agora: "), "{stderr}");

    let read = client.run_as("bob", &["read"]);
    assert!(read.stdout.contains("alice: first comment"), "{read:?}");
}

/// The answer to a send is lost after the server committed it: the CLI
/// sends it again with the same `Idempotency-Key`, the server answers it
/// from the kept answer, and the message is in the chat once.
#[test]
fn a_message_whose_answer_was_lost_is_retried_and_lands_once() {
    let server = Server::start(&[]);
    let proxy = CuttingProxy::start(&server, "POST /send ");
    let via_proxy = Client::at(&proxy.url);
    via_proxy.register("alice");
    let direct = Client::with_users(&server, &["bob"]);

    let mut alice = Running::chat(&via_proxy, "alice");
    alice.expect_line("--- the public chat ---", Duration::from_secs(10));
    // Sent on the kept socket; the server commits it, its answer is lost.
    alice.type_line("only once");
    alice.expect_line(
        "sent message #1 to the public chat",
        Duration::from_secs(10),
    );
    let (code, stderr) = alice.finish();
    assert_eq!(proxy.cuts(), 1);
    assert_eq!(code, 0, "{stderr}");

    let read = direct.run_as("bob", &["read"]);
    assert_eq!(
        read.stdout.matches("alice: only once").count(),
        1,
        "{read:?}"
    );
}

#[test]
fn chat_goes_on_across_the_servers_idle_timeout_without_duplicates() {
    // The server closes a kept socket 700 ms after its last answer; the chat
    // polls every second, so each request finds its socket closed.
    let server = Server::start(&["--idle-timeout", "700ms"]);
    let client = Client::with_users(&server, &["alice", "bob"]);
    let mut alice = Running::chat(&client, "alice");
    alice.expect_line("--- the public chat ---", Duration::from_secs(10));
    for n in 1..=3 {
        std::thread::sleep(Duration::from_millis(900));
        alice.type_line(&format!("line {n}"));
        let sent = format!("sent message #{n} to the public chat");
        alice.expect_line(&sent, Duration::from_secs(10));
    }
    let (code, stderr) = alice.finish();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, "");
    let read = client.run_as("bob", &["read"]);
    for n in 1..=3 {
        let line = format!("alice: line {n}\n");
        assert_eq!(read.stdout.matches(&line).count(), 1, "{read:?}");
    }
}

#[test]
fn chat_says_connected_only_once_it_has_reached_the_server() {
    let mut server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice"]);
    server.stop();
    let run = client.run(&["chat"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(!run.stdout.contains("connected"), "{run:?}");
    assert!(run.stderr.starts_with("agora: cannot reach"), "{run:?}");
}

#[test]
fn chat_shows_incoming_messages_without_polling_and_marks_them_read() {
    let server = Server::start(&["--log", "debug"]); // a log line per request
    let client = Client::with_users(&server, &["alice", "bob"]);
    let requests_to = |target: &str| {
        let needle = format!(" uri={target} ");
        let log = server.log_lines();
        log.iter().filter(|line| line.contains(&needle)).count()
    };
    let mut bob = Running::chat(&client, "bob");
    bob.expect_line("--- the public chat ---", Duration::from_secs(10));
    // Idle for 3 s: no request asks for news (a 1 s timer would ask 3 times).
    std::thread::sleep(Duration::from_millis(300));
    let connects = requests_to("/connect");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(requests_to("/connect"), connects, "polled /connect");

    // bob's own line is confirmed, not shown again when its event comes.
    bob.type_line("mine");
    bob.expect_line("sent message #", Duration::from_secs(10));
    client.run_as("alice", &["send", "are you there"]);
    bob.expect_line("alice: are you there", Duration::from_secs(10));
    // A private message elsewhere is announced, not shown.
    client.run_as("alice", &["send", "--to", "bob", "psst"]);
    bob.expect_line(
        "from alice in the private chat with alice",
        Duration::from_secs(10),
    );
    assert!(
        !bob.stdout.seen.iter().any(|l| l.contains("bob: mine")),
        "{:?}",
        bob.stdout.seen
    );
    assert!(
        !bob.stdout.seen.iter().any(|l| l.contains("psst")),
        "{:?}",
        bob.stdout.seen
    );

    // What the chat showed is read: `POST /read`, seen from another device.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let status = client.run_as("bob", &["--json", "status"]);
        let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
        let public = &status["chats"][0];
        assert_eq!(public["name"], "public_chat");
        let private = status["chats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "alice");
        assert_eq!(
            private.unwrap()["unread"],
            1,
            "only shown messages are marked"
        );
        if public["unread"] == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still unread: {status}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(requests_to("/read"), 1);
    let (code, stderr) = bob.finish();
    assert_eq!(code, 0, "{stderr}");
}

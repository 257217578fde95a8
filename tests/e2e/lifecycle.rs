//! Start, stop and restart: state survives a restart; signals stop the server
//! cleanly.

use crate::harness::{Runtime, Server};
use crate::load::send_under_load;
use crate::steps::{chat_texts, comment, report, send_public, send_to, temp_db, tokens};
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;

per_runtime!(
    restart_keeps_state,
    kill_9_under_load_keeps_acknowledged,
    sigterm_under_load_finishes_and_keeps_acknowledged,
    sigterm_exits_zero,
    sigint_exits_zero,
    flags_from_the_environment,
);

#[test]
fn a_database_that_cannot_be_opened_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("missing-folder").join("agora.db");
    let out = std::process::Command::new(crate::harness::server_binary())
        .args(["--port", "0", "--db"])
        .arg(&db)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run agora-server");
    assert!(!out.status.success());
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        log.matches(db.to_str().unwrap()).count(),
        1,
        "the error names the path, once: {log}"
    );
    assert!(
        log.contains("check that its folder exists"),
        "and says what to do: {log}"
    );
}

#[test]
fn a_bad_flag_is_refused() {
    let out = std::process::Command::new(crate::harness::server_binary())
        .args(["--runtime", "fibers"])
        .output()
        .expect("run agora-server");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("fibers"));
}

fn restart_keeps_state(rt: Runtime) {
    let (_dir, db) = temp_db();
    let server = Server::start_on(rt, &db, &[]);
    let mut c = server.client();
    let [alice, bob, carol] = tokens(&mut c, ["alice", "bob", "carol"]);
    let m1 = send_public(&mut c, &alice, "m1");
    send_public(&mut c, &alice, "m2");
    let first = comment(&mut c, &bob, m1, "first!").expect(201);
    send_to(&mut c, &alice, "bob", "p1");
    report(&mut c, &carol, "bob", "public").expect(201);
    c.post("/connect", Some(&bob), json!({})).expect(200); // bob has read m1, m2
    send_public(&mut c, &alice, "m3");
    let before = c.get("/status", Some(&bob)).expect(200);
    drop(c);
    server.stop();

    let server = Server::start_on(rt, &db, &[]);
    let mut c = server.client();
    // Users and tokens.
    assert_eq!(
        c.get("/status", Some(&alice)).expect(200)["connected_as"],
        "alice"
    );
    c.post("/get-token", None, json!({"user_name": "alice"}))
        .expect_error(409, "token_already_issued");
    // Cautions and chats.
    let after = c.get("/status", Some(&bob)).expect(200);
    assert_eq!(after, before);
    assert_eq!(after["cautions"], 1);
    report(&mut c, &carol, "bob", "public").expect_error(409, "already_reported");
    // Messages, comments and the read position.
    let public = c.post("/connect", Some(&bob), json!({})).expect(200);
    let messages = public["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["id"], m1);
    assert_eq!(messages[0]["comments"][0]["id"], first["comment_id"]);
    assert_eq!(messages[0]["comments"][0]["comment_text"], "first!");
    assert_eq!(public["unread_messages"].as_array().unwrap().len(), 1);
    assert_eq!(public["unread_messages"][0]["message_text"], "m3");
    let private = c
        .post("/connect", Some(&bob), json!({"chat_with": "alice"}))
        .expect(200);
    let mut texts = chat_texts(&private);
    assert_eq!(texts.pop().as_deref(), Some("p1"));
    // New ids continue after the old ones.
    let m4 = send_public(&mut c, &alice, "m4");
    assert!(m4 > public["unread_messages"][0]["id"].as_i64().unwrap());
    drop(c);
    server.stop();
}

/// A 201 means durable: every message acknowledged before a SIGKILL is there
/// after a restart.
fn kill_9_under_load_keeps_acknowledged(rt: Runtime) {
    acknowledged_survive(rt, libc::SIGKILL);
}

/// SIGTERM under load: in-flight requests finish, the process exits 0, and
/// every acknowledged message is kept.
fn sigterm_under_load_finishes_and_keeps_acknowledged(rt: Runtime) {
    acknowledged_survive(rt, libc::SIGTERM);
}

fn acknowledged_survive(rt: Runtime, signal: i32) {
    let (_dir, db) = temp_db();
    let flags = ["--quota", "100000", "--unread-max", "100000"];
    let server = Server::start_on(rt, &db, &flags);
    let mut c = server.client();
    let reader = c.token("reader");
    let writers = send_under_load(&server, 4, Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(400));
    let (status, took) = server.stop_with(signal);
    if signal == libc::SIGKILL {
        assert!(!status.success());
    } else {
        assert!(status.success(), "exit status {status}");
        assert!(took < Duration::from_secs(3), "took {took:?} to stop");
    }
    let acknowledged: Vec<String> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert!(
        !acknowledged.is_empty(),
        "no message was acknowledged before the kill"
    );
    eprintln!(
        "{} messages acknowledged before signal {signal}",
        acknowledged.len()
    );

    let server = Server::start_on(rt, &db, &flags);
    let mut c = server.client();
    let seen = c.post("/connect", Some(&reader), json!({})).expect(200);
    let stored: HashSet<String> = seen["unread_messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message_text"].as_str().unwrap().to_owned())
        .collect();
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|t| !stored.contains(*t))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged messages lost: {lost:?}",
        lost.len()
    );
    server.stop();
}

/// Every flag can come from an `AGORA_*` variable.
fn flags_from_the_environment(rt: Runtime) {
    let (_dir, db) = temp_db();
    let server = Server::start_with_env(
        rt,
        &db,
        &[],
        &[
            ("AGORA_QUOTA", "1"),
            ("AGORA_QUOTA_WINDOW", "1h"),
            ("AGORA_HISTORY", "1"),
        ],
    );
    let mut c = server.client();
    let token = c.token("env");
    send_public(&mut c, &token, "one");
    c.post("/send", Some(&token), json!({"message": "two"}))
        .expect_error(429, "quota_exceeded");
    c.token("env2");
    let other = c.token("env3");
    send_public(&mut c, &other, "three");
    let fresh = c.token("env4");
    let history = c.post("/connect", Some(&fresh), json!({})).expect(200);
    assert_eq!(history["messages"].as_array().unwrap().len(), 1);
    server.stop();
}

fn stops_on(rt: Runtime, signal: i32) {
    let server = Server::start(rt, &[]);
    let mut idle = server.client();
    let token = idle.token("idler");
    let mut busy = server.client();
    busy.get("/status", Some(&token)).expect(200);
    let (status, took) = server.stop_with(signal);
    assert!(status.success(), "exit status {status}");
    assert!(took < Duration::from_secs(3), "took {took:?} to stop");
    // The idle keep-alive sockets were closed.
    assert!(idle.closed_within(Duration::from_secs(1)));
    assert!(busy.closed_within(Duration::from_secs(1)));
}

fn sigterm_exits_zero(rt: Runtime) {
    stops_on(rt, libc::SIGTERM);
}

fn sigint_exits_zero(rt: Runtime) {
    stops_on(rt, libc::SIGINT);
}

//! Start, stop and restart: state survives a restart; signals stop the server
//! cleanly.

use crate::harness::{request_bytes, Client, Runtime, Server};
use serde_json::json;
use std::collections::HashSet;
use std::time::{Duration, Instant};

per_runtime!(
    restart_keeps_state,
    kill_9_under_load_keeps_acknowledged,
    sigterm_exits_zero,
    sigint_exits_zero,
);

fn restart_keeps_state(rt: Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("agora.db");

    let server = Server::start_on(rt, &db, &[]);
    let mut c = server.client();
    let alice = c.token("alice");
    let bob = c.token("bob");
    let carol = c.token("carol");
    let m1 = c
        .post("/send", Some(&alice), json!({"message": "m1"}))
        .expect(201)["message_id"]
        .clone();
    c.post("/send", Some(&alice), json!({"message": "m2"}))
        .expect(201);
    let comment = c
        .post(
            "/comment",
            Some(&bob),
            json!({"message_id": m1, "comment": "first!"}),
        )
        .expect(201);
    c.post(
        "/send",
        Some(&alice),
        json!({"message": "p1", "send_to": "bob"}),
    )
    .expect(201);
    c.post(
        "/report",
        Some(&carol),
        json!({"report_on": "bob", "chat_type": "public"}),
    )
    .expect(201);
    c.post("/connect", Some(&bob), json!({})).expect(200); // bob has read m1, m2
    c.post("/send", Some(&alice), json!({"message": "m3"}))
        .expect(201);
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
    c.post(
        "/report",
        Some(&carol),
        json!({"report_on": "bob", "chat_type": "public"}),
    )
    .expect_error(409, "already_reported");
    // Messages, comments and the read position.
    let public = c.post("/connect", Some(&bob), json!({})).expect(200);
    let messages = public["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["id"], m1);
    assert_eq!(messages[0]["comments"][0]["id"], comment["comment_id"]);
    assert_eq!(messages[0]["comments"][0]["comment_text"], "first!");
    assert_eq!(public["unread_messages"].as_array().unwrap().len(), 1);
    assert_eq!(public["unread_messages"][0]["message_text"], "m3");
    let private = c
        .post("/connect", Some(&bob), json!({"chat_with": "alice"}))
        .expect(200);
    let mut texts: Vec<_> = private["messages"]
        .as_array()
        .unwrap()
        .iter()
        .chain(private["unread_messages"].as_array().unwrap())
        .map(|m| m["message_text"].clone())
        .collect();
    assert_eq!(texts.pop(), Some(json!("p1")));
    // New ids continue after the old ones.
    let m4 = c
        .post("/send", Some(&alice), json!({"message": "m4"}))
        .expect(201)["message_id"]
        .as_u64()
        .unwrap();
    assert!(m4 > public["unread_messages"][0]["id"].as_u64().unwrap());
    drop(c);
    server.stop();
}

/// A 201 means durable: every message acknowledged before a SIGKILL is there
/// after a restart.
fn kill_9_under_load_keeps_acknowledged(rt: Runtime) {
    const WRITERS: usize = 4;
    const MAX_PER_WRITER: usize = 300;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("agora.db");
    let flags = ["--quota", "100000", "--unread-max", "100000"];
    let server = Server::start_on(rt, &db, &flags);
    let mut c = server.client();
    let reader = c.token("reader");
    let writers: Vec<_> = (0..WRITERS)
        .map(|i| {
            let token = c.token(&format!("writer{i}"));
            let addr = server.addr;
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                let mut client = Client::connect(addr);
                let started = Instant::now();
                while acknowledged.len() < MAX_PER_WRITER
                    && started.elapsed() < Duration::from_secs(5)
                {
                    let text = format!("w{i}-{}", acknowledged.len());
                    let body = json!({ "message": text });
                    // The server may die mid-request: a write error or no answer ends the run.
                    if client
                        .stream_write(&request_bytes("POST", "/send", Some(&token), Some(&body)))
                        .is_err()
                    {
                        break;
                    }
                    match client.try_read_reply() {
                        Some(reply) if reply.status == 201 => acknowledged.push(text),
                        _ => break,
                    }
                }
                acknowledged
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(400));
    let (status, _) = server.stop_with(libc::SIGKILL);
    assert!(!status.success());
    let acknowledged: Vec<String> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert!(
        !acknowledged.is_empty(),
        "no message was acknowledged before the kill"
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

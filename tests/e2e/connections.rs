//! Connection handling: keep-alive, pipelining, many concurrent clients,
//! the connection limit and the timeouts.

use crate::harness::{request_bytes, Runtime, Server};
use crate::steps::{chat_texts, send_public, send_to, server_with_users};
use serde_json::json;
use std::collections::HashSet;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

per_runtime!(
    keep_alive_100_requests,
    pipelining,
    concurrent_clients,
    max_connections,
    idle_and_header_timeouts,
    header_timeout_shorter_than_idle_timeout,
);

fn keep_alive_100_requests(rt: Runtime) {
    let (_server, mut c, [token, other]) = server_with_users(rt, ["keeper", "friend"]);
    let mut sent = 0;
    for i in 1..=98 {
        if i % 2 == 0 {
            send_to(&mut c, &token, "friend", &format!("n{i}"));
            sent += 1;
        } else {
            c.get("/status", Some(&token)).expect(200);
        }
    }
    let status = c.get("/status", Some(&other)).expect(200);
    assert_eq!(status["chats"][1]["messages_number"], sent);
}

fn pipelining(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let token = c.token("piper");

    // 30 requests in one write: sends, statuses and a 404, answered in order.
    let mut batch = Vec::new();
    for i in 0..10 {
        batch.extend(request_bytes(
            "POST",
            "/send",
            Some(&token),
            Some(&json!({ "message": format!("p{i}") })),
        ));
        batch.extend(request_bytes("GET", "/status", Some(&token), None));
        batch.extend(request_bytes("GET", "/missing", None, None));
    }
    c.send_raw(&batch);
    let mut last_id = 0;
    for i in 0..10 {
        let sent = c.read_reply().unwrap().expect(201);
        let id = sent["message_id"].as_u64().unwrap();
        assert!(id > last_id, "responses in request order");
        last_id = id;
        let status = c.read_reply().unwrap().expect(200);
        assert_eq!(status["public_messages_left"], 20 - (i + 1));
        c.read_reply().unwrap().expect(404);
    }

    // Byte by byte and split mid-token also work, then `Connection: close` in
    // the middle: the request after it is never answered.
    let one = request_bytes("GET", "/status", Some(&token), None);
    for byte in &one {
        c.send_raw(std::slice::from_ref(byte));
    }
    c.read_reply().unwrap().expect(200);
    let mut closing = request_bytes("GET", "/status", Some(&token), None);
    closing.extend(format!("GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n").as_bytes());
    closing.extend(request_bytes("GET", "/status", Some(&token), None));
    c.send_raw(&closing);
    c.read_reply().unwrap().expect(200);
    c.read_reply().unwrap().expect(200);
    assert!(c.closed_within(Duration::from_secs(3)));
}

fn concurrent_clients(rt: Runtime) {
    const CLIENTS: usize = 50;
    let server = Server::start(rt, &[]);
    let addr = server.addr;
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let threads: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut c = crate::harness::Client::connect(addr);
                let me = format!("user{i}");
                let token = c.token(&me);
                barrier.wait();
                let next = format!("user{}", (i + 1) % CLIENTS);
                let public = send_public(&mut c, &token, &format!("hello from {i}"));
                let private = send_to(&mut c, &token, &next, &format!("psst {i}"));
                barrier.wait();
                let prev = format!("user{}", (i + CLIENTS - 1) % CLIENTS);
                let chat = c
                    .post("/connect", Some(&token), json!({"chat_with": prev}))
                    .expect(200);
                let mut texts = chat_texts(&chat);
                assert_eq!(texts, [format!("psst {}", (i + CLIENTS - 1) % CLIENTS)]);
                let all = c
                    .post("/connect", Some(&token), json!({"messages_number": 100}))
                    .expect(200);
                texts = chat_texts(&all);
                let expected: HashSet<String> =
                    (0..CLIENTS).map(|j| format!("hello from {j}")).collect();
                assert_eq!(texts.iter().cloned().collect::<HashSet<_>>(), expected);
                let status = c.get("/status", Some(&token)).expect(200);
                assert_eq!(
                    status["chats"].as_array().unwrap().len(),
                    3,
                    "public + two private chats"
                );
                [public, private]
            })
        })
        .collect();
    let mut ids = HashSet::new();
    for t in threads {
        for id in t.join().expect("client thread") {
            assert!(ids.insert(id), "message id {id} handed out twice");
        }
    }
    assert_eq!(ids.len(), 2 * CLIENTS);
}

fn max_connections(rt: Runtime) {
    let server = Server::start(rt, &["--max-connections", "2"]);
    let mut first = server.client();
    let token = first.token("early");
    let mut second = server.client();
    second.get("/status", Some(&token)).expect(200);

    let mut third = server.client();
    let refused = third.read_reply().expect("a 503 without asking");
    refused.expect_error(503, "overloaded");
    assert!(refused.header("retry-after").is_some());
    assert_eq!(refused.header("content-type"), Some("application/json"));
    assert!(refused.header("date").is_some());
    assert!(third.closed_within(Duration::from_secs(3)));

    // The admitted clients are unaffected.
    first.get("/status", Some(&token)).expect(200);
    second.get("/status", Some(&token)).expect(200);

    // A freed place is given to the next client.
    drop(first);
    let started = Instant::now();
    loop {
        let mut next = server.client();
        next.send_raw(&request_bytes("GET", "/status", Some(&token), None));
        let reply = next.read_reply().unwrap();
        if reply.status == 200 {
            break;
        }
        assert_eq!(reply.status, 503);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "place never freed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn idle_and_header_timeouts(rt: Runtime) {
    let server = Server::start(rt, &["--idle-timeout", "1s", "--header-timeout", "1s"]);
    let mut c = server.client();
    let token = c.token("sleepy");
    assert!(
        !c.closed_within(Duration::from_millis(300)),
        "open while within the idle timeout"
    );
    c.get("/status", Some(&token)).expect(200);
    let started = Instant::now();
    assert!(
        c.closed_within(Duration::from_secs(5)),
        "closed after the idle timeout"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "not closed long before 1 s"
    );

    // A request that never completes: 408, then close.
    let mut slow = server.client();
    slow.send_raw(b"POST /get-token HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n{\"user");
    slow.read_reply()
        .expect("a 408")
        .expect_error(408, "request_timeout");
    assert!(slow.closed_within(Duration::from_secs(3)));
}

/// The adapters keep a connection's timer armed while its deadline only moves
/// later; a request that starts on an idle connection moves it earlier, from
/// the idle timeout to the header timeout, and that must take effect.
fn header_timeout_shorter_than_idle_timeout(rt: Runtime) {
    let server = Server::start(rt, &["--idle-timeout", "60s", "--header-timeout", "1s"]);
    let mut c = server.client();
    let token = c.token("dawdler");
    c.get("/status", Some(&token)).expect(200);
    assert!(
        !c.closed_within(Duration::from_millis(300)),
        "open while idle"
    );
    let started = Instant::now();
    c.send_raw(b"GET /status HTTP/1.1\r\nHost: x\r\n");
    c.read_reply()
        .expect("a 408")
        .expect_error(408, "request_timeout");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(500) && waited < Duration::from_secs(10),
        "408 after the 1 s header timeout, not the 60 s idle one: {waited:?}"
    );
}

//! Requests pipelined on one connection are handled together: a pipelining
//! client's sends share group commits (the writer's batches), and every
//! answer still comes back in request order, each message stored once.

use crate::harness::{request_bytes, Runtime, Server, IO_TIMEOUT};
use crate::operations::{metrics_addr, sample, scrape};
use crate::steps::tokens;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

per_runtime!(
    pipelined_sends_share_group_commits_and_answer_in_order,
    a_stream_or_a_bad_request_in_a_pipeline_keeps_the_order,
);

fn pipelined_sends_share_group_commits_and_answer_in_order(rt: Runtime) {
    const SENDS: usize = 400;
    let server = Server::start(rt, &["--metrics-addr", "127.0.0.1:0"]);
    let metrics = metrics_addr(&server);
    let mut c = server.client();
    let [token, friend] = tokens(&mut c, ["piper", "friend"]);
    let batches_before = sample(&scrape(metrics), "agora_store_batch_size_count");

    let mut bytes = Vec::new();
    for i in 0..SENDS {
        let body = json!({ "message": format!("p{i}"), "send_to": "friend" });
        bytes.extend(request_bytes("POST", "/send", Some(&token), Some(&body)));
    }
    // Written from another thread, so that neither side can wait on the
    // other's full socket buffer.
    let mut writer = c.stream.try_clone().unwrap();
    let writing = std::thread::spawn(move || writer.write_all(&bytes).unwrap());
    let mut last = 0;
    for i in 0..SENDS {
        let reply = c.read_reply().expect("an answer to every send");
        let body = reply.expect(201);
        let id = body["message_id"].as_u64().unwrap();
        assert!(
            id > last,
            "answer {i}: ids in request order ({id} after {last})"
        );
        last = id;
    }
    writing.join().unwrap();

    // Each message was stored once, in order: all of them are the friend's
    // unread messages.
    let page = c
        .post("/connect", Some(&friend), json!({ "chat_with": "piper" }))
        .expect(200);
    let texts: Vec<&str> = page["unread_messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message_text"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..SENDS).map(|i| format!("p{i}")).collect();
    assert_eq!(texts, expected);
    assert_eq!(page["unread_truncated"], false);

    // One commit per send before; now sends waiting on one connection join
    // the same batch.
    let batches = sample(&scrape(metrics), "agora_store_batch_size_count") - batches_before;
    assert!(
        batches <= (SENDS / 4) as f64,
        "{batches} batches for {SENDS} pipelined sends"
    );
}

/// Reads from `stream` until `text` holds every one of `wanted`, in order.
fn read_until(stream: &mut TcpStream, text: &mut String, wanted: &[&str]) {
    let deadline = Instant::now() + IO_TIMEOUT;
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    loop {
        let mut at = 0;
        let found = wanted.iter().all(|w| match text[at..].find(w) {
            Some(i) => {
                at += i + w.len();
                true
            }
            None => false,
        });
        if found {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not all of {wanted:?} in:\n{text}"
        );
        let mut buf = [0u8; 8192];
        match stream.read(&mut buf) {
            Ok(0) => panic!("closed; got:\n{text}"),
            Ok(n) => text.push_str(&String::from_utf8_lossy(&buf[..n])),
            Err(_) => {}
        }
    }
}

fn a_stream_or_a_bad_request_in_a_pipeline_keeps_the_order(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let alice = c.token("alice");
    let start = c.get("/events", Some(&alice)).expect(200)["next"]
        .as_i64()
        .unwrap();

    // A send, then a stream from before it: the stream starts after the
    // send is answered, and holds the send's event.
    let mut pipe = request_bytes(
        "POST",
        "/send",
        Some(&alice),
        Some(&json!({ "message": "first" })),
    );
    pipe.extend(
        format!(
            "GET /events?since={start} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {alice}\r\n\
             Accept: text/event-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.write_all(&pipe).unwrap();
    let mut text = String::new();
    read_until(
        &mut stream,
        &mut text,
        &[
            "HTTP/1.1 201",
            "HTTP/1.1 200",
            "text/event-stream",
            "\"first\"",
        ],
    );
    drop(stream);

    // Two sends, then a malformed request: both sends are answered (and
    // stored), then the 400, then the connection closes.
    let mut pipe = Vec::new();
    for text in ["second", "third"] {
        let body = json!({ "message": text });
        pipe.extend(request_bytes("POST", "/send", Some(&alice), Some(&body)));
    }
    pipe.extend(b"NOT HTTP\r\n\r\n");
    let mut raw = server.client();
    raw.send_raw(&pipe);
    raw.read_reply().unwrap().expect(201);
    raw.read_reply().unwrap().expect(201);
    raw.read_reply().unwrap().expect_error(400, "bad_request");
    assert!(raw.closed_within(Duration::from_secs(3)));
    let page = c
        .get(&format!("/events?since={start}&timeout=0"), Some(&alice))
        .expect(200);
    let texts: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"]["message_text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["first", "second", "third"]);
}

//! Requests pipelined on one connection are handled together: a pipelining
//! client's sends share group commits (the writer's batches), and every
//! answer still comes back in request order, each message stored once.

use crate::harness::{request_bytes, Runtime, Server};
use crate::operations::{metrics_addr, sample, scrape};
use serde_json::json;
use std::io::Write;

per_runtime!(pipelined_sends_share_group_commits_and_answer_in_order);

fn pipelined_sends_share_group_commits_and_answer_in_order(rt: Runtime) {
    const SENDS: usize = 400;
    let server = Server::start(rt, &["--metrics-addr", "127.0.0.1:0"]);
    let metrics = metrics_addr(&server);
    let mut c = server.client();
    let token = c.token("piper");
    let friend = c.token("friend");
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

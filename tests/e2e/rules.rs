//! The chat rules over the wire, with short windows so that they end in the test.

use crate::harness::{Reply, Runtime, Server};
use crate::steps::{comment, report, send_public, send_public_all, send_to};
use serde_json::json;
use std::time::Duration;

per_runtime!(quota_window, ban_and_expiry);

/// The warning's `retry_after`, checked against its header and `max`.
fn retry_after(reply: &Reply, max: u64) -> u64 {
    let body = reply.json();
    let seconds = body["retry_after"]
        .as_u64()
        .expect("retry_after in seconds");
    assert!((1..=max).contains(&seconds), "retry_after {seconds}");
    assert_eq!(
        reply.header("retry-after"),
        Some(seconds.to_string().as_str())
    );
    assert!(body["warning"].is_string(), "{body}");
    seconds
}

fn quota_window(rt: Runtime) {
    let server = Server::start(rt, &["--quota", "3", "--quota-window", "2s"]);
    let mut c = server.client();
    let token = c.token("chatty");
    c.token("friend");
    send_public_all(&mut c, &token, (0..3).map(|i| format!("q{i}")));
    let refused = c.post("/send", Some(&token), json!({"message": "one more"}));
    refused.expect_error(429, "quota_exceeded");
    let wait = retry_after(&refused, 2);
    // Private messages do not count.
    send_to(&mut c, &token, "friend", "dm");
    let status = c.get("/status", Some(&token)).expect(200);
    assert_eq!(status["public_messages_left"], 0);

    // Waiting what the server said is always enough.
    std::thread::sleep(Duration::from_secs(wait));
    send_public(&mut c, &token, "again");
    assert_eq!(
        c.get("/status", Some(&token)).expect(200)["public_messages_left"],
        2
    );
}

fn ban_and_expiry(rt: Runtime) {
    let server = Server::start(rt, &["--ban-threshold", "2", "--ban-duration", "2s"]);
    let mut c = server.client();
    let [a, b, t] = ["a", "b", "t"].map(|n| c.token(n));
    let post = send_public(&mut c, &a, "hello");
    report(&mut c, &a, "t", "public").expect(201);
    let banned = report(&mut c, &b, "t", "public").expect(201);
    assert!(banned["banned_until"].is_string(), "{banned}");

    let refused = c.post("/send", Some(&t), json!({"message": "hi"}));
    refused.expect_error(403, "banned");
    let wait = retry_after(&refused, 2);
    comment(&mut c, &t, post, "hi").expect_error(403, "banned");
    c.post("/send", Some(&t), json!({"message": "dm", "send_to": "a"}))
        .expect_error(403, "banned");

    std::thread::sleep(Duration::from_secs(wait));
    send_public(&mut c, &t, "I'm back");
    comment(&mut c, &t, post, "hi").expect(201);
    let status = c.get("/status", Some(&t)).expect(200);
    assert_eq!(status["banned_until"], serde_json::Value::Null);
    // After a ban, earlier reporters may report again.
    report(&mut c, &a, "t", "public").expect(201);
}

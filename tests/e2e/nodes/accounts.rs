//! Revocation across nodes (issue 28): a token revoked on one node is
//! refused by every other node at once (no node serves it from a cache),
//! and its event stream on another node ends.

use super::Nodes;
use crate::sse::SseStream;
use serde_json::json;
use std::time::Duration;

#[test]
fn a_revoked_token_is_refused_by_every_node_at_once() {
    let Some(nodes) = Nodes::start(&[]) else {
        return;
    };
    let password = "correct horse battery";
    let mut c0 = nodes.client(0);
    let first = c0.token("alice");
    c0.post("/password", Some(&first), json!({ "password": password }))
        .expect(200);
    // Signed in on node 1; its token used on every node (each may keep
    // what it read).
    let mut c1 = nodes.client(1);
    let login = json!({ "user_name": "alice", "password": password, "device": "phone" });
    let phone = c1.post("/login", None, login).expect(200);
    let (phone, phone_id) = (
        phone["token"].as_str().unwrap().to_owned(),
        phone["device_id"].clone(),
    );
    let mut c2 = nodes.client(2);
    for c in [&mut c0, &mut c1, &mut c2] {
        c.get("/status", Some(&phone)).expect(200);
        c.post(
            "/send",
            Some(&phone),
            json!({ "message": "from the phone" }),
        )
        .expect(201);
    }
    let mut stream = SseStream::open(nodes.addr(2), &phone, None, None);
    assert_eq!(stream.status, 200);
    std::thread::sleep(Duration::from_millis(300));

    // Revoked on node 0; refused on every node as soon as that is answered.
    c0.post("/logout", Some(&first), json!({ "device_id": phone_id }))
        .expect(200);
    for c in [&mut c1, &mut c2, &mut c0] {
        c.get("/status", Some(&phone))
            .expect_error(401, "unauthorized");
        c.post("/send", Some(&phone), json!({ "message": "still here?" }))
            .expect_error(401, "unauthorized");
    }
    // Its stream on node 2 ends.
    assert!(
        stream.ends_within(Duration::from_secs(10)),
        "the stream of a revoked token ends"
    );
    // The first device is untouched.
    c1.get("/status", Some(&first)).expect(200);
}

//! Every row of API.md's endpoints, one scenario per endpoint. (Transport and
//! authentication rows: `transport.rs`.)

use crate::harness::{Runtime, Server};
use crate::steps::{
    chat_texts, comment, ids, report, send_public, send_public_all, send_to, server_with_users,
    status_chat, texts,
};
use serde_json::{json, Value};
use std::time::Duration;

per_runtime!(
    api_get_token,
    api_connect,
    api_status,
    api_send,
    api_comment,
    api_report,
);

fn is_rfc3339_utc(v: &Value) -> bool {
    let s = v.as_str().unwrap_or("");
    s.len() == 24 && s.ends_with('Z') && s.as_bytes()[10] == b'T'
}

fn api_get_token(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();

    let body = c
        .post("/get-token", None, json!({"user_name": "alice"}))
        .expect(200);
    let token = body["token"].as_str().unwrap();
    assert_eq!(token.len(), 32);
    assert!(token
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    assert_eq!(body["user_name"], "alice");

    // Unique without regard to case.
    c.post("/get-token", None, json!({"user_name": "alice"}))
        .expect_error(409, "token_already_issued");
    c.post("/get-token", None, json!({"user_name": "ALICE"}))
        .expect_error(409, "token_already_issued");

    for bad in ["", "a b", "bad/name", "a*b", "public_chat", &"x".repeat(33)] {
        c.post("/get-token", None, json!({ "user_name": bad }))
            .expect_error(400, "invalid_user_name");
    }
    assert_eq!(c.post("/get-token", None, json!({})).status, 400);
    let wrong_type = c
        .post("/get-token", None, json!({"user_name": 5}))
        .expect(400);
    assert_eq!(wrong_type["field"], "user_name");

    let longest = "y".repeat(32);
    c.post("/get-token", None, json!({ "user_name": longest }))
        .expect(200);
    let other = c
        .post(
            "/get-token",
            None,
            json!({"user_name": "a.b-c_9", "unknown": [1, 2]}),
        )
        .expect(200);
    assert_ne!(other["token"], body["token"]);
}

fn api_connect(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let alice = c.token("alice");
    send_public_all(&mut c, &alice, (1..=3).map(|i| format!("m{i}")));
    let bob = c.token("bob");

    // A new user's read position is at the latest message: history, nothing unread.
    let first = c.post("/connect", Some(&bob), json!({})).expect(200);
    assert_eq!(first["chat"], "public_chat");
    assert_eq!(texts(&first["messages"]), ["m1", "m2", "m3"]);
    assert_eq!(texts(&first["unread_messages"]), Vec::<String>::new());
    assert_eq!(first["unread_truncated"], false);
    let message = &first["messages"][0];
    assert!(message["id"].as_u64().unwrap() > 0);
    assert_eq!(message["author"], "alice");
    assert!(is_rfc3339_utc(&message["pub_date"]), "{message}");
    assert_eq!(message["comments"], json!([]));
    let ids = ids(&first["messages"]);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase: {ids:?}");

    // An empty body counts as {}.
    let mut raw = c.request("POST", "/connect", Some(&bob), None);
    assert_eq!(raw.expect(200)["chat"], "public_chat");
    raw = c.post(
        "/connect",
        Some(&bob),
        json!({"chat_with": "public_chat", "messages_number": 2}),
    );
    assert_eq!(texts(&raw.expect(200)["messages"]), ["m2", "m3"]);
    for bad in [0, 101] {
        assert_eq!(
            c.post("/connect", Some(&bob), json!({ "messages_number": bad }))
                .status,
            400
        );
    }
    c.post("/connect", Some(&bob), json!({"messages_number": 100}))
        .expect(200);
    let wrong_type = c
        .post("/connect", Some(&bob), json!({"messages_number": "five"}))
        .expect(400);
    assert_eq!(wrong_type["field"], "messages_number");

    // Unread: everything after the read position, which then moves.
    send_public(&mut c, &alice, "m4");
    send_public(&mut c, &alice, "m5");
    let second = c.post("/connect", Some(&bob), json!({})).expect(200);
    assert_eq!(texts(&second["messages"]), ["m1", "m2", "m3"]);
    assert_eq!(texts(&second["unread_messages"]), ["m4", "m5"]);
    let third = c.post("/connect", Some(&bob), json!({})).expect(200);
    assert_eq!(texts(&third["messages"]), ["m1", "m2", "m3", "m4", "m5"]);
    assert_eq!(texts(&third["unread_messages"]), Vec::<String>::new());

    // Private chats.
    let private = c
        .post("/connect", Some(&bob), json!({"chat_with": "alice"}))
        .expect(200);
    assert_eq!(private["chat"], "alice");
    assert_eq!(private["messages"], json!([]));
    assert_eq!(private["unread_messages"], json!([]));
    c.post("/connect", Some(&bob), json!({"chat_with": "nobody"}))
        .expect_error(404, "user_not_found");
    let own = c
        .post("/connect", Some(&bob), json!({"chat_with": "bob"}))
        .expect(400);
    assert!(own["error"].is_string());
    assert_eq!(c.post("/connect", None, json!({})).status, 401);
}

fn api_status(rt: Runtime) {
    let (_server, mut c, [alice, bob, carol]) = server_with_users(rt, ["alice", "bob", "carol"]);

    let fresh = c.get("/status", Some(&alice)).expect(200);
    assert_eq!(fresh["connected_as"], "alice");
    assert_eq!(fresh["cautions"], 0);
    assert_eq!(fresh["banned_until"], Value::Null);
    assert_eq!(fresh["public_messages_left"], 20);
    assert_eq!(fresh["quota_resets_at"], Value::Null);
    let public = &fresh["chats"][0];
    assert_eq!(public["chat_type"], "public");
    assert_eq!(public["name"], "public_chat");
    assert!(is_rfc3339_utc(&public["created"]), "{public}");
    assert_eq!(public["users_number"], 3);
    assert_eq!(public["messages_number"], 0);
    assert_eq!(public["unread"], 0);

    send_public(&mut c, &alice, "one");
    send_to(&mut c, &alice, "public_chat", "two");
    let after = c.get("/status", Some(&alice)).expect(200);
    assert_eq!(after["public_messages_left"], 18);
    assert!(is_rfc3339_utc(&after["quota_resets_at"]), "{after}");

    send_to(&mut c, &alice, "bob", "psst");
    std::thread::sleep(Duration::from_millis(5));
    send_to(&mut c, &carol, "bob", "hey");
    let bobs = c.get("/status", Some(&bob)).expect(200);
    let chats = bobs["chats"].as_array().unwrap();
    assert_eq!(chats.len(), 3, "{bobs}");
    assert_eq!(chats[0]["name"], "public_chat");
    assert_eq!(chats[0]["messages_number"], 2);
    assert_eq!(chats[0]["unread"], 2);
    // Private chats by latest activity: carol wrote last.
    assert_eq!(chats[1]["name"], "carol");
    assert_eq!(chats[2]["name"], "alice");
    for private in &chats[1..] {
        assert_eq!(private["chat_type"], "private");
        assert_eq!(private["users_number"], 2);
        assert_eq!(private["messages_number"], 1);
        assert_eq!(private["unread"], 1);
    }
    c.post("/connect", Some(&bob), json!({"chat_with": "alice"}))
        .expect(200);
    let alice_chat = status_chat(&mut c, &bob, "alice").unwrap();
    assert_eq!(alice_chat["unread"], 0);
    assert_eq!(c.get("/status", None).status, 401);
}

fn api_send(rt: Runtime) {
    let (_server, mut c, [alice, bob]) = server_with_users(rt, ["alice", "bob"]);

    let sent = c
        .post("/send", Some(&alice), json!({"message": "hi"}))
        .expect(201);
    assert_eq!(sent["info"], "message sent");
    assert!(is_rfc3339_utc(&sent["pub_date"]), "{sent}");
    let first_id = sent["message_id"].as_i64().unwrap();
    let next = send_to(&mut c, &alice, "public_chat", "hi");
    assert!(next > first_id);

    let private = send_to(&mut c, &alice, "bob", "secret");
    let chat = c
        .post("/connect", Some(&bob), json!({"chat_with": "alice"}))
        .expect(200);
    assert_eq!(chat_texts(&chat), ["secret"]);
    assert!(private > next);

    c.post(
        "/send",
        Some(&alice),
        json!({"message": "x", "send_to": "nobody"}),
    )
    .expect_error(404, "user_not_found");
    assert_eq!(
        c.post(
            "/send",
            Some(&alice),
            json!({"message": "x", "send_to": "alice"})
        )
        .status,
        400
    );
    for bad in [json!(""), json!("   \n\t"), json!("z".repeat(4097))] {
        c.post("/send", Some(&alice), json!({ "message": bad }))
            .expect_error(400, "invalid_text");
    }
    // Characters, not bytes: 4096 two-byte characters fit.
    send_public(&mut c, &alice, &"é".repeat(4096));
    let wrong = c
        .post("/send", Some(&alice), json!({"message": 5}))
        .expect(400);
    assert_eq!(wrong["field"], "message");
    assert_eq!(c.post("/send", Some(&alice), json!({})).status, 400);
    assert_eq!(c.post("/send", None, json!({"message": "x"})).status, 401);
}

fn api_comment(rt: Runtime) {
    let (_server, mut c, [alice, bob, carol]) = server_with_users(rt, ["alice", "bob", "carol"]);

    let public = send_public(&mut c, &alice, "post");
    let added = comment(&mut c, &bob, public, "+1").expect(201);
    assert_eq!(added["info"], "comment added");
    assert!(added["comment_id"].as_u64().unwrap() > 0);
    // carol joined before the post: it is unread for her.
    let chat = c.post("/connect", Some(&carol), json!({})).expect(200);
    let comments = &chat["unread_messages"][0]["comments"];
    assert_eq!(comments[0]["id"], added["comment_id"]);
    assert_eq!(comments[0]["author"], "bob");
    assert_eq!(comments[0]["comment_text"], "+1");
    assert!(is_rfc3339_utc(&comments[0]["created"]), "{comments}");

    comment(&mut c, &bob, 999_999, "?").expect_error(404, "message_not_found");
    let private = send_to(&mut c, &alice, "bob", "dm");
    comment(&mut c, &carol, private, "peek").expect_error(404, "message_not_found");
    comment(&mut c, &bob, private, "ok").expect(201);
    comment(&mut c, &bob, public, " ").expect_error(400, "invalid_text");
    let wrong = comment(&mut c, &bob, "x", "y").expect(400);
    assert_eq!(wrong["field"], "message_id");
    assert_eq!(
        c.post(
            "/comment",
            None,
            json!({"message_id": public, "comment": "y"})
        )
        .status,
        401
    );
}

fn api_report(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let [a, b, d, e, t] = ["a", "b", "d", "e", "t"].map(|n| c.token(n));
    let post = send_public(&mut c, &t, "spam");

    let first = report(&mut c, &a, "t", "public").expect(201);
    assert_eq!(first["info"], "report accepted");
    assert_eq!(first["cautions"], 1);
    assert_eq!(first["banned_until"], Value::Null);
    report(&mut c, &a, "t", "public").expect_error(409, "already_reported");
    assert_eq!(report(&mut c, &a, "a", "public").status, 400);
    assert_eq!(report(&mut c, &b, "t", "bogus").status, 400);
    report(&mut c, &b, "ghost", "public").expect_error(404, "user_not_found");
    report(&mut c, &b, "t", "private").expect_error(403, "no_shared_chat");
    send_to(&mut c, &t, "b", "buy now");
    let second = report(&mut c, &b, "t", "private").expect(201);
    assert_eq!(second["cautions"], 2);
    assert_eq!(c.get("/status", Some(&t)).expect(200)["cautions"], 2);

    // The third distinct reporter bans t for the configured 4 h.
    let third = report(&mut c, &d, "t", "public").expect(201);
    assert!(is_rfc3339_utc(&third["banned_until"]), "{third}");
    let again = report(&mut c, &e, "t", "public").expect(200);
    assert_eq!(again["info"], "user is already banned");
    assert_eq!(again["banned_until"], third["banned_until"]);

    let refused = c.post("/send", Some(&t), json!({"message": "let me"}));
    let body = refused.expect_error(403, "banned");
    assert!(body["warning"].is_string());
    let retry = body["retry_after"].as_u64().unwrap();
    assert!(retry > 3 * 3600 && retry <= 4 * 3600, "retry_after {retry}");
    assert_eq!(
        refused.header("retry-after"),
        Some(retry.to_string().as_str())
    );
    comment(&mut c, &t, post, "me too").expect_error(403, "banned");
    assert!(is_rfc3339_utc(
        &c.get("/status", Some(&t)).expect(200)["banned_until"]
    ));
}

//! Every status and `code` row of API.md, through decode -> rules over the
//! model -> encode, plus the rules behind each endpoint.

use crate::rules_support;

use agora_core::config::Config;
use agora_core::token::Token;
use agora_core::view::{View, PUBLIC_CHAT};
use rules_support::{assert_error, body, ids, seed_config, Server, T0};
use serde_json::Value;

// ---- /get-token ----

#[test]
fn get_token_issues_a_token_and_stores_only_its_hash() {
    let mut s = Server::new();
    let r = s.call("POST", "/get-token", None, r#"{"user_name":"Alice"}"#);
    assert_eq!(r.status, 200);
    let b = body(&r);
    assert_eq!(b["user_name"], "Alice");
    let hex = b["token"].as_str().unwrap();
    assert_eq!(hex.len(), 32);
    let token = Token::from_hex(hex.as_bytes()).unwrap();
    let user = s.model.user_by_token(&token.hash()).unwrap().unwrap();
    assert_eq!(user.name, "Alice");
    assert_eq!(
        s.model.read_position(PUBLIC_CHAT, user.id).unwrap(),
        Some(0)
    );
}

#[test]
fn get_token_refuses_a_taken_name_without_regard_to_case() {
    let mut s = Server::new();
    s.register("Alice");
    for name in ["Alice", "alice", "ALICE"] {
        let r = s.call(
            "POST",
            "/get-token",
            None,
            &format!(r#"{{"user_name":"{name}"}}"#),
        );
        assert_error(&r, 409, "token_already_issued", None);
    }
    s.register("Alice2");
}

#[test]
fn get_token_bad_names_are_400() {
    let mut s = Server::new();
    assert_error(
        &s.call("POST", "/get-token", None, "{}"),
        400,
        "missing_field",
        Some("user_name"),
    );
    let r = s.call("POST", "/get-token", None, r#"{"user_name":"public_chat"}"#);
    assert_error(&r, 400, "invalid_user_name", Some("user_name"));
}

#[test]
fn a_new_user_starts_caught_up_in_the_public_chat() {
    let mut s = Server::new();
    let a = s.register("a");
    for i in 0..3 {
        s.send(&a, None, &format!("m{i}"));
    }
    let b = s.register("b");
    let r = body(&s.connect(&b, None, Some(2)));
    assert_eq!(ids(&r["messages"]), [2, 3]);
    assert_eq!(ids(&r["unread_messages"]), Vec::<i64>::new());
    let st = body(&s.status(&b));
    assert_eq!(st["chats"][0]["unread"], 0);
    assert_eq!(st["chats"][0]["users_number"], 2);
    assert_eq!(st["chats"][0]["messages_number"], 3);
}

// ---- authentication ----

#[test]
fn unknown_token_is_401_everywhere() {
    let mut s = Server::new();
    let stranger = "00000000000000000000000000000000";
    let calls = [
        ("GET", "/status", ""),
        ("POST", "/connect", "{}"),
        ("POST", "/send", r#"{"message":"x"}"#),
        ("POST", "/comment", r#"{"message_id":1,"comment":"x"}"#),
        ("POST", "/report", r#"{"report_on":"x"}"#),
    ];
    for (method, path, json) in calls {
        let r = s.call(method, path, Some(stranger), json);
        assert_error(&r, 401, "unauthorized", None);
        assert_eq!(r.header("WWW-Authenticate"), Some("Bearer"));
    }
}

// ---- /connect ----

#[test]
fn connect_returns_history_then_unread_and_moves_the_position() {
    let mut s = Server::seeded(|c| c.quota = 100);
    let [a, b] = s.register_all(["a", "b"]);
    for i in 0..5 {
        s.send(&a, None, &format!("m{i}"));
    }
    let r = s.connect(&b, None, Some(3));
    assert_eq!(r.status, 200);
    let first = body(&r);
    assert_eq!(first["chat"], "public_chat");
    assert_eq!(ids(&first["messages"]), Vec::<i64>::new());
    assert_eq!(ids(&first["unread_messages"]), [1, 2, 3, 4, 5]);
    assert_eq!(first["unread_truncated"], false);
    assert_eq!(first["unread_messages"][0]["author"], "a");
    assert_eq!(first["unread_messages"][0]["message_text"], "m0");
    let again = body(&s.connect(&b, None, Some(3)));
    assert_eq!(ids(&again["messages"]), [3, 4, 5]);
    assert_eq!(ids(&again["unread_messages"]), Vec::<i64>::new());
    // Default history is 20.
    for i in 0..25 {
        s.send(&a, None, &format!("n{i}"));
    }
    s.connect(&b, None, None);
    let history = body(&s.connect(&b, None, None));
    assert_eq!(ids(&history["messages"]), (11..=30).collect::<Vec<_>>());
}

#[test]
fn connect_truncates_unread_at_the_limit() {
    let config = Config {
        unread_max: 3,
        ..seed_config()
    };
    let mut s = Server::with_config(config);
    let [a, b] = s.register_all(["a", "b"]);
    for i in 0..7 {
        s.send(&a, None, &format!("m{i}"));
    }
    let r1 = body(&s.connect(&b, None, Some(2)));
    assert_eq!(ids(&r1["unread_messages"]), [1, 2, 3]);
    assert_eq!(r1["unread_truncated"], true);
    let r2 = body(&s.connect(&b, None, Some(2)));
    assert_eq!(ids(&r2["messages"]), [2, 3]);
    assert_eq!(ids(&r2["unread_messages"]), [4, 5, 6]);
    assert_eq!(r2["unread_truncated"], true);
    let r3 = body(&s.connect(&b, None, Some(2)));
    assert_eq!(ids(&r3["unread_messages"]), [7]);
    assert_eq!(r3["unread_truncated"], false);
}

#[test]
fn connect_private_chats() {
    let mut s = Server::new();
    let [a, b] = s.register_all(["Alice", "bob"]);
    // No chat yet: empty lists, the registered name, nothing created.
    let r = body(&s.connect(&b, Some("ALICE"), None));
    assert_eq!(r["chat"], "Alice");
    assert_eq!(ids(&r["messages"]), Vec::<i64>::new());
    assert_eq!(body(&s.status(&b))["chats"].as_array().unwrap().len(), 1);
    s.send(&a, Some("bob"), "psst");
    let r = body(&s.connect(&b, Some("alice"), None));
    assert_eq!(ids(&r["unread_messages"]), [1]);
    // The public chat does not show it.
    let r = body(&s.connect(&b, None, None));
    assert_eq!(ids(&r["unread_messages"]), Vec::<i64>::new());
    assert_eq!(ids(&r["messages"]), Vec::<i64>::new());
}

#[test]
fn connect_refusals() {
    let mut s = Server::new();
    let a = s.register("alice");
    assert_error(
        &s.connect(&a, Some("nobody"), None),
        404,
        "user_not_found",
        None,
    );
    assert_error(
        &s.connect(&a, Some("ALICE"), None),
        400,
        "self_target",
        Some("chat_with"),
    );
    let r = s.call("POST", "/connect", Some(&a), r#"{"messages_number":101}"#);
    assert_error(&r, 400, "invalid_messages_number", Some("messages_number"));
}

// ---- /status ----

/// The names of the chats a `/status` body lists, in its order.
fn chat_names(status: &Value) -> Vec<Value> {
    status["chats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].clone())
        .collect()
}

#[test]
fn status_lists_public_first_then_private_by_latest_activity() {
    let mut s = Server::new();
    let [a, b, c] = s.register_all(["a", "b", "c"]);
    s.send(&b, Some("a"), "1"); // chat a-b, message 1
    s.send(&c, Some("a"), "2"); // chat a-c, message 2
    s.advance(5);
    s.send(&a, None, "3");
    let st = body(&s.status(&a));
    assert_eq!(st["connected_as"], "a");
    let names = chat_names(&st);
    assert_eq!(names, ["public_chat", "c", "b"]);
    assert_eq!(st["chats"][1]["chat_type"], "private");
    assert_eq!(st["chats"][1]["unread"], 1);
    assert_eq!(st["chats"][1]["users_number"], 2);
    assert_eq!(st["chats"][1]["messages_number"], 1);
    assert_eq!(st["chats"][0]["unread"], 0); // a was caught up when it sent
    assert_eq!(st["chats"][0]["created"], "2026-11-29T08:00:00.000Z");
    s.send(&b, Some("a"), "4");
    let st = body(&s.status(&a));
    let names = chat_names(&st);
    assert_eq!(names, ["public_chat", "b", "c"]);
    assert_eq!(st["chats"][1]["unread"], 2);
    assert_eq!(st["public_messages_left"], 19);
    assert_eq!(st["quota_resets_at"], "2026-11-29T09:00:00.005Z");
    assert_eq!(st["cautions"], 0);
    assert_eq!(st["banned_until"], serde_json::Value::Null);
    let fresh = body(&s.status(&c));
    assert_eq!(fresh["public_messages_left"], 20);
    assert_eq!(fresh["quota_resets_at"], serde_json::Value::Null);
}

// ---- /send ----

#[test]
fn send_is_201_with_increasing_ids() {
    let mut s = Server::new();
    let [a, b] = s.register_all(["a", "b"]);
    let mut last = 0;
    for (who, to) in [(&a, None), (&b, Some("a")), (&a, Some("b")), (&b, None)] {
        let r = s.send(who, to, "hello");
        assert_eq!(r.status, 201);
        let m = body(&r);
        assert_eq!(m["info"], "message sent");
        assert_eq!(m["pub_date"], "2026-11-29T08:00:00.000Z");
        let id = m["message_id"].as_i64().unwrap();
        assert!(id > last);
        last = id;
    }
    let r = s.call(
        "POST",
        "/send",
        Some(&a),
        r#"{"message":"x","send_to":"public_chat"}"#,
    );
    assert_eq!(r.status, 201);
}

#[test]
fn send_refusals() {
    let mut s = Server::new();
    let a = s.register("alice");
    assert_error(
        &s.send(&a, Some("nobody"), "x"),
        404,
        "user_not_found",
        None,
    );
    assert_error(
        &s.send(&a, Some("Alice"), "x"),
        400,
        "self_target",
        Some("send_to"),
    );
    assert_error(
        &s.send(&a, None, "   "),
        400,
        "invalid_text",
        Some("message"),
    );
}

#[test]
fn quota_refuses_with_429_and_retry_after() {
    let config = Config {
        quota: 2,
        quota_window_ms: 10_000,
        ..seed_config()
    };
    let mut s = Server::with_config(config);
    let a = s.register("a");
    s.register("b");
    assert_eq!(s.send(&a, None, "1").status, 201);
    s.advance(2_500);
    assert_eq!(s.send(&a, None, "2").status, 201);
    // Private messages do not count and are not refused.
    assert_eq!(s.send(&a, Some("b"), "p").status, 201);
    s.advance(1);
    let r = s.send(&a, None, "3");
    let b = body(&r);
    assert_eq!(r.status, 429);
    assert_eq!(b["code"], "quota_exceeded");
    assert_eq!(b["retry_after"], 8); // 7 499 ms left, rounded up
    assert_eq!(r.header("Retry-After"), Some("8"));
    let st = body(&s.status(&a));
    assert_eq!(st["public_messages_left"], 0);
    assert_eq!(st["quota_resets_at"], "2026-11-29T08:00:10.000Z");
    s.advance(7_498);
    assert_eq!(s.send(&a, None, "4").status, 429);
    s.advance(1);
    assert_eq!(s.send(&a, None, "5").status, 201);
    assert_eq!(body(&s.status(&a))["public_messages_left"], 1);
}

#[test]
fn ban_blocks_every_send_and_comment_with_403() {
    let mut s = Server::new();
    let target = s.register("t");
    let reporters: Vec<_> = (0..3).map(|i| s.register(&format!("r{i}"))).collect();
    s.send(&reporters[0], Some("t"), "hi");
    for r in &reporters {
        assert_eq!(s.report(r, "t", "public").status, 201);
    }
    for (to, _) in [(None, 0), (Some("r0"), 0), (Some("r1"), 1)] {
        let r = s.send(&target, to, "x");
        let b = body(&r);
        assert_eq!(r.status, 403);
        assert_eq!(b["code"], "banned");
        assert_eq!(b["retry_after"], 4 * 3600);
        assert_eq!(r.header("Retry-After"), Some("14400"));
    }
    // Banned users learn nothing about messages, even existing ones.
    assert_error_like_ban(&s.comment(&target, 1, "x"));
    assert_error_like_ban(&s.comment(&target, 999, "x"));
    s.advance(4 * 3_600_000 - 1_500);
    assert_eq!(body(&s.send(&target, None, "x"))["retry_after"], 2);
    s.advance(1_500);
    assert_eq!(s.send(&target, None, "x").status, 201);
}

fn assert_error_like_ban(r: &agora_core::http::Response) {
    assert_eq!(r.status, 403);
    assert_eq!(body(r)["code"], "banned");
}

#[test]
fn self_target_comes_before_user_not_found_and_ban() {
    let mut s = Server::new();
    let t = s.register("t");
    for i in 0..3 {
        let r = s.register(&format!("r{i}"));
        s.report(&r, "t", "public");
    }
    assert_error(
        &s.send(&t, Some("T"), "x"),
        400,
        "self_target",
        Some("send_to"),
    );
    assert_error(&s.send(&t, Some("ghost"), "x"), 404, "user_not_found", None);
}

#[test]
fn a_private_chat_is_created_by_its_first_message() {
    let mut s = Server::new();
    let [a, b] = s.register_all(["a", "b"]);
    s.send(&a, Some("b"), "first");
    let st = body(&s.status(&b));
    assert_eq!(st["chats"][1]["name"], "a");
    assert_eq!(st["chats"][1]["unread"], 1);
    assert_eq!(st["chats"][1]["created"], "2026-11-29T08:00:00.000Z");
    // The sender was caught up: its own message is not unread.
    assert_eq!(body(&s.status(&a))["chats"][1]["unread"], 0);
    s.send(&b, Some("A"), "second");
    assert_eq!(body(&s.status(&a))["chats"].as_array().unwrap().len(), 2);
}

#[test]
fn a_sender_behind_sees_its_own_message_in_order() {
    let mut s = Server::new();
    let [a, b] = s.register_all(["a", "b"]);
    s.send(&a, None, "1");
    s.send(&b, None, "2"); // b had not read 1: 2 stays unread for b too
    let r = body(&s.connect(&b, None, None));
    assert_eq!(ids(&r["unread_messages"]), [1, 2]);
    s.send(&b, None, "3"); // now caught up
    assert_eq!(
        ids(&body(&s.connect(&b, None, None))["unread_messages"]),
        Vec::<i64>::new()
    );
}

// ---- /comment ----

#[test]
fn comments_are_201_and_show_up_on_connect() {
    let mut s = Server::new();
    let [a, b] = s.register_all(["a", "b"]);
    s.send(&a, None, "post");
    s.advance(1_000);
    let r = s.comment(&b, 1, "+1");
    assert_eq!(r.status, 201);
    assert_eq!(
        body(&r),
        serde_json::json!({"info": "comment added", "comment_id": 1})
    );
    assert_eq!(body(&s.comment(&a, 1, "thanks"))["comment_id"], 2);
    let c = body(&s.connect(&b, None, None));
    let comments = &c["unread_messages"][0]["comments"];
    assert_eq!(
        *comments,
        serde_json::json!([
            {"id": 1, "author": "b", "created": "2026-11-29T08:00:01.000Z", "comment_text": "+1",
             "edited": null, "deleted": false},
            {"id": 2, "author": "a", "created": "2026-11-29T08:00:01.000Z", "comment_text": "thanks",
             "edited": null, "deleted": false}
        ])
    );
    assert_eq!(c["unread_messages"][0]["comments_total"], 2);
}

#[test]
fn the_comment_quota_is_a_window_of_its_own() {
    let mut s = Server::with_config(Config {
        comment_quota: 2,
        quota: 1,
        quota_window_ms: 10_000,
        ..seed_config()
    });
    let a = s.register("a");
    s.send(&a, None, "post");
    // The public quota is used up; comments still have theirs.
    assert_eq!(s.send(&a, None, "more").status, 429);
    assert_eq!(s.comment(&a, 1, "one").status, 201);
    s.advance(4_000);
    assert_eq!(s.comment(&a, 1, "two").status, 201);
    s.advance(1_500);
    let refused = s.comment(&a, 1, "three");
    let b = body(&refused);
    assert_eq!(refused.status, 429);
    assert_eq!(b["code"], "comment_quota_exceeded");
    // The window opened with the first comment, 5.5 s ago: 4.5 s are left,
    // rounded up.
    assert_eq!(b["retry_after"], 5);
    assert_eq!(refused.header("Retry-After"), Some("5"));
    // Refused comments take nothing; after the window, two more.
    s.advance(4_499);
    assert_eq!(s.comment(&a, 1, "early").status, 429);
    s.advance(1);
    assert_eq!(s.comment(&a, 1, "four").status, 201);
    assert_eq!(s.comment(&a, 1, "five").status, 201);
    assert_eq!(s.comment(&a, 1, "six").status, 429);
    // A ban comes first, a missing message before the quota.
    assert_error(&s.comment(&a, 99, "x"), 404, "message_not_found", None);
}

#[test]
fn comment_pages_go_back_from_the_newest() {
    let mut s = Server::seeded(|c| c.comments_per_message = 2);
    let [a, b] = s.register_all(["a", "b"]);
    s.send(&a, None, "post");
    for i in 1..=5 {
        assert_eq!(s.comment(&b, 1, &format!("c{i}")).status, 201);
    }
    let page = |s: &mut Server, query: &str| {
        body(&s.call(
            "GET",
            &format!("/comments?message_id=1{query}"),
            Some(&a),
            "",
        ))
    };
    let ids_of = |v: &serde_json::Value| ids(&v["comments"]);
    let newest = page(&mut s, "");
    assert_eq!(ids_of(&newest), [4, 5]);
    assert_eq!(newest["more"], true);
    assert_eq!(newest["message_id"], 1);
    assert_eq!(ids_of(&page(&mut s, "&before=4&limit=2")), [2, 3]);
    let last = page(&mut s, "&before=2");
    assert_eq!(ids_of(&last), [1]);
    assert_eq!(last["more"], false);
    assert_eq!(ids_of(&page(&mut s, "&limit=100")), [1, 2, 3, 4, 5]);
    // The message carries the newest two and counts all five.
    let c = body(&s.connect(&a, None, None));
    assert_eq!(ids(&c["messages"][0]["comments"]), [4, 5]);
    assert_eq!(c["messages"][0]["comments_total"], 5);
    assert_eq!(c["history_truncated"], false);
}

#[test]
fn comments_on_unseen_or_missing_messages_are_404() {
    let mut s = Server::new();
    let [a, b, c] = s.register_all(["a", "b", "c"]);
    s.send(&a, Some("b"), "private");
    assert_eq!(s.comment(&b, 1, "ok").status, 201);
    assert_error(&s.comment(&c, 1, "peek"), 404, "message_not_found", None);
    assert_error(&s.comment(&c, 2, "nothing"), 404, "message_not_found", None);
    let r = s.call(
        "POST",
        "/comment",
        Some(&c),
        r#"{"message_id":1,"comment":""}"#,
    );
    assert_error(&r, 400, "invalid_text", Some("comment"));
}

// ---- /report ----

#[test]
fn reports_count_distinct_reporters_then_ban() {
    let mut s = Server::new();
    let t = s.register("t");
    let r: Vec<_> = (0..5).map(|i| s.register(&format!("r{i}"))).collect();
    let accepted = |resp: &agora_core::http::Response| {
        assert_eq!(resp.status, 201);
        body(resp)
    };
    let b = accepted(&s.report(&r[0], "t", "public"));
    assert_eq!(
        b,
        serde_json::json!({"info": "report accepted", "cautions": 1, "banned_until": null})
    );
    assert_error(
        &s.report(&r[0], "T", "public"),
        409,
        "already_reported",
        None,
    );
    assert_eq!(body(&s.status(&t))["cautions"], 1);
    assert_eq!(accepted(&s.report(&r[1], "t", "public"))["cautions"], 2);
    s.advance(1_000);
    let b = accepted(&s.report(&r[2], "t", "public"));
    assert_eq!(b["cautions"], 0);
    assert_eq!(b["banned_until"], "2026-11-29T12:00:01.000Z");
    let st = body(&s.status(&t));
    assert_eq!(st["cautions"], 0);
    assert_eq!(st["banned_until"], "2026-11-29T12:00:01.000Z");
    // Banned now: 200, nothing recorded.
    let r200 = s.report(&r[3], "t", "public");
    assert_eq!(r200.status, 200);
    assert_eq!(
        body(&r200),
        serde_json::json!({"info": "user is already banned", "banned_until": "2026-11-29T12:00:01.000Z"})
    );
    // After the ban the count restarts and old reporters may report again.
    s.advance(4 * 3_600_000);
    assert_eq!(body(&s.status(&t))["banned_until"], serde_json::Value::Null);
    assert_eq!(accepted(&s.report(&r[0], "t", "public"))["cautions"], 1);
    assert_eq!(accepted(&s.report(&r[3], "t", "public"))["cautions"], 2);
}

#[test]
fn report_refusals() {
    let mut s = Server::new();
    let [a, b] = s.register_all(["alice", "bob"]);
    s.register("carol");
    assert_error(
        &s.report(&a, "ALICE", "public"),
        400,
        "self_target",
        Some("report_on"),
    );
    assert_error(&s.report(&a, "dave", "public"), 404, "user_not_found", None);
    assert_error(&s.report(&a, "bob", "private"), 403, "no_shared_chat", None);
    s.send(&b, Some("alice"), "hey");
    assert_eq!(s.report(&a, "bob", "private").status, 201);
    assert_error(
        &s.report(&a, "carol", "private"),
        403,
        "no_shared_chat",
        None,
    );
    let r = s.call(
        "POST",
        "/report",
        Some(&a),
        r#"{"report_on":"bob","chat_type":"group"}"#,
    );
    assert_error(&r, 400, "invalid_chat_type", Some("chat_type"));
}

#[test]
fn the_clock_only_comes_from_the_caller() {
    // Same commands at the same instants give the same answers.
    let run = || {
        let mut s = Server::new();
        let a = s.register("a");
        s.advance(1234);
        let sent = body(&s.send(&a, None, "x"));
        (sent, s.now.0 - T0)
    };
    assert_eq!(run(), run());
}

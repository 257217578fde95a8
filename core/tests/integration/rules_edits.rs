//! (issue 26) `/edit`, `/delete`, `/react` and mentions through decode, the
//! rules over the model, and encode; and the bounds that keep a much-edited,
//! much-reacted message within the page and event budgets.

use crate::rules_support::{assert_error, body, Server};
use agora_core::json_size::{self, EVENT_BUDGET};
use agora_core::token::{Token, TokenHash};
use agora_core::view::{NewUser, View, PUBLIC_CHAT};
use serde_json::{json, Value};

fn post(s: &mut Server, path: &str, token: &str, body: Value) -> agora_core::http::Response {
    s.call("POST", path, Some(token), &body.to_string())
}

/// Asserts that `token`'s POST of `body` to `path` is refused with
/// `status` and `code`, naming no field.
#[track_caller]
fn assert_refused(s: &mut Server, path: &str, token: &str, body: Value, status: u16, code: &str) {
    assert_error(&post(s, path, token, body), status, code, None);
}

fn unread(s: &mut Server, token: &str) -> Value {
    body(&s.connect(token, None, Some(100)))["unread_messages"].clone()
}

/// The public chat's messages, read or not.
fn all(s: &mut Server, token: &str) -> Vec<Value> {
    let page = body(&s.connect(token, None, Some(100)));
    let mut list = page["messages"].as_array().unwrap().clone();
    list.extend(page["unread_messages"].as_array().unwrap().iter().cloned());
    list
}

fn moderated() -> Server {
    Server::seeded(|c| c.moderators = vec!["Mod".into()])
}

#[test]
fn only_the_author_edits_and_the_object_says_so() {
    let mut s = Server::new();
    let [a, b, c] = s.register_all(["a", "b", "c"]);
    s.send(&a, None, "typo");
    s.advance(5_000);
    let r = post(
        &mut s,
        "/edit",
        &a,
        json!({"message_id": 1, "message": "fixed"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        body(&r),
        json!({"info": "edited", "edited": "2026-11-29T08:00:05.000Z"})
    );
    let edit = json!({"message_id": 1, "message": "mine now"});
    assert_refused(&mut s, "/edit", &b, edit, 403, "not_author");
    let m = &all(&mut s, &c)[0];
    assert_eq!(m["message_text"], "fixed");
    assert_eq!(m["edited"], "2026-11-29T08:00:05.000Z");
    assert_eq!(m["deleted"], false);
    // A private message is not there for a third user: 404, as for /comment.
    s.send(&a, Some("b"), "private");
    let edit = json!({"message_id": 2, "message": "x"});
    assert_refused(&mut s, "/edit", &c, edit, 404, "message_not_found");
    let edit = json!({"message_id": 99, "message": "x"});
    assert_refused(&mut s, "/edit", &a, edit, 404, "message_not_found");
    let edit = json!({"message_id": 1, "message": "  "});
    assert_error(
        &post(&mut s, "/edit", &a, edit),
        400,
        "invalid_text",
        Some("message"),
    );
}

#[test]
fn comments_are_edited_and_deleted_alike() {
    let mut s = Server::new();
    let [a, b] = s.register_all(["a", "b"]);
    s.send(&a, None, "post");
    s.comment(&b, 1, "frist");
    let r = post(
        &mut s,
        "/edit",
        &b,
        json!({"comment_id": 1, "comment": "first"}),
    );
    assert_eq!(r.status, 200, "{}", body(&r));
    let edit = json!({"comment_id": 1, "comment": "x"});
    assert_refused(&mut s, "/edit", &a, edit, 403, "not_author");
    let edit = json!({"comment_id": 7, "comment": "x"});
    assert_refused(&mut s, "/edit", &a, edit, 404, "comment_not_found");
    let c = &all(&mut s, &a)[0]["comments"][0];
    assert_eq!(
        (&c["comment_text"], &c["deleted"]),
        (&json!("first"), &json!(false))
    );
    assert!(c["edited"].is_string());
    let r = post(&mut s, "/delete", &b, json!({"comment_id": 1}));
    assert_eq!(body(&r), json!({"info": "deleted"}));
    let c = &all(&mut s, &a)[0]["comments"][0];
    assert_eq!(
        (&c["comment_text"], &c["deleted"]),
        (&json!(""), &json!(true))
    );
    assert!(c.get("deleted_by").is_none());
    let edit = json!({"comment_id": 1, "comment": "back"});
    assert_refused(&mut s, "/edit", &b, edit, 409, "deleted");
}

#[test]
fn deleting_leaves_a_tombstone_and_is_idempotent() {
    let mut s = moderated();
    let [a, b, m] = s.register_all(["a", "b", "mod"]);
    s.send(&a, None, "oops @b");
    s.send(&b, None, "mine");
    s.comment(&b, 1, "kept");
    assert_refused(
        &mut s,
        "/delete",
        &b,
        json!({"message_id": 1}),
        403,
        "not_author",
    );
    for _ in 0..2 {
        let r = post(&mut s, "/delete", &a, json!({"message_id": 1}));
        assert_eq!((r.status, body(&r)), (200, json!({"info": "deleted"})));
    }
    let r = post(&mut s, "/delete", &m, json!({"message_id": 2}));
    assert_eq!(r.status, 200);
    let messages = all(&mut s, &a);
    let own = &messages[0];
    assert_eq!(own["message_text"], "");
    assert_eq!(own["deleted"], true);
    assert_eq!(own["mentions"], json!([]));
    assert_eq!(own["comments"][0]["comment_text"], "kept");
    assert!(own.get("deleted_by").is_none());
    assert_eq!(messages[1]["deleted_by"], "mod");
    // A deleted message is edited by no one, and reacted to by no one.
    for (path, who, request) in [
        ("/edit", &a, json!({"message_id": 1, "message": "again"})),
        ("/react", &b, json!({"message_id": 1, "emoji": "👍"})),
    ] {
        assert_refused(&mut s, path, who, request, 409, "deleted");
    }
}

#[test]
fn a_moderator_deletes_in_chats_it_is_not_in() {
    let mut s = moderated();
    let [a, _b, m] = s.register_all(["a", "b", "mod"]);
    s.send(&a, Some("b"), "private");
    let r = post(&mut s, "/rooms", &a, json!({"room": "#pub"}));
    assert_eq!(r.status, 201);
    s.send(&a, Some("#pub"), "in the room");
    s.comment(&a, 2, "a comment");
    for (what, target) in [
        ("a private message", json!({"message_id": 1})),
        ("a public room's message", json!({"message_id": 2})),
        ("a comment in it", json!({"comment_id": 1})),
    ] {
        let r = post(&mut s, "/delete", &m, target);
        assert_eq!(
            (r.status, body(&r)),
            (200, json!({"info": "deleted"})),
            "{what}"
        );
    }
    assert_refused(
        &mut s,
        "/delete",
        &m,
        json!({"message_id": 99}),
        404,
        "message_not_found",
    );
    let room = body(&s.call("GET", "/messages?chat=%23pub", Some(&a), ""));
    let tombstone = &room["messages"][0];
    assert_eq!(tombstone["deleted"], true, "{room}");
    assert_eq!(tombstone["message_text"], "");
    assert_eq!(tombstone["comments"][0]["deleted"], true, "{room}");
}

#[test]
fn a_ban_stops_edits_and_reactions_but_not_deletions() {
    let mut s = Server::seeded(|c| c.ban_threshold = 1);
    let [a, b] = s.register_all(["a", "b"]);
    s.send(&a, None, "hi");
    s.send(&b, None, "hello");
    assert_eq!(s.report(&b, "a", "public").status, 201);
    let edit = json!({"message_id": 1, "message": "x"});
    assert_eq!(post(&mut s, "/edit", &a, edit).status, 403);
    let react = json!({"message_id": 2, "emoji": "👍"});
    let r = post(&mut s, "/react", &a, react);
    assert_eq!((r.status, &body(&r)["code"]), (403, &json!("banned")));
    let r = post(&mut s, "/delete", &a, json!({"message_id": 1}));
    assert_eq!(r.status, 200);
}

#[test]
fn reactions_by_first_use_idempotent_and_bounded() {
    let mut s = Server::new();
    let [a, b, c] = s.register_all(["a", "b", "c"]);
    s.send(&a, None, "react to me");
    let react = |s: &mut Server, t: &str, e: &str, remove: bool| {
        post(
            s,
            "/react",
            t,
            json!({"message_id": 1, "emoji": e, "remove": remove}),
        )
    };
    react(&mut s, &b, "👍", false);
    react(&mut s, &c, "🎉", false);
    let r = react(&mut s, &c, "👍", false);
    let both = json!([
        {"emoji": "👍", "count": 2, "users": ["b", "c"]},
        {"emoji": "🎉", "count": 1, "users": ["c"]}
    ]);
    assert_eq!(body(&r), json!({"message_id": 1, "reactions": both}));
    // Again, or removing what is not there: 200, nothing changes.
    assert_eq!(body(&react(&mut s, &c, "👍", false))["reactions"], both);
    assert_eq!(body(&react(&mut s, &a, "🎉", true))["reactions"], both);
    // Emoji go by the oldest reaction they still have: c's 🎉 is older
    // than c's 👍 now that b's is gone.
    let r = react(&mut s, &b, "👍", true);
    assert_eq!(
        body(&r)["reactions"],
        json!([
            {"emoji": "🎉", "count": 1, "users": ["c"]},
            {"emoji": "👍", "count": 1, "users": ["c"]}
        ])
    );
    assert_eq!(all(&mut s, &a)[0]["reactions"], body(&r)["reactions"]);
    for bad in ["", "a", ":)", "👍 ", "👍👍👍👍👍👍👍👍👍👍👍"] {
        assert_error(
            &react(&mut s, &a, bad, false),
            400,
            "invalid_emoji",
            Some("emoji"),
        );
    }
    // Twenty kinds at most; an emoji already there may still be added.
    let emoji: Vec<String> = (0..18)
        .map(|i| char::from_u32(0x1F600 + i).unwrap().to_string())
        .collect();
    for e in &emoji {
        assert_eq!(react(&mut s, &a, e, false).status, 200);
    }
    let r = react(&mut s, &a, "🚀", false);
    assert_error(&r, 409, "too_many_reactions", None);
    assert_eq!(react(&mut s, &a, "👍", false).status, 200);
}

#[test]
fn edits_and_reactions_share_the_comment_quota() {
    let mut s = Server::seeded(|c| c.comment_quota = 3);
    let [a, b] = s.register_all(["a", "b"]);
    s.send(&a, None, "one");
    assert_eq!(s.comment(&a, 1, "c").status, 201);
    let edit = json!({"message_id": 1, "message": "two"});
    assert_eq!(post(&mut s, "/edit", &a, edit).status, 200);
    let react = json!({"message_id": 1, "emoji": "👍"});
    assert_eq!(post(&mut s, "/react", &a, react.clone()).status, 200);
    // The quota is used up: a new reaction is refused, taking one back is not.
    let r = post(
        &mut s,
        "/react",
        &a,
        json!({"message_id": 1, "emoji": "🎉"}),
    );
    assert_eq!(
        (r.status, &body(&r)["code"]),
        (429, &json!("comment_quota_exceeded"))
    );
    let edit = json!({"message_id": 1, "message": "three"});
    assert_eq!(post(&mut s, "/edit", &a, edit).status, 429);
    assert_eq!(s.comment(&a, 1, "c").status, 429);
    let unreact = json!({"message_id": 1, "emoji": "👍", "remove": true});
    assert_eq!(post(&mut s, "/react", &a, unreact).status, 200);
    assert_eq!(
        post(&mut s, "/delete", &a, json!({"message_id": 1})).status,
        200
    );
    // Others keep their own quota.
    assert_eq!(s.comment(&b, 1, "c").status, 201);
}

#[test]
fn mentions_name_who_can_see_and_count_in_status() {
    let mut s = Server::new();
    let [a, b, c] = s.register_all(["ann", "Bob", "cy"]);
    let r = s.send(
        &a,
        None,
        "hi @bob, @CY and @nobody; mail x@bob.org (@Bob again)",
    );
    assert_eq!(r.status, 201);
    let m = &unread(&mut s, &b)[0];
    assert_eq!(m["mentions"], json!(["Bob", "cy"]));
    // A private message mentions only its two members.
    s.send(&a, Some("cy"), "@Bob @cy look");
    let status = body(&s.status(&c));
    let chats = status["chats"].as_array().unwrap();
    let mentions: Vec<(&Value, &Value)> =
        chats.iter().map(|c| (&c["name"], &c["mentions"])).collect();
    assert_eq!(
        mentions,
        [
            (&json!("public_chat"), &json!(1)),
            (&json!("ann"), &json!(1))
        ]
    );
    let private = &body(&s.connect(&c, Some("ann"), None))["unread_messages"][0];
    assert_eq!(private["mentions"], json!(["cy"]));
    // Read: no longer counted. An edit recomputes them.
    assert_eq!(body(&s.status(&b))["chats"][0]["mentions"], 0);
    let edit = json!({"message_id": 1, "message": "only @ann now"});
    assert_eq!(post(&mut s, "/edit", &a, edit).status, 200);
    assert_eq!(unread(&mut s, &a), json!([]));
    let m = &body(&s.connect(&a, None, Some(1)))["messages"][0];
    assert_eq!(m["mentions"], json!(["ann"]));
}

#[test]
fn events_carry_edits_deletions_and_reactions() {
    let mut s = Server::new();
    let [a, b] = s.register_all(["a", "b"]);
    s.send(&a, Some("b"), "secret");
    post(
        &mut s,
        "/react",
        &b,
        json!({"message_id": 1, "emoji": "👍"}),
    );
    post(
        &mut s,
        "/edit",
        &a,
        json!({"message_id": 1, "message": "less secret"}),
    );
    post(&mut s, "/delete", &a, json!({"message_id": 1}));
    let r = s.call("GET", "/events?since=0", Some(&b), "");
    let events = body(&r)["events"].clone();
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["message", "reaction", "edited", "deleted"]);
    assert_eq!(events[1]["chat"], "a");
    assert_eq!(events[1]["reactions"][0]["users"], json!(["b"]));
    // Events name rows: read back, none holds a text deleted since.
    for e in events.as_array().unwrap() {
        assert!(!e.to_string().contains("secret"), "{e}");
    }
    assert_eq!(events[3]["message"]["deleted"], true);
    // Nobody else sees a private chat's changes.
    let c = s.register("c");
    let r = s.call("GET", "/events?since=0", Some(&c), "");
    assert_eq!(body(&r)["events"], json!([]));
}

/// A message with 20 emoji of 1,000 users each and as many mentions as its
/// text holds, edited 1,000 times: every page stays within its budget and
/// every event within `EVENT_BUDGET`.
#[test]
fn amplification_stays_bounded() {
    let mut s = Server::seeded(|c| c.comment_quota = 5_000);
    let author = s.register("author");
    // 1,000 members with the longest names, added under the rules' feet.
    let names: Vec<String> = (0..1_000).map(|i| format!("{i:0>32}")).collect();
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let mut hash = TokenHash([0; 32]);
        hash.0[..8].copy_from_slice(&(i as u64 + 7).to_be_bytes());
        let new = NewUser {
            name,
            hash: &hash,
            origin: "x",
            now: s.now,
        };
        let id = s.model.create_user(new).unwrap();
        s.model.join(PUBLIC_CHAT, id, 0).unwrap();
        ids.push(id);
    }
    let text: String = names
        .iter()
        .take(120)
        .map(|n| format!("@{n}"))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.chars().count() <= 4096);
    for n in 0..5 {
        assert_eq!(s.send(&author, None, &text).status, 201, "{n}");
    }
    for message in 1..=5 {
        for e in 0..20 {
            let emoji = char::from_u32(0x1F600 + e).unwrap().to_string();
            for &user in &ids {
                s.model
                    .add_reaction(
                        agora_core::view::UserReaction {
                            message,
                            emoji: &emoji,
                            user,
                        },
                        s.now,
                    )
                    .unwrap();
            }
        }
    }
    for _ in 0..1_000 {
        let edit = json!({"message_id": 5, "message": text});
        assert_eq!(post(&mut s, "/edit", &author, edit).status, 200);
    }
    // One real reaction, so that the event carries the whole summary.
    let react = json!({"message_id": 5, "emoji": "🚀", "remove": false});
    let r = post(&mut s, "/react", &author, react);
    assert_eq!(r.status, 409, "twenty kinds already");
    let react = json!({"message_id": 5, "emoji": "😀", "remove": false});
    assert_eq!(post(&mut s, "/react", &author, react).status, 200);

    let page = s.connect(&author, None, Some(100));
    assert!(page.body.len() <= 2 * 1024 * 1024, "{}", page.body.len());
    let m = &body(&page)["messages"][4];
    assert_eq!(m["reactions"].as_array().unwrap().len(), 20);
    assert_eq!(m["reactions"][0]["count"], 1_001);
    assert_eq!(m["reactions"][0]["users"].as_array().unwrap().len(), 20);
    assert_eq!(m["mentions"].as_array().unwrap().len(), 120);

    let caller = Token::from_hex(author.as_bytes()).unwrap().hash();
    let viewer = s.model.user_by_token(&caller).unwrap().unwrap().id;
    // Every event, as the store reads them back.
    let events = s.model.events_after(viewer, 0, 10_000).unwrap();
    assert!(events.len() > 1_000);
    let largest = events
        .iter()
        .map(|e| json_size::event_len(e, viewer))
        .max()
        .unwrap();
    // What the bound leaves: `--nocapture` shows it.
    eprintln!(
        "amplification: /connect page {} bytes, largest of {} events {largest} bytes",
        page.body.len(),
        events.len()
    );
    assert!(largest <= EVENT_BUDGET, "{largest}");
    assert!(largest > 15_000, "the test reaches the bound: {largest}");
}

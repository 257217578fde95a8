//! Issue 25's history and people: `GET /messages` pages a chat back to its
//! first message (within 1 MiB a page, never moving a read position, only
//! for the chat's members) and `GET /users` pages the user directory by
//! name prefix.

use crate::harness::{Client, Runtime, Server};
use crate::steps::{
    create_room, field_strings, ids, join, long_text, paged, send_public, send_to,
    server_with_flags_and_users, server_with_users, status_chat, tokens,
};
use serde_json::json;

per_runtime!(
    history_pages_back_to_the_first_message,
    history_never_moves_a_read_position,
    history_shows_only_the_callers_chats,
    history_pages_stop_at_their_byte_budget,
    history_refuses_bad_queries,
    users_are_paged_by_name_prefix,
    history_of_a_room_is_for_its_members,
);

const TWO_MIB: usize = 2 * 1024 * 1024;

/// Every page of `chat` for `token` from the newest back, with `limit` (the
/// default when `None`): the ids, oldest first, and the pages' sizes.
fn page_back(
    c: &mut Client,
    token: &str,
    chat: &str,
    limit: Option<u32>,
) -> (Vec<i64>, Vec<usize>) {
    let mut all: Vec<i64> = Vec::new();
    let mut sizes = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let target = paged(&format!("/messages?chat={chat}"), limit, before);
        let reply = c.get(&target, Some(token));
        assert!(reply.body.len() < TWO_MIB, "{} bytes", reply.body.len());
        let page = reply.expect(200);
        let got = ids(&page["messages"]);
        assert!(got.windows(2).all(|w| w[0] < w[1]), "oldest first: {got:?}");
        if let Some(before) = before {
            assert!(got.iter().all(|&id| id < before), "{got:?} below {before}");
        }
        sizes.push(got.len());
        all.splice(0..0, got.iter().copied());
        if page["more"] == false {
            return (all, sizes);
        }
        assert!(!got.is_empty(), "`more` with an empty page");
        before = got.first().copied();
    }
}

/// Each `(target, status, code, field)`: `GET target` by `token` is refused
/// with `status`, the error `code` and, when given, the `field` it names.
fn refused(c: &mut Client, token: &str, cases: &[(&str, u16, &str, Option<&str>)]) {
    for &(target, status, code, field) in cases {
        let reply = c.get(target, Some(token));
        let said = String::from_utf8_lossy(&reply.body);
        assert_eq!(reply.status, status, "{target}: {said}");
        let body = reply.expect_error(status, code);
        if let Some(field) = field {
            assert_eq!(body["field"], field, "{target}: {body}");
        }
    }
}

fn history_pages_back_to_the_first_message(rt: Runtime) {
    let (_server, mut c, [alice, bob]) =
        server_with_flags_and_users(rt, &["--quota", "1000"], ["alice", "bob"]);
    let sent: Vec<i64> = (0..57)
        .map(|i| send_public(&mut c, &alice, &format!("m{i}")))
        .collect();
    let commented = sent[3];
    c.post(
        "/comment",
        Some(&bob),
        json!({"message_id": commented, "comment": "+1"}),
    )
    .expect(201);

    // The default page is the newest 50, and says more remain.
    let page = c.get("/messages?chat=public_chat", Some(&bob)).expect(200);
    assert_eq!(page["chat"], "public_chat");
    assert_eq!(ids(&page["messages"]), sent[7..]);
    assert_eq!(page["more"], true);
    assert_eq!(page["messages"][0]["message_text"], "m7");
    assert_eq!(page["messages"][0]["author"], "alice");

    // Paging back reaches the first message, each once, whatever the limit.
    for limit in [None, Some(1), Some(7), Some(100)] {
        let (all, sizes) = page_back(&mut c, &bob, "PUBLIC_CHAT", limit);
        assert_eq!(all, sent, "limit {limit:?}");
        let most = limit.unwrap_or(50) as usize;
        assert!(sizes.iter().all(|&n| n <= most), "{sizes:?}");
    }

    // A message carries its comments as /connect shows them.
    let target = format!("/messages?chat=public_chat&before={}&limit=1.0", sent[4]);
    let page = c.get(&target, Some(&alice)).expect(200);
    assert_eq!(ids(&page["messages"]), [commented]);
    let message = &page["messages"][0];
    assert_eq!(message["comments_total"], 1);
    assert_eq!(message["comments"][0]["comment_text"], "+1");
    assert_eq!(message["comments"][0]["author"], "bob");
    let connect = c
        .post("/connect", Some(&alice), json!({"messages_number": 100}))
        .expect(200);
    let shown = connect["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == commented)
        .expect("in /connect's history")
        .clone();
    assert_eq!(*message, shown);

    // Below the first message there is nothing.
    let target = format!("/messages?chat=public_chat&before={}", sent[0]);
    let page = c.get(&target, Some(&alice)).expect(200);
    assert_eq!(page["messages"], json!([]));
    assert_eq!(page["more"], false);
}

fn unread(c: &mut Client, token: &str, chat: &str) -> u64 {
    status_chat(c, token, chat).map_or(0, |ch| ch["unread"].as_u64().unwrap())
}

fn history_never_moves_a_read_position(rt: Runtime) {
    let (_server, mut c, [alice, bob]) = server_with_users(rt, ["alice", "bob"]);
    let public: Vec<i64> = (0..4)
        .map(|i| send_public(&mut c, &alice, &format!("p{i}")))
        .collect();
    let private: Vec<i64> = (0..3)
        .map(|i| send_to(&mut c, &alice, "bob", &format!("q{i}")))
        .collect();
    assert_eq!(unread(&mut c, &bob, "public_chat"), 4);
    assert_eq!(unread(&mut c, &bob, "alice"), 3);

    let page = c.get("/messages?chat=public_chat", Some(&bob)).expect(200);
    assert_eq!(ids(&page["messages"]), public);
    let page = c.get("/messages?chat=alice", Some(&bob)).expect(200);
    assert_eq!(ids(&page["messages"]), private);

    // Still unread: /connect hands them all out as unread.
    assert_eq!(unread(&mut c, &bob, "public_chat"), 4);
    assert_eq!(unread(&mut c, &bob, "alice"), 3);
    let connect = c
        .post("/connect", Some(&bob), json!({"chat_with": "alice"}))
        .expect(200);
    assert_eq!(ids(&connect["unread_messages"]), private);
}

fn history_shows_only_the_callers_chats(rt: Runtime) {
    let (_server, mut c, [alice, bob, carol]) = server_with_users(rt, ["alice", "Bob", "carol"]);
    let secret = send_to(&mut c, &alice, "bob", "between us");
    let reply = send_to(&mut c, &bob, "ALICE", "indeed");

    // Both members read their private chat, named in any case and answered
    // as registered.
    let page = c.get("/messages?chat=BOB", Some(&alice)).expect(200);
    assert_eq!(page["chat"], "Bob");
    assert_eq!(ids(&page["messages"]), [secret, reply]);
    let page = c.get("/messages?chat=alice", Some(&bob)).expect(200);
    assert_eq!(page["chat"], "alice");
    assert_eq!(ids(&page["messages"]), [secret, reply]);

    // carol's chats with them exist for nobody yet: empty, not alice and
    // bob's messages, and nothing is created.
    for other in ["alice", "bob"] {
        let page = c
            .get(&format!("/messages?chat={other}"), Some(&carol))
            .expect(200);
        assert_eq!(page["messages"], json!([]), "{other}");
        assert_eq!(page["more"], false);
    }
    let status = c.get("/status", Some(&carol)).expect(200);
    assert_eq!(status["chats"].as_array().unwrap().len(), 1, "{status}");

    let cases = [
        ("/messages?chat=nobody", 404, "user_not_found", None),
        ("/messages?chat=Carol", 400, "self_target", Some("chat")),
    ];
    refused(&mut c, &carol, &cases);
}

fn history_pages_stop_at_their_byte_budget(rt: Runtime) {
    let (_server, mut c, [alice]) =
        server_with_flags_and_users(rt, &["--quota", "1000"], ["alice"]);
    // 80 messages of 16 KiB: 1.3 MiB, more than one page may hold.
    let sent: Vec<i64> = (0..80)
        .map(|i| send_public(&mut c, &alice, &long_text(&format!("m{i}"))))
        .collect();
    let reply = c.get("/messages?chat=public_chat&limit=100", Some(&alice));
    assert!(
        reply.body.len() <= 1024 * 1024 + 64,
        "{} bytes",
        reply.body.len()
    );
    let page = reply.expect(200);
    let got = ids(&page["messages"]);
    assert!(got.len() < 80 && got.len() > 40, "{} messages", got.len());
    assert_eq!(got, sent[sent.len() - got.len()..], "the newest");
    assert_eq!(page["more"], true);

    let (all, sizes) = page_back(&mut c, &alice, "public_chat", Some(100));
    assert_eq!(all, sent);
    assert!(sizes.len() >= 2, "{sizes:?}");
}

fn history_refuses_bad_queries(rt: Runtime) {
    let (_server, mut c, [alice]) = server_with_users(rt, ["alice"]);
    let cases = [
        ("/messages", 400, "missing_field", Some("chat")),
        (
            "/messages?chat=no%20such",
            400,
            "invalid_user_name",
            Some("chat"),
        ),
        (
            "/messages?chat=public_chat&limit=0",
            400,
            "invalid_limit",
            Some("limit"),
        ),
        (
            "/messages?chat=public_chat&limit=101",
            400,
            "invalid_limit",
            Some("limit"),
        ),
        (
            "/messages?chat=public_chat&limit=2.5",
            400,
            "invalid_field",
            Some("limit"),
        ),
        (
            "/messages?chat=public_chat&before=0",
            400,
            "invalid_field",
            Some("before"),
        ),
        (
            "/messages?chat=public_chat&before=x",
            400,
            "invalid_field",
            Some("before"),
        ),
        (
            "/messages?chat=public_chat&since=1",
            400,
            "invalid_query",
            Some("since"),
        ),
        (
            "/messages?chat=a&chat=b",
            400,
            "invalid_query",
            Some("chat"),
        ),
        ("/users?limit=0", 400, "invalid_limit", Some("limit")),
        ("/users?limit=101", 400, "invalid_limit", Some("limit")),
        (
            "/users?after=no%20such",
            400,
            "invalid_user_name",
            Some("after"),
        ),
        ("/users?prefix=a", 400, "invalid_query", Some("prefix")),
    ];
    refused(&mut c, &alice, &cases);
    for target in ["/messages?chat=public_chat", "/users"] {
        c.get(target, None).expect_error(401, "unauthorized");
        let reply = c.post(target, Some(&alice), json!({}));
        reply.expect_error(405, "method_not_allowed");
        assert_eq!(reply.header("allow"), Some("GET"));
    }
}

fn users_are_paged_by_name_prefix(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let everyone = [
        "Zed", "alice", "Alex", "al.b", "al-c", "al_d", "bob", "AL9", "a",
    ];
    let [me, ..] = tokens(&mut c, everyone);

    // By name key (the name lowercased, byte by byte): `-` < `.` < digits <
    // `_` < letters; names as registered.
    let al = ["al-c", "al.b", "AL9", "al_d", "Alex", "alice"];
    for q in ["al", "AL", "Al"] {
        let page = c.get(&format!("/users?q={q}"), Some(&me)).expect(200);
        assert_eq!(field_strings(&page["users"], "user_name"), al, "q={q}");
        assert_eq!(page["more"], false);
    }
    let page = c.get("/users", Some(&me)).expect(200);
    let mut all: Vec<&str> = vec!["a"];
    all.extend(al);
    all.extend(["bob", "Zed"]);
    assert_eq!(field_strings(&page["users"], "user_name"), all);

    // Paging with `after`: each once, in order.
    let mut seen: Vec<String> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut target = "/users?q=a&limit=2".to_owned();
        if let Some(after) = &after {
            target.push_str(&format!("&after={after}"));
        }
        let page = c.get(&target, Some(&me)).expect(200);
        let got = field_strings(&page["users"], "user_name");
        assert!(got.len() <= 2, "{got:?}");
        seen.extend(got.iter().cloned());
        if page["more"] == false {
            break;
        }
        after = got.last().cloned();
    }
    assert_eq!(seen, all[..7]);
    // `after` in any case, and a name nobody has.
    let page = c.get("/users?q=al&after=AL.B", Some(&me)).expect(200);
    assert_eq!(field_strings(&page["users"], "user_name"), al[2..]);
    let page = c.get("/users?after=alf", Some(&me)).expect(200);
    assert_eq!(
        field_strings(&page["users"], "user_name"),
        ["alice", "bob", "Zed"]
    );

    // Prefixes nobody's name starts with (nor can).
    for q in ["alz", "al%20d", "%C3%A9", "zedd"] {
        let page = c.get(&format!("/users?q={q}"), Some(&me)).expect(200);
        assert_eq!(page["users"], json!([]), "q={q}");
        assert_eq!(page["more"], false);
    }
}

fn history_of_a_room_is_for_its_members(rt: Runtime) {
    let (_server, mut c, [alice, bob, carol]) = server_with_users(rt, ["alice", "bob", "carol"]);
    c.post("/rooms", Some(&alice), json!({"room": "#Ops"}))
        .expect(201);
    create_room(&mut c, &alice, "#secret", "private");
    join(&mut c, &bob, "#ops");
    let sent: Vec<i64> = (0..5)
        .map(|i| send_to(&mut c, &alice, "#ops", &format!("r{i}")))
        .collect();
    send_to(&mut c, &alice, "#secret", "hush");

    // Members page it back, named in any case, answered as created.
    let (all, _) = page_back(&mut c, &bob, "%23OPS", Some(2));
    assert_eq!(all, sent);
    let page = c
        .get("/messages?chat=%23ops&limit=1", Some(&bob))
        .expect(200);
    assert_eq!(page["chat"], "#Ops");
    assert_eq!(ids(&page["messages"]), sent[4..]);

    // Not a member: 403 for a public room, 404 for a private one, as for
    // no room at all.
    let cases = [
        ("/messages?chat=%23ops", 403, "not_a_member", None),
        ("/messages?chat=%23secret", 404, "room_not_found", None),
        ("/messages?chat=%23nothing", 404, "room_not_found", None),
        (
            "/messages?chat=%23no%20such",
            400,
            "invalid_room_name",
            Some("chat"),
        ),
    ];
    refused(&mut c, &carol, &cases);
}

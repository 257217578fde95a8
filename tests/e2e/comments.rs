//! Comments paged by `GET /comments`, the comment quota, and the byte budgets
//! that keep every response body under 2 MiB whatever the data. The first
//! scenario is issue 13's reproduction with smaller numbers: before, one
//! message with 2,000 long comments made every `/connect` a 33 MB body.

use crate::harness::{Runtime, Server};
use crate::steps::{
    comment, ids, long_text, paged, send_public, send_to, server_with_flags_and_users,
    server_with_users,
};
use serde_json::json;
use std::time::Duration;

per_runtime!(
    comments_are_paged_and_pages_stay_small,
    long_histories_stop_at_their_byte_budgets,
    the_comment_quota_refuses_and_its_retry_after_holds,
    comments_pages_refuse_bad_queries,
);

const TWO_MIB: usize = 2 * 1024 * 1024;
const LONG_COMMENTS: usize = 150;

fn comments_are_paged_and_pages_stay_small(rt: Runtime) {
    let (_server, mut c, [alice, bob]) =
        server_with_flags_and_users(rt, &["--comment-quota", "1000"], ["alice", "bob"]);
    let message_id = send_public(&mut c, &alice, "hi");
    let mut all = Vec::new();
    for i in 0..LONG_COMMENTS {
        let body = json!({"message_id": message_id, "comment": long_text(&i.to_string())});
        let added = c.post("/comment", Some(&bob), body).expect(201);
        all.push(added["comment_id"].as_i64().unwrap());
    }

    // The message carries only its newest comments, oldest first, and counts
    // them all.
    let reply = c.post("/connect", Some(&alice), json!({}));
    assert!(reply.body.len() < TWO_MIB, "{} bytes", reply.body.len());
    let page = reply.expect(200);
    let message = &page["messages"][0];
    assert_eq!(message["id"], message_id);
    assert_eq!(message["comments_total"], LONG_COMMENTS);
    let carried = ids(&message["comments"]);
    assert!(
        !carried.is_empty() && carried.len() <= 20,
        "{}",
        carried.len()
    );
    assert_eq!(carried, all[all.len() - carried.len()..]);

    // Paging backwards from the newest gives every comment once, in order,
    // each page within its limit and far below 2 MiB.
    for limit in [None, Some(100), Some(7)] {
        let mut before: Option<i64> = None;
        let mut seen: Vec<i64> = Vec::new();
        loop {
            let target = paged(&format!("/comments?message_id={message_id}"), limit, before);
            let reply = c.get(&target, Some(&bob));
            assert!(reply.body.len() < TWO_MIB, "{} bytes", reply.body.len());
            let page = reply.expect(200);
            assert_eq!(page["message_id"], message_id);
            let got = ids(&page["comments"]);
            assert!(!got.is_empty() && got.len() <= limit.unwrap_or(20) as usize);
            assert!(got.windows(2).all(|w| w[0] < w[1]), "oldest first");
            seen.splice(0..0, got.iter().copied());
            before = got.first().copied();
            if page["more"] == false {
                break;
            }
        }
        assert_eq!(seen, all, "limit {limit:?}");
    }
}

fn long_histories_stop_at_their_byte_budgets(rt: Runtime) {
    let (_server, mut c, [alice, bob]) =
        server_with_flags_and_users(rt, &["--quota", "1000"], ["alice", "bob"]);
    // 70 messages of 16 KiB: more than a history page (768 KiB) or an
    // unread page (1 MiB) may hold.
    let mut sent = Vec::new();
    for i in 0..70 {
        let body = json!({"message": long_text(&format!("m{i}"))});
        let reply = c.post("/send", Some(&alice), body).expect(201);
        sent.push(reply["message_id"].as_i64().unwrap());
    }

    // alice has read them all: her history stops at its budget.
    let reply = c.post("/connect", Some(&alice), json!({"messages_number": 100}));
    assert!(reply.body.len() < TWO_MIB, "{} bytes", reply.body.len());
    let page = reply.expect(200);
    let history = ids(&page["messages"]);
    assert!(history.len() < 70, "{} messages", history.len());
    assert_eq!(history, sent[sent.len() - history.len()..], "the newest");
    assert_eq!(page["history_truncated"], true);

    // bob has read none: his unread pages stop at their budget, and
    // connecting again hands out the rest, each message once.
    let mut received: Vec<i64> = Vec::new();
    for _ in 0..10 {
        let reply = c.post("/connect", Some(&bob), json!({"messages_number": 1}));
        assert!(reply.body.len() < TWO_MIB, "{} bytes", reply.body.len());
        let page = reply.expect(200);
        let unread = ids(&page["unread_messages"]);
        received.extend(&unread);
        if page["unread_truncated"] == false {
            break;
        }
        assert!(unread.len() < 70);
    }
    assert_eq!(received, sent);
}

fn the_comment_quota_refuses_and_its_retry_after_holds(rt: Runtime) {
    let server = Server::start(rt, &["--comment-quota", "2", "--quota-window", "2s"]);
    let mut c = server.client();
    let alice = c.token("alice");
    let message_id = send_public(&mut c, &alice, "hi");
    let comment = json!({"message_id": message_id, "comment": "+1"});
    c.post("/comment", Some(&alice), comment.clone())
        .expect(201);
    c.post("/comment", Some(&alice), comment.clone())
        .expect(201);
    let refused = c.post("/comment", Some(&alice), comment.clone());
    let retry = refused.header("Retry-After").map(str::to_owned);
    let body = refused.expect_error(429, "comment_quota_exceeded");
    let seconds = body["retry_after"].as_u64().unwrap();
    assert!((1..=2).contains(&seconds), "{body}");
    assert_eq!(retry, Some(seconds.to_string()));
    assert!(body["warning"].is_string());
    // Public messages have a quota of their own.
    send_public(&mut c, &alice, "still fine");
    std::thread::sleep(Duration::from_secs(seconds));
    c.post("/comment", Some(&alice), comment).expect(201);
}

fn comments_pages_refuse_bad_queries(rt: Runtime) {
    let (_server, mut c, [alice, bob, carol]) = server_with_users(rt, ["alice", "bob", "carol"]);
    let public = send_public(&mut c, &alice, "hi");
    let private = send_to(&mut c, &alice, "bob", "psst");

    let get =
        |c: &mut crate::harness::Client, target: &str, token: &str| c.get(target, Some(token));
    let empty = get(&mut c, &format!("/comments?message_id={public}"), &carol).expect(200);
    assert_eq!(empty["comments"], json!([]));
    assert_eq!(empty["more"], false);
    get(&mut c, &format!("/comments?message_id={private}"), &bob).expect(200);
    // A private message of others is not found, exactly as for /comment.
    get(&mut c, &format!("/comments?message_id={private}"), &carol)
        .expect_error(404, "message_not_found");
    comment(&mut c, &carol, private, "x").expect_error(404, "message_not_found");
    get(&mut c, "/comments?message_id=999999", &carol).expect_error(404, "message_not_found");

    for (query, status, code, field) in [
        ("", 400, "missing_field", "message_id"),
        ("?message_id=abc", 400, "invalid_field", "message_id"),
        ("?message_id=0", 400, "invalid_field", "message_id"),
        ("?message_id=1&before=-3", 400, "invalid_field", "before"),
        ("?message_id=1&limit=0", 400, "invalid_limit", "limit"),
        ("?message_id=1&limit=101", 400, "invalid_limit", "limit"),
        ("?message_id=1&page=2", 400, "invalid_query", "page"),
        (
            "?message_id=1&message_id=1",
            400,
            "invalid_query",
            "message_id",
        ),
        ("?message_id=%zz", 400, "invalid_query", "message_id"),
    ] {
        let refused = get(&mut c, &format!("/comments{query}"), &alice);
        assert_eq!(
            refused.expect_error(status, code)["field"],
            field,
            "{query}"
        );
    }
    // Names and values are percent-decoded.
    let encoded: String = public
        .to_string()
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect();
    get(
        &mut c,
        &format!("/comments?message_%69d={encoded}&limit=5"),
        &alice,
    )
    .expect(200);
    assert_eq!(c.get("/comments?message_id=1", None).status, 401);
    let wrong_method = c.post("/comments", Some(&alice), json!({}));
    assert_eq!(wrong_method.header("Allow"), Some("GET"));
    wrong_method.expect_error(405, "method_not_allowed");
}

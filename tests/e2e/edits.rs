//! (issue 26) Editing, deleting, reactions and mentions on the real server:
//! each rule over HTTP, the events, moderators, the activity quota shared
//! with comments, mentions in `/status`; and that a deleted text is erased:
//! in none of SQLite's files after a clean stop, in no live row of
//! PostgreSQL.

use crate::harness::{on_postgres_now, Client, Runtime, Server};
use crate::steps::{
    comment, pg_tables, send_public, send_public_all, send_to, server_with_flags_and_users,
    server_with_users, temp_db, tokens,
};
use agora_tests::pg::PgDatabase;
use serde_json::{json, Value};

per_runtime!(
    edits_follow_their_rules,
    deletions_leave_tombstones_and_moderators_may_delete,
    reactions_follow_their_rules,
    edits_reactions_and_comments_share_one_quota,
    mentions_are_listed_and_counted_in_status,
    events_carry_edits_deletions_and_reactions,
    a_deleted_text_is_in_no_live_row,
);
per_runtime_sqlite!(a_deleted_text_is_in_no_database_file_after_a_clean_stop);

fn edit(c: &mut Client, token: &str, id: i64, text: &str) -> crate::harness::Reply {
    c.post(
        "/edit",
        Some(token),
        json!({"message_id": id, "message": text}),
    )
}

fn delete(c: &mut Client, token: &str, body: Value) -> crate::harness::Reply {
    c.post("/delete", Some(token), body)
}

fn react(c: &mut Client, token: &str, id: i64, emoji: &str, remove: bool) -> crate::harness::Reply {
    c.post(
        "/react",
        Some(token),
        json!({"message_id": id, "emoji": emoji, "remove": remove}),
    )
}

/// The message `id` as `token` reads it in the public chat.
fn public_message(c: &mut Client, token: &str, id: i64) -> Value {
    let page = c
        .post("/connect", Some(token), json!({"messages_number": 100}))
        .expect(200);
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .chain(page["unread_messages"].as_array().unwrap())
        .find(|m| m["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("message {id} in {page}"))
}

fn edits_follow_their_rules(rt: Runtime) {
    let (_server, mut c, [alice, bob, carol]) = server_with_users(rt, ["alice", "bob", "carol"]);
    let id = send_public(&mut c, &alice, "teh typo");
    let done = edit(&mut c, &alice, id, "the typo").expect(200);
    assert_eq!(done["info"], "edited");
    let m = public_message(&mut c, &bob, id);
    assert_eq!(m["message_text"], "the typo");
    assert_eq!(m["edited"], done["edited"]);
    assert_eq!(m["deleted"], false);
    edit(&mut c, &bob, id, "mine").expect_error(403, "not_author");
    edit(&mut c, &alice, 999_999, "x").expect_error(404, "message_not_found");
    edit(&mut c, &alice, id, " ").expect_error(400, "invalid_text");
    let private = send_to(&mut c, &alice, "bob", "psst");
    edit(&mut c, &carol, private, "x").expect_error(404, "message_not_found");
    // Comments: the same rules.
    comment(&mut c, &bob, id, "frist").expect(201);
    let body = json!({"comment_id": 1, "comment": "first"});
    c.post("/edit", Some(&alice), body.clone())
        .expect_error(403, "not_author");
    c.post("/edit", Some(&bob), body).expect(200);
    let body = json!({"comment_id": 99, "comment": "x"});
    c.post("/edit", Some(&bob), body)
        .expect_error(404, "comment_not_found");
    let m = public_message(&mut c, &carol, id);
    assert_eq!(m["comments"][0]["comment_text"], "first");
    assert!(m["comments"][0]["edited"].is_string());
}

fn deletions_leave_tombstones_and_moderators_may_delete(rt: Runtime) {
    let (_server, mut c, [alice, bob, moderator]) = server_with_flags_and_users(
        rt,
        &["--moderator", "Mod", "--ban-threshold", "1"],
        ["alice", "bob", "mod"],
    );
    let first = send_public(&mut c, &alice, "oops @bob");
    let second = send_public(&mut c, &bob, "spam");
    comment(&mut c, &bob, first, "kept").expect(201);
    delete(&mut c, &bob, json!({"message_id": first})).expect_error(403, "not_author");
    for _ in 0..2 {
        let done = delete(&mut c, &alice, json!({"message_id": first})).expect(200);
        assert_eq!(done, json!({"info": "deleted"}));
    }
    let m = public_message(&mut c, &bob, first);
    assert_eq!(
        (&m["message_text"], &m["deleted"], &m["mentions"]),
        (&json!(""), &json!(true), &json!([]))
    );
    assert!(m.get("deleted_by").is_none(), "{m}");
    assert_eq!(m["comments"][0]["comment_text"], "kept");
    edit(&mut c, &alice, first, "back").expect_error(409, "deleted");
    react(&mut c, &bob, first, "👍", false).expect_error(409, "deleted");
    // A moderator deletes anyone's message or comment, and says so.
    delete(&mut c, &moderator, json!({"message_id": second})).expect(200);
    assert_eq!(public_message(&mut c, &alice, second)["deleted_by"], "mod");
    delete(&mut c, &moderator, json!({"comment_id": 1})).expect(200);
    let m = public_message(&mut c, &alice, first);
    assert_eq!(m["comments"][0]["deleted"], true);
    assert_eq!(m["comments"][0]["deleted_by"], "mod");
    // Deleting is allowed while banned; editing is not.
    let third = send_public(&mut c, &alice, "before the ban");
    crate::steps::report(&mut c, &bob, "alice", "public").expect(201);
    edit(&mut c, &alice, third, "x").expect_error(403, "banned");
    delete(&mut c, &alice, json!({"message_id": third})).expect(200);
    delete(
        &mut c,
        &alice,
        json!({"comment_id": 1, "message_id": first}),
    )
    .expect_error(400, "invalid_field");
}

fn reactions_follow_their_rules(rt: Runtime) {
    let (_server, mut c, [alice, bob, carol]) = server_with_users(rt, ["alice", "bob", "carol"]);
    let id = send_public(&mut c, &alice, "react");
    react(&mut c, &bob, id, "👍", false).expect(200);
    react(&mut c, &carol, id, "🎉", false).expect(200);
    let both = react(&mut c, &carol, id, "👍", false).expect(200);
    let expected = json!([
        {"emoji": "👍", "count": 2, "users": ["bob", "carol"]},
        {"emoji": "🎉", "count": 1, "users": ["carol"]}
    ]);
    assert_eq!(both, json!({"message_id": id, "reactions": expected}));
    // Idempotent both ways.
    assert_eq!(react(&mut c, &carol, id, "👍", false).expect(200), both);
    assert_eq!(react(&mut c, &alice, id, "👍", true).expect(200), both);
    assert_eq!(public_message(&mut c, &alice, id)["reactions"], expected);
    for bad in ["", "x", ":)", "👍 👍"] {
        react(&mut c, &alice, id, bad, false).expect_error(400, "invalid_emoji");
    }
    for i in 0..18 {
        let emoji = char::from_u32(0x1F600 + i).unwrap().to_string();
        react(&mut c, &alice, id, &emoji, false).expect(200);
    }
    react(&mut c, &alice, id, "🚀", false).expect_error(409, "too_many_reactions");
    react(&mut c, &alice, id, "🎉", false).expect(200);
    let private = send_to(&mut c, &alice, "bob", "psst");
    react(&mut c, &carol, private, "👍", false).expect_error(404, "message_not_found");
}

fn edits_reactions_and_comments_share_one_quota(rt: Runtime) {
    let (_server, mut c, [alice, bob]) =
        server_with_flags_and_users(rt, &["--comment-quota", "3"], ["alice", "bob"]);
    let id = send_public(&mut c, &alice, "one");
    comment(&mut c, &alice, id, "c").expect(201);
    edit(&mut c, &alice, id, "two").expect(200);
    react(&mut c, &alice, id, "👍", false).expect(200);
    let refused = react(&mut c, &alice, id, "🎉", false);
    assert!(refused.header("Retry-After").is_some());
    refused.expect_error(429, "comment_quota_exceeded");
    edit(&mut c, &alice, id, "three").expect_error(429, "comment_quota_exceeded");
    comment(&mut c, &alice, id, "c").expect_error(429, "comment_quota_exceeded");
    // Taking back and deleting are not counted; others have their own.
    react(&mut c, &alice, id, "👍", true).expect(200);
    comment(&mut c, &bob, id, "c").expect(201);
    delete(&mut c, &alice, json!({"message_id": id})).expect(200);
}

fn mentions_are_listed_and_counted_in_status(rt: Runtime) {
    let (_server, mut c, [ann, bob, cy]) = server_with_users(rt, ["Ann", "bob", "cy"]);
    let id = send_public(&mut c, &ann, "@BOB and @cy, not x@bob.org nor @nobody");
    send_to(&mut c, &ann, "cy", "@bob is not here, @CY is");
    let m = public_message(&mut c, &ann, id);
    assert_eq!(m["mentions"], json!(["bob", "cy"]));
    let status = c.get("/status", Some(&cy)).expect(200);
    let counts: Vec<(Value, Value)> = status["chats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|chat| (chat["name"].clone(), chat["mentions"].clone()))
        .collect();
    assert_eq!(
        counts,
        [(json!("public_chat"), json!(1)), (json!("Ann"), json!(1))]
    );
    // An edit recomputes them; a read message no longer counts.
    edit(&mut c, &ann, id, "only @ann").expect(200);
    let status = c.get("/status", Some(&bob)).expect(200);
    assert_eq!(status["chats"][0]["mentions"], 0);
    assert_eq!(public_message(&mut c, &bob, id)["mentions"], json!(["Ann"]));
    let status = c.get("/status", Some(&ann)).expect(200);
    assert_eq!(status["chats"][0]["mentions"], 0, "read: its own message");
}

fn events_carry_edits_deletions_and_reactions(rt: Runtime) {
    let (_server, mut c, [alice, bob, carol]) = server_with_users(rt, ["alice", "bob", "carol"]);
    let start = c.get("/events", Some(&bob)).expect(200)["next"].clone();
    let id = send_to(&mut c, &alice, "bob", "secret plan");
    comment(&mut c, &bob, id, "noted").expect(201);
    react(&mut c, &bob, id, "👀", false).expect(200);
    edit(&mut c, &alice, id, "a plan").expect(200);
    let body = json!({"comment_id": 1, "comment": "noted!"});
    c.post("/edit", Some(&bob), body).expect(200);
    delete(&mut c, &alice, json!({"message_id": id})).expect(200);
    let page = c
        .get(&format!("/events?since={start}&timeout=0"), Some(&bob))
        .expect(200);
    let events = page["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["message", "comment", "reaction", "edited", "edited", "deleted"]
    );
    for e in events {
        assert_eq!(
            (&e["chat_type"], &e["chat"]),
            (&json!("private"), &json!("alice"))
        );
        // Events name rows: nothing deleted since is handed out again.
        assert!(!e.to_string().contains("plan"), "{e}");
    }
    assert_eq!(events[2]["reactions"][0]["users"], json!(["bob"]));
    assert_eq!(events[4]["comment"]["comment_text"], "noted!");
    assert_eq!(events[5]["message"]["deleted"], true);
    assert_eq!(events[5]["message"]["comments_total"], 1);
    // The private chat's changes reach its two members only.
    let theirs = c.get(&format!("/events?since={start}&timeout=0"), Some(&carol));
    assert_eq!(theirs.expect(200)["events"], json!([]));
}

/// A message and a comment as a client would send them, each with a unique
/// marker; a long one too, whose text takes SQLite overflow pages.
struct Marked {
    markers: Vec<String>,
}

/// Sends marked texts (an edited one, a deleted one, a long deleted one, a
/// deleted comment) and deletes or edits them away: none of the markers may
/// be found anywhere afterwards.
fn write_and_erase(c: &mut Client) -> Marked {
    let unique = format!("{:x}", std::process::id() as u64 * 7919 + 17);
    let marker = |what: &str| format!("ERASED{what}{unique}X");
    let [alice, bob] = tokens(c, ["alice", "bob"]);
    let markers = vec![
        marker("short"),
        marker("long"),
        marker("old"),
        marker("comment"),
    ];
    let short = send_public(c, &alice, &format!("a secret: {}", markers[0]));
    // 16 KiB of UTF-8 with the marker at its end: SQLite keeps that part
    // in overflow pages, which a deletion frees to the freelist.
    let mut long_text: String = std::iter::repeat_n('😀', 4000).collect();
    long_text.push_str(&markers[1]);
    let long = send_public(c, &alice, &long_text);
    let edited = send_public(c, &alice, &format!("was {}", markers[2]));
    comment(c, &bob, short, &markers[3]).expect(201);
    send_public_all(c, &bob, (0..20).map(|i| format!("filler {i}")));
    edit(c, &alice, edited, "now harmless").expect(200);
    delete(c, &bob, json!({"comment_id": 1})).expect(200);
    delete(c, &alice, json!({"message_id": short})).expect(200);
    delete(c, &alice, json!({"message_id": long})).expect(200);
    // Catching up from the start hands out none of it either.
    let all = c.get("/events?since=0&timeout=0", Some(&bob)).expect(200);
    for marker in &markers {
        assert!(
            !all.to_string().contains(marker.as_str()),
            "{marker} in events"
        );
    }
    Marked { markers }
}

fn a_deleted_text_is_in_no_database_file_after_a_clean_stop(rt: Runtime) {
    let (dir, db) = temp_db();
    let server = Server::start_on(rt, &db, &[]);
    let mut c = server.client();
    let marked = write_and_erase(&mut c);
    drop(c);
    let (status, _) = server.stop_with(libc::SIGTERM);
    assert!(status.success(), "exit status {status}");
    let mut looked = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        looked += bytes.len();
        for marker in &marked.markers {
            let found = bytes.windows(marker.len()).any(|w| w == marker.as_bytes());
            assert!(!found, "{marker} is still in {}", path.display());
        }
    }
    assert!(looked > 0, "the database files were read");
    // The rows are still there, as tombstones.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let deleted: i64 = conn
        .query_row("SELECT count(*) FROM messages WHERE deleted = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(deleted, 2);
}

fn a_deleted_text_is_in_no_live_row(rt: Runtime) {
    if !on_postgres_now() {
        // SQLite has the byte-level check above.
        return;
    }
    let database = PgDatabase::fresh().expect("on_postgres checked the cluster");
    let server = Server::start_on_url(rt, database.url(), &[]);
    let mut c = server.client();
    let marked = write_and_erase(&mut c);
    server.stop();
    let mut pg = postgres::Client::connect(database.url(), postgres::NoTls).unwrap();
    let tables = pg_tables(&mut pg);
    assert!(tables.iter().any(|t| t == "messages"), "{tables:?}");
    for table in &tables {
        // Every column of every live row as text: a bytea shows as hex.
        let sql = format!("SELECT t::text FROM \"{table}\" t");
        let rows: Vec<String> = pg
            .query(&sql, &[])
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        for marker in &marked.markers {
            let hex: String = marker.bytes().map(|b| format!("{b:02x}")).collect();
            for row in &rows {
                assert!(
                    !row.contains(marker.as_str()) && !row.contains(&hex),
                    "{marker} is in a live row of {table}: {row}"
                );
            }
        }
    }
}

//! `SqlView` through the `View` trait, over a real database file.

use crate::support::{add_user, new_user, new_users, sql_value, view_database, with_view, T0};
use agora_core::token::TokenHash;
use agora_core::view::NewText;
use agora_core::view::{ChatKind, CommentPage, View, PUBLIC_CHAT};
use agora_store::{open_database, schema, SqlView, StoreConfig};
use agora_testkit::model::history;
use rusqlite::Connection;
use std::path::Path;

fn config(path: &Path) -> StoreConfig {
    StoreConfig::sqlite(path)
}

fn hash(n: u8) -> TokenHash {
    TokenHash([n; 32])
}

#[test]
fn users_by_token_and_by_name_without_case() {
    let (_dir, mut conn) = view_database();
    with_view(&mut conn, |v| {
        let [alice, bob] = new_users(v, ["Alice", "bob"]);
        assert_ne!(alice, bob);

        let by_token = v.user_by_token(&hash(1)).unwrap().unwrap();
        assert_eq!(by_token.id, alice);
        assert_eq!(by_token.name, "Alice");
        assert_eq!(by_token.banned_until, None);
        assert_eq!(by_token.window_start, None);
        assert_eq!(by_token.window_count, 0);
        assert_eq!(v.user_by_token(&hash(3)).unwrap(), None);

        for spelling in ["alice", "ALICE", "aLiCe", "Alice"] {
            assert_eq!(v.user_by_name(spelling).unwrap().unwrap().id, alice);
        }
        assert_eq!(v.user_by_name("BOB").unwrap().unwrap().name, "bob");
        assert_eq!(v.user_by_name("carol").unwrap(), None);

        // Names are unique without regard to case; token hashes are unique.
        assert!(add_user(v, "ALICE", 9, T0).is_err());
        assert!(add_user(v, "carol", 2, T0).is_err());

        let mut user = by_token;
        user.banned_until = Some(T0.plus_ms(5));
        user.window_start = Some(T0);
        user.window_count = 7;
        user.comment_window_start = Some(T0.plus_ms(1));
        user.comment_window_count = 3;
        v.save_user(&user).unwrap();
        assert_eq!(v.user_by_name("alice").unwrap().unwrap(), user);
        assert_eq!(v.user_by_token(&hash(1)).unwrap().unwrap(), user);
    });
}

#[test]
fn private_chats_members_and_summaries() {
    let (_dir, mut conn) = view_database();
    with_view(&mut conn, |v| {
        let [a, b, c] = new_users(v, ["a", "b", "c"]);
        assert!(v.chats_of(a).unwrap().is_empty());
        v.join(PUBLIC_CHAT, a, 0).unwrap();
        v.join(PUBLIC_CHAT, b, 0).unwrap();
        assert_eq!(v.read_position(PUBLIC_CHAT, c).unwrap(), None);
        assert_eq!(v.read_position(PUBLIC_CHAT, a).unwrap(), Some(0));

        assert_eq!(v.private_chat(a, b).unwrap(), None);
        let ab = v.create_private_chat(b, a, T0.plus_ms(10)).unwrap();
        assert_ne!(ab, PUBLIC_CHAT);
        assert_eq!(v.private_chat(a, b).unwrap(), Some(ab));
        assert_eq!(v.private_chat(b, a).unwrap(), Some(ab));
        assert_eq!(v.private_chat(a, c).unwrap(), None);
        assert_eq!(v.read_position(ab, a).unwrap(), Some(0));
        assert_eq!(v.read_position(ab, b).unwrap(), Some(0));
        assert_eq!(v.read_position(ab, c).unwrap(), None);

        let m1 = v
            .append_message(PUBLIC_CHAT, NewText::new(a, "one", T0))
            .unwrap();
        let m2 = v.append_message(ab, NewText::new(b, "two", T0)).unwrap();
        let m3 = v
            .append_message(PUBLIC_CHAT, NewText::new(b, "three", T0))
            .unwrap();
        assert!(m1 < m2 && m2 < m3);
        assert_eq!(v.latest_message(PUBLIC_CHAT).unwrap(), m3);
        assert_eq!(v.latest_message(ab).unwrap(), m2);
        let member = agora_core::view::ChatUser {
            chat: PUBLIC_CHAT,
            user: a,
        };
        v.set_read_position(member, m1).unwrap();
        assert_eq!(v.read_position(PUBLIC_CHAT, a).unwrap(), Some(m1));

        let mut chats = v.chats_of(a).unwrap();
        chats.sort_by_key(|c| c.id);
        assert_eq!(chats.len(), 2);
        let public = &chats[0];
        assert_eq!(public.id, PUBLIC_CHAT);
        assert_eq!(public.kind, ChatKind::Public);
        assert_eq!(public.messages_number, 2);
        assert_eq!(public.users_number, 2);
        assert_eq!(public.unread, 1);
        assert_eq!(public.last_message, m3);
        let private = &chats[1];
        assert_eq!(private.id, ab);
        assert_eq!(private.kind, ChatKind::Private { other: "b".into() });
        assert_eq!(private.created, T0.plus_ms(10));
        assert_eq!(private.messages_number, 1);
        assert_eq!(private.users_number, 2);
        assert_eq!(private.unread, 1);
        assert_eq!(private.last_message, m2);

        let of_b = v.chats_of(b).unwrap();
        let private_b = of_b.iter().find(|c| c.id == ab).unwrap();
        assert_eq!(private_b.kind, ChatKind::Private { other: "a".into() });

        // Joining again moves the position without counting the member twice.
        v.join(PUBLIC_CHAT, a, m3).unwrap();
        let public = v
            .chats_of(a)
            .unwrap()
            .into_iter()
            .find(|c| c.id == PUBLIC_CHAT)
            .unwrap();
        assert_eq!(public.users_number, 2);
        assert_eq!(public.unread, 0);
        assert_eq!(v.latest_message(999).unwrap(), 0);
    });
}

#[test]
fn history_and_unread_pages_with_their_comments() {
    let (_dir, mut conn) = view_database();
    with_view(&mut conn, |v| {
        let [a, b] = new_users(v, ["a", "b"]);
        let ab = v.create_private_chat(a, b, T0).unwrap();
        let mut public = Vec::new();
        for i in 0..10 {
            let at = T0.plus_ms(i);
            public.push(
                v.append_message(PUBLIC_CHAT, NewText::new(a, &format!("p{i}"), at))
                    .unwrap(),
            );
            // Interleave a private message so that public ids are not contiguous.
            v.append_message(ab, NewText::new(b, &format!("q{i}"), at))
                .unwrap();
        }
        let c1 = v
            .append_comment(public[3], NewText::new(b, "first", T0.plus_ms(100)))
            .unwrap();
        let c2 = v
            .append_comment(public[3], NewText::new(a, "second", T0.plus_ms(101)))
            .unwrap();
        let c3 = v
            .append_comment(public[8], NewText::new(a, "other", T0.plus_ms(102)))
            .unwrap();
        assert!(c1 < c2 && c2 < c3);
        assert!(v
            .append_comment(999_999, NewText::new(a, "nowhere", T0))
            .is_err());
        assert_eq!(v.chat_of_message(public[3]).unwrap(), Some(PUBLIC_CHAT));
        assert_eq!(v.chat_of_message(public[3] + 1).unwrap(), Some(ab));
        assert_eq!(v.chat_of_message(999_999).unwrap(), None);

        // The last 4 at or before public[5], oldest first.
        let page = v
            .messages_up_to(history(PUBLIC_CHAT, public[5], 4, 20))
            .unwrap();
        let ids: Vec<_> = page.iter().map(|m| m.id).collect();
        assert_eq!(ids, public[2..6]);
        assert_eq!(page[0].text, "p2");
        assert_eq!(page[0].author, "a");
        assert_eq!(page[0].pub_date, T0.plus_ms(2));
        assert!(page[0].comments.is_empty());
        let with_comments = &page[1];
        assert_eq!(with_comments.id, public[3]);
        let texts: Vec<_> = with_comments
            .comments
            .iter()
            .map(|c| c.text.as_str())
            .collect();
        assert_eq!(texts, ["first", "second"]);
        assert_eq!(with_comments.comments[0].id, c1);
        assert_eq!(with_comments.comments[0].author, "b");
        assert_eq!(with_comments.comments[0].created, T0.plus_ms(100));

        // A position between public ids (a private message's id) works too.
        let page = v
            .messages_up_to(history(PUBLIC_CHAT, public[5] + 1, 2, 20))
            .unwrap();
        assert_eq!(page.iter().map(|m| m.id).collect::<Vec<_>>(), public[4..6]);

        // The first 3 after public[6].
        let page = v
            .messages_after(history(PUBLIC_CHAT, public[6], 3, 20))
            .unwrap();
        assert_eq!(page.iter().map(|m| m.id).collect::<Vec<_>>(), public[7..10]);
        assert_eq!(page[1].comments.len(), 1);
        assert_eq!(page[1].comments[0].id, c3);

        assert!(v
            .messages_after(history(PUBLIC_CHAT, public[9], 10, 20))
            .unwrap()
            .is_empty());
        assert!(v
            .messages_up_to(history(PUBLIC_CHAT, 0, 10, 20))
            .unwrap()
            .is_empty());
        assert!(v
            .messages_up_to(history(PUBLIC_CHAT, public[9], 0, 20))
            .unwrap()
            .is_empty());
        assert_eq!(
            v.messages_after(history(PUBLIC_CHAT, 0, 100, 20))
                .unwrap()
                .len(),
            10
        );
        let private = v.messages_up_to(history(ab, i64::MAX, 100, 20)).unwrap();
        assert_eq!(private.len(), 10);
        assert!(private
            .iter()
            .all(|m| m.author == "b" && m.comments.is_empty()));

        // Only the newest comments are carried; every one is counted.
        let page = v
            .messages_up_to(history(PUBLIC_CHAT, public[3], 1, 1))
            .unwrap();
        assert_eq!(
            page[0].comments.iter().map(|c| c.id).collect::<Vec<_>>(),
            [c2]
        );
        assert_eq!(page[0].comments_total, 2);
        assert!(v
            .messages_up_to(history(PUBLIC_CHAT, public[3], 1, 0))
            .unwrap()[0]
            .comments
            .is_empty());
        let before = |v: &mut SqlView, before, limit| {
            v.comments_before(CommentPage {
                message: public[3],
                before,
                limit,
            })
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>()
        };
        assert_eq!(before(v, None, 10), [c1, c2]);
        assert_eq!(before(v, None, 1), [c2]);
        assert_eq!(before(v, Some(c2), 10), [c1]);
        assert_eq!(before(v, Some(c1), 10), Vec::<i64>::new());
        let missing = CommentPage {
            message: 999_999,
            before: None,
            limit: 10,
        };
        assert!(v.comments_before(missing).unwrap().is_empty());
    });
}

#[test]
fn reports_are_a_set_per_target() {
    let (_dir, mut conn) = view_database();
    with_view(&mut conn, |v| {
        let [t, r1, r2] = new_users(v, ["t", "r1", "r2"]);
        assert_eq!(v.report_count(t).unwrap(), 0);
        assert!(!v.has_reported(t, r1).unwrap());
        v.add_report(t, r1, T0).unwrap();
        v.add_report(t, r1, T0).unwrap();
        v.add_report(t, r2, T0).unwrap();
        v.add_report(r1, t, T0).unwrap();
        assert!(v.has_reported(t, r1).unwrap());
        assert!(!v.has_reported(r1, r2).unwrap());
        assert_eq!(v.report_count(t).unwrap(), 2);
        v.clear_reports(t).unwrap();
        assert_eq!(v.report_count(t).unwrap(), 0);
        assert!(!v.has_reported(t, r1).unwrap());
        assert_eq!(v.report_count(r1).unwrap(), 1);
    });
}

#[test]
fn first_open_creates_the_schema_and_the_public_chat_and_reopen_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested.db");
    assert!(!path.exists());
    let mut conn = open_database(&config(&path)).unwrap();
    let version: i64 = sql_value(&conn, "PRAGMA user_version");
    assert_eq!(version, schema::SCHEMA_VERSION);
    let mode: String = sql_value(&conn, "PRAGMA journal_mode");
    assert_eq!(mode, "wal");
    let created: i64 = sql_value(&conn, "SELECT created FROM chats WHERE id = 1");
    assert!(
        created > 1_577_836_800_000,
        "created is a real time: {created}"
    );
    let id = with_view(&mut conn, |v| {
        let u = new_user(v, "keep", 4);
        v.join(PUBLIC_CHAT, u, 0).unwrap();
        v.append_message(PUBLIC_CHAT, NewText::new(u, "still here", T0))
            .unwrap()
    });
    drop(conn);

    let mut conn = open_database(&config(&path)).unwrap();
    let again: i64 = sql_value(&conn, "SELECT created FROM chats WHERE id = 1");
    assert_eq!(again, created, "migrations ran once");
    with_view(&mut conn, |v| {
        let page = v
            .messages_up_to(history(PUBLIC_CHAT, i64::MAX, 5, 20))
            .unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].id, id);
        assert_eq!(page[0].text, "still here");
        let u = v.user_by_name("KEEP").unwrap().unwrap();
        assert_eq!(v.chats_of(u.id).unwrap()[0].messages_number, 1);
    });
}

#[test]
fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agora.db");
    drop(open_database(&config(&path)).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", schema::SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    let error = open_database(&config(&path)).unwrap_err();
    assert!(error.to_string().contains("newer"), "{error}");
}

#[test]
fn an_unopenable_path_is_an_open_error() {
    let dir = tempfile::tempdir().unwrap();
    let error = open_database(&config(&dir.path().join("missing/dir/agora.db"))).unwrap_err();
    assert!(error.to_string().contains("missing/dir"), "{error}");
}

/// The hot queries are index searches, never scans of a whole table.
#[test]
fn queries_use_the_indexes() {
    let (_dir, conn) = view_database();
    let plan = |sql: &str| -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        rows.join(" | ")
    };
    let cases = [
        (
            "SELECT id FROM users WHERE token_hash = x'00'",
            "token_hash",
        ),
        ("SELECT id FROM users WHERE name_key = 'a'", "name_key"),
        (
            "SELECT id FROM messages WHERE chat_id = 1 AND id > 5 ORDER BY id LIMIT 3",
            "messages_by_chat",
        ),
        (
            "SELECT count(*) FROM messages WHERE chat_id = 1 AND id > 5",
            "messages_by_chat",
        ),
        (
            "SELECT id FROM comments WHERE chat_id = 1 AND message_id BETWEEN 1 AND 9",
            "comments_by_chat_message",
        ),
        (
            "SELECT count(*) FROM reports WHERE target = 3",
            "PRIMARY KEY",
        ),
        (
            "SELECT id FROM chats WHERE user_a = 1 AND user_b = 2",
            "chats_by_pair",
        ),
        (
            "SELECT chat_id FROM members WHERE user_id = 1",
            "PRIMARY KEY",
        ),
    ];
    for (sql, index) in cases {
        let plan = plan(sql);
        assert!(plan.contains(index), "{sql}: {plan}");
        assert!(!plan.contains("SCAN"), "{sql}: {plan}");
    }
}

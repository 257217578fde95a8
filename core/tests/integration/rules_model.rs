//! The model's `View` semantics, method by method, as `view.rs` documents
//! them: what the SQLite view must do too.

use agora_core::time::UnixMillis;
use agora_core::token::{Token, TokenHash};
use agora_core::view::NewText;
use agora_core::view::{ChatKind, CommentPage, NewUser, View, PUBLIC_CHAT};
use agora_testkit::model::{history, Model};

fn hash(i: u8) -> agora_core::token::TokenHash {
    Token([i; 16]).hash()
}

/// User `name` with token hash `hash` from 127.0.0.1 at `at`.
fn new_user<'a>(name: &'a str, hash: &'a TokenHash, at: i64) -> NewUser<'a> {
    NewUser {
        name,
        hash,
        origin: "127.0.0.1",
        now: UnixMillis(at),
    }
}

/// Creates user `name` with token `i` from 127.0.0.1 at `at`, which must
/// succeed: its id.
fn add_user(m: &mut Model, name: &str, i: u8, at: i64) -> i64 {
    m.create_user(new_user(name, &hash(i), at)).unwrap()
}

/// Message `text` by `author` in `chat` at `at`, which must be accepted.
fn sent(m: &mut Model, chat: i64, author: i64, text: &str, at: i64) -> i64 {
    m.append_message(chat, NewText::new(author, text, UnixMillis(at)))
        .unwrap()
}

/// Comment `text` by `author` on `message` at `at`, which must be accepted.
fn commented(m: &mut Model, message: i64, author: i64, text: &str, at: i64) -> i64 {
    m.append_comment(message, NewText::new(author, text, UnixMillis(at)))
        .unwrap()
}

#[test]
fn users_by_token_and_by_name_without_case() {
    let mut m = Model::new(UnixMillis(5));
    let id = add_user(&mut m, "Alice", 1, 6);
    assert_eq!(id, 1);
    let u = m.user_by_name("aLICE").unwrap().unwrap();
    assert_eq!(
        (
            u.id,
            u.name.as_str(),
            u.banned_until,
            u.window_start,
            u.window_count
        ),
        (1, "Alice", None, None, 0)
    );
    assert_eq!(m.user_by_token(&hash(1)).unwrap().unwrap().id, 1);
    assert!(m.user_by_token(&hash(2)).unwrap().is_none());
    assert!(m.user_by_name("Alic").unwrap().is_none());
    // Duplicates are refused, not silently merged.
    assert!(m.create_user(new_user("ALICE", &hash(2), 7)).is_err());
    assert!(m.create_user(new_user("bob", &hash(1), 7)).is_err());
    assert_eq!(add_user(&mut m, "bob", 2, 7), 2);
    // No chats until joined.
    assert!(m.chats_of(2).unwrap().is_empty());
    assert_eq!(m.read_position(PUBLIC_CHAT, 2).unwrap(), None);
}

#[test]
fn save_user_writes_back_the_mutable_fields_only() {
    let mut m = Model::new(UnixMillis(0));
    add_user(&mut m, "a", 1, 0);
    let mut u = m.user_by_name("a").unwrap().unwrap();
    u.name = "zzz".into();
    u.banned_until = Some(UnixMillis(10));
    u.window_start = Some(UnixMillis(3));
    u.window_count = 2;
    m.save_user(&u).unwrap();
    let back = m.user_by_token(&hash(1)).unwrap().unwrap();
    assert_eq!(back.name, "a");
    assert_eq!(
        (back.banned_until, back.window_start, back.window_count),
        (u.banned_until, u.window_start, 2)
    );
    u.id = 99;
    m.save_user(&u).unwrap();
}

#[test]
fn messages_positions_and_summaries() {
    let mut m = Model::new(UnixMillis(100));
    let a = add_user(&mut m, "a", 1, 0);
    let b = add_user(&mut m, "b", 2, 0);
    m.join(PUBLIC_CHAT, a, 0).unwrap();
    assert_eq!(m.latest_message(PUBLIC_CHAT).unwrap(), 0);
    let p1 = sent(&mut m, PUBLIC_CHAT, a, "one", 101);
    assert_eq!(m.private_chat(a, b).unwrap(), None);
    let chat = m.create_private_chat(a, b, UnixMillis(102)).unwrap();
    assert_ne!(chat, PUBLIC_CHAT);
    assert_eq!(m.private_chat(b, a).unwrap(), Some(chat));
    assert!(m.create_private_chat(b, a, UnixMillis(102)).is_err());
    assert_eq!(m.read_position(chat, b).unwrap(), Some(0));
    let q1 = sent(&mut m, chat, b, "psst", 103);
    let p2 = sent(&mut m, PUBLIC_CHAT, a, "two", 104);
    let p3 = sent(&mut m, PUBLIC_CHAT, a, "three", 105);
    assert!(p1 < q1 && q1 < p2 && p2 < p3);
    assert_eq!(m.latest_message(PUBLIC_CHAT).unwrap(), p3);
    assert_eq!(m.chat_of_message(q1).unwrap(), Some(chat));
    assert_eq!(m.chat_of_message(p3 + 1).unwrap(), None);

    let ids = |v: Vec<agora_core::view::StoredMessage>| v.iter().map(|m| m.id).collect::<Vec<_>>();
    assert_eq!(
        ids(m.messages_up_to(history(PUBLIC_CHAT, p2, 10, 20)).unwrap()),
        [p1, p2]
    );
    assert_eq!(
        ids(m.messages_up_to(history(PUBLIC_CHAT, p2, 1, 20)).unwrap()),
        [p2]
    );
    assert_eq!(
        ids(m.messages_up_to(history(PUBLIC_CHAT, q1, 10, 20)).unwrap()),
        [p1]
    );
    assert_eq!(
        ids(m.messages_up_to(history(PUBLIC_CHAT, p3, 0, 20)).unwrap()),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(m.messages_after(history(PUBLIC_CHAT, 0, 2, 20)).unwrap()),
        [p1, p2]
    );
    assert_eq!(
        ids(m.messages_after(history(PUBLIC_CHAT, q1, 10, 20)).unwrap()),
        [p2, p3]
    );
    assert_eq!(
        ids(m.messages_after(history(PUBLIC_CHAT, p3, 10, 20)).unwrap()),
        Vec::<i64>::new()
    );

    let c1 = commented(&mut m, p2, b, "+1", 106);
    let c2 = commented(&mut m, p2, a, "ok", 107);
    assert!(c1 < c2);
    assert!(m
        .append_comment(p3 + 5, NewText::new(a, "x", UnixMillis(0)))
        .is_err());
    let full = m
        .messages_after(history(PUBLIC_CHAT, p1, 1, 20))
        .unwrap()
        .remove(0);
    assert_eq!(
        (full.author.as_str(), full.text.as_str(), full.pub_date),
        ("a", "two", UnixMillis(104))
    );
    let comments: Vec<_> = full
        .comments
        .iter()
        .map(|c| (c.id, c.author.as_str(), c.text.as_str(), c.created))
        .collect();
    assert_eq!(
        comments,
        [
            (c1, "b", "+1", UnixMillis(106)),
            (c2, "a", "ok", UnixMillis(107))
        ]
    );
    assert_eq!(full.comments_total, 2);
    // Only the newest comments are carried; the rest are paged.
    let newest = m
        .messages_after(history(PUBLIC_CHAT, p1, 1, 1))
        .unwrap()
        .remove(0);
    assert_eq!(
        newest.comments.iter().map(|c| c.id).collect::<Vec<_>>(),
        [c2]
    );
    assert_eq!(newest.comments_total, 2);
    let page = |message, before, limit| {
        let page = CommentPage {
            message,
            before,
            limit,
        };
        let comments = m.clone().comments_before(page).unwrap();
        comments.iter().map(|c| c.id).collect::<Vec<_>>()
    };
    assert_eq!(page(p2, None, 10), [c1, c2]);
    assert_eq!(page(p2, None, 1), [c2]);
    assert_eq!(page(p2, Some(c2), 10), [c1]);
    assert_eq!(page(p2, Some(c1), 10), Vec::<i64>::new());
    assert!(page(p3 + 5, None, 10).is_empty());

    let member = |user| agora_core::view::ChatUser {
        chat: PUBLIC_CHAT,
        user,
    };
    m.set_read_position(member(a), p2).unwrap();
    m.set_read_position(member(b), p2).unwrap(); // not a member: no-op
    assert_eq!(m.read_position(PUBLIC_CHAT, b).unwrap(), None);
    m.join(PUBLIC_CHAT, b, p3).unwrap();
    m.join(PUBLIC_CHAT, b, p1).unwrap(); // already a member: position set
    assert_eq!(m.read_position(PUBLIC_CHAT, b).unwrap(), Some(p1));

    let mut chats = m.chats_of(a).unwrap();
    chats.sort_by_key(|c| c.id);
    assert_eq!(chats.len(), 2);
    let (public, private) = (&chats[0], &chats[1]);
    assert_eq!(public.kind, ChatKind::Public);
    assert_eq!(
        (
            public.created,
            public.messages_number,
            public.users_number,
            public.unread,
            public.last_message
        ),
        (UnixMillis(100), 3, 2, 1, p3)
    );
    assert_eq!(private.kind, ChatKind::Private { other: "b".into() });
    assert_eq!(
        (
            private.created,
            private.messages_number,
            private.users_number,
            private.unread,
            private.last_message
        ),
        (UnixMillis(102), 1, 2, 1, q1)
    );
}

#[test]
fn reports() {
    let mut m = Model::new(UnixMillis(0));
    assert_eq!(m.report_count(1).unwrap(), 0);
    m.add_report(1, 2, UnixMillis(0)).unwrap();
    m.add_report(1, 2, UnixMillis(1)).unwrap();
    m.add_report(1, 3, UnixMillis(1)).unwrap();
    m.add_report(2, 1, UnixMillis(1)).unwrap();
    assert!(m.has_reported(1, 2).unwrap());
    assert!(!m.has_reported(2, 3).unwrap());
    assert_eq!(m.report_count(1).unwrap(), 2);
    m.clear_reports(1).unwrap();
    assert_eq!(m.report_count(1).unwrap(), 0);
    assert!(!m.has_reported(1, 2).unwrap());
    assert_eq!(m.report_count(2).unwrap(), 1);
}

#[test]
fn odd_calls_answer_errors_not_panics() {
    let mut m = Model::new(UnixMillis(0));
    assert!(m
        .append_message(0, NewText::new(1, "x", UnixMillis(0)))
        .is_err());
    assert!(m
        .append_message(-5, NewText::new(1, "x", UnixMillis(0)))
        .is_err());
    assert!(m.join(77, 1, 0).is_err());
    let member = agora_core::view::ChatUser { chat: 77, user: 1 };
    m.set_read_position(member, 0).unwrap();
    assert_eq!(m.read_position(-1, 1).unwrap(), None);
    assert!(m
        .messages_up_to(history(77, 10, 10, 20))
        .unwrap()
        .is_empty());
    assert!(m
        .messages_after(history(i64::MIN, 0, u32::MAX, 20))
        .unwrap()
        .is_empty());
    assert_eq!(m.latest_message(i64::MAX).unwrap(), 0);
    // After a failed append, ids stay dense.
    assert_eq!(
        m.append_message(PUBLIC_CHAT, NewText::new(1, "x", UnixMillis(0)))
            .unwrap(),
        1
    );
}

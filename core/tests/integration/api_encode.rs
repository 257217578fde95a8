//! `api::encode`: the exact status, headers and JSON body of every outcome.

use agora_core::api;
use agora_core::command::{Failure, Outcome, StatusReport};
use agora_core::http::Response;
use agora_core::json_size;
use agora_core::time::UnixMillis;
use agora_core::token::Token;
use agora_core::view::{ChatKind, ChatSummary, Reaction, StoredComment, StoredMessage};
use serde_json::{json, Value};

/// 2026-11-29T08:06:05.123Z
const T: UnixMillis = UnixMillis(1_795_939_565_123);
const T_TEXT: &str = "2026-11-29T08:06:05.123Z";

/// The body as JSON, after checking that it is one compact document and a
/// final newline (so that a terminal's prompt starts on a line of its own).
#[track_caller]
fn parsed(r: &Response) -> Value {
    let document = r.body.strip_suffix(b"\n").expect("the body ends with \\n");
    assert!(!document.contains(&b'\n'), "one line of JSON");
    serde_json::from_slice(document).unwrap()
}

#[track_caller]
fn check(outcome: Outcome, status: u16, expected: Value) -> Response {
    let r = api::encode(&outcome);
    assert_eq!(r.status, status);
    assert_eq!(parsed(&r), expected);
    r
}

#[test]
fn token_issued() {
    let r = check(
        Outcome::TokenIssued {
            token: Token([0xa5; 16]),
            user_name: "Alice".into(),
        },
        200,
        json!({"token": "a5".repeat(16), "user_name": "Alice"}),
    );
    assert!(r.headers.is_empty());
}

#[test]
fn connected_with_messages_and_comments() {
    let message = StoredMessage {
        id: 17,
        author: "alice".into(),
        pub_date: T,
        text: "hi \"there\"\n".into(),
        comments: vec![StoredComment {
            id: 3,
            author: "bob".into(),
            created: UnixMillis(T.0 + 1),
            text: "+1".into(),
            ..StoredComment::default()
        }],
        comments_total: 25,
        edited: Some(T),
        reactions: vec![Reaction {
            emoji: "👍".into(),
            count: 30,
            users: vec!["bob".into(), "cy".into()],
        }],
        mentions: vec!["Bob".into()],
        ..StoredMessage::default()
    };
    let bare = StoredMessage {
        id: 18,
        comments: vec![],
        comments_total: 0,
        text: String::new(),
        edited: None,
        deleted: true,
        deleted_by: Some("Mod".into()),
        ..message.clone()
    };
    check(
        Outcome::Connected {
            chat: "public_chat".into(),
            messages: vec![message],
            history_truncated: false,
            unread_messages: vec![bare],
            unread_truncated: true,
        },
        200,
        json!({
            "chat": "public_chat",
            "messages": [{
                "id": 17, "author": "alice", "pub_date": T_TEXT, "message_text": "hi \"there\"\n",
                "comments": [{"id": 3, "author": "bob", "created": "2026-11-29T08:06:05.124Z",
                              "comment_text": "+1", "edited": null, "deleted": false}],
                "comments_total": 25, "edited": T_TEXT, "deleted": false,
                "reactions": [{"emoji": "👍", "count": 30, "users": ["bob", "cy"]}],
                "mentions": ["Bob"]
            }],
            "history_truncated": false,
            "unread_messages": [{
                "id": 18, "author": "alice", "pub_date": T_TEXT, "message_text": "",
                "comments": [], "comments_total": 0, "edited": null, "deleted": true,
                "deleted_by": "Mod",
                "reactions": [{"emoji": "👍", "count": 30, "users": ["bob", "cy"]}],
                "mentions": ["Bob"]
            }],
            "unread_truncated": true
        }),
    );
    check(
        Outcome::Connected {
            chat: "bob".into(),
            messages: vec![],
            history_truncated: true,
            unread_messages: vec![],
            unread_truncated: false,
        },
        200,
        json!({"chat": "bob", "messages": [], "history_truncated": true,
               "unread_messages": [], "unread_truncated": false}),
    );
}

#[test]
fn a_page_of_comments() {
    let comment = |id| StoredComment {
        id,
        author: "bob".into(),
        created: T,
        text: format!("c{id}"),
        ..StoredComment::default()
    };
    check(
        Outcome::Comments {
            message_id: 17,
            comments: vec![comment(3), comment(4)],
            more: true,
        },
        200,
        json!({"message_id": 17, "more": true, "comments": [
            {"id": 3, "author": "bob", "created": T_TEXT, "comment_text": "c3",
             "edited": null, "deleted": false},
            {"id": 4, "author": "bob", "created": T_TEXT, "comment_text": "c4",
             "edited": null, "deleted": false}
        ]}),
    );
}

proptest::proptest! {
    /// The rules stop pages at byte budgets with `json_size`'s counts: they
    /// must be exactly what the encoder writes, whatever the text.
    #[test]
    fn json_size_is_what_the_encoder_writes(
        id in 1i64..i64::MAX,
        author in "[a-zA-Z0-9_.-]{1,32}",
        text in "(?s).{0,40}",
        comment_texts in proptest::collection::vec("(?s).{0,20}", 0..4),
        total in 0u64..100_000,
        at in -62_000_000_000_000i64..300_000_000_000_000,
        edited in proptest::option::of(0i64..300_000_000_000_000),
        deleted_by in proptest::option::of("[a-z]{1,5}"),
        reactions in proptest::collection::vec(
            ("(?s).{1,3}", 0u64..5_000, proptest::collection::vec("[a-z.]{1,8}", 0..3)),
            0..3,
        ),
        mentions in proptest::collection::vec("[a-zA-Z0-9_.-]{1,32}", 0..3),
    ) {
        let reactions: Vec<Reaction> = reactions
            .into_iter()
            .map(|(emoji, count, users)| Reaction { emoji, count, users })
            .collect();
        let comments: Vec<StoredComment> = comment_texts
            .into_iter()
            .enumerate()
            .map(|(i, text)| StoredComment {
                id: i as i64 + 1,
                author: author.clone(),
                created: UnixMillis(at),
                text,
                edited: edited.map(UnixMillis),
                deleted: i % 2 == 1,
                deleted_by: deleted_by.clone().filter(|_| i % 2 == 1),
            })
            .collect();
        let message = StoredMessage {
            id,
            author,
            pub_date: UnixMillis(at),
            text,
            comments: comments.clone(),
            comments_total: total,
            edited: edited.map(UnixMillis),
            deleted: deleted_by.is_some(),
            deleted_by,
            reactions,
            mentions,
        };
        let page = |messages: Vec<StoredMessage>| {
            api::encode(&Outcome::Connected {
                chat: "public_chat".into(),
                messages,
                history_truncated: false,
                unread_messages: vec![],
                unread_truncated: false,
            })
            .body
            .len()
        };
        let one = page(vec![message.clone()]) - page(vec![]);
        proptest::prop_assert_eq!(one, json_size::message_len(&message));
        let two = page(vec![message.clone(), message.clone()]) - page(vec![]);
        let both = json_size::list_len([one, one].into_iter());
        proptest::prop_assert_eq!(two, both);
        let listed = |comments: Vec<StoredComment>| {
            api::encode(&Outcome::Comments { message_id: 1, comments, more: false }).body.len()
        };
        let in_page = listed(comments.clone()) - listed(vec![]);
        let counted = json_size::list_len(comments.iter().map(json_size::comment_len));
        proptest::prop_assert_eq!(in_page, counted);
    }
}

#[test]
fn status() {
    let chat = |id, kind, unread| ChatSummary {
        id,
        kind,
        created: T,
        messages_number: 42,
        users_number: 2,
        unread,
        last_message: 9,
        mentions: unread / 2,
    };
    check(
        Outcome::Status(StatusReport {
            connected_as: "alice".into(),
            chats: vec![
                chat(1, ChatKind::Public, 5),
                chat(
                    2,
                    ChatKind::Private {
                        other: "Bob".into(),
                    },
                    0,
                ),
            ],
            cautions: 2,
            banned_until: Some(T),
            public_messages_left: 7,
            quota_resets_at: Some(T),
        }),
        200,
        json!({
            "connected_as": "alice",
            "chats": [
                {"chat_type": "public", "name": "public_chat", "created": T_TEXT,
                 "messages_number": 42, "users_number": 2, "unread": 5, "mentions": 2},
                {"chat_type": "private", "name": "Bob", "created": T_TEXT,
                 "messages_number": 42, "users_number": 2, "unread": 0, "mentions": 0}
            ],
            "cautions": 2,
            "banned_until": T_TEXT,
            "public_messages_left": 7,
            "quota_resets_at": T_TEXT
        }),
    );
    check(
        Outcome::Status(StatusReport {
            connected_as: "alice".into(),
            chats: vec![],
            cautions: 0,
            banned_until: None,
            public_messages_left: 20,
            quota_resets_at: None,
        }),
        200,
        json!({"connected_as": "alice", "chats": [], "cautions": 0, "banned_until": null,
               "public_messages_left": 20, "quota_resets_at": null}),
    );
}

#[test]
fn created_outcomes() {
    check(
        Outcome::MessageSent {
            message_id: 18,
            pub_date: T,
        },
        201,
        json!({"info": "message sent", "message_id": 18, "pub_date": T_TEXT}),
    );
    check(
        Outcome::CommentAdded { comment_id: 3 },
        201,
        json!({"info": "comment added", "comment_id": 3}),
    );
    check(
        Outcome::ReportAccepted {
            cautions: 2,
            banned_until: None,
        },
        201,
        json!({"info": "report accepted", "cautions": 2, "banned_until": null}),
    );
    check(
        Outcome::ReportAccepted {
            cautions: 0,
            banned_until: Some(T),
        },
        201,
        json!({"info": "report accepted", "cautions": 0, "banned_until": T_TEXT}),
    );
    check(
        Outcome::AlreadyBanned { banned_until: T },
        200,
        json!({"info": "user is already banned", "banned_until": T_TEXT}),
    );
}

#[test]
fn warnings_carry_retry_after_rounded_up() {
    for (left_ms, seconds) in [
        (1u64, 1u64),
        (999, 1),
        (1000, 1),
        (1001, 2),
        (3_600_000, 3600),
    ] {
        let until = T.plus_ms(left_ms);
        for (outcome, status, code) in [
            (
                Outcome::QuotaExceeded { until, now: T },
                429,
                "quota_exceeded",
            ),
            (
                Outcome::CommentQuotaExceeded { until, now: T },
                429,
                "comment_quota_exceeded",
            ),
            (Outcome::Banned { until, now: T }, 403, "banned"),
        ] {
            let r = api::encode(&outcome);
            let b = parsed(&r);
            assert_eq!(r.status, status);
            assert_eq!(b["code"], code);
            assert_eq!(b["retry_after"], seconds);
            assert!(b["warning"].as_str().is_some_and(|w| !w.is_empty()));
            assert_eq!(b.as_object().unwrap().len(), 3);
            assert_eq!(r.header("Retry-After"), Some(seconds.to_string().as_str()));
        }
    }
}

#[test]
fn failures() {
    for (failure, status, code) in [
        (Failure::Unauthorized, 401, "unauthorized"),
        (Failure::TokenAlreadyIssued, 409, "token_already_issued"),
        (Failure::UserNotFound, 404, "user_not_found"),
        (Failure::MessageNotFound, 404, "message_not_found"),
        (Failure::SelfTarget { field: "send_to" }, 400, "self_target"),
        (Failure::AlreadyReported, 409, "already_reported"),
        (Failure::NoSharedChat, 403, "no_shared_chat"),
        (Failure::StoreUnavailable, 503, "store_unavailable"),
        (Failure::Overloaded, 503, "overloaded"),
    ] {
        let r = api::encode(&Outcome::Failed(failure));
        let b = parsed(&r);
        assert_eq!(r.status, status, "{failure:?}");
        assert_eq!(b["code"], code);
        assert!(b["error"].as_str().is_some_and(|e| !e.is_empty()));
        let expected_field = matches!(failure, Failure::SelfTarget { .. }).then_some("send_to");
        assert_eq!(b.get("field").and_then(Value::as_str), expected_field);
        assert_eq!(
            b.as_object().unwrap().len(),
            2 + usize::from(expected_field.is_some())
        );
        let www = (status == 401).then_some("Bearer");
        assert_eq!(r.header("WWW-Authenticate"), www);
        let retry = (status == 503).then_some("1");
        assert_eq!(r.header("Retry-After"), retry);
    }
}

#[test]
fn health() {
    let ok = check(
        Outcome::Health { available: true },
        200,
        json!({"status": "ok"}),
    );
    assert!(ok.headers.is_empty());
    let unavailable = check(
        Outcome::Health { available: false },
        503,
        json!({"status": "unavailable", "code": "store_unavailable",
               "error": "the database does not answer"}),
    );
    assert_eq!(unavailable.header("Retry-After"), Some("1"));
}

#[test]
fn events_pages_and_the_machines_own_errors_end_with_a_newline_too() {
    let event = br#"{"id":1,"type":"banned","banned_until":null}"#;
    let page = api::events_page([&event[..]], 1, false);
    assert_eq!(
        parsed(&page),
        json!({"events": [{"id": 1, "type": "banned", "banned_until": null}],
               "next": 1, "more": false})
    );
    let empty = api::events_page(std::iter::empty(), 7, true);
    assert_eq!(empty.body, b"{\"events\":[],\"next\":7,\"more\":true}\n");
    let refusal = api::error_response(400, api::ErrorCode::BadRequest, "bad", None);
    assert_eq!(parsed(&refusal)["error"], "bad");
    // A stream's events are not bodies of their own: no newline inside a frame.
    let banned = agora_core::events::Event {
        id: 3,
        body: agora_core::events::EventBody::Banned { user: 1, until: T },
    };
    let published = api::Published::new(banned);
    assert!(!published.encoded_for(1).json.ends_with(b"\n"));
}

/// The hub and the events page budget size events with `json_size::event_len`
/// before encoding them: each kind of event, in each kind of chat and for
/// each member, is counted exactly as `Published::encoded_for` writes it.
#[test]
fn event_len_is_what_event_json_writes() {
    use agora_core::events::{Change, Event, EventBody, EventChat, MemberAction};
    let comment = StoredComment {
        id: 4,
        author: "bob".into(),
        created: T,
        text: "a \"quoted\" reply\n".into(),
        edited: Some(T),
        ..StoredComment::default()
    };
    let message = StoredMessage {
        id: 1_234,
        author: "alice".into(),
        pub_date: T,
        text: "hello, é 😀".into(),
        comments: vec![comment.clone()],
        comments_total: 3,
        mentions: vec!["bob".into()],
        ..StoredMessage::default()
    };
    let reactions = vec![Reaction {
        emoji: "👍".into(),
        count: 2,
        users: vec!["alice".into(), "bob".into()],
    }];
    let chats = [
        EventChat::Public,
        EventChat::Private {
            id: 2,
            members: [(1, "alice".into()), (2, "Bob".into())],
        },
        EventChat::Room {
            id: 3,
            name: "#design".into(),
        },
    ];
    let mut bodies = vec![
        EventBody::Banned { user: 2, until: T },
        EventBody::SignedOut { user: 2 },
        EventBody::Member {
            room: 3,
            room_name: "#design".into(),
            user: 2,
            user_name: "Bob".into(),
            action: MemberAction::Invited,
        },
    ];
    for chat in chats {
        let message_id = message.id;
        bodies.extend([
            EventBody::Message {
                chat: chat.clone(),
                message: message.clone(),
            },
            EventBody::Comment {
                chat: chat.clone(),
                message_id,
                comment: comment.clone(),
            },
            EventBody::MessageChanged {
                chat: chat.clone(),
                change: Change::Edited,
                message: message.clone(),
            },
            EventBody::CommentChanged {
                chat: chat.clone(),
                change: Change::Deleted,
                message_id,
                comment: comment.clone(),
            },
            EventBody::Reaction {
                chat,
                message_id,
                reactions: reactions.clone(),
            },
        ]);
    }
    for (i, body) in bodies.into_iter().enumerate() {
        let event = Event {
            id: 1_000 + i as i64,
            body,
        };
        let published = api::Published::new(event);
        let event: &Event = &published;
        for viewer in [1, 2] {
            let written = published.encoded_for(viewer).json.len();
            let counted = json_size::event_len(event, viewer);
            assert_eq!(counted, written, "{event:?} for user {viewer}");
        }
    }
}

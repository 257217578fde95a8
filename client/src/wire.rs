//! The response bodies of API.md, as the client reads them. Unknown fields
//! are ignored, so a newer server stays readable.

use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct TokenReply {
    pub token: String,
    pub user_name: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Comment {
    pub id: u64,
    pub author: String,
    pub created: String,
    pub comment_text: String,
    #[serde(flatten)]
    pub changes: Changes,
}

/// (issue 26) What became of a message or comment since it was posted: the
/// same three fields on both, absent from older servers.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Changes {
    pub edited: Option<String>,
    pub deleted: bool,
    pub deleted_by: Option<String>,
}

/// (issue 26) One emoji's reactions to a message.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Reaction {
    pub emoji: String,
    pub count: u64,
    #[serde(default)]
    pub users: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Message {
    pub id: u64,
    pub author: String,
    pub pub_date: String,
    pub message_text: String,
    #[serde(default)]
    pub comments: Vec<Comment>,
    #[serde(flatten)]
    pub changes: Changes,
    // (issue 26) Absent from older servers.
    #[serde(default)]
    pub reactions: Vec<Reaction>,
    #[serde(default)]
    pub mentions: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ConnectReply {
    pub chat: String,
    pub messages: Vec<Message>,
    pub unread_messages: Vec<Message>,
    #[serde(default)]
    pub unread_truncated: bool,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ChatSummary {
    pub chat_type: String,
    pub name: String,
    pub created: String,
    pub messages_number: u64,
    pub users_number: u64,
    pub unread: u64,
    /// (issue 26) Unread messages that mention the caller.
    #[serde(default)]
    pub mentions: u64,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Status {
    pub connected_as: String,
    pub chats: Vec<ChatSummary>,
    pub cautions: u32,
    pub banned_until: Option<String>,
    pub public_messages_left: u32,
    pub quota_resets_at: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct SendReply {
    pub message_id: u64,
    pub pub_date: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct CommentReply {
    pub comment_id: u64,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ReportReply {
    pub info: String,
    pub cautions: Option<u32>,
    pub banned_until: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ReadReply {
    pub unread: u64,
}

/// (issue 26) `POST /edit`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct EditReply {
    pub edited: String,
}

/// (issue 26) `POST /delete`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct DeleteReply {
    pub info: String,
}

/// (issue 26) `POST /react`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ReactReply {
    pub message_id: u64,
    pub reactions: Vec<Reaction>,
}

/// `GET /events`: events after the cursor asked for, each as the server wrote
/// it (`agora watch --json` prints them as they are), and the cursor after them.
#[derive(Debug, Deserialize)]
pub struct EventPage {
    pub events: Vec<Box<RawValue>>,
    pub next: u64,
}

/// One event of `GET /events`, as far as the client reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub id: u64,
    pub kind: EventKind,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum EventKind {
    Message {
        chat_type: String,
        chat: String,
        message: Message,
    },
    Comment {
        chat_type: String,
        chat: String,
        message_id: u64,
        comment: Comment,
    },
    Banned {
        banned_until: String,
    },
    // (issue 26) A message (`message`) or a comment (`message_id` and
    // `comment`) edited, or deleted (its tombstone); a message's reactions.
    Edited {
        chat_type: String,
        chat: String,
        #[serde(flatten)]
        changed: Changed,
    },
    Deleted {
        chat_type: String,
        chat: String,
        #[serde(flatten)]
        changed: Changed,
    },
    Reaction {
        chat_type: String,
        chat: String,
        message_id: u64,
        reactions: Vec<Reaction>,
    },
    /// v3: someone joined, left or was invited to a room.
    Member {
        chat: String,
        user_name: String,
        action: String,
    },
    /// A type this client does not know (from a newer server), or one it
    /// cannot read: its id still moves the cursor on.
    #[serde(other)]
    Other,
}

impl Event {
    /// (tests) The event `json` reads as, as a test writes one down.
    #[cfg(test)]
    pub fn from_json(json: &str) -> Event {
        Event::read(&RawValue::from_string(json.to_owned()).unwrap()).expect("an event")
    }

    /// Reads one event; only its `id` is required.
    pub fn read(raw: &RawValue) -> Result<Event, serde_json::Error> {
        #[derive(Deserialize)]
        struct Id {
            id: u64,
        }
        let Id { id } = serde_json::from_str(raw.get())?;
        let kind = serde_json::from_str(raw.get()).unwrap_or(EventKind::Other);
        Ok(Event { id, kind })
    }
}

/// (issue 26) What an `edited` or `deleted` event is about.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Changed {
    Comment { message_id: u64, comment: Comment },
    Message { message: Message },
}

/// A 4xx/5xx answer: an error or a warning (quota, ban) body, kept raw too
/// for `--json`. `retry_after` falls back on the `Retry-After` header.
/// `hint` is the client's own: what to do next, where it knows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub raw: Vec<u8>,
    pub error: Option<String>,
    pub warning: Option<String>,
    pub code: Option<String>,
    pub field: Option<String>,
    pub retry_after: Option<u64>,
    pub hint: Option<String>,
}

impl Refusal {
    pub fn new(status: u16, raw: Vec<u8>, retry_after_header: Option<&str>) -> Refusal {
        #[derive(Deserialize, Default)]
        struct Body {
            error: Option<String>,
            warning: Option<String>,
            code: Option<String>,
            field: Option<String>,
            retry_after: Option<u64>,
        }
        let body: Body = serde_json::from_slice(&raw).unwrap_or_default();
        let header = retry_after_header.and_then(|v| v.trim().parse().ok());
        Refusal {
            status,
            raw,
            error: body.error,
            warning: body.warning,
            code: body.code,
            field: body.field,
            retry_after: body.retry_after.or(header),
            hint: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_warning_with_its_retry() {
        let raw = br#"{"warning":"quota exceeded","code":"quota_exceeded","retry_after":42}"#;
        let r = Refusal::new(429, raw.to_vec(), Some("42"));
        assert_eq!(r.warning.as_deref(), Some("quota exceeded"));
        assert_eq!(r.code.as_deref(), Some("quota_exceeded"));
        assert_eq!(r.retry_after, Some(42));
        assert_eq!(r.error, None);
    }

    #[test]
    fn reads_an_error_and_tolerates_a_non_json_body() {
        let raw = br#"{"error":"bad name","code":"invalid_user_name","field":"user_name"}"#;
        let r = Refusal::new(400, raw.to_vec(), None);
        assert_eq!(r.error.as_deref(), Some("bad name"));
        assert_eq!(r.field.as_deref(), Some("user_name"));
        let r = Refusal::new(502, b"<html>".to_vec(), Some("7"));
        assert_eq!((r.error, r.retry_after), (None, Some(7)));
    }

    #[test]
    fn reads_each_type_of_event() {
        let message = Event::from_json(
            r#"{"id":7,"type":"message","chat_type":"private","chat":"bob","message":
                {"id":3,"author":"bob","pub_date":"2026-11-29T08:06:05.123Z","message_text":"hi",
                 "comments":[],"comments_total":0}}"#,
        );
        assert_eq!(message.id, 7);
        assert!(matches!(&message.kind,
            EventKind::Message { chat_type, chat, message }
                if chat_type == "private" && chat == "bob" && message.id == 3));
        let comment = Event::from_json(
            r#"{"id":8,"type":"comment","chat_type":"public","chat":"public_chat","message_id":3,
                "comment":{"id":1,"author":"eve","created":"2026-11-29T08:07:00Z","comment_text":"+1"}}"#,
        );
        assert!(matches!(&comment.kind,
            EventKind::Comment { message_id: 3, comment, .. } if comment.author == "eve"));
        let ban =
            Event::from_json(r#"{"id":9,"type":"banned","banned_until":"2026-11-29T12:00:00Z"}"#);
        assert!(matches!(ban.kind, EventKind::Banned { .. }));
    }

    #[test]
    fn unknown_or_unreadable_events_keep_their_id() {
        let newer = Event::from_json(r#"{"id":10,"type":"typing","user":"bob"}"#);
        assert_eq!((newer.id, newer.kind), (10, EventKind::Other));
        let odd = Event::from_json(r#"{"id":11,"type":"message","chat":"x"}"#);
        assert_eq!((odd.id, odd.kind), (11, EventKind::Other));
        let no_id = RawValue::from_string(r#"{"type":"message"}"#.to_owned()).unwrap();
        assert!(Event::read(&no_id).is_err(), "no id, no cursor");
    }

    #[test]
    fn messages_without_comments_field_read_as_empty() {
        let m: Message = serde_json::from_str(
            r#"{"id":1,"author":"a","pub_date":"2026-11-29T08:06:05.123Z","message_text":"x","extra":1}"#,
        )
        .unwrap();
        assert!(m.comments.is_empty());
    }
}

//! The response bodies of API.md, as the client reads them. Unknown fields
//! are ignored, so a newer server stays readable.

use serde::Deserialize;

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
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Message {
    pub id: u64,
    pub author: String,
    pub pub_date: String,
    pub message_text: String,
    #[serde(default)]
    pub comments: Vec<Comment>,
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
    fn messages_without_comments_field_read_as_empty() {
        let m: Message = serde_json::from_str(
            r#"{"id":1,"author":"a","pub_date":"2026-11-29T08:06:05.123Z","message_text":"x","extra":1}"#,
        )
        .unwrap();
        assert!(m.comments.is_empty());
    }
}

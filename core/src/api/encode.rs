//! [`Outcome`] -> [`Response`], with API.md's bodies. Bodies are serialized
//! from structs that borrow from the outcome; times are RFC 3339 UTC.

use super::auth::unauthorized;
use super::error::error_response;
use crate::command::{Failure, Outcome, StatusReport};
use crate::error_code::ErrorCode;
use crate::events::{Event, EventBody, EventChat, EventId};
use crate::http::Response;
use crate::time::UnixMillis;
use crate::view::{ChatKind, ChatSummary, Reaction, StoredComment, StoredMessage, UserId};
use serde::{Serialize, Serializer};
use std::io::Write;

mod accounts;
pub(super) use accounts::login_failed;

/// The response API.md gives for an outcome: 200 for `TokenIssued`,
/// `Connected`, `Comments`, `Status` and `AlreadyBanned`; 201 for `MessageSent`,
/// `CommentAdded` and `ReportAccepted`; 429 and 403 warnings with
/// `Retry-After` for `QuotaExceeded` and `Banned`; a [`Failure`]'s own status
/// and `code` otherwise (`WWW-Authenticate: Bearer` on 401, `Retry-After: 1`
/// on 503, `field` on `self_target`).
#[must_use]
pub fn encode(outcome: &Outcome) -> Response {
    match outcome {
        Outcome::TokenIssued { token, user_name } => json(
            200,
            &TokenBody {
                token: &token.to_hex(),
                user_name,
            },
        ),
        Outcome::Connected {
            chat,
            messages,
            history_truncated,
            unread_messages,
            unread_truncated,
        } => json(
            200,
            &ConnectedBody {
                chat,
                messages: Messages(messages),
                history_truncated: *history_truncated,
                unread_messages: Messages(unread_messages),
                unread_truncated: *unread_truncated,
            },
        ),
        Outcome::Events {
            viewer,
            events,
            next,
            more,
        } => {
            let encoded = events
                .iter()
                .map(|e| e.encoded_for(*viewer).json.as_slice());
            events_page(encoded, *next, *more)
        }
        Outcome::ReadMoved { unread } => json(200, &ReadBody { unread: *unread }),
        Outcome::Comments {
            message_id,
            comments,
            more,
        } => json(
            200,
            &CommentsBody {
                message_id: *message_id,
                comments: Comments(comments),
                more: *more,
            },
        ),
        Outcome::Status(report) => json(200, &StatusBody::from(report)),
        Outcome::MessageSent {
            message_id,
            pub_date,
        } => json(
            201,
            &MessageSentBody {
                info: "message sent",
                message_id: *message_id,
                pub_date: Time(*pub_date),
            },
        ),
        Outcome::CommentAdded { comment_id } => json(
            201,
            &CommentAddedBody {
                info: "comment added",
                comment_id: *comment_id,
            },
        ),
        Outcome::ReportAccepted {
            cautions,
            banned_until,
        } => json(
            201,
            &ReportBody {
                info: "report accepted",
                cautions: *cautions,
                banned_until: banned_until.map(Time),
            },
        ),
        Outcome::AlreadyBanned { banned_until } => json(
            200,
            &AlreadyBannedBody {
                info: "user is already banned",
                banned_until: Time(*banned_until),
            },
        ),
        Outcome::QuotaExceeded { until, now } => warning(
            429,
            ErrorCode::QuotaExceeded,
            "public message quota used up for this window",
            now.seconds_until(*until),
        ),
        Outcome::CommentQuotaExceeded { until, now } => warning(
            429,
            ErrorCode::CommentQuotaExceeded,
            "comment quota used up for this window",
            now.seconds_until(*until),
        ),
        Outcome::Banned { until, now } => warning(
            403,
            ErrorCode::Banned,
            "you are banned from sending messages and comments",
            now.seconds_until(*until),
        ),
        Outcome::RegisterRateExceeded { until, now } => warning(
            429,
            ErrorCode::RegisterRateExceeded,
            "too many new users from this address in the last hour",
            now.seconds_until(*until),
        ),
        Outcome::TooManyStreams { retry_after_secs } => warning(
            429,
            ErrorCode::TooManyStreams,
            "too many event streams and long-polls open for this user",
            *retry_after_secs,
        ),
        Outcome::Unbanned {
            user_name,
            was_banned,
        } => json(
            200,
            &UnbannedBody {
                info: "user unbanned",
                user_name,
                was_banned: *was_banned,
            },
        ),
        Outcome::Health { available: true } => json(200, &HealthBody::OK),
        Outcome::Health { available: false } => {
            json(503, &HealthBody::UNAVAILABLE).with_header("Retry-After", "1")
        }
        Outcome::Failed(failure) => failed(*failure),
        Outcome::Edited { edited } => json(
            200,
            &EditedBody {
                info: "edited",
                edited: Time(*edited),
            },
        ),
        Outcome::Deleted => json(200, &DeletedBody { info: "deleted" }),
        Outcome::Reacted {
            message_id,
            reactions,
        } => json(
            200,
            &ReactedBody {
                message_id: *message_id,
                reactions: Reactions(reactions),
            },
        ),
        Outcome::Replayed(answer) => answer.replay(),
        Outcome::History {
            chat,
            messages,
            more,
        } => json(
            200,
            &HistoryBody {
                chat,
                messages: Messages(messages),
                more: *more,
            },
        ),
        Outcome::Users { users, more } => json(
            200,
            &UsersBody {
                users: users
                    .iter()
                    .map(|user_name| UserBody { user_name })
                    .collect(),
                more: *more,
            },
        ),
        // (issue 25) rooms.
        Outcome::RoomCreated { room } => json(
            201,
            &RoomInfoBody {
                info: "room created",
                room,
            },
        ),
        Outcome::Rooms { rooms, truncated } => {
            json(200, &super::rooms_json::rooms(rooms, *truncated))
        }
        Outcome::Joined { room } => json(
            200,
            &RoomInfoBody {
                info: "joined",
                room,
            },
        ),
        Outcome::Left { room } => json(200, &RoomInfoBody { info: "left", room }),
        Outcome::Invited { room, user_name } => json(
            201,
            &InvitedBody {
                info: "invited",
                room,
                user_name,
            },
        ),
        Outcome::Account(outcome) => accounts::encode(outcome),
        Outcome::SearchResults { results, more } => {
            json(200, &super::search_body::SearchBody::new(results, *more))
        }
    }
}

#[derive(Serialize)]
struct RoomInfoBody<'a> {
    info: &'static str,
    room: &'a str,
}

#[derive(Serialize)]
struct InvitedBody<'a> {
    info: &'static str,
    room: &'a str,
    user_name: &'a str,
}

fn failed(failure: Failure) -> Response {
    let (status, code) = (failure.status(), failure.code());
    match failure {
        Failure::Unauthorized => unauthorized("unknown token"),
        Failure::TokenAlreadyIssued => error_response(
            status,
            code,
            "a token was already issued for this user name",
            None,
        ),
        Failure::UserNotFound => error_response(status, code, "no user has this name", None),
        Failure::MessageNotFound => error_response(status, code, "no such message", None),
        Failure::ReporterNotTrusted => error_response(
            status,
            code,
            "reports count only from accounts old enough that have sent a message",
            None,
        ),
        Failure::NotAModerator => error_response(status, code, "only moderators may do this", None),
        Failure::SelfTarget { field } => error_response(
            status,
            code,
            &format!("`{field}` names yourself"),
            Some(field),
        ),
        Failure::AlreadyReported => error_response(
            status,
            code,
            "you already reported this user since its last ban",
            None,
        ),
        Failure::NoSharedChat => error_response(
            status,
            code,
            "a private or room report needs a chat shared with this user",
            None,
        ),
        Failure::StoreUnavailable => {
            error_response(status, code, "the database is unavailable", None)
                .with_header("Retry-After", "1")
        }
        Failure::Overloaded => error_response(status, code, "the server is overloaded", None)
            .with_header("Retry-After", "1"),
        Failure::InvalidSince => error_response(
            status,
            code,
            "`since` is beyond the newest event",
            Some("since"),
        ),
        Failure::IdempotencyKeyReused => error_response(
            status,
            code,
            "this Idempotency-Key was already used with another path or body",
            None,
        ),
        Failure::RoomExists => error_response(status, code, "a room has this name", None),
        Failure::RoomNotFound => error_response(status, code, "no such room", None),
        Failure::NotAMember | Failure::NotAMemberToLeave => {
            error_response(status, code, "you are not a member of this room", None)
        }
        Failure::AlreadyAMember => {
            error_response(status, code, "this user is a member of the room", None)
        }
        Failure::NotAuthor => error_response(
            status,
            code,
            "only its author (or a moderator, to delete) may change this",
            None,
        ),
        Failure::CommentNotFound => error_response(status, code, "no such comment", None),
        Failure::Deleted => error_response(status, code, "this was deleted", None),
        Failure::TooManyReactions => error_response(
            status,
            code,
            "this message has as many different reactions as it may",
            None,
        ),
    }
}

fn json(status: u16, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => Response::json_document(status, bytes),
        // Only maps with non-string keys fail; none of these bodies has one.
        Err(_) => error_response(
            500,
            ErrorCode::InternalError,
            "cannot encode the response",
            None,
        ),
    }
}

fn warning(status: u16, code: ErrorCode, message: &str, retry_after: u64) -> Response {
    json(
        status,
        &WarningBody {
            warning: message,
            code: code.as_str(),
            retry_after,
        },
    )
    .with_header("Retry-After", retry_after.to_string())
}

/// An instant written as RFC 3339 UTC.
#[derive(Clone, Copy)]
pub(super) struct Time(pub(super) UnixMillis);

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0.rfc3339())
    }
}

#[derive(Serialize)]
struct TokenBody<'a> {
    token: &'a str,
    user_name: &'a str,
}

#[derive(Serialize)]
struct ConnectedBody<'a> {
    chat: &'a str,
    messages: Messages<'a>,
    history_truncated: bool,
    unread_messages: Messages<'a>,
    unread_truncated: bool,
}

#[derive(Serialize)]
struct CommentsBody<'a> {
    message_id: i64,
    comments: Comments<'a>,
    more: bool,
}

struct Messages<'a>(&'a [StoredMessage]);

impl Serialize for Messages<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(MessageBody::from))
    }
}

#[derive(Serialize)]
pub(super) struct MessageBody<'a> {
    id: i64,
    author: &'a str,
    pub_date: Time,
    message_text: &'a str,
    comments: Comments<'a>,
    comments_total: u64,
    edited: Option<Time>,
    deleted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted_by: Option<&'a str>,
    reactions: Reactions<'a>,
    mentions: &'a [String],
}

impl<'a> From<&'a StoredMessage> for MessageBody<'a> {
    fn from(m: &'a StoredMessage) -> Self {
        MessageBody {
            id: m.id,
            author: &m.author,
            pub_date: Time(m.pub_date),
            message_text: &m.text,
            comments: Comments(&m.comments),
            comments_total: m.comments_total,
            edited: m.edited.map(Time),
            deleted: m.deleted,
            deleted_by: m.deleted_by.as_deref(),
            reactions: Reactions(&m.reactions),
            mentions: &m.mentions,
        }
    }
}

struct Comments<'a>(&'a [StoredComment]);

impl Serialize for Comments<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(CommentBody::from))
    }
}

impl<'a> From<&'a StoredComment> for CommentBody<'a> {
    fn from(c: &'a StoredComment) -> Self {
        CommentBody {
            id: c.id,
            author: &c.author,
            created: Time(c.created),
            comment_text: &c.text,
            edited: c.edited.map(Time),
            deleted: c.deleted,
            deleted_by: c.deleted_by.as_deref(),
        }
    }
}

/// (issue 26) A message's reactions, as `reactions` of a message object.
struct Reactions<'a>(&'a [Reaction]);

impl Serialize for Reactions<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|r| ReactionBody {
            emoji: &r.emoji,
            count: r.count,
            users: &r.users,
        }))
    }
}

#[derive(Serialize)]
struct ReactionBody<'a> {
    emoji: &'a str,
    count: u64,
    users: &'a [String],
}

#[derive(Serialize)]
struct EditedBody {
    info: &'static str,
    edited: Time,
}

#[derive(Serialize)]
struct DeletedBody {
    info: &'static str,
}

#[derive(Serialize)]
struct ReactedBody<'a> {
    message_id: i64,
    reactions: Reactions<'a>,
}

#[derive(Serialize)]
struct CommentBody<'a> {
    id: i64,
    author: &'a str,
    created: Time,
    comment_text: &'a str,
    edited: Option<Time>,
    deleted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted_by: Option<&'a str>,
}

#[derive(Serialize)]
struct StatusBody<'a> {
    connected_as: &'a str,
    chats: Chats<'a>,
    cautions: u32,
    banned_until: Option<Time>,
    public_messages_left: u32,
    quota_resets_at: Option<Time>,
}

impl<'a> From<&'a StatusReport> for StatusBody<'a> {
    fn from(r: &'a StatusReport) -> Self {
        StatusBody {
            connected_as: &r.connected_as,
            chats: Chats(&r.chats),
            cautions: r.cautions,
            banned_until: r.banned_until.map(Time),
            public_messages_left: r.public_messages_left,
            quota_resets_at: r.quota_resets_at.map(Time),
        }
    }
}

struct Chats<'a>(&'a [ChatSummary]);

impl Serialize for Chats<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|c| {
            let (chat_type, name) = match &c.kind {
                ChatKind::Public => ("public", "public_chat"),
                ChatKind::Private { other } => ("private", other.as_str()),
                ChatKind::Room { name } => ("room", name.as_str()),
            };
            ChatBody {
                chat_type,
                name,
                created: Time(c.created),
                messages_number: c.messages_number,
                users_number: c.users_number,
                unread: c.unread,
                mentions: c.mentions,
            }
        }))
    }
}

#[derive(Serialize)]
struct ChatBody<'a> {
    chat_type: &'a str,
    name: &'a str,
    created: Time,
    messages_number: u64,
    users_number: u64,
    unread: u64,
    mentions: u64,
}

#[derive(Serialize)]
struct MessageSentBody {
    info: &'static str,
    message_id: i64,
    pub_date: Time,
}

#[derive(Serialize)]
struct CommentAddedBody {
    info: &'static str,
    comment_id: i64,
}

#[derive(Serialize)]
struct ReportBody {
    info: &'static str,
    cautions: u32,
    banned_until: Option<Time>,
}

#[derive(Serialize)]
struct UnbannedBody<'a> {
    info: &'static str,
    user_name: &'a str,
    was_banned: bool,
}

#[derive(Serialize)]
struct AlreadyBannedBody {
    info: &'static str,
    banned_until: Time,
}

#[derive(Serialize)]
struct WarningBody<'a> {
    warning: &'a str,
    code: &'a str,
    retry_after: u64,
}

#[derive(Serialize)]
struct ReadBody {
    unread: u64,
}

/// One event's JSON object as `viewer` gets it (a private chat is named
/// after the member that is not `viewer`). Only through
/// [`Published::encoded_for`](super::Published::encoded_for), which keeps
/// what it made.
#[must_use]
pub(super) fn event_json(event: &Event, viewer: UserId) -> Vec<u8> {
    let (id, kind) = (event.id, event.body.kind());
    let written = match &event.body {
        // A message or comment changed is written as the new one is.
        EventBody::Message { chat, message } | EventBody::MessageChanged { chat, message, .. } => {
            let message = MessageBody::from(message);
            chat_event(id, kind, chat, viewer, MessagePart { message })
        }
        EventBody::Comment {
            chat,
            message_id,
            comment,
        }
        | EventBody::CommentChanged {
            chat,
            message_id,
            comment,
            ..
        } => {
            let (message_id, comment) = (*message_id, CommentBody::from(comment));
            chat_event(
                id,
                kind,
                chat,
                viewer,
                CommentPart {
                    message_id,
                    comment,
                },
            )
        }
        EventBody::Reaction {
            chat,
            message_id,
            reactions,
        } => {
            let (message_id, reactions) = (*message_id, Reactions(reactions));
            chat_event(
                id,
                kind,
                chat,
                viewer,
                ReactionPart {
                    message_id,
                    reactions,
                },
            )
        }
        EventBody::Member {
            room_name,
            user_name,
            action,
            ..
        } => serde_json::to_vec(&ChatEventBody {
            id,
            kind,
            chat_type: "room",
            chat: room_name,
            part: MemberPart {
                user_name,
                action: action.as_str(),
            },
        }),
        EventBody::Banned { until, .. } => serde_json::to_vec(&BannedEventBody {
            id,
            kind,
            banned_until: Time(*until),
        }),
        EventBody::SignedOut { .. } => serde_json::to_vec(&SignedOutEventBody { id, kind }),
    };
    // Structs of strings and numbers always serialize.
    written.unwrap_or_default()
}

/// An event in a chat as `viewer` sees it, carrying `part`.
fn chat_event(
    id: EventId,
    kind: &str,
    chat: &EventChat,
    viewer: UserId,
    part: impl Serialize,
) -> serde_json::Result<Vec<u8>> {
    let (chat_type, chat) = chat_fields(chat, viewer);
    serde_json::to_vec(&ChatEventBody {
        id,
        kind,
        chat_type,
        chat,
        part,
    })
}

/// An event's `chat_type` and `chat` as `viewer` sees them.
fn chat_fields(chat: &EventChat, viewer: UserId) -> (&'static str, &str) {
    match chat {
        EventChat::Public => ("public", "public_chat"),
        EventChat::Private { .. } => ("private", chat.name_for(viewer)),
        EventChat::Room { name, .. } => ("room", name),
    }
}

/// `GET /events`' answer, `{"events": [..], "next": N, "more": bool}`, from
/// events already encoded ([`Published::encoded_for`](super::Published::encoded_for):
/// each is encoded once and shared by every receiver).
#[must_use]
pub fn events_page<'a>(
    events: impl IntoIterator<Item = &'a [u8]>,
    next: EventId,
    more: bool,
) -> Response {
    let mut body = Vec::with_capacity(64);
    body.extend_from_slice(b"{\"events\":[");
    for (i, event) in events.into_iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(event);
    }
    let _ = write!(body, "],\"next\":{next},\"more\":{more}}}");
    Response::json_document(200, body)
}

/// The head of a `text/event-stream` answer to `GET /events`; its body is
/// [`sse_frame`]s and [`SSE_PING`]s, sent as they come.
#[must_use]
pub fn event_stream_head() -> Response {
    Response::json(200, Vec::new())
        .with_header("Content-Type", "text/event-stream")
        .with_header("Cache-Control", "no-store")
}

/// One server-sent event: `id: N`, `event: TYPE`, `data: JSON` (one line:
/// JSON text never holds a raw line break) and a blank line.
#[must_use]
pub fn sse_frame(id: EventId, kind: &str, json: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(json.len() + 40);
    let _ = write!(frame, "id: {id}\nevent: {kind}\ndata: ");
    frame.extend_from_slice(json);
    frame.extend_from_slice(b"\n\n");
    frame
}

/// A comment line that keeps an event stream (and the proxies on its way)
/// from going idle.
pub const SSE_PING: &[u8] = b": ping\n\n";

/// An event in a chat: `id`, `type`, `chat_type`, `chat`, then what the
/// event carries (`part`'s fields).
#[derive(Serialize)]
struct ChatEventBody<'a, P> {
    id: EventId,
    #[serde(rename = "type")]
    kind: &'a str,
    chat_type: &'a str,
    chat: &'a str,
    #[serde(flatten)]
    part: P,
}

#[derive(Serialize)]
struct MessagePart<'a> {
    message: MessageBody<'a>,
}

#[derive(Serialize)]
struct CommentPart<'a> {
    message_id: i64,
    comment: CommentBody<'a>,
}

#[derive(Serialize)]
struct ReactionPart<'a> {
    message_id: i64,
    reactions: Reactions<'a>,
}

/// (issue 25) What a `member` event carries.
#[derive(Serialize)]
struct MemberPart<'a> {
    user_name: &'a str,
    action: &'static str,
}

#[derive(Serialize)]
struct SignedOutEventBody<'a> {
    id: i64,
    #[serde(rename = "type")]
    kind: &'a str,
}

#[derive(Serialize)]
struct BannedEventBody<'a> {
    id: i64,
    #[serde(rename = "type")]
    kind: &'a str,
    banned_until: Time,
}

/// `/health`'s body: `{"status": "ok"}`, or API.md's
/// `{"status": "unavailable", "code": "store_unavailable"}` with the
/// sentence every error carries.
#[derive(Serialize)]
struct HealthBody {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
}

impl HealthBody {
    const OK: HealthBody = HealthBody {
        status: "ok",
        code: None,
        error: None,
    };
    const UNAVAILABLE: HealthBody = HealthBody {
        status: "unavailable",
        code: Some(ErrorCode::StoreUnavailable.as_str()),
        error: Some("the database does not answer"),
    };
}

// Issue 25: history and people.

#[derive(Serialize)]
struct HistoryBody<'a> {
    chat: &'a str,
    messages: Messages<'a>,
    more: bool,
}

#[derive(Serialize)]
struct UsersBody<'a> {
    users: Vec<UserBody<'a>>,
    more: bool,
}

#[derive(Serialize)]
struct UserBody<'a> {
    user_name: &'a str,
}

//! How an event is stored: the columns of an `events` row (the same in both
//! backends' schemas). A row holds references, not copies: a message or
//! comment event is rebuilt from the row it names.

use agora_core::events::{Change, EventBody, MemberAction};
use agora_core::view::{ChatId, CommentId, MessageId, UserId};

/// `events.kind`.
pub(crate) const EVENT_MESSAGE: i16 = 1;
pub(crate) const EVENT_COMMENT: i16 = 2;
pub(crate) const EVENT_BANNED: i16 = 3;
/// (issue 25) a room's `member` event.
pub(crate) const EVENT_MEMBER: i16 = 4;
// (issue 26) An edit or deletion names its message, and its comment when it
// is of a comment; a reaction names its message.
pub(crate) const EVENT_EDITED: i16 = 5;
pub(crate) const EVENT_DELETED: i16 = 6;
pub(crate) const EVENT_REACTION: i16 = 7;
/// (issue 28) a device token of `user` was revoked.
pub(crate) const EVENT_SIGNED_OUT: i16 = 8;

/// The columns of the row that records `body`.
pub(crate) struct EventColumns {
    pub(crate) kind: i16,
    pub(crate) chat: Option<ChatId>,
    pub(crate) message: Option<MessageId>,
    pub(crate) comment: Option<CommentId>,
    pub(crate) user: Option<UserId>,
    pub(crate) until: Option<i64>,
    /// (issue 25) a `member` event's action (`action_code`).
    pub(crate) action: Option<i16>,
}

/// (issue 25) `events.action` of a `member` event.
pub(crate) fn action_code(action: MemberAction) -> i16 {
    match action {
        MemberAction::Joined => 1,
        MemberAction::Left => 2,
        MemberAction::Invited => 3,
    }
}

/// The action stored as `code`.
pub(crate) fn action_of(code: i16) -> Option<MemberAction> {
    match code {
        1 => Some(MemberAction::Joined),
        2 => Some(MemberAction::Left),
        3 => Some(MemberAction::Invited),
        _ => None,
    }
}

impl EventColumns {
    /// A row of `kind` that names nothing yet.
    fn of_kind(kind: i16) -> EventColumns {
        EventColumns {
            kind,
            chat: None,
            message: None,
            comment: None,
            user: None,
            until: None,
            action: None,
        }
    }

    /// A row of `kind` that names `message` in `chat`.
    fn on_message(kind: i16, chat: ChatId, message: MessageId) -> EventColumns {
        EventColumns {
            chat: Some(chat),
            message: Some(message),
            ..EventColumns::of_kind(kind)
        }
    }

    /// A row of `kind` that names `comment` on `message` in `chat`.
    fn on_comment(kind: i16, chat: ChatId, message: MessageId, comment: CommentId) -> EventColumns {
        EventColumns {
            comment: Some(comment),
            ..EventColumns::on_message(kind, chat, message)
        }
    }

    pub(crate) fn of(body: &EventBody) -> EventColumns {
        match body {
            EventBody::Message { chat, message } => {
                EventColumns::on_message(EVENT_MESSAGE, chat.id(), message.id)
            }
            EventBody::Comment {
                chat,
                message_id,
                comment,
            } => EventColumns::on_comment(EVENT_COMMENT, chat.id(), *message_id, comment.id),
            EventBody::Banned { user, until } => EventColumns {
                user: Some(*user),
                until: Some(until.0),
                ..EventColumns::of_kind(EVENT_BANNED)
            },
            EventBody::Member {
                room, user, action, ..
            } => EventColumns {
                chat: Some(*room),
                user: Some(*user),
                action: Some(action_code(*action)),
                ..EventColumns::of_kind(EVENT_MEMBER)
            },
            EventBody::MessageChanged {
                chat,
                change,
                message,
            } => EventColumns::on_message(change_kind(*change), chat.id(), message.id),
            EventBody::CommentChanged {
                chat,
                change,
                message_id,
                comment,
            } => EventColumns::on_comment(change_kind(*change), chat.id(), *message_id, comment.id),
            EventBody::Reaction {
                chat, message_id, ..
            } => EventColumns::on_message(EVENT_REACTION, chat.id(), *message_id),
            EventBody::SignedOut { user } => EventColumns {
                user: Some(*user),
                ..EventColumns::of_kind(EVENT_SIGNED_OUT)
            },
        }
    }
}

fn change_kind(change: Change) -> i16 {
    match change {
        Change::Edited => EVENT_EDITED,
        Change::Deleted => EVENT_DELETED,
    }
}

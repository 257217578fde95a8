//! How an event is stored: the columns of an `events` row (the same in both
//! backends' schemas). A row holds references, not copies: a message or
//! comment event is rebuilt from the row it names.

use agora_core::events::EventBody;
use agora_core::view::{ChatId, CommentId, MessageId, UserId};

/// `events.kind`.
pub(crate) const EVENT_MESSAGE: i16 = 1;
pub(crate) const EVENT_COMMENT: i16 = 2;
pub(crate) const EVENT_BANNED: i16 = 3;
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
}

impl EventColumns {
    pub(crate) fn of(body: &EventBody) -> EventColumns {
        let none = EventColumns {
            kind: 0,
            chat: None,
            message: None,
            comment: None,
            user: None,
            until: None,
        };
        match body {
            EventBody::Message { chat, message } => EventColumns {
                kind: EVENT_MESSAGE,
                chat: Some(chat.id()),
                message: Some(message.id),
                ..none
            },
            EventBody::Comment {
                chat,
                message_id,
                comment,
            } => EventColumns {
                kind: EVENT_COMMENT,
                chat: Some(chat.id()),
                message: Some(*message_id),
                comment: Some(comment.id),
                ..none
            },
            EventBody::Banned { user, until } => EventColumns {
                kind: EVENT_BANNED,
                user: Some(*user),
                until: Some(until.0),
                ..none
            },
            EventBody::SignedOut { user } => EventColumns {
                kind: EVENT_SIGNED_OUT,
                user: Some(*user),
                ..none
            },
        }
    }
}

//! How an event is stored: the columns of an `events` row (the same in both
//! backends' schemas). A row holds references, not copies: a message or
//! comment event is rebuilt from the row it names.

use agora_core::events::{Change, EventBody};
use agora_core::view::{ChatId, CommentId, MessageId, UserId};

/// `events.kind`.
pub(crate) const EVENT_MESSAGE: i16 = 1;
pub(crate) const EVENT_COMMENT: i16 = 2;
pub(crate) const EVENT_BANNED: i16 = 3;
// (issue 26) An edit or deletion names its message, and its comment when it
// is of a comment; a reaction names its message.
pub(crate) const EVENT_EDITED: i16 = 5;
pub(crate) const EVENT_DELETED: i16 = 6;
pub(crate) const EVENT_REACTION: i16 = 7;

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
            EventBody::MessageChanged {
                chat,
                change,
                message,
            } => EventColumns {
                kind: change_kind(*change),
                chat: Some(chat.id()),
                message: Some(message.id),
                ..none
            },
            EventBody::CommentChanged {
                chat,
                change,
                message_id,
                comment,
            } => EventColumns {
                kind: change_kind(*change),
                chat: Some(chat.id()),
                message: Some(*message_id),
                comment: Some(comment.id),
                ..none
            },
            EventBody::Reaction {
                chat, message_id, ..
            } => EventColumns {
                kind: EVENT_REACTION,
                chat: Some(chat.id()),
                message: Some(*message_id),
                ..none
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

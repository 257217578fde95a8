//! How an event is stored: the columns of an `events` row (the same in both
//! backends' schemas). A row holds references, not copies: a message or
//! comment event is rebuilt from the row it names.

use agora_core::events::{EventBody, MemberAction};
use agora_core::view::{ChatId, CommentId, MessageId, UserId};

/// `events.kind`.
pub(crate) const EVENT_MESSAGE: i16 = 1;
pub(crate) const EVENT_COMMENT: i16 = 2;
pub(crate) const EVENT_BANNED: i16 = 3;
/// (issue 25) a room's `member` event.
pub(crate) const EVENT_MEMBER: i16 = 4;

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
    pub(crate) fn of(body: &EventBody) -> EventColumns {
        let none = EventColumns {
            kind: 0,
            chat: None,
            message: None,
            comment: None,
            user: None,
            until: None,
            action: None,
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
            EventBody::Member {
                room, user, action, ..
            } => EventColumns {
                kind: EVENT_MEMBER,
                chat: Some(*room),
                user: Some(*user),
                action: Some(action_code(*action)),
                ..none
            },
        }
    }
}

//! Live delivery's unit: an [`Event`], one change a user may see (a message,
//! a comment, a ban), with a cursor `id` that is server-wide, only grows, is
//! stored with the data and never reused. The rules record an event with
//! every change they make (`View::append_event`); `GET /events` hands a user
//! the events after a cursor that it may see, in id order.

use crate::records::{
    ChatId, MessageId, Reaction, StoredComment, StoredMessage, UserId, PUBLIC_CHAT,
};
use crate::time::UnixMillis;

/// An event's cursor. 0 is "before every event".
pub type EventId = i64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub id: EventId,
    pub body: EventBody,
}

/// What changed, with all a receiver's JSON needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventBody {
    /// A new message, as `/connect` shows it (no comments yet).
    Message {
        chat: EventChat,
        message: StoredMessage,
    },
    /// A new comment on a message.
    Comment {
        chat: EventChat,
        message_id: MessageId,
        comment: StoredComment,
    },
    /// The user was banned (only it is told).
    Banned { user: UserId, until: UnixMillis },
    // (issue 26) edits, deletions, reactions.
    /// A message was edited or deleted: the updated object (a tombstone
    /// for a deletion). Its comments are not repeated (`comments` is empty,
    /// `comments_total` counts them), which keeps the event as small as a
    /// message event however many comments the message has.
    MessageChanged {
        chat: EventChat,
        change: Change,
        message: StoredMessage,
    },
    /// A comment was edited or deleted.
    CommentChanged {
        chat: EventChat,
        change: Change,
        message_id: MessageId,
        comment: StoredComment,
    },
    /// A message's reactions changed: all of them, as a message object
    /// lists them.
    Reaction {
        chat: EventChat,
        message_id: MessageId,
        reactions: Vec<Reaction>,
    },
}

/// (issue 26) What happened to a message or comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Edited,
    Deleted,
}

/// The chat of a message or comment event, and so who may see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventChat {
    /// Every user sees it.
    Public,
    /// Only the two members see it; each sees the chat named after the other.
    /// Members in the order of their ids.
    Private {
        id: ChatId,
        members: [(UserId, String); 2],
    },
}

impl EventChat {
    /// A private chat of two members, in the order of their ids (as a view
    /// lists them).
    pub fn private(id: ChatId, a: (UserId, String), b: (UserId, String)) -> EventChat {
        let members = if a.0 <= b.0 { [a, b] } else { [b, a] };
        EventChat::Private { id, members }
    }

    pub fn id(&self) -> ChatId {
        match self {
            EventChat::Public => PUBLIC_CHAT,
            EventChat::Private { id, .. } => *id,
        }
    }

    /// `public_chat`, or the name of the member that is not `viewer`.
    pub fn name_for(&self, viewer: UserId) -> &str {
        match self {
            EventChat::Public => "public_chat",
            EventChat::Private { members, .. } => {
                let other = members.iter().find(|(id, _)| *id != viewer);
                other.map_or(members[0].1.as_str(), |(_, name)| name.as_str())
            }
        }
    }
}

/// Who may see an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    Two(UserId, UserId),
    One(UserId),
}

impl Audience {
    pub fn includes(self, user: UserId) -> bool {
        match self {
            Audience::Everyone => true,
            Audience::Two(a, b) => user == a || user == b,
            Audience::One(one) => user == one,
        }
    }
}

impl EventBody {
    pub fn audience(&self) -> Audience {
        match (self, self.chat()) {
            (EventBody::Banned { user, .. }, _) => Audience::One(*user),
            (_, Some(EventChat::Private { members, .. })) => {
                Audience::Two(members[0].0, members[1].0)
            }
            (_, _) => Audience::Everyone,
        }
    }

    /// The chat of an event about a message or comment.
    pub fn chat(&self) -> Option<&EventChat> {
        match self {
            EventBody::Message { chat, .. }
            | EventBody::Comment { chat, .. }
            | EventBody::MessageChanged { chat, .. }
            | EventBody::CommentChanged { chat, .. }
            | EventBody::Reaction { chat, .. } => Some(chat),
            EventBody::Banned { .. } => None,
        }
    }

    /// The `type` of the event's JSON and the `event:` of its SSE frame.
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::Message { .. } => "message",
            EventBody::Comment { .. } => "comment",
            EventBody::Banned { .. } => "banned",
            EventBody::MessageChanged { change, .. } | EventBody::CommentChanged { change, .. } => {
                match change {
                    Change::Edited => "edited",
                    Change::Deleted => "deleted",
                }
            }
            EventBody::Reaction { .. } => "reaction",
        }
    }

    /// Whether the JSON differs by receiver (a private chat's name does).
    pub fn per_viewer(&self) -> bool {
        matches!(self.chat(), Some(EventChat::Private { .. }))
    }
}

impl Event {
    pub fn visible_to(&self, user: UserId) -> bool {
        self.body.audience().includes(user)
    }
}

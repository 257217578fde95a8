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
    /// (issue 25) Someone joined, left or was invited to a room: its members
    /// and the user named are told.
    Member {
        room: ChatId,
        /// As created.
        room_name: String,
        user: UserId,
        /// As registered.
        user_name: String,
        action: MemberAction,
    },
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
    /// One of the user's device tokens was revoked (only it is told): its
    /// open streams end, and those of a token still valid are resumed.
    SignedOut { user: UserId },
}

/// (issue 26) What happened to a message or comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Edited,
    Deleted,
}

/// (issue 25) What a `member` event says happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberAction {
    Joined,
    Left,
    Invited,
}

impl MemberAction {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberAction::Joined => "joined",
            MemberAction::Left => "left",
            MemberAction::Invited => "invited",
        }
    }
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
    /// (issue 25) A room: its members see it, named as created.
    Room { id: ChatId, name: String },
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
            EventChat::Private { id, .. } | EventChat::Room { id, .. } => *id,
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
            EventChat::Room { name, .. } => name,
        }
    }
}

/// Who may see an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    Two(UserId, UserId),
    One(UserId),
    /// (issue 25) The members of a room, at the time the event is read or
    /// delivered (membership is not stored per event: a room of 10,000
    /// members costs one event row, as the public chat does).
    Room(ChatId),
    /// (issue 25) A room's members and one more user (a `member` event's).
    RoomAnd(ChatId, UserId),
}

impl Audience {
    /// Whether `user` is in the audience; `member_of` says whether `user`
    /// is a member of a room.
    pub fn includes(self, user: UserId, member_of: impl FnOnce(ChatId) -> bool) -> bool {
        match self {
            Audience::Everyone => true,
            Audience::Two(a, b) => user == a || user == b,
            Audience::One(one) => user == one,
            Audience::Room(room) => member_of(room),
            Audience::RoomAnd(room, one) => user == one || member_of(room),
        }
    }
}

impl EventBody {
    pub fn audience(&self) -> Audience {
        match (self, self.chat()) {
            (EventBody::Banned { user, .. } | EventBody::SignedOut { user }, _) => {
                Audience::One(*user)
            }
            (EventBody::Member { room, user, .. }, _) => Audience::RoomAnd(*room, *user),
            (_, Some(EventChat::Private { members, .. })) => {
                Audience::Two(members[0].0, members[1].0)
            }
            (_, Some(EventChat::Room { id, .. })) => Audience::Room(*id),
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
            EventBody::Banned { .. } | EventBody::Member { .. } | EventBody::SignedOut { .. } => {
                None
            }
        }
    }

    /// The `type` of the event's JSON and the `event:` of its SSE frame.
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::Message { .. } => "message",
            EventBody::Comment { .. } => "comment",
            EventBody::Banned { .. } => "banned",
            EventBody::Member { .. } => "member",
            EventBody::MessageChanged { change, .. } | EventBody::CommentChanged { change, .. } => {
                match change {
                    Change::Edited => "edited",
                    Change::Deleted => "deleted",
                }
            }
            EventBody::Reaction { .. } => "reaction",
            EventBody::SignedOut { .. } => "signed_out",
        }
    }

    /// Whether the JSON differs by receiver (a private chat's name does).
    pub fn per_viewer(&self) -> bool {
        matches!(self.chat(), Some(EventChat::Private { .. }))
    }
}

impl Event {
    /// Whether `user` may see the event; `member_of` says whether it is a
    /// member of a room (asked only for a room's events).
    pub fn visible_to(&self, user: UserId, member_of: impl FnOnce(ChatId) -> bool) -> bool {
        self.body.audience().includes(user, member_of)
    }
}

//! What a backend loads for the overlay ([`Rows`]) and what it writes back
//! ([`Effects`]): plain rows, in the tables' own terms, so that each backend
//! only turns them into statements.

use agora_core::time::UnixMillis;
use agora_core::view::{ChatId, CommentId, MessageId, ReadPosition, User, UserId};

/// A user row as loaded: the rules' [`User`] and its token's hash.
#[derive(Clone, Debug)]
pub(crate) struct UserRow {
    pub(crate) user: User,
    pub(crate) token: [u8; 32],
}

/// A chat row: `pair` is `(user_a, user_b)` with `user_a < user_b`, `None`
/// for the public chat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChatRow {
    pub(crate) id: ChatId,
    pub(crate) pair: Option<(UserId, UserId)>,
    pub(crate) created: UnixMillis,
    pub(crate) message_count: i64,
    pub(crate) member_count: i64,
    pub(crate) last_message: MessageId,
    /// (issue 25) What a room's chat has besides: `None` for the public
    /// chat and private chats.
    pub(crate) room: Option<RoomColumns>,
}

/// (issue 25) A room's own columns of its chat row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RoomColumns {
    /// As created, with its `#`.
    pub(crate) name: String,
    pub(crate) public: bool,
    pub(crate) topic: String,
}

/// A message row as far as the rules' writes need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MessageRow {
    pub(crate) id: MessageId,
    pub(crate) chat: ChatId,
    pub(crate) comment_count: i64,
}

/// The next id each table hands out (what its sequence would give).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct NextIds {
    pub(crate) user: UserId,
    pub(crate) chat: ChatId,
    pub(crate) message: MessageId,
    pub(crate) comment: CommentId,
    pub(crate) event: i64,
}

/// What one load gave.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    pub(crate) users: Vec<UserRow>,
    pub(crate) chats: Vec<ChatRow>,
    /// `(chat, user, position)`.
    pub(crate) members: Vec<(ChatId, UserId, ReadPosition)>,
    pub(crate) messages: Vec<MessageRow>,
    /// `(target, reporter, created)`: every standing report on each target
    /// asked for.
    pub(crate) reports: Vec<(UserId, UserId, UnixMillis)>,
    /// `(origin, created)`: the newest registrations of each origin asked
    /// for (see [`Needs::registrations_since`]).
    pub(crate) registrations: Vec<(String, UnixMillis)>,
    /// When [`Needs::next_ids`] was asked.
    pub(crate) next: Option<NextIds>,
    /// (issue 25) `(room, user)`: the invitations of the users loaded to
    /// the rooms loaded.
    pub(crate) invites: Vec<(ChatId, UserId)>,
}

/// A user made in the batch, as the flush inserts it.
#[derive(Clone, Debug)]
pub(crate) struct NewUser {
    pub(crate) row: UserRow,
    pub(crate) origin: String,
}

/// A message made in the batch.
#[derive(Clone, Debug)]
pub(crate) struct NewMessage {
    pub(crate) row: MessageRow,
    pub(crate) author: UserId,
    pub(crate) pub_date: UnixMillis,
    pub(crate) text: String,
}

/// A comment made in the batch.
#[derive(Clone, Debug)]
pub(crate) struct NewComment {
    pub(crate) id: CommentId,
    pub(crate) message: MessageId,
    pub(crate) chat: ChatId,
    pub(crate) author: UserId,
    pub(crate) created: UnixMillis,
    pub(crate) text: String,
}

/// Everything the batch changed since the last flush, each row once in its
/// final state: inserted rows carry their final counters, so no row is
/// written twice in one statement.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    pub(crate) new_users: Vec<NewUser>,
    pub(crate) changed_users: Vec<User>,
    pub(crate) new_chats: Vec<ChatRow>,
    pub(crate) changed_chats: Vec<ChatRow>,
    /// `(chat, user, position)`.
    pub(crate) new_members: Vec<(ChatId, UserId, ReadPosition)>,
    pub(crate) changed_members: Vec<(ChatId, UserId, ReadPosition)>,
    pub(crate) new_messages: Vec<NewMessage>,
    pub(crate) changed_messages: Vec<MessageRow>,
    pub(crate) new_comments: Vec<NewComment>,
    /// Targets whose standing reports are now exactly those in `reports`
    /// with that target (the others are deleted).
    pub(crate) report_targets: Vec<UserId>,
    /// `(target, reporter, created)`, for the targets above.
    pub(crate) reports: Vec<(UserId, UserId, UnixMillis)>,
    /// In id order.
    pub(crate) new_events: Vec<agora_core::events::Event>,
    /// The last id handed out per table, to move its sequence past; 0 for
    /// a table the batch took no id from.
    pub(crate) last_ids: Option<NextIds>,
    /// (issue 25) `(room, user)` invitations made, and dropped.
    pub(crate) invites_added: Vec<(ChatId, UserId)>,
    pub(crate) invites_dropped: Vec<(ChatId, UserId)>,
}

impl Effects {
    pub(crate) fn is_empty(&self) -> bool {
        self.new_users.is_empty()
            && self.changed_users.is_empty()
            && self.new_chats.is_empty()
            && self.changed_chats.is_empty()
            && self.new_members.is_empty()
            && self.changed_members.is_empty()
            && self.new_messages.is_empty()
            && self.changed_messages.is_empty()
            && self.new_comments.is_empty()
            && self.report_targets.is_empty()
            && self.new_events.is_empty()
            && self.invites_added.is_empty()
            && self.invites_dropped.is_empty()
    }
}

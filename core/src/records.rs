//! The ids and stored records that both the rules' view ([`crate::view`]) and
//! live delivery's events ([`crate::events`]) speak of. They live apart from
//! both so that neither module imports the other for them: `view` uses
//! `events` (a view records and lists events), `events` uses only this.

use crate::time::UnixMillis;

pub type UserId = i64;
pub type ChatId = i64;
/// Message ids are positive and increase in commit order across all chats.
pub type MessageId = i64;
pub type CommentId = i64;

/// The key a user name is stored and looked up by: names compare without
/// regard to ASCII case (`Alice` and `alice` are one user). One home, so the
/// model, both stores' views and the batch overlay cannot drift apart.
pub fn name_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// The public chat's id in every view. Private chats get other ids.
pub const PUBLIC_CHAT: ChatId = 1;

/// A read position: the id of the last message a member has read, 0 for none.
pub type ReadPosition = MessageId;

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StoredComment {
    pub id: CommentId,
    pub author: String,
    pub created: UnixMillis,
    /// `""` once deleted: the text is erased, not hidden.
    pub text: String,
    /// (issue 26) When the text was last edited.
    pub edited: Option<UnixMillis>,
    pub deleted: bool,
    /// (issue 26) The moderator who deleted another's comment (as
    /// registered); `None` when its author deleted it, or it stands.
    pub deleted_by: Option<String>,
}

/// (issue 26) One emoji's reactions to a message.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Reaction {
    pub emoji: String,
    /// Everyone who reacted with it.
    pub count: u64,
    /// The first `reactions::LISTED_USERS` of them, in the order they
    /// reacted, as registered.
    pub users: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StoredMessage {
    pub id: MessageId,
    pub author: String,
    pub pub_date: UnixMillis,
    pub text: String,
    /// The newest comments the view was asked for, oldest first.
    pub comments: Vec<StoredComment>,
    /// Every comment the message has (`comments` may hold fewer).
    pub comments_total: u64,
    /// (issue 26) When the text was last edited.
    pub edited: Option<UnixMillis>,
    /// Deleted: `text` is `""` and erased from the store.
    pub deleted: bool,
    /// The moderator who deleted another's message (as registered).
    pub deleted_by: Option<String>,
    /// By first use of each emoji.
    pub reactions: Vec<Reaction>,
    /// Users the text names with `@name` who can see the message, as
    /// registered, in the order the text first names them.
    pub mentions: Vec<String>,
}

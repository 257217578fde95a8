//! The rules' window onto stored state. `agora_testkit::model::Model`
//! implements it in memory (the test oracle, outside the production crates);
//! the store implements it over a SQLite or PostgreSQL transaction. Every
//! method is small and synchronous; the rules decide, the view only reads and
//! writes what it is told.

use crate::events::{Event, EventBody, EventId};
use crate::time::UnixMillis;
use crate::token::TokenHash;

// The ids and records the events speak of too live in `records`, so that
// `events` and this module do not import each other; they are re-exported
// here, where the rules and the stores have always found them.
pub use crate::records::{
    ChatId, CommentId, MessageId, Reaction, ReadPosition, StoredComment, StoredMessage, UserId,
    PUBLIC_CHAT,
};

/// A store failure (I/O, SQLite). The rules pass it up unchanged; the writer
/// rolls the command back and answers 503 `store_unavailable`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("store error: {0}")]
pub struct StoreError(pub String);

pub type ViewResult<T> = Result<T, StoreError>;

/// A user as the rules see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    /// As registered (case kept).
    pub name: String,
    /// Banned from sending and commenting while `now < banned_until`.
    pub banned_until: Option<UnixMillis>,
    /// Start of the current public-quota window, if one was ever opened.
    pub window_start: Option<UnixMillis>,
    /// Public messages accepted in the window that starts at `window_start`.
    pub window_count: u32,
    /// The same for comments: the comment quota has a window of its own.
    pub comment_window_start: Option<UnixMillis>,
    pub comment_window_count: u32,
    /// When the user was registered.
    pub created: UnixMillis,
    /// Whether the user ever sent a message (any chat): with its age, what
    /// makes its reports count (`--reporter-min-age`).
    pub sent_message: bool,
}

impl User {
    /// A user as [`View::create_user`] makes it: no ban, no quota window, no
    /// message sent.
    pub fn new(id: UserId, name: &str, created: UnixMillis) -> User {
        User {
            id,
            name: name.to_owned(),
            banned_until: None,
            window_start: None,
            window_count: 0,
            comment_window_start: None,
            comment_window_count: 0,
            created,
            sent_message: false,
        }
    }
}

/// A user to create ([`View::create_user`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewUser<'a> {
    /// As registered (case kept).
    pub name: &'a str,
    /// Its first device token's hash.
    pub hash: &'a TokenHash,
    /// The client address's key it registers from (`client_addr::limit_key`).
    pub origin: &'a str,
    pub now: UnixMillis,
}

/// What the rate limits count: the newest `limit` times at or after `since`
/// recorded under `key` (a client address key, a name key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recent<'a> {
    pub key: &'a str,
    pub since: UnixMillis,
    pub limit: u32,
}

impl Recent<'_> {
    /// Of `times` (recorded under `key`), those at or after `since`, newest
    /// first, at most `limit`: the answer a store that holds them all
    /// gives.
    pub fn newest(&self, times: impl IntoIterator<Item = UnixMillis>) -> Vec<UnixMillis> {
        let mut times: Vec<UnixMillis> = times.into_iter().filter(|&t| t >= self.since).collect();
        times.sort_unstable_by(|a, b| b.cmp(a));
        times.truncate(self.limit as usize);
        times
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChatKind {
    Public,
    /// A 1-to-1 chat, named by the other member's user name.
    Private {
        other: String,
    },
    /// (issue 25) A room, named as created (`#design`).
    Room {
        name: String,
    },
}

impl ChatKind {
    /// The kind of chat `id` from a store's two columns: the room's name
    /// (a room), else the other member's name (a private chat; the public
    /// chat has none, but a store's join may give it one), else public.
    pub fn of(id: ChatId, other: Option<String>, room: Option<String>) -> ChatKind {
        match (other, room) {
            (_, Some(name)) => ChatKind::Room { name },
            (Some(other), None) if id != PUBLIC_CHAT => ChatKind::Private { other },
            _ => ChatKind::Public,
        }
    }
}

// (issue 25) rooms.
/// A room as the rules see it: a chat with a name, open to anyone (public)
/// or to those invited (private).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Room {
    pub id: ChatId,
    /// As created, with its `#`.
    pub name: String,
    pub public: bool,
    pub topic: String,
    pub created: UnixMillis,
    pub members_number: u64,
}

/// A page of a chat's history ([`View::messages_up_to`],
/// [`View::messages_after`]): at most `limit` messages of `chat` on one side
/// of `position`, each with its newest `comments` comments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessagePage {
    pub chat: ChatId,
    pub position: ReadPosition,
    pub limit: u32,
    pub comments: u32,
}

/// A page of a message's comments ([`View::comments_before`]): its newest
/// `limit` comments with id `< before` (every comment when `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommentPage {
    pub message: MessageId,
    pub before: Option<CommentId>,
    pub limit: u32,
}

/// A page of the people directory ([`View::users_by_prefix`]): the first
/// `limit` name keys that start with `prefix` and are greater than `after`
/// (when given). Both are name keys (ASCII lowercase).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeoplePage<'a> {
    pub prefix: &'a str,
    pub after: Option<&'a str>,
    pub limit: u32,
}

impl PeoplePage<'_> {
    /// The name keys a store scans, from the first (inclusive; `after`
    /// itself is still to be skipped) to the second (exclusive): every key
    /// with the prefix sorts below the prefix followed by DEL, since name
    /// keys are printable ASCII.
    pub fn key_range(&self) -> (&str, String) {
        let start = match self.after {
            Some(after) if after >= self.prefix => after,
            _ => self.prefix,
        };
        (start, format!("{}\u{7f}", self.prefix))
    }
}

/// A page of `GET /rooms` as `user` sees it ([`View::rooms_for`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoomsPage<'a> {
    pub user: UserId,
    /// As the caller wrote it (with its `#`); compared by `name_key`.
    pub prefix: &'a str,
    pub limit: u32,
}

/// A room to create ([`View::create_room`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewRoom<'a> {
    /// With its `#`, as the creator wrote it.
    pub name: &'a str,
    pub public: bool,
    pub topic: &'a str,
    pub now: UnixMillis,
}

/// A user in a chat: the key of a membership (its read position) and of
/// an invitation to a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChatUser {
    pub chat: ChatId,
    pub user: UserId,
}

/// A message or comment to append ([`View::append_message`],
/// [`View::append_comment`]): who writes it, its text, when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewText<'a> {
    pub author: UserId,
    pub text: &'a str,
    pub now: UnixMillis,
}

impl<'a> NewText<'a> {
    pub fn new(author: UserId, text: &'a str, now: UnixMillis) -> NewText<'a> {
        NewText { author, text, now }
    }
}

/// (issue 26) A message's new text ([`View::edit_message`]): the text, the
/// users it mentions (in order), when it was edited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageEdit<'a> {
    pub text: &'a str,
    pub mentions: &'a [UserId],
    pub now: UnixMillis,
}

/// (issue 26) One user's reaction to a message with one emoji
/// ([`View::has_reacted`], [`View::add_reaction`], [`View::remove_reaction`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserReaction<'a> {
    pub message: MessageId,
    pub emoji: &'a str,
    pub user: UserId,
}

/// (issue 27) A page of one chat's search hits ([`View::search_chat`]): the
/// newest `limit` messages of `chat` with id `< before` (any id when `None`)
/// whose text `query` matches.
#[derive(Clone, Copy, Debug)]
pub struct SearchPage<'a> {
    pub chat: ChatId,
    pub query: &'a crate::search::SearchQuery,
    pub before: Option<MessageId>,
    pub limit: u32,
}

/// Where a user stands in a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Membership {
    Member,
    Invited,
}

impl Membership {
    /// From a store's two flags: a member (whether or not it was also
    /// invited), else invited, else neither.
    pub fn from_flags(member: bool, invited: bool) -> Option<Membership> {
        match (member, invited) {
            (true, _) => Some(Membership::Member),
            (false, true) => Some(Membership::Invited),
            (false, false) => None,
        }
    }
}

/// One line of `GET /rooms`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomListing {
    pub room: Room,
    pub membership: Option<Membership>,
}

/// One line of `GET /status`'s `chats`, as seen by one member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatSummary {
    pub id: ChatId,
    pub kind: ChatKind,
    pub created: UnixMillis,
    pub messages_number: u64,
    pub users_number: u64,
    /// Messages after the member's read position.
    pub unread: u64,
    /// Id of the newest message, 0 if none: the order of private chats.
    pub last_message: MessageId,
    /// (issue 26) Unread messages that mention the member.
    pub mentions: u64,
}

/// (issue 26) What the rules need to know of a message or comment before
/// they change it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// The chat it is in.
    pub chat: ChatId,
    /// For a comment, its message; for a message, itself.
    pub message: MessageId,
    pub author: UserId,
    pub deleted: bool,
}

/// Accounts and devices (`crate::accounts::Accounts`) are part of every view.
pub trait View: crate::accounts::Accounts {
    /// The user whose token hashes to `hash`.
    fn user_by_token(&mut self, hash: &TokenHash) -> ViewResult<Option<User>>;
    /// The user named `name`, compared without regard to ASCII case.
    fn user_by_name(&mut self, name: &str) -> ViewResult<Option<User>>;
    /// Creates a user with no ban, no quota window, no reports, no chats and
    /// no message sent, registered at `now` from `origin` (the client
    /// address's key, see `client_addr::limit_key`).
    /// The rules call it only with a name (compared without ASCII case) and a
    /// hash that no user has; a view may answer `StoreError` otherwise.
    fn create_user(&mut self, user: NewUser<'_>) -> ViewResult<UserId>;
    /// The registration times of the newest `limit` users created from
    /// origin `key` at or after `since`, newest first.
    fn registrations_from(&mut self, recent: Recent<'_>) -> ViewResult<Vec<UnixMillis>>;
    /// Writes back `banned_until`, both quota windows (`window_start`,
    /// `window_count`, `comment_window_start`, `comment_window_count`) and
    /// `sent_message` of the user with `user.id` (its name and `created` are
    /// never changed). No-op for an unknown id.
    fn save_user(&mut self, user: &User) -> ViewResult<()>;

    /// The private chat between two users, whatever their order.
    fn private_chat(&mut self, a: UserId, b: UserId) -> ViewResult<Option<ChatId>>;
    /// Creates the private chat of `a` and `b` (created at `now`, no messages),
    /// both members at position 0. Called only when `private_chat(a, b)` is
    /// `None` and `a != b`; a view may answer `StoreError` otherwise.
    fn create_private_chat(&mut self, a: UserId, b: UserId, now: UnixMillis) -> ViewResult<ChatId>;
    /// Makes `user` a member of `chat` with read position `position` (if it is
    /// a member already, its position becomes `position`). `chat` exists.
    fn join(&mut self, chat: ChatId, user: UserId, position: ReadPosition) -> ViewResult<()>;
    /// `user`'s read position in `chat`, `None` if not a member.
    fn read_position(&mut self, chat: ChatId, user: UserId) -> ViewResult<Option<ReadPosition>>;
    /// Sets a member's read position; no-op if the user is not a member of
    /// the chat (or there is no such chat).
    fn set_read_position(&mut self, member: ChatUser, position: ReadPosition) -> ViewResult<()>;
    /// The two members of private chat `chat`, with their names as
    /// registered, in the order of their ids; `None` for the public chat or
    /// no such chat.
    fn private_members(&mut self, chat: ChatId) -> ViewResult<Option<[(UserId, String); 2]>>;
    /// The chats `user` is a member of, in no particular order (the rules
    /// sort). For a private chat, `kind` names the other member as registered.
    fn chats_of(&mut self, user: UserId) -> ViewResult<Vec<ChatSummary>>;

    /// Id of the newest message of `chat`, 0 if it has none.
    fn latest_message(&mut self, chat: ChatId) -> ViewResult<MessageId>;
    /// How many messages of `chat` have an id `> position`.
    fn count_after(&mut self, chat: ChatId, position: ReadPosition) -> ViewResult<u64>;
    /// The last `limit` messages of `chat` with id `<= position`, oldest first,
    /// each with its newest `comments` comments (oldest first) and its
    /// `comments_total`.
    fn messages_up_to(&mut self, page: MessagePage) -> ViewResult<Vec<StoredMessage>>;
    /// The first `limit` messages of `chat` with id `> position`, oldest first,
    /// each with its newest `comments` comments (oldest first) and its
    /// `comments_total`.
    fn messages_after(&mut self, page: MessagePage) -> ViewResult<Vec<StoredMessage>>;
    /// Appends a message to `chat`; its id is greater than every message id
    /// before it, in any chat. `chat` exists. Read positions are not touched.
    fn append_message(&mut self, chat: ChatId, new: NewText<'_>) -> ViewResult<MessageId>;
    /// The chat a message belongs to, `None` if there is no such message.
    fn chat_of_message(&mut self, message: MessageId) -> ViewResult<Option<ChatId>>;
    /// The comments of `page` (the newest `limit` of `message` with id
    /// `< before`), oldest first; empty for a message that does not exist.
    fn comments_before(&mut self, page: CommentPage) -> ViewResult<Vec<StoredComment>>;
    /// Appends a comment to an existing message (its id is greater than every
    /// comment id before it). Read positions are not touched.
    fn append_comment(&mut self, message: MessageId, new: NewText<'_>) -> ViewResult<CommentId>;

    /// Records an event; its id is greater than every event id before it.
    fn append_event(&mut self, body: EventBody) -> ViewResult<EventId>;
    /// The newest event's id, 0 if there is none.
    fn event_head(&mut self) -> ViewResult<EventId>;
    /// The first `limit` events with id `> since` that `user` may see
    /// ([`Event::visible_to`]), in id order.
    fn events_after(&mut self, user: UserId, since: EventId, limit: u32) -> ViewResult<Vec<Event>>;

    /// Whether `reporter` has a standing report on `target`.
    fn has_reported(&mut self, target: UserId, reporter: UserId) -> ViewResult<bool>;
    /// Standing reports on `target`: its cautions.
    fn report_count(&mut self, target: UserId) -> ViewResult<u32>;
    /// Records a standing report by `reporter` on `target` (idempotent).
    fn add_report(&mut self, target: UserId, reporter: UserId, now: UnixMillis) -> ViewResult<()>;
    /// Drops every standing report on `target` (done when it is banned).
    fn clear_reports(&mut self, target: UserId) -> ViewResult<()>;

    // Issue 25: the people directory.
    /// The names, as registered, of the users of `page`: the first `limit`
    /// whose name key ([`crate::records::name_key`]) starts with `prefix`
    /// and is greater than `after` (when given), in name-key order (byte by
    /// byte).
    fn users_by_prefix(&mut self, page: PeoplePage<'_>) -> ViewResult<Vec<String>>;
    // (issue 25) rooms. A room is a chat (its messages, comments, members
    // and read positions are a chat's); `chats_of` lists it as
    // `ChatKind::Room`, `private_members` answers `None` for it.
    /// The room named `name` (with its `#`), compared by `name_key`.
    fn room_by_name(&mut self, name: &str) -> ViewResult<Option<Room>>;
    /// The room whose chat is `chat`; `None` for the public chat, a private
    /// chat or no chat.
    fn room_of(&mut self, chat: ChatId) -> ViewResult<Option<Room>>;
    /// Creates a room with no members and no invitations. Called only when
    /// `room_by_name(name)` is `None`.
    fn create_room(&mut self, room: NewRoom<'_>) -> ViewResult<ChatId>;
    /// The rooms of `page`: the first `limit` by `name_key` whose key starts
    /// with `name_key(prefix)`, among the public rooms and the private
    /// rooms `user` is a member of or invited to, with `user`'s membership.
    fn rooms_for(&mut self, page: RoomsPage<'_>) -> ViewResult<Vec<RoomListing>>;
    /// Whether `user` holds an invitation to `room`.
    fn is_invited(&mut self, room: ChatId, user: UserId) -> ViewResult<bool>;
    /// Records (`true`) or drops (`false`) the user's invitation to the
    /// room (`invitation.chat`); idempotent.
    fn set_invited(&mut self, invitation: ChatUser, invited: bool) -> ViewResult<()>;
    /// Ends `user`'s membership of `chat` (its read position goes with it);
    /// no-op when it is not a member.
    fn leave(&mut self, chat: ChatId, user: UserId) -> ViewResult<()>;
    /// The rooms `user` is a member of.
    fn rooms_of(&mut self, user: UserId) -> ViewResult<Vec<ChatId>>;
    // (issue 26) edits, deletions, reactions, mentions.
    /// A message's chat, author and state; `None` if there is no such message.
    fn message_written(&mut self, message: MessageId) -> ViewResult<Option<Written>>;
    /// A comment's chat, message, author and state; `None` if there is none.
    fn comment_written(&mut self, comment: CommentId) -> ViewResult<Option<Written>>;
    /// One message as a page shows it, with its newest `comments` comments.
    fn message(&mut self, message: MessageId, comments: u32) -> ViewResult<Option<StoredMessage>>;
    /// [`message`](View::message) of each of `ids`, in that order: a
    /// store that pays a round trip a read (PostgreSQL) reads them at once.
    fn messages_by_id(
        &mut self,
        ids: &[MessageId],
        comments: u32,
    ) -> ViewResult<Vec<Option<StoredMessage>>> {
        ids.iter().map(|&id| self.message(id, comments)).collect()
    }
    /// One comment as a page shows it.
    fn comment(&mut self, comment: CommentId) -> ViewResult<Option<StoredComment>>;
    /// Replaces an existing message's text (the old one is kept nowhere),
    /// marks it edited at `edit.now` and makes `edit.mentions` (users, in
    /// order) its mentions.
    fn edit_message(&mut self, message: MessageId, edit: MessageEdit<'_>) -> ViewResult<()>;
    /// Replaces an existing comment's text and marks it edited at `now`.
    fn edit_comment(&mut self, comment: CommentId, text: &str, now: UnixMillis) -> ViewResult<()>;
    /// Records the mentions of a message just appended (users, in order).
    fn set_mentions(&mut self, message: MessageId, mentions: &[UserId]) -> ViewResult<()>;
    /// Erases an existing message's text (no copy left in any table or
    /// index), drops its mentions, marks it deleted (by `by`, a moderator
    /// deleting another's, when given). Its comments and reactions stay.
    fn delete_message(&mut self, message: MessageId, by: Option<UserId>) -> ViewResult<()>;
    /// The same for a comment.
    fn delete_comment(&mut self, comment: CommentId, by: Option<UserId>) -> ViewResult<()>;
    /// A message's reactions, by first use of each emoji, each listing its
    /// first `reactions::LISTED_USERS` users.
    fn reactions(&mut self, message: MessageId) -> ViewResult<Vec<Reaction>>;
    /// Whether the user reacted to the message with the emoji.
    fn has_reacted(&mut self, reaction: UserReaction<'_>) -> ViewResult<bool>;
    /// Adds the user's reaction (it has none with this emoji yet), after
    /// every reaction before it.
    fn add_reaction(&mut self, reaction: UserReaction<'_>, now: UnixMillis) -> ViewResult<()>;
    /// Takes back the user's reaction (it has one with this emoji).
    fn remove_reaction(&mut self, reaction: UserReaction<'_>) -> ViewResult<()>;
    // (issue 27) search
    /// Ids of the messages of `page` (the newest `limit` of `chat` with id
    /// `< before`, any id when `None`, whose text `query` matches:
    /// [`SearchQuery::matches`](crate::search::SearchQuery::matches)),
    /// newest first. Reads only `chat`'s part of the index.
    fn search_chat(&mut self, page: SearchPage<'_>) -> ViewResult<Vec<MessageId>>;
    /// Of `chats`, those that may hold a match for `query`, in the order
    /// given. A store that counts each chat's words (PostgreSQL) drops a
    /// chat lacking one of them here, for all the chats in one read rather
    /// than one [`search_chat`](View::search_chat) each; keeping them all
    /// (the default) is always right.
    fn search_candidates(
        &mut self,
        chats: &[ChatId],
        query: &crate::search::SearchQuery,
    ) -> ViewResult<Vec<ChatId>> {
        let _ = query;
        Ok(chats.to_vec())
    }
}

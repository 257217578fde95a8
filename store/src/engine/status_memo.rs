//! A memo of what `Status` reads, valid until the next commit.
//!
//! `GET /status` is what idle clients poll. Its answer depends on three reads
//! (the caller, its chats with their counters, its report count) and on the
//! time. The reads change only when the writer commits, so they are kept per
//! token with the data version they were read at, and replayed through the
//! unchanged chat rules (which apply the time) while no commit has happened
//! since. The writer bumps the version after every batch, before anyone hears
//! of the batch's outcome, so a client never gets an answer older than a
//! write it was told about.

use agora_core::events::{Event, EventBody, EventId};
use agora_core::time::UnixMillis;
use agora_core::token::TokenHash;
use agora_core::view::{
    ChatId, ChatSummary, CommentId, MessageId, Reaction, ReadPosition, Room, RoomListing,
    StoreError, StoredComment, StoredMessage, User, UserId, View, ViewResult, Written,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Entries kept at most; past it the memo starts over (a burst of distinct
/// tokens cannot grow it without bound).
const MAX_ENTRIES: usize = 4096;

/// Counts the writer's batches: any memo from an older version is stale.
#[derive(Default)]
pub(crate) struct DataVersion(AtomicU64);

impl DataVersion {
    pub(crate) fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Called by the writer after a batch ends (committed or not), before its
    /// outcomes are delivered.
    pub(crate) fn bump(&self) {
        self.0.fetch_add(1, Ordering::Release);
    }
}

/// What one `Status` read.
#[derive(Clone, Default)]
pub(crate) struct StatusReads {
    user: Option<Option<User>>,
    chats: Option<Vec<ChatSummary>>,
    cautions: Option<u32>,
}

impl StatusReads {
    /// (issue 23) What `Status` reads, read all at once (PostgreSQL's one
    /// statement, `pg::status`): `chats` and `cautions` only when there is
    /// a user (the rules read nothing more without one).
    pub(crate) fn of(user: Option<User>, chats: Vec<ChatSummary>, cautions: u32) -> StatusReads {
        let found = user.is_some();
        StatusReads {
            user: Some(user),
            chats: found.then_some(chats),
            cautions: found.then_some(cautions),
        }
    }
}

pub(crate) struct StatusMemo {
    version: Arc<DataVersion>,
    entries: Mutex<HashMap<TokenHash, (u64, StatusReads)>>,
}

impl StatusMemo {
    pub(crate) fn new(version: Arc<DataVersion>) -> StatusMemo {
        StatusMemo {
            version,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Read before the reads it will tag, so a commit in between makes the
    /// new entry stale at once rather than wrongly fresh.
    pub(crate) fn version(&self) -> u64 {
        self.version.current()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TokenHash, (u64, StatusReads)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The reads memoized for `caller`, if no batch has ended since.
    pub(crate) fn get(&self, caller: &TokenHash) -> Option<StatusReads> {
        let current = self.version();
        match self.lock().get(caller) {
            Some((version, reads)) if *version == current => Some(reads.clone()),
            _ => None,
        }
    }

    pub(crate) fn put(&self, caller: TokenHash, version: u64, reads: StatusReads) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&caller) {
            entries.clear();
        }
        entries.insert(caller, (version, reads));
    }
}

mod accounts;
pub(crate) mod state;

/// The rules' view for `Status`: with a database underneath it reads through
/// and records; without one it replays the recorded reads, and any other read
/// is an error (the caller then falls back to the database).
pub(crate) struct MemoView<'a, V: ?Sized> {
    inner: Option<&'a mut V>,
    reads: StatusReads,
}

impl<'a, V: View + ?Sized> MemoView<'a, V> {
    pub(crate) fn recording(inner: &'a mut V) -> MemoView<'a, V> {
        MemoView {
            inner: Some(inner),
            reads: StatusReads::default(),
        }
    }

    pub(crate) fn replaying(reads: StatusReads) -> MemoView<'a, V> {
        MemoView { inner: None, reads }
    }

    pub(crate) fn into_reads(self) -> StatusReads {
        self.reads
    }

    fn inner(&mut self) -> ViewResult<&mut V> {
        self.inner
            .as_deref_mut()
            .ok_or_else(|| StoreError("not a read the status memo holds".into()))
    }
}

/// Replays `slot` when it holds a value, else reads through and records.
macro_rules! memo {
    ($self:ident, $slot:ident, $read:expr) => {{
        if let Some(value) = &$self.reads.$slot {
            return Ok(value.clone());
        }
        let value = $read?;
        $self.reads.$slot = Some(value.clone());
        Ok(value)
    }};
}

impl<V: View + ?Sized> View for MemoView<'_, V> {
    fn user_by_token(&mut self, hash: &TokenHash) -> ViewResult<Option<User>> {
        memo!(self, user, self.inner()?.user_by_token(hash))
    }
    fn chats_of(&mut self, user: UserId) -> ViewResult<Vec<ChatSummary>> {
        memo!(self, chats, self.inner()?.chats_of(user))
    }
    fn report_count(&mut self, target: UserId) -> ViewResult<u32> {
        memo!(self, cautions, self.inner()?.report_count(target))
    }

    fn user_by_name(&mut self, name: &str) -> ViewResult<Option<User>> {
        self.inner()?.user_by_name(name)
    }
    fn create_user(
        &mut self,
        name: &str,
        hash: &TokenHash,
        origin: &str,
        now: UnixMillis,
    ) -> ViewResult<UserId> {
        self.inner()?.create_user(name, hash, origin, now)
    }
    fn registrations_from(
        &mut self,
        origin: &str,
        since: UnixMillis,
        limit: u32,
    ) -> ViewResult<Vec<UnixMillis>> {
        self.inner()?.registrations_from(origin, since, limit)
    }
    fn save_user(&mut self, user: &User) -> ViewResult<()> {
        self.inner()?.save_user(user)
    }
    fn private_chat(&mut self, a: UserId, b: UserId) -> ViewResult<Option<ChatId>> {
        self.inner()?.private_chat(a, b)
    }
    fn private_members(&mut self, chat: ChatId) -> ViewResult<Option<[(UserId, String); 2]>> {
        self.inner()?.private_members(chat)
    }
    fn count_after(&mut self, chat: ChatId, position: ReadPosition) -> ViewResult<u64> {
        self.inner()?.count_after(chat, position)
    }
    fn append_event(&mut self, body: EventBody) -> ViewResult<EventId> {
        self.inner()?.append_event(body)
    }
    fn event_head(&mut self) -> ViewResult<EventId> {
        self.inner()?.event_head()
    }
    fn events_after(&mut self, user: UserId, since: EventId, limit: u32) -> ViewResult<Vec<Event>> {
        self.inner()?.events_after(user, since, limit)
    }
    fn create_private_chat(&mut self, a: UserId, b: UserId, now: UnixMillis) -> ViewResult<ChatId> {
        self.inner()?.create_private_chat(a, b, now)
    }
    fn join(&mut self, chat: ChatId, user: UserId, position: ReadPosition) -> ViewResult<()> {
        self.inner()?.join(chat, user, position)
    }
    fn read_position(&mut self, chat: ChatId, user: UserId) -> ViewResult<Option<ReadPosition>> {
        self.inner()?.read_position(chat, user)
    }
    fn set_read_position(
        &mut self,
        chat: ChatId,
        user: UserId,
        position: ReadPosition,
    ) -> ViewResult<()> {
        self.inner()?.set_read_position(chat, user, position)
    }
    fn latest_message(&mut self, chat: ChatId) -> ViewResult<MessageId> {
        self.inner()?.latest_message(chat)
    }
    fn messages_up_to(
        &mut self,
        chat: ChatId,
        position: ReadPosition,
        limit: u32,
        comments: u32,
    ) -> ViewResult<Vec<StoredMessage>> {
        self.inner()?
            .messages_up_to(chat, position, limit, comments)
    }
    fn messages_after(
        &mut self,
        chat: ChatId,
        position: ReadPosition,
        limit: u32,
        comments: u32,
    ) -> ViewResult<Vec<StoredMessage>> {
        self.inner()?
            .messages_after(chat, position, limit, comments)
    }
    fn comments_before(
        &mut self,
        message: MessageId,
        before: Option<CommentId>,
        limit: u32,
    ) -> ViewResult<Vec<StoredComment>> {
        self.inner()?.comments_before(message, before, limit)
    }
    fn append_message(
        &mut self,
        chat: ChatId,
        author: UserId,
        text: &str,
        now: UnixMillis,
    ) -> ViewResult<MessageId> {
        self.inner()?.append_message(chat, author, text, now)
    }
    fn chat_of_message(&mut self, message: MessageId) -> ViewResult<Option<ChatId>> {
        self.inner()?.chat_of_message(message)
    }
    fn append_comment(
        &mut self,
        message: MessageId,
        author: UserId,
        text: &str,
        now: UnixMillis,
    ) -> ViewResult<CommentId> {
        self.inner()?.append_comment(message, author, text, now)
    }
    fn has_reported(&mut self, target: UserId, reporter: UserId) -> ViewResult<bool> {
        self.inner()?.has_reported(target, reporter)
    }
    fn add_report(&mut self, target: UserId, reporter: UserId, now: UnixMillis) -> ViewResult<()> {
        self.inner()?.add_report(target, reporter, now)
    }
    fn clear_reports(&mut self, target: UserId) -> ViewResult<()> {
        self.inner()?.clear_reports(target)
    }
    fn users_by_prefix(
        &mut self,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> ViewResult<Vec<String>> {
        self.inner()?.users_by_prefix(prefix, after, limit)
    }
    // (issue 25) rooms.
    fn room_by_name(&mut self, name: &str) -> ViewResult<Option<Room>> {
        self.inner()?.room_by_name(name)
    }
    fn room_of(&mut self, chat: ChatId) -> ViewResult<Option<Room>> {
        self.inner()?.room_of(chat)
    }
    fn create_room(
        &mut self,
        name: &str,
        public: bool,
        topic: &str,
        now: UnixMillis,
    ) -> ViewResult<ChatId> {
        self.inner()?.create_room(name, public, topic, now)
    }
    fn rooms_for(
        &mut self,
        user: UserId,
        prefix: &str,
        limit: u32,
    ) -> ViewResult<Vec<RoomListing>> {
        self.inner()?.rooms_for(user, prefix, limit)
    }
    fn is_invited(&mut self, room: ChatId, user: UserId) -> ViewResult<bool> {
        self.inner()?.is_invited(room, user)
    }
    fn set_invited(&mut self, room: ChatId, user: UserId, invited: bool) -> ViewResult<()> {
        self.inner()?.set_invited(room, user, invited)
    }
    fn leave(&mut self, chat: ChatId, user: UserId) -> ViewResult<()> {
        self.inner()?.leave(chat, user)
    }
    fn rooms_of(&mut self, user: UserId) -> ViewResult<Vec<ChatId>> {
        self.inner()?.rooms_of(user)
    }
    // (issue 26)
    fn message_written(&mut self, message: MessageId) -> ViewResult<Option<Written>> {
        self.inner()?.message_written(message)
    }
    fn comment_written(&mut self, comment: CommentId) -> ViewResult<Option<Written>> {
        self.inner()?.comment_written(comment)
    }
    fn message(&mut self, message: MessageId, comments: u32) -> ViewResult<Option<StoredMessage>> {
        self.inner()?.message(message, comments)
    }
    fn comment(&mut self, comment: CommentId) -> ViewResult<Option<StoredComment>> {
        self.inner()?.comment(comment)
    }
    fn edit_message(
        &mut self,
        message: MessageId,
        text: &str,
        mentions: &[UserId],
        now: UnixMillis,
    ) -> ViewResult<()> {
        self.inner()?.edit_message(message, text, mentions, now)
    }
    fn edit_comment(&mut self, comment: CommentId, text: &str, now: UnixMillis) -> ViewResult<()> {
        self.inner()?.edit_comment(comment, text, now)
    }
    fn set_mentions(&mut self, message: MessageId, mentions: &[UserId]) -> ViewResult<()> {
        self.inner()?.set_mentions(message, mentions)
    }
    fn delete_message(&mut self, message: MessageId, by: Option<UserId>) -> ViewResult<()> {
        self.inner()?.delete_message(message, by)
    }
    fn delete_comment(&mut self, comment: CommentId, by: Option<UserId>) -> ViewResult<()> {
        self.inner()?.delete_comment(comment, by)
    }
    fn reactions(&mut self, message: MessageId) -> ViewResult<Vec<Reaction>> {
        self.inner()?.reactions(message)
    }
    fn has_reacted(&mut self, message: MessageId, emoji: &str, user: UserId) -> ViewResult<bool> {
        self.inner()?.has_reacted(message, emoji, user)
    }
    fn add_reaction(
        &mut self,
        message: MessageId,
        emoji: &str,
        user: UserId,
        now: UnixMillis,
    ) -> ViewResult<()> {
        self.inner()?.add_reaction(message, emoji, user, now)
    }
    fn remove_reaction(&mut self, message: MessageId, emoji: &str, user: UserId) -> ViewResult<()> {
        self.inner()?.remove_reaction(message, emoji, user)
    }

    // (issue 27) search: not part of `Status`, passed through.
    fn search_chat(
        &mut self,
        chat: ChatId,
        query: &agora_core::search::SearchQuery,
        before: Option<MessageId>,
        limit: u32,
    ) -> ViewResult<Vec<MessageId>> {
        self.inner()?.search_chat(chat, query, before, limit)
    }

    fn search_candidates(
        &mut self,
        chats: &[ChatId],
        query: &agora_core::search::SearchQuery,
    ) -> ViewResult<Vec<ChatId>> {
        self.inner()?.search_candidates(chats, query)
    }
}

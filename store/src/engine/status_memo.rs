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

use crate::locks;
use agora_core::token::TokenHash;
use agora_core::view::{ChatSummary, StoreError, User, UserId, View, ViewResult};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

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

/// `Status` reads per token, each with the tag it was read at (the
/// writer's batch count, or the database's committed state: see `state`);
/// an entry is replayed only at the tag it was read at.
pub(crate) struct TaggedReads<Tag> {
    entries: Mutex<HashMap<TokenHash, (Tag, StatusReads)>>,
}

impl<Tag> Default for TaggedReads<Tag> {
    fn default() -> Self {
        TaggedReads {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<Tag: PartialEq> TaggedReads<Tag> {
    /// The reads kept for `caller`, if they were taken at `current`.
    pub(crate) fn get(&self, caller: &TokenHash, current: &Tag) -> Option<StatusReads> {
        match locks::lock(&self.entries).get(caller) {
            Some((tag, reads)) if tag == current => Some(reads.clone()),
            _ => None,
        }
    }

    /// `reads` for `caller`, taken at `tag`.
    pub(crate) fn put(&self, caller: TokenHash, tag: Tag, reads: StatusReads) {
        let mut entries = locks::lock(&self.entries);
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&caller) {
            entries.clear();
        }
        entries.insert(caller, (tag, reads));
    }
}

/// The memo when this process's writer is the only one: tagged with the
/// [`DataVersion`].
pub(crate) struct StatusMemo {
    version: Arc<DataVersion>,
    entries: TaggedReads<u64>,
}

impl StatusMemo {
    pub(crate) fn new(version: Arc<DataVersion>) -> StatusMemo {
        StatusMemo {
            version,
            entries: TaggedReads::default(),
        }
    }

    /// Read before the reads it will tag, so a commit in between makes the
    /// new entry stale at once rather than wrongly fresh.
    pub(crate) fn version(&self) -> u64 {
        self.version.current()
    }

    /// The reads memoized for `caller`, if no batch has ended since.
    pub(crate) fn get(&self, caller: &TokenHash) -> Option<StatusReads> {
        self.entries.get(caller, &self.version())
    }

    pub(crate) fn put(&self, caller: TokenHash, version: u64, reads: StatusReads) {
        self.entries.put(caller, version, reads);
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

    /// Runs a forwarded call on the view underneath (see `crate::forward`).
    fn on_inner<T>(&mut self, call: impl FnOnce(&mut V) -> ViewResult<T>) -> ViewResult<T> {
        call(self.inner()?)
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

    // Every other read and write goes through to the view underneath.
    crate::forward::forward_view!(
        on_inner;
        user_by_name,
        create_user,
        registrations_from,
        save_user,
        private_chat,
        private_members,
        count_after,
        append_event,
        event_head,
        events_after,
        create_private_chat,
        join,
        read_position,
        set_read_position,
        latest_message,
        messages_up_to,
        messages_after,
        comments_before,
        append_message,
        chat_of_message,
        append_comment,
        has_reported,
        add_report,
        clear_reports,
        users_by_prefix,
        search_chat,
        search_candidates,
    );
    crate::forward::forward_view!(rooms on_inner);
    crate::forward::forward_view!(edits on_inner);
}

//! [`OverlayView`]: the rules' [`View`] over one batch's [`Overlay`]. Keyed
//! reads are answered from the overlay's tables (a key it does not hold is
//! loaded on its own); writes are kept there, each with its undo entry;
//! range reads flush and read through the backend.

use super::table::{Cached, State, Table};
use super::{name_key, BatchRows, MessageEntry, Needs, Overlay, UserEntry};
use super::{ChatRow, MessageRow, NewComment, UserRow};
use crate::forward::Own;
use agora_core::events::{Event, EventBody, EventId};
use agora_core::idempotency::KeyLog;
use agora_core::time::UnixMillis;
use agora_core::token::TokenHash;
use agora_core::view::{
    ChatId, ChatUser, CommentId, MessageId, NewText, NewUser, ReadPosition, Recent, StoreError,
    User, UserId, View, ViewResult,
};
use std::collections::BTreeMap;

mod rooms;

pub(crate) struct OverlayView<'a, B> {
    overlay: &'a mut Overlay,
    rows: &'a mut B,
}

impl<'a, B: BatchRows> OverlayView<'a, B> {
    pub(super) fn new(overlay: &'a mut Overlay, rows: &'a mut B) -> OverlayView<'a, B> {
        OverlayView { overlay, rows }
    }

    /// Loads one key the preload did not foresee.
    fn load(&mut self, needs: Needs) -> ViewResult<()> {
        self.overlay.load(self.rows, &needs)
    }

    /// A token whose device was added or revoked through the backend: the
    /// next lookup of it loads it again (issue 28).
    pub(super) fn forget_token(&mut self, hash: TokenHash) {
        self.overlay.by_token.forget(&hash.0);
    }

    /// The backend's view after a flush of what is kept.
    pub(super) fn through(&mut self) -> ViewResult<B::Through<'_>> {
        self.overlay.flush_kept(self.rows)?;
        self.overlay.round_trips += 1;
        Ok(self.rows.through())
    }

    /// Runs a forwarded call on the backend's view after a flush (see
    /// `crate::forward`); an error there is not taken back in memory
    /// (`Overlay::backend` is not asked: as before issue 28's accounts).
    pub(super) fn on_backend<T>(
        &mut self,
        call: impl FnOnce(&mut B::Through<'_>) -> ViewResult<T>,
    ) -> ViewResult<T> {
        call(&mut self.through()?)
    }

    /// A read the overlay does not hold, through the backend after a flush;
    /// a failure there breaks the batch's overlay (`Overlay::backend`).
    fn read_through<T>(
        &mut self,
        call: impl FnOnce(&mut B::Through<'_>) -> ViewResult<T>,
    ) -> ViewResult<T> {
        let done = self.through().and_then(|mut db| call(&mut db));
        self.overlay.backend(done)
    }

    /// A write the overlay does not hold (issue 26's edits, deletions and
    /// reactions), through the backend after a flush: the batch can no
    /// longer be taken back in memory (`spilled`).
    fn write_through<T>(
        &mut self,
        call: impl FnOnce(&mut B::Through<'_>) -> ViewResult<T>,
    ) -> ViewResult<T> {
        self.overlay.spilled = true;
        self.read_through(call)
    }

    /// A read of the database that the overlay's unflushed writes cannot
    /// change (or whose answer the caller completes from them): no flush.
    fn read_only(&mut self) -> B::Through<'_> {
        self.overlay.round_trips += 1;
        self.rows.through()
    }

    fn next_ids(&mut self) -> ViewResult<&mut super::NextIds> {
        if self.overlay.next.is_none() {
            self.load(Needs {
                next_ids: true,
                ..Needs::default()
            })?;
        }
        self.overlay
            .next
            .as_mut()
            .ok_or_else(|| StoreError("batch overlay: no next ids loaded".into()))
    }

    fn user_by_id(&mut self, id: UserId) -> ViewResult<Option<User>> {
        if !self.overlay.users.contains(&id) {
            self.load(Needs {
                user_ids: vec![id],
                ..Needs::default()
            })?;
        }
        Ok(self.held_user(Some(id)))
    }

    fn held_user(&self, id: Option<UserId>) -> Option<User> {
        let cached = self.overlay.users.get(&id?)?;
        cached.value.as_ref().map(|entry| entry.row.user.clone())
    }

    fn chat(&mut self, chat: ChatId) -> ViewResult<Option<ChatRow>> {
        if !self.overlay.chats.contains(&chat) {
            self.load(Needs {
                chats: vec![chat],
                ..Needs::default()
            })?;
        }
        Ok(self
            .overlay
            .chats
            .get(&chat)
            .and_then(|cached| cached.value.clone()))
    }

    fn put_chat(&mut self, chat: ChatRow, state: State) {
        let state = match self.overlay.chats.get(&chat.id) {
            Some(old) if state != State::New => old.state.changed(),
            _ => state,
        };
        self.overlay.wrote = true;
        self.overlay.chats.set(
            chat.id,
            Cached {
                value: Some(chat),
                state,
            },
        );
    }

    fn member(&mut self, chat: ChatId, user: UserId) -> ViewResult<Option<ReadPosition>> {
        if !self.overlay.members.contains(&(chat, user)) {
            self.load(Needs {
                members: vec![(chat, user)],
                ..Needs::default()
            })?;
        }
        Ok(self
            .overlay
            .members
            .get(&(chat, user))
            .and_then(|cached| cached.value))
    }

    fn message(&mut self, message: MessageId) -> ViewResult<Option<MessageEntry>> {
        if !self.overlay.messages.contains(&message) {
            self.load(Needs {
                messages: vec![message],
                ..Needs::default()
            })?;
        }
        Ok(self
            .overlay
            .messages
            .get(&message)
            .and_then(|cached| cached.value.clone()))
    }

    fn reports(&mut self, target: UserId) -> ViewResult<Cached<BTreeMap<UserId, UnixMillis>>> {
        if !self.overlay.reports.contains(&target) {
            self.load(Needs {
                report_ids: vec![target],
                ..Needs::default()
            })?;
        }
        self.overlay
            .reports
            .get(&target)
            .cloned()
            .ok_or_else(|| StoreError(format!("batch overlay: reports on {target} not loaded")))
    }

    fn put_reports(&mut self, target: UserId, reports: Cached<BTreeMap<UserId, UnixMillis>>) {
        self.overlay.wrote = true;
        let state = reports.state.changed();
        self.overlay.reports.set(
            target,
            Cached {
                value: reports.value,
                state,
            },
        );
    }

    /// The registration times of the users made in this batch (not yet
    /// flushed) from `origin`.
    fn new_registrations(&self, origin: &str) -> Vec<UnixMillis> {
        self.overlay
            .users
            .iter()
            .filter_map(|(_, cached)| {
                let entry = cached.value.as_ref()?;
                (cached.state == State::New && entry.origin.as_deref() == Some(origin))
                    .then_some(entry.row.user.created)
            })
            .collect()
    }
}

/// `value` kept at `key` of `table` as the batch changed it: still new
/// if the batch made the row (its flush inserts it), else changed.
fn write_row<K: std::hash::Hash + Eq + Clone, V>(
    table: &mut Table<K, Cached<V>>,
    key: K,
    value: V,
) {
    let state = table
        .get(&key)
        .map_or(State::Changed, |cached| cached.state.changed());
    let value = Some(value);
    table.set(key, Cached { value, state });
}

impl<B: BatchRows> View for OverlayView<'_, B> {
    fn user_by_token(&mut self, hash: &TokenHash) -> ViewResult<Option<User>> {
        if !self.overlay.by_token.contains(&hash.0) {
            self.load(Needs {
                tokens: vec![hash.0],
                ..Needs::default()
            })?;
        }
        let id = self.overlay.by_token.get(&hash.0).copied().flatten();
        Ok(self.held_user(id))
    }

    fn user_by_name(&mut self, name: &str) -> ViewResult<Option<User>> {
        let key = name_key(name);
        if !self.overlay.by_name.contains(&key) {
            self.load(Needs {
                names: vec![key.clone()],
                ..Needs::default()
            })?;
        }
        let id = self.overlay.by_name.get(&key).copied().flatten();
        Ok(self.held_user(id))
    }

    fn create_user(&mut self, new: NewUser<'_>) -> ViewResult<UserId> {
        let NewUser { name, hash, .. } = new;
        let next = self.next_ids()?;
        let id = next.user;
        next.user += 1;
        let entry = UserEntry {
            row: UserRow {
                user: User::new(id, name, new.now),
                token: hash.0,
            },
            origin: Some(new.origin.to_owned()),
        };
        let overlay = &mut *self.overlay;
        overlay.wrote = true;
        overlay.by_token.set(hash.0, Some(id));
        overlay.by_name.set(name_key(name), Some(id));
        overlay.users.set(
            id,
            Cached {
                value: Some(entry),
                state: State::New,
            },
        );
        // A new user is in no chat and has no reports yet: known, no load.
        let public = agora_core::view::PUBLIC_CHAT;
        overlay.members.set((public, id), Cached::clean(None));
        overlay
            .reports
            .set(id, Cached::clean(Some(BTreeMap::new())));
        Ok(id)
    }

    fn registrations_from(&mut self, recent: Recent<'_>) -> ViewResult<Vec<UnixMillis>> {
        let (loaded_since, loaded_limit) = self.overlay.registrations_window;
        let held = self
            .overlay
            .registrations
            .get(&recent.key.to_owned())
            .filter(|_| recent.since >= loaded_since && recent.limit <= loaded_limit)
            .cloned();
        let mut list = match held {
            Some(list) => list,
            None => {
                let read = self.read_only().registrations_from(recent);
                self.overlay.backend(read)?
            }
        };
        list.extend(self.new_registrations(recent.key));
        Ok(recent.newest(list))
    }

    fn save_user(&mut self, user: &User) -> ViewResult<()> {
        if self.user_by_id(user.id)?.is_none() {
            return Ok(());
        }
        let Some(cached) = self.overlay.users.get(&user.id).cloned() else {
            return Ok(());
        };
        let Some(mut entry) = cached.value else {
            return Ok(());
        };
        let held = &mut entry.row.user;
        held.banned_until = user.banned_until;
        held.window_start = user.window_start;
        held.window_count = user.window_count;
        held.comment_window_start = user.comment_window_start;
        held.comment_window_count = user.comment_window_count;
        held.sent_message = user.sent_message;
        self.overlay.wrote = true;
        self.overlay.users.set(
            user.id,
            Cached {
                value: Some(entry),
                state: cached.state.changed(),
            },
        );
        Ok(())
    }

    fn private_chat(&mut self, a: UserId, b: UserId) -> ViewResult<Option<ChatId>> {
        let pair = (a.min(b), a.max(b));
        if !self.overlay.pairs.contains(&pair) {
            self.load(Needs {
                pairs: vec![pair],
                ..Needs::default()
            })?;
        }
        Ok(self.overlay.pairs.get(&pair).copied().flatten())
    }

    fn create_private_chat(&mut self, a: UserId, b: UserId, now: UnixMillis) -> ViewResult<ChatId> {
        let next = self.next_ids()?;
        let id = next.chat;
        next.chat += 1;
        let pair = (a.min(b), a.max(b));
        let chat = ChatRow {
            id,
            pair: Some(pair),
            created: now,
            message_count: 0,
            member_count: 0,
            last_message: 0,
            room: None,
        };
        self.put_chat(chat, State::New);
        self.overlay.pairs.set(pair, Some(id));
        // A new chat has no members yet: known, no load.
        self.overlay.members.set((id, a), Cached::clean(None));
        self.overlay.members.set((id, b), Cached::clean(None));
        self.join(id, a, 0)?;
        self.join(id, b, 0)?;
        Ok(id)
    }

    fn join(&mut self, chat: ChatId, user: UserId, position: ReadPosition) -> ViewResult<()> {
        if self.member(chat, user)?.is_some() {
            return self.set_read_position(ChatUser { chat, user }, position);
        }
        let Some(mut row) = self.chat(chat)? else {
            return Err(StoreError(format!("join: no chat {chat}")));
        };
        row.member_count += 1;
        self.put_chat(row, State::Changed);
        // Known not to be a member: memberships are never deleted, so the
        // row is new.
        self.overlay.members.set(
            (chat, user),
            Cached {
                value: Some(position),
                state: State::New,
            },
        );
        Ok(())
    }

    fn read_position(&mut self, chat: ChatId, user: UserId) -> ViewResult<Option<ReadPosition>> {
        self.member(chat, user)
    }

    fn set_read_position(&mut self, member: ChatUser, position: ReadPosition) -> ViewResult<()> {
        let ChatUser { chat, user } = member;
        if self.member(chat, user)?.is_none() {
            return Ok(());
        }
        self.overlay.wrote = true;
        write_row(&mut self.overlay.members, (chat, user), position);
        Ok(())
    }

    fn private_members(&mut self, chat: ChatId) -> ViewResult<Option<[(UserId, String); 2]>> {
        let Some((a, b)) = self.chat(chat)?.and_then(|row| row.pair) else {
            return Ok(None);
        };
        match (self.user_by_id(a)?, self.user_by_id(b)?) {
            (Some(a), Some(b)) => Ok(Some([(a.id, a.name), (b.id, b.name)])),
            _ => Err(StoreError(format!("chat {chat}: a member is gone"))),
        }
    }

    fn latest_message(&mut self, chat: ChatId) -> ViewResult<MessageId> {
        Ok(self.chat(chat)?.map_or(0, |row| row.last_message))
    }

    fn count_after(&mut self, chat: ChatId, position: ReadPosition) -> ViewResult<u64> {
        // The database's messages, and this batch's not yet flushed.
        let stored = self.read_only().count_after(chat, position);
        let stored = self.overlay.backend(stored)?;
        let new = self
            .overlay
            .messages
            .iter()
            .filter(|(&id, cached)| {
                cached.state == State::New
                    && id > position
                    && cached.value.as_ref().is_some_and(|m| m.row.chat == chat)
            })
            .count();
        Ok(stored + new as u64)
    }

    fn append_message(&mut self, chat: ChatId, new: NewText<'_>) -> ViewResult<MessageId> {
        let Some(mut row) = self.chat(chat)? else {
            return Err(StoreError(format!("append_message: no chat {chat}")));
        };
        let next = self.next_ids()?;
        let id = next.message;
        next.message += 1;
        row.message_count += 1;
        row.last_message = id;
        self.put_chat(row, State::Changed);
        let entry = MessageEntry {
            row: MessageRow {
                id,
                chat,
                comment_count: 0,
            },
            new: Some((new.author, new.now, new.text.to_owned())),
        };
        self.overlay.messages.set(
            id,
            Cached {
                value: Some(entry),
                state: State::New,
            },
        );
        Ok(id)
    }

    fn chat_of_message(&mut self, message: MessageId) -> ViewResult<Option<ChatId>> {
        Ok(self.message(message)?.map(|entry| entry.row.chat))
    }

    fn append_comment(&mut self, message: MessageId, new: NewText<'_>) -> ViewResult<CommentId> {
        let Some(mut entry) = self.message(message)? else {
            return Err(StoreError(format!("append_comment: no message {message}")));
        };
        let next = self.next_ids()?;
        let id = next.comment;
        next.comment += 1;
        entry.row.comment_count += 1;
        let chat = entry.row.chat;
        self.overlay.wrote = true;
        write_row(&mut self.overlay.messages, message, entry);
        self.overlay.new_comments.push(NewComment {
            id,
            message,
            chat,
            author: new.author,
            created: new.now,
            text: new.text.to_owned(),
        });
        Ok(id)
    }

    fn append_event(&mut self, body: EventBody) -> ViewResult<EventId> {
        let next = self.next_ids()?;
        let id = next.event;
        next.event += 1;
        let event = Event { id, body };
        self.overlay.wrote = true;
        self.overlay.new_events.push(event.clone());
        self.overlay.recorded.push(event);
        Ok(id)
    }

    fn event_head(&mut self) -> ViewResult<EventId> {
        let kept = self.overlay.new_events.last().map_or(0, |e| e.id);
        let head = self.read_only().event_head();
        Ok(self.overlay.backend(head)?.max(kept))
    }

    fn has_reported(&mut self, target: UserId, reporter: UserId) -> ViewResult<bool> {
        let reports = self.reports(target)?;
        Ok(reports.value.is_some_and(|set| set.contains_key(&reporter)))
    }

    fn report_count(&mut self, target: UserId) -> ViewResult<u32> {
        let reports = self.reports(target)?;
        Ok(reports.value.map_or(0, |set| set.len() as u32))
    }

    fn add_report(&mut self, target: UserId, reporter: UserId, now: UnixMillis) -> ViewResult<()> {
        let mut reports = self.reports(target)?;
        let set = reports.value.get_or_insert_with(BTreeMap::new);
        if set.contains_key(&reporter) {
            return Ok(());
        }
        set.insert(reporter, now);
        self.put_reports(target, reports);
        Ok(())
    }

    fn clear_reports(&mut self, target: UserId) -> ViewResult<()> {
        let mut reports = self.reports(target)?;
        if reports.value.as_ref().is_some_and(|set| set.is_empty()) {
            return Ok(());
        }
        reports.value = Some(BTreeMap::new());
        self.put_reports(target, reports);
        Ok(())
    }

    // Range reads the overlay does not hold (the users of issue 25's people
    // directory made in this batch are in them after the flush; issue 27's
    // search), and issue 26's edits, deletions and reactions, which name
    // rows it does not hold (a message's text, reactions, mentions): through
    // the backend after a flush. A write there cannot be taken back in
    // memory (`write_through`).
    crate::forward::forward_view!(
        read_through;
        chats_of,
        messages_up_to,
        messages_after,
        comments_before,
        events_after,
        users_by_prefix,
        message_written,
        comment_written,
        message,
        comment,
        reactions,
        has_reacted,
        search_chat,
        search_candidates,
    );
    crate::forward::forward_view!(
        write_through;
        edit_message,
        edit_comment,
        set_mentions,
        delete_message,
        delete_comment,
        add_reaction,
        remove_reaction,
    );

    // (issue 25) rooms: see `rooms.rs`.
    crate::forward::forward_view!(rooms own);
}

/// Kept answers live in their own table, which no other write touches:
/// read without a flush; a write goes straight to the database, so the
/// command can no longer be taken back in memory.
impl<B: BatchRows> KeyLog for OverlayView<'_, B> {
    crate::forward::forward_key_log!(read_kept; find_key);
    crate::forward::forward_key_log!(write_kept; keep_key, prune_keys);
}

impl<B: BatchRows> OverlayView<'_, B> {
    /// A kept answer read without a flush.
    fn read_kept<T>(
        &mut self,
        call: impl FnOnce(&mut B::Through<'_>) -> ViewResult<T>,
    ) -> ViewResult<T> {
        let done = call(&mut self.read_only());
        self.overlay.backend(done)
    }

    /// A kept answer written (or pruned) straight to the database.
    fn write_kept<T>(
        &mut self,
        call: impl FnOnce(&mut B::Through<'_>) -> ViewResult<T>,
    ) -> ViewResult<T> {
        self.overlay.spilled = true;
        self.read_kept(call)
    }
}

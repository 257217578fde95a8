//! The batch overlay: the rules' [`View`](agora_core::view::View) for one
//! batch, in memory over the rows its commands name, so that a backend
//! pays a round trip per batch, not one per read and per write.
//!
//! A batch runs in three steps, each one round trip on PostgreSQL:
//! 1. **load** ([`BatchRows::load`]): the keys the decoded commands name
//!    ([`Needs`], read off the commands before the rules run) come back as
//!    rows ([`Rows`]) and are held in [`Table`]s;
//! 2. the rules run over [`OverlayView`] for each command, every read
//!    answered from the tables and every write kept there, with an undo log
//!    per command so that a failed (or panicking) command leaves nothing;
//! 3. **flush** ([`BatchRows::flush`]): every change, each row once in its
//!    final state ([`Effects`]), in one statement.
//!
//! A key the load did not foresee is loaded on its own when the rules reach
//! it (a counted round trip). Reads of ranges the overlay does not hold
//! (history pages, comment pages, `/status`, events) first flush what is
//! kept, then read through the backend's own view ([`BatchRows::through`]);
//! a command that wrote before such a read can no longer be taken back in
//! memory, so its failure fails the batch ([`Failed::Spilled`]) and the
//! caller runs it again the slow way. Ids are handed out as the tables'
//! sequences would (the next ids are part of the load) and the flush moves
//! the sequences past them.
//!
//! Where a new command's reads and writes go: its keys into
//! [`Needs::command`], its reads and writes into `view.rs`, any new table
//! into `rows.rs` and each backend's load and flush.

mod accounts;
mod needs;
mod rows;
mod table;
#[cfg(test)]
mod tests;
mod view;

pub(crate) use needs::{name_key, Needs};
pub(crate) use rows::{
    ChatRow, Effects, MessageRow, NewComment, NewMessage, NewUser, NextIds, RoomColumns, Rows,
    UserRow,
};
pub(crate) use view::OverlayView;

use agora_core::events::Event;
use agora_core::idempotency::KeyLog;
use agora_core::time::UnixMillis;
use agora_core::view::{ChatId, MessageId, ReadPosition, StoreError, UserId, View, ViewResult};
use std::collections::BTreeMap;
use table::{Cached, State, Table, UndoLog};

/// How a backend loads and writes a batch's rows, inside its open
/// transaction.
pub(crate) trait BatchRows {
    /// The backend's own view, for the reads the overlay does not hold.
    type Through<'a>: View + KeyLog
    where
        Self: 'a;
    /// The rows `needs` names (see [`Needs`] for what comes with them).
    fn load(&mut self, needs: &Needs) -> ViewResult<Rows>;
    /// Writes `effects`.
    fn flush(&mut self, effects: &Effects) -> ViewResult<()>;
    /// The database as it is now (after a flush, as the overlay sees it).
    fn through(&mut self) -> Self::Through<'_>;
}

/// Why a command's failure could not be taken back in memory: the batch
/// must be rolled back in the database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Failed {
    /// A round trip failed: the transaction may be broken.
    #[error("batch overlay: {0}")]
    Backend(StoreError),
    /// The command failed after some of its writes reached the database.
    #[error("batch overlay: a command failed after it wrote through")]
    Spilled,
}

/// A user held by the overlay; `origin` for one made in this batch.
#[derive(Clone, Debug)]
pub(crate) struct UserEntry {
    pub(crate) row: UserRow,
    pub(crate) origin: Option<String>,
}

/// A message held by the overlay; `new` for one made in this batch.
#[derive(Clone, Debug)]
pub(crate) struct MessageEntry {
    pub(crate) row: MessageRow,
    pub(crate) new: Option<(UserId, UnixMillis, String)>,
}

/// The overlay's tables (see `Overlay::tables`).
const TABLES: usize = 11;

/// Where each table's undo log was when a command began.
#[derive(Clone, Copy, Default)]
struct Mark {
    tables: [usize; TABLES],
    comments: usize,
    events: usize,
    recorded: usize,
    next: Option<NextIds>,
}

/// One batch's rows and changes.
#[derive(Default)]
pub(crate) struct Overlay {
    users: Table<UserId, Cached<UserEntry>>,
    by_token: Table<[u8; 32], Option<UserId>>,
    by_name: Table<String, Option<UserId>>,
    chats: Table<ChatId, Cached<ChatRow>>,
    pairs: Table<(UserId, UserId), Option<ChatId>>,
    members: Table<(ChatId, UserId), Cached<ReadPosition>>,
    messages: Table<MessageId, Cached<MessageEntry>>,
    /// target -> reporter -> created: every standing report on the target.
    reports: Table<UserId, Cached<BTreeMap<UserId, UnixMillis>>>,
    /// origin -> the newest registrations in the database (not those of
    /// this batch), as loaded with `registrations` below.
    registrations: Table<String, Vec<UnixMillis>>,
    /// The `since` and `limit` the registrations were loaded with.
    registrations_window: (UnixMillis, u32),
    /// (issue 25) Room name key -> its chat (`None`: no such room).
    rooms: Table<String, Option<ChatId>>,
    /// (issue 25) Whether a user holds an invitation to a room.
    invites: Table<(ChatId, UserId), Cached<bool>>,
    new_comments: Vec<NewComment>,
    /// Events not yet flushed.
    new_events: Vec<Event>,
    /// Every event of the batch, flushed or not.
    recorded: Vec<Event>,
    next: Option<NextIds>,
    /// The next ids as the sequences have them (at the load, or the last
    /// flush).
    flushed_next: Option<NextIds>,
    mark: Mark,
    /// The running command wrote something (kept, not yet flushed).
    wrote: bool,
    /// The running command's writes reached the database.
    spilled: bool,
    /// A round trip failed: nothing more may run in this transaction.
    broken: Option<StoreError>,
    round_trips: u64,
}

impl Overlay {
    pub(crate) fn new() -> Overlay {
        Overlay::default()
    }

    /// Round trips made through the backend (loads, flushes, reads through).
    #[cfg(test)]
    pub(crate) fn round_trips(&self) -> u64 {
        self.round_trips
    }

    /// Loads `needs` (one round trip) unless empty.
    pub(crate) fn preload(
        &mut self,
        rows: &mut impl BatchRows,
        mut needs: Needs,
    ) -> Result<(), Failed> {
        needs.next_ids = self.next.is_none();
        needs.dedup();
        self.load(rows, &needs).map_err(Failed::Backend)
    }

    /// Every event the batch recorded so far, in id order.
    pub(crate) fn events(&self) -> &[Event] {
        &self.recorded
    }

    /// Runs one command over the overlay: its outcome, or its changes taken
    /// back and `Ok(None)` when it failed (a store error or a panic), or
    /// `Err` when it cannot be taken back in memory.
    pub(crate) fn command<B: BatchRows, T>(
        &mut self,
        rows: &mut B,
        apply: impl FnOnce(&mut OverlayView<'_, B>) -> ViewResult<T>,
    ) -> Result<Option<T>, Failed> {
        if let Some(e) = &self.broken {
            return Err(Failed::Backend(e.clone()));
        }
        self.mark = self.mark_now();
        self.wrote = false;
        self.spilled = false;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            apply(&mut OverlayView::new(self, rows))
        }));
        if let Some(e) = &self.broken {
            return Err(Failed::Backend(e.clone()));
        }
        match result {
            Ok(Ok(value)) => Ok(Some(value)),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "command rolled back; answering store_unavailable");
                self.rollback()
            }
            Err(_) => {
                tracing::warn!("command panicked; rolled back, answering store_unavailable");
                self.rollback()
            }
        }
    }

    /// Writes every change kept (one round trip, none when there is none).
    pub(crate) fn flush(&mut self, rows: &mut impl BatchRows) -> Result<(), Failed> {
        if let Some(e) = &self.broken {
            return Err(Failed::Backend(e.clone()));
        }
        self.flush_kept(rows).map_err(Failed::Backend)
    }

    fn rollback<T>(&mut self) -> Result<Option<T>, Failed> {
        if self.spilled {
            return Err(Failed::Spilled);
        }
        let mark = self.mark;
        for (table, at) in self.tables().into_iter().zip(mark.tables) {
            table.rollback(at);
        }
        self.new_comments.truncate(mark.comments);
        self.new_events.truncate(mark.events);
        self.recorded.truncate(mark.recorded);
        self.next = mark.next;
        Ok(None)
    }

    /// Every table, in one order: what a [`Mark`] holds the undo logs of,
    /// and what a rollback and a settle go over.
    fn tables(&mut self) -> [&mut dyn UndoLog; TABLES] {
        [
            &mut self.users,
            &mut self.by_token,
            &mut self.by_name,
            &mut self.chats,
            &mut self.pairs,
            &mut self.members,
            &mut self.messages,
            &mut self.reports,
            &mut self.registrations,
            &mut self.rooms,
            &mut self.invites,
        ]
    }

    fn mark_now(&mut self) -> Mark {
        Mark {
            tables: self.tables().map(|table| table.mark()),
            comments: self.new_comments.len(),
            events: self.new_events.len(),
            recorded: self.recorded.len(),
            next: self.next,
        }
    }

    /// A failed round trip: kept, so that the batch is abandoned.
    fn backend<T>(&mut self, result: ViewResult<T>) -> ViewResult<T> {
        if let Err(e) = &result {
            self.broken = Some(e.clone());
        }
        result
    }

    fn load(&mut self, rows: &mut impl BatchRows, needs: &Needs) -> ViewResult<()> {
        if needs.is_empty() {
            return Ok(());
        }
        self.round_trips += 1;
        let loaded = rows.load(needs);
        let loaded = self.backend(loaded)?;
        self.absorb(needs, loaded);
        Ok(())
    }

    /// Holds what a load gave, and what it says does not exist. Rows held
    /// already are kept: they are newer than the database.
    fn absorb(&mut self, needs: &Needs, rows: Rows) {
        let public = agora_core::view::PUBLIC_CHAT;
        let mut loaded_users = Vec::with_capacity(rows.users.len());
        for row in rows.users {
            let id = row.user.id;
            loaded_users.push(id);
            self.by_name
                .set_if_absent(name_key(&row.user.name), Some(id));
            self.users
                .set_if_absent(id, Cached::clean(Some(UserEntry { row, origin: None })));
        }
        // A user is found by its devices' tokens (issue 28), not by the
        // first token its row keeps.
        for (token, id) in &rows.devices {
            self.by_token.set_if_absent(*token, Some(*id));
        }
        for token in &needs.tokens {
            self.by_token.set_if_absent(*token, None);
        }
        for name in needs.names.iter().chain(&needs.report_names) {
            self.by_name.set_if_absent(name.clone(), None);
        }
        for id in &needs.user_ids {
            self.users.set_if_absent(*id, Cached::clean(None));
        }
        let mut private_chats = Vec::new();
        let mut rooms = Vec::new();
        for chat in rows.chats {
            if let Some(pair) = chat.pair {
                self.pairs.set_if_absent(pair, Some(chat.id));
                private_chats.push((chat.id, pair));
            }
            if let Some(room) = &chat.room {
                self.rooms
                    .set_if_absent(name_key(&room.name), Some(chat.id));
                rooms.push(chat.id);
            }
            self.chats.set_if_absent(chat.id, Cached::clean(Some(chat)));
        }
        for chat in &needs.chats {
            self.chats.set_if_absent(*chat, Cached::clean(None));
        }
        for pair in &needs.pairs {
            self.pairs.set_if_absent(*pair, None);
        }
        for key in &needs.room_keys {
            self.rooms.set_if_absent(key.clone(), None);
        }
        // A loaded room brings the memberships and invitations in it of
        // every user loaded with it: what it does not bring is not there.
        for (room, user) in rows.invites {
            self.invites
                .set_if_absent((room, user), Cached::clean(Some(true)));
        }
        for &room in &rooms {
            for &user in &loaded_users {
                self.invites
                    .set_if_absent((room, user), Cached::clean(Some(false)));
            }
        }
        for (token, name) in &needs.token_pairs {
            let a = self.by_token.get(token).copied().flatten();
            let b = self.by_name.get(name).copied().flatten();
            if let (Some(a), Some(b)) = (a, b) {
                self.pairs.set_if_absent((a.min(b), a.max(b)), None);
            }
        }
        for (chat, user, position) in rows.members {
            self.members
                .set_if_absent((chat, user), Cached::clean(Some(position)));
        }
        // What the backend brings with each row it finds (see `Needs`).
        let implied = needs.members.iter().copied();
        let implied = implied.chain(loaded_users.iter().map(|&user| (public, user)));
        let implied = implied.chain(
            private_chats
                .iter()
                .flat_map(|&(chat, (a, b))| [(chat, a), (chat, b)]),
        );
        let implied = implied.chain(
            rooms
                .iter()
                .flat_map(|&room| loaded_users.iter().map(move |&user| (room, user))),
        );
        for key in implied.collect::<Vec<_>>() {
            self.members.set_if_absent(key, Cached::clean(None));
        }
        for row in rows.messages {
            let entry = MessageEntry { row, new: None };
            self.messages
                .set_if_absent(entry.row.id, Cached::clean(Some(entry)));
        }
        for message in &needs.messages {
            self.messages.set_if_absent(*message, Cached::clean(None));
        }
        let mut reports: BTreeMap<UserId, BTreeMap<UserId, UnixMillis>> = BTreeMap::new();
        let targets = needs.report_ids.iter().copied().chain(
            needs
                .report_names
                .iter()
                .filter_map(|name| self.by_name.get(name).copied().flatten()),
        );
        for target in targets.collect::<Vec<_>>() {
            reports.entry(target).or_default();
        }
        for (target, reporter, created) in rows.reports {
            reports.entry(target).or_default().insert(reporter, created);
        }
        for (target, set) in reports {
            self.reports.set_if_absent(target, Cached::clean(Some(set)));
        }
        if !needs.origins.is_empty() {
            self.registrations_window = (needs.registrations_since, needs.registrations_limit);
            let mut by_origin: BTreeMap<&str, Vec<UnixMillis>> = needs
                .origins
                .iter()
                .map(|origin| (origin.as_str(), Vec::new()))
                .collect();
            for (origin, created) in &rows.registrations {
                if let Some(list) = by_origin.get_mut(origin.as_str()) {
                    list.push(*created);
                }
            }
            for (origin, list) in by_origin {
                self.registrations.set_if_absent(origin.to_owned(), list);
            }
        }
        if self.next.is_none() {
            self.next = rows.next;
            self.flushed_next = rows.next;
        }
    }

    /// Flushes what is kept; from then on the running command (if it wrote)
    /// can no longer be taken back in memory.
    fn flush_kept(&mut self, rows: &mut impl BatchRows) -> ViewResult<()> {
        let effects = self.effects();
        if effects.is_empty() {
            return Ok(());
        }
        self.round_trips += 1;
        let flushed = rows.flush(&effects);
        self.backend(flushed)?;
        self.spilled |= self.wrote;
        self.flushed_next = self.next;
        self.settle();
        Ok(())
    }

    /// Everything changed since the last flush, each row once.
    fn effects(&self) -> Effects {
        let mut effects = Effects::default();
        for (_, cached) in self.users.iter() {
            let Some(entry) = &cached.value else { continue };
            match cached.state {
                State::New => effects.new_users.push(NewUser {
                    row: entry.row.clone(),
                    origin: entry.origin.clone().unwrap_or_default(),
                }),
                State::Changed => effects.changed_users.push(entry.row.user.clone()),
                State::Clean => {}
            }
        }
        for (_, cached) in self.chats.iter() {
            let Some(chat) = &cached.value else { continue };
            match cached.state {
                State::New => effects.new_chats.push(chat.clone()),
                State::Changed => effects.changed_chats.push(chat.clone()),
                State::Clean => {}
            }
        }
        for (&(chat, user), cached) in self.members.iter() {
            let Some(position) = cached.value else {
                continue;
            };
            match cached.state {
                State::New => effects.new_members.push((chat, user, position)),
                State::Changed => effects.changed_members.push((chat, user, position)),
                State::Clean => {}
            }
        }
        for (_, cached) in self.messages.iter() {
            let Some(entry) = &cached.value else { continue };
            match (cached.state, &entry.new) {
                (State::New, Some((author, pub_date, text))) => {
                    effects.new_messages.push(NewMessage {
                        row: entry.row.clone(),
                        author: *author,
                        pub_date: *pub_date,
                        text: text.clone(),
                    })
                }
                (State::Clean, _) => {}
                _ => effects.changed_messages.push(entry.row.clone()),
            }
        }
        for (&target, cached) in self.reports.iter() {
            let Some(set) = &cached.value else { continue };
            if cached.state != State::Clean {
                effects.report_targets.push(target);
                effects.reports.extend(
                    set.iter()
                        .map(|(&reporter, &created)| (target, reporter, created)),
                );
            }
        }
        for (&key, cached) in self.invites.iter() {
            match (cached.state, cached.value) {
                (State::Clean, _) | (_, None) => {}
                (_, Some(true)) => effects.invites_added.push(key),
                (_, Some(false)) => effects.invites_dropped.push(key),
            }
        }
        effects.new_comments = self.new_comments.clone();
        effects.new_events = self.new_events.clone();
        if let (Some(next), Some(flushed)) = (self.next, self.flushed_next) {
            // Only the sequences this batch took ids from (0: leave it).
            let last = |next: i64, flushed: i64| if next > flushed { next - 1 } else { 0 };
            effects.last_ids = Some(NextIds {
                user: last(next.user, flushed.user),
                chat: last(next.chat, flushed.chat),
                message: last(next.message, flushed.message),
                comment: last(next.comment, flushed.comment),
                event: last(next.event, flushed.event),
            });
        }
        // A stable order: the same batch writes the same statement, and
        // events (and their reader rows) go in id order.
        effects.new_users.sort_by_key(|u| u.row.user.id);
        effects.changed_users.sort_by_key(|u| u.id);
        effects.new_chats.sort_by_key(|c| c.id);
        effects.changed_chats.sort_by_key(|c| c.id);
        effects.new_members.sort_unstable();
        effects.changed_members.sort_unstable();
        effects.new_messages.sort_by_key(|m| m.row.id);
        effects.changed_messages.sort_by_key(|m| m.id);
        effects.report_targets.sort_unstable();
        effects.reports.sort_unstable();
        effects
    }

    /// After a flush: every row held is as the database has it.
    fn settle(&mut self) {
        self.users.all_clean();
        self.chats.all_clean();
        self.members.all_clean();
        self.messages.all_clean();
        // Also drop the insert payloads: a message is inserted only when
        // new in state and in payload, so either reset alone keeps a
        // flushed message from being inserted again (see the overlay
        // tests' `after_a_flush_no_held_message_is_still_to_be_inserted`).
        for entry in self.messages.values_mut().filter_map(|c| c.value.as_mut()) {
            entry.new = None;
        }
        self.reports.all_clean();
        self.invites.all_clean();
        // The registrations held were the database's before this batch's
        // users reached it: load them again when asked.
        self.registrations = Table::default();
        self.new_comments.clear();
        self.new_events.clear();
        for table in self.tables() {
            table.settle();
        }
        self.mark = self.mark_now();
    }
}

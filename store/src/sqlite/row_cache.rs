//! [`RowCache`]: the writer's copy of the rows every command looks up first.
//!
//! Each command starts by finding its caller by token, and a private send or
//! a report also finds a user by name and a private chat by its members; a
//! send then reads the sender's read position and the chat's latest message:
//! up to five indexed queries before the one insert that is the real work. Only the writer changes
//! these rows, and only through `SqlView`, so it can keep what it read and
//! wrote, provided it forgets everything whenever a transaction or savepoint
//! is rolled back (the cache cannot tell which of its entries the rollback
//! undid).

use agora_core::token::TokenHash;
use agora_core::view::{ChatId, MessageId, ReadPosition, User, UserId};
use std::collections::HashMap;

/// Entries kept at most per map; past it the map starts over, so memory stays
/// bounded however many users there are.
const MAX_ENTRIES: usize = 100_000;

/// Users by token, users by name, private chats by their members, read
/// positions and each chat's latest message, as the writer's open transaction
/// sees them. Give it to
/// [`SqlView::with_cache`](super::view::SqlView::with_cache) over the one connection
/// that changes the database, and [`clear`](RowCache::clear) it after any
/// rollback.
#[derive(Default)]
pub struct RowCache {
    users: HashMap<UserId, User>,
    by_token: HashMap<TokenHash, UserId>,
    by_name: HashMap<String, UserId>,
    /// Keyed by (smaller id, larger id). A private chat is never deleted.
    private_chats: HashMap<(UserId, UserId), ChatId>,
    /// Members' read positions, by (chat, user).
    positions: HashMap<(ChatId, UserId), ReadPosition>,
    latest: HashMap<ChatId, MessageId>,
}

impl RowCache {
    pub fn new() -> RowCache {
        RowCache::default()
    }

    /// Forgets everything: call it after any rollback.
    pub fn clear(&mut self) {
        *self = RowCache::default();
    }

    pub(crate) fn user_by_token(&self, hash: &TokenHash) -> Option<User> {
        self.users.get(self.by_token.get(hash)?).cloned()
    }

    /// `key` is the name's lookup key (lowercase).
    pub(crate) fn user_by_name(&self, key: &str) -> Option<User> {
        self.users.get(self.by_name.get(key)?).cloned()
    }

    /// Keeps `user`, read or written as `name_key`, and as `token` if known.
    pub(crate) fn keep_user(&mut self, user: &User, name_key: String, token: Option<&TokenHash>) {
        if self.users.len() >= MAX_ENTRIES && !self.users.contains_key(&user.id) {
            self.clear();
        }
        if let Some(token) = token {
            self.by_token.insert(*token, user.id);
        }
        self.by_name.insert(name_key, user.id);
        self.users.insert(user.id, user.clone());
    }

    /// `user` was saved (the fields `save_user` writes): a kept copy follows.
    pub(crate) fn saved_user(&mut self, user: &User) {
        if let Some(kept) = self.users.get_mut(&user.id) {
            kept.banned_until = user.banned_until;
            kept.window_start = user.window_start;
            kept.window_count = user.window_count;
            kept.comment_window_start = user.comment_window_start;
            kept.comment_window_count = user.comment_window_count;
            kept.sent_message = user.sent_message;
        }
    }

    pub(crate) fn private_chat(&self, members: (UserId, UserId)) -> Option<ChatId> {
        self.private_chats.get(&members).copied()
    }

    pub(crate) fn keep_private_chat(&mut self, members: (UserId, UserId), chat: ChatId) {
        keep(&mut self.private_chats, members, chat);
    }

    pub(crate) fn read_position(&self, chat: ChatId, user: UserId) -> Option<ReadPosition> {
        self.positions.get(&(chat, user)).copied()
    }

    /// `user` is a member of `chat` at `position`; `None`: not known.
    pub(crate) fn keep_read_position(
        &mut self,
        chat: ChatId,
        user: UserId,
        position: Option<ReadPosition>,
    ) {
        match position {
            Some(position) => keep(&mut self.positions, (chat, user), position),
            None => {
                self.positions.remove(&(chat, user));
            }
        }
    }

    pub(crate) fn latest_message(&self, chat: ChatId) -> Option<MessageId> {
        self.latest.get(&chat).copied()
    }

    pub(crate) fn keep_latest_message(&mut self, chat: ChatId, message: MessageId) {
        keep(&mut self.latest, chat, message);
    }
}

fn keep<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, value: V) {
    if map.len() >= MAX_ENTRIES && !map.contains_key(&key) {
        map.clear();
    }
    map.insert(key, value);
}

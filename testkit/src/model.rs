//! [`View`] in memory: the oracle the SQL stores are checked against, and the
//! state behind the fuzz targets.
//!
//! Every method does exactly what core's `view.rs` documents and nothing more; where a
//! method is asked for something the rules never ask (a message in a chat that
//! does not exist, say) it answers with a [`StoreError`] instead of panicking,
//! so any sequence of calls is safe.

use agora_core::accounts::{Accounts, NewDevice};
use agora_core::events::{Event, EventBody, EventId};
use agora_core::reactions::LISTED_USERS;
use agora_core::records::name_key;
use agora_core::time::UnixMillis;
use agora_core::token::TokenHash;
use agora_core::view::{
    ChatId, ChatKind, ChatSummary, ChatUser, CommentId, CommentPage, Membership, MessageEdit,
    MessageId, MessagePage, NewRoom, NewText, NewUser, PeoplePage, Reaction, ReadPosition, Recent,
    Room, RoomListing, RoomsPage, SearchPage, StoreError, StoredComment, StoredMessage, User,
    UserId, UserReaction, View, ViewResult, Written,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A history page of `chat` around `position` ([`View::messages_up_to`],
/// [`View::messages_after`]), for the tests that page the model and the
/// stores alike.
pub fn history(chat: ChatId, position: ReadPosition, limit: u32, comments: u32) -> MessagePage {
    MessagePage {
        chat,
        position,
        limit,
        comments,
    }
}

/// The whole server state as plain collections. Ids are dense: user `n` is
/// `users[n - 1]`, chat `n` is `chats[n - 1]`, comment `n` is `comments[n - 1]`.
#[derive(Clone, Debug)]
pub struct Model {
    users: Vec<UserRecord>,
    by_hash: HashMap<TokenHash, UserId>,
    /// ASCII-lowercased name -> id.
    by_name: HashMap<String, UserId>,
    chats: Vec<ChatRecord>,
    /// (smaller user id, larger user id) -> chat.
    private: HashMap<(UserId, UserId), ChatId>,
    messages: BTreeMap<MessageId, MessageRecord>,
    comments: Vec<CommentRecord>,
    /// target -> reporters with a standing report.
    reports: HashMap<UserId, BTreeSet<UserId>>,
    last_message: MessageId,
    /// Every event, ids ascending from 1.
    events: Vec<Event>,
    /// (issue 25) `name_key` of a room's name -> its chat.
    rooms: BTreeMap<String, ChatId>,
    /// (issue 26) The order reactions were made in.
    reaction_seq: u64,
    /// Devices, passwords, failed logins (issue 28); `by_hash` finds a
    /// user by any of its devices' tokens.
    accounts: accounts::AccountRecords,
}

#[path = "model_accounts.rs"]
mod accounts;
pub use accounts::prepare as prepare_account;

#[derive(Clone, Debug)]
struct UserRecord {
    user: User,
    /// The client address key it registered from.
    origin: String,
}

#[derive(Clone, Debug)]
struct ChatRecord {
    created: UnixMillis,
    /// Both members of a private chat; `None` for the public chat.
    pair: Option<(UserId, UserId)>,
    members: BTreeMap<UserId, ReadPosition>,
    /// Ids of the chat's messages, ascending.
    messages: Vec<MessageId>,
    /// (issue 25) Set for a room.
    room: Option<RoomRecord>,
}

/// (issue 25) What makes a chat a room.
#[derive(Clone, Debug)]
struct RoomRecord {
    name: String,
    public: bool,
    topic: String,
    invited: BTreeSet<UserId>,
}

#[derive(Clone, Debug)]
struct MessageRecord {
    chat: ChatId,
    author: UserId,
    pub_date: UnixMillis,
    text: String,
    comments: Vec<CommentId>,
    // (issue 26)
    edited: Option<UnixMillis>,
    deleted: bool,
    deleted_by: Option<UserId>,
    mentions: Vec<UserId>,
    /// (order made, emoji, user), in the order made.
    reactions: Vec<(u64, String, UserId)>,
}

#[derive(Clone, Debug)]
struct CommentRecord {
    author: UserId,
    created: UnixMillis,
    text: String,
    // (issue 26)
    message: MessageId,
    edited: Option<UnixMillis>,
    deleted: bool,
    deleted_by: Option<UserId>,
}

impl Model {
    /// An empty server whose public chat (id [`agora_core::view::PUBLIC_CHAT`]) was created at
    /// `created`.
    pub fn new(created: UnixMillis) -> Model {
        Model {
            users: Vec::new(),
            by_hash: HashMap::new(),
            by_name: HashMap::new(),
            chats: vec![ChatRecord {
                created,
                pair: None,
                members: BTreeMap::new(),
                messages: Vec::new(),
                room: None,
            }],
            private: HashMap::new(),
            messages: BTreeMap::new(),
            comments: Vec::new(),
            reports: HashMap::new(),
            last_message: 0,
            events: Vec::new(),
            rooms: BTreeMap::new(),
            reaction_seq: 0,
            accounts: Default::default(),
        }
    }

    /// (issue 25) The room of chat `id` as the rules see it.
    fn room(&self, id: ChatId) -> Option<Room> {
        let chat = self.chat(id)?;
        let room = chat.room.as_ref()?;
        Some(Room {
            id,
            name: room.name.clone(),
            public: room.public,
            topic: room.topic.clone(),
            created: chat.created,
            members_number: chat.members.len() as u64,
        })
    }

    fn user(&self, id: UserId) -> Option<&User> {
        self.users.get(index_of(id)?).map(|r| &r.user)
    }

    fn name_of(&self, id: UserId) -> String {
        self.user(id).map(|u| u.name.clone()).unwrap_or_default()
    }

    fn chat(&self, id: ChatId) -> Option<&ChatRecord> {
        self.chats.get(index_of(id)?)
    }

    fn chat_mut(&mut self, id: ChatId) -> ViewResult<&mut ChatRecord> {
        record_mut(&mut self.chats, id, "chat")
    }

    fn stored_comment(&self, id: CommentId) -> Option<StoredComment> {
        let record = self.comments.get(index_of(id)?)?;
        Some(StoredComment {
            id,
            author: self.name_of(record.author),
            created: record.created,
            text: record.text.clone(),
            edited: record.edited,
            deleted: record.deleted,
            deleted_by: record.deleted_by.map(|id| self.name_of(id)),
        })
    }

    fn comment_mut(&mut self, id: CommentId) -> ViewResult<&mut CommentRecord> {
        record_mut(&mut self.comments, id, "comment")
    }

    fn message_mut(&mut self, id: MessageId) -> ViewResult<&mut MessageRecord> {
        self.messages
            .get_mut(&id)
            .ok_or_else(|| StoreError(format!("no message {id}")))
    }

    /// A message's reactions: emoji by the oldest reaction they still
    /// have, users in the order they reacted.
    fn reactions_of(&self, id: MessageId) -> Vec<Reaction> {
        let Some(m) = self.messages.get(&id) else {
            return Vec::new();
        };
        let mut out: Vec<Reaction> = Vec::new();
        for (_, emoji, user) in &m.reactions {
            let index = match out.iter().position(|r| &r.emoji == emoji) {
                Some(index) => index,
                None => {
                    out.push(Reaction {
                        emoji: emoji.clone(),
                        ..Reaction::default()
                    });
                    out.len() - 1
                }
            };
            let reaction = &mut out[index];
            reaction.count += 1;
            if reaction.users.len() < LISTED_USERS {
                reaction.users.push(self.name_of(*user));
            }
        }
        out
    }

    /// An event as the stores read it back: rebuilt from the rows it
    /// names as they are now (events keep references, never copies).
    fn rebuilt(&self, event: &Event) -> Event {
        let body = match &event.body {
            EventBody::Message { chat, message } => EventBody::Message {
                chat: chat.clone(),
                message: self
                    .stored_message(message.id, 0)
                    .map(|mut m| {
                        m.comments_total = 0;
                        m
                    })
                    .unwrap_or_else(|| message.clone()),
            },
            EventBody::Comment {
                chat,
                message_id,
                comment,
            } => EventBody::Comment {
                chat: chat.clone(),
                message_id: *message_id,
                comment: self
                    .stored_comment(comment.id)
                    .unwrap_or_else(|| comment.clone()),
            },
            EventBody::MessageChanged {
                chat,
                change,
                message,
            } => EventBody::MessageChanged {
                chat: chat.clone(),
                change: *change,
                message: self
                    .stored_message(message.id, 0)
                    .unwrap_or_else(|| message.clone()),
            },
            EventBody::CommentChanged {
                chat,
                change,
                message_id,
                comment,
            } => EventBody::CommentChanged {
                chat: chat.clone(),
                change: *change,
                message_id: *message_id,
                comment: self
                    .stored_comment(comment.id)
                    .unwrap_or_else(|| comment.clone()),
            },
            EventBody::Reaction {
                chat, message_id, ..
            } => EventBody::Reaction {
                chat: chat.clone(),
                message_id: *message_id,
                reactions: self.reactions_of(*message_id),
            },
            other => other.clone(),
        };
        Event { id: event.id, body }
    }

    /// The message with its newest `comments` comments.
    fn stored_message(&self, id: MessageId, comments: u32) -> Option<StoredMessage> {
        let m = self.messages.get(&id)?;
        let newest = m.comments.len().saturating_sub(comments as usize);
        Some(StoredMessage {
            id,
            author: self.name_of(m.author),
            pub_date: m.pub_date,
            text: m.text.clone(),
            comments: m.comments[newest..]
                .iter()
                .filter_map(|&c| self.stored_comment(c))
                .collect(),
            comments_total: m.comments.len() as u64,
            edited: m.edited,
            deleted: m.deleted,
            deleted_by: m.deleted_by.map(|id| self.name_of(id)),
            reactions: self.reactions_of(id),
            mentions: m.mentions.iter().map(|&u| self.name_of(u)).collect(),
        })
    }

    fn stored_messages(&self, ids: &[MessageId], comments: u32) -> Vec<StoredMessage> {
        ids.iter()
            .filter_map(|&id| self.stored_message(id, comments))
            .collect()
    }
}

fn pair_key(a: UserId, b: UserId) -> (UserId, UserId) {
    (a.min(b), a.max(b))
}

/// Where the record of `id` is in a list whose ids are 1, 2, ... in order
/// (users, chats, comments).
fn index_of(id: i64) -> Option<usize> {
    usize::try_from(id).ok()?.checked_sub(1)
}

/// The record of `id` (a `what`) in such a list.
fn record_mut<'a, T>(records: &'a mut [T], id: i64, what: &str) -> ViewResult<&'a mut T> {
    index_of(id)
        .and_then(|i| records.get_mut(i))
        .ok_or_else(|| StoreError(format!("no {what} {id}")))
}

/// Whether a message's reaction row (order, emoji, user) is `reaction`.
fn is_reaction((_, emoji, user): &(u64, String, UserId), reaction: UserReaction<'_>) -> bool {
    *emoji == reaction.emoji && *user == reaction.user
}

impl View for Model {
    fn user_by_token(&mut self, hash: &TokenHash) -> ViewResult<Option<User>> {
        Ok(self
            .by_hash
            .get(hash)
            .and_then(|&id| self.user(id))
            .cloned())
    }

    fn user_by_name(&mut self, name: &str) -> ViewResult<Option<User>> {
        Ok(self
            .by_name
            .get(&name_key(name))
            .and_then(|&id| self.user(id))
            .cloned())
    }

    fn create_user(&mut self, new: NewUser<'_>) -> ViewResult<UserId> {
        let key = name_key(new.name);
        if self.by_name.contains_key(&key) || self.by_hash.contains_key(new.hash) {
            let name = new.name;
            return Err(StoreError(format!("user {name} or its token exists")));
        }
        let id = self.users.len() as UserId + 1;
        self.users.push(UserRecord {
            user: User::new(id, new.name, new.now),
            origin: new.origin.to_owned(),
        });
        self.by_hash.insert(*new.hash, id);
        self.by_name.insert(key, id);
        let _ = self.add_device(NewDevice::first(id, &new));
        Ok(id)
    }

    fn save_user(&mut self, user: &User) -> ViewResult<()> {
        if let Ok(record) = record_mut(&mut self.users, user.id, "user") {
            record.user.banned_until = user.banned_until;
            record.user.window_start = user.window_start;
            record.user.window_count = user.window_count;
            record.user.comment_window_start = user.comment_window_start;
            record.user.comment_window_count = user.comment_window_count;
            record.user.sent_message = user.sent_message;
        }
        Ok(())
    }

    fn registrations_from(&mut self, recent: Recent<'_>) -> ViewResult<Vec<UnixMillis>> {
        let from = self.users.iter().filter(|r| r.origin == recent.key);
        Ok(recent.newest(from.map(|r| r.user.created)))
    }

    fn private_chat(&mut self, a: UserId, b: UserId) -> ViewResult<Option<ChatId>> {
        Ok(self.private.get(&pair_key(a, b)).copied())
    }

    fn create_private_chat(&mut self, a: UserId, b: UserId, now: UnixMillis) -> ViewResult<ChatId> {
        let key = pair_key(a, b);
        if self.private.contains_key(&key) {
            return Err(StoreError(format!("chat of {a} and {b} exists")));
        }
        let id = self.chats.len() as ChatId + 1;
        self.chats.push(ChatRecord {
            created: now,
            pair: Some(key),
            members: BTreeMap::from([(a, 0), (b, 0)]),
            messages: Vec::new(),
            room: None,
        });
        self.private.insert(key, id);
        Ok(id)
    }

    fn join(&mut self, chat: ChatId, user: UserId, position: ReadPosition) -> ViewResult<()> {
        self.chat_mut(chat)?.members.insert(user, position);
        Ok(())
    }

    fn read_position(&mut self, chat: ChatId, user: UserId) -> ViewResult<Option<ReadPosition>> {
        Ok(self.chat(chat).and_then(|c| c.members.get(&user)).copied())
    }

    fn set_read_position(&mut self, member: ChatUser, position: ReadPosition) -> ViewResult<()> {
        if let Ok(c) = self.chat_mut(member.chat) {
            if let Some(p) = c.members.get_mut(&member.user) {
                *p = position;
            }
        }
        Ok(())
    }

    fn private_members(&mut self, chat: ChatId) -> ViewResult<Option<[(UserId, String); 2]>> {
        Ok(self
            .chat(chat)
            .and_then(|c| c.pair)
            .map(|(a, b)| [(a, self.name_of(a)), (b, self.name_of(b))]))
    }

    fn chats_of(&mut self, user: UserId) -> ViewResult<Vec<ChatSummary>> {
        let mut out = Vec::new();
        for (index, chat) in self.chats.iter().enumerate() {
            let Some(&position) = chat.members.get(&user) else {
                continue;
            };
            let kind = match (chat.pair, &chat.room) {
                (_, Some(room)) => ChatKind::Room {
                    name: room.name.clone(),
                },
                (None, None) => ChatKind::Public,
                (Some((a, b)), None) => ChatKind::Private {
                    other: self.name_of(if a == user { b } else { a }),
                },
            };
            let read = chat.messages.partition_point(|&m| m <= position);
            let mentions = chat.messages[read..]
                .iter()
                .filter(|id| {
                    self.messages
                        .get(id)
                        .is_some_and(|m| m.mentions.contains(&user))
                })
                .count() as u64;
            out.push(ChatSummary {
                mentions,
                id: index as ChatId + 1,
                kind,
                created: chat.created,
                messages_number: chat.messages.len() as u64,
                users_number: chat.members.len() as u64,
                unread: (chat.messages.len() - read) as u64,
                last_message: chat.messages.last().copied().unwrap_or(0),
            });
        }
        Ok(out)
    }

    fn latest_message(&mut self, chat: ChatId) -> ViewResult<MessageId> {
        Ok(self
            .chat(chat)
            .and_then(|c| c.messages.last())
            .copied()
            .unwrap_or(0))
    }

    fn count_after(&mut self, chat: ChatId, position: ReadPosition) -> ViewResult<u64> {
        Ok(self.chat(chat).map_or(0, |c| {
            (c.messages.len() - c.messages.partition_point(|&m| m <= position)) as u64
        }))
    }

    fn messages_up_to(&mut self, page: MessagePage) -> ViewResult<Vec<StoredMessage>> {
        let Some(c) = self.chat(page.chat) else {
            return Ok(Vec::new());
        };
        let end = c.messages.partition_point(|&m| m <= page.position);
        let start = end.saturating_sub(page.limit as usize);
        Ok(self.stored_messages(&c.messages[start..end], page.comments))
    }

    fn messages_after(&mut self, page: MessagePage) -> ViewResult<Vec<StoredMessage>> {
        let Some(c) = self.chat(page.chat) else {
            return Ok(Vec::new());
        };
        let start = c.messages.partition_point(|&m| m <= page.position);
        let end = start
            .saturating_add(page.limit as usize)
            .min(c.messages.len());
        Ok(self.stored_messages(&c.messages[start..end], page.comments))
    }

    fn append_message(&mut self, chat: ChatId, new: NewText<'_>) -> ViewResult<MessageId> {
        let id = self.last_message + 1;
        self.chat_mut(chat)?.messages.push(id);
        self.last_message = id;
        self.messages.insert(
            id,
            MessageRecord {
                chat,
                author: new.author,
                pub_date: new.now,
                text: new.text.to_owned(),
                comments: Vec::new(),
                edited: None,
                deleted: false,
                deleted_by: None,
                mentions: Vec::new(),
                reactions: Vec::new(),
            },
        );
        Ok(id)
    }

    fn chat_of_message(&mut self, message: MessageId) -> ViewResult<Option<ChatId>> {
        Ok(self.messages.get(&message).map(|m| m.chat))
    }

    fn comments_before(&mut self, page: CommentPage) -> ViewResult<Vec<StoredComment>> {
        let CommentPage {
            message,
            before,
            limit,
        } = page;
        let Some(m) = self.messages.get(&message) else {
            return Ok(Vec::new());
        };
        let end = before.map_or(m.comments.len(), |b| m.comments.partition_point(|&c| c < b));
        let start = end.saturating_sub(limit as usize);
        Ok(m.comments[start..end]
            .iter()
            .filter_map(|&c| self.stored_comment(c))
            .collect())
    }

    fn append_comment(&mut self, message: MessageId, new: NewText<'_>) -> ViewResult<CommentId> {
        let id = self.comments.len() as CommentId + 1;
        let record = self
            .messages
            .get_mut(&message)
            .ok_or_else(|| StoreError(format!("no message {message}")))?;
        record.comments.push(id);
        self.comments.push(CommentRecord {
            author: new.author,
            created: new.now,
            text: new.text.to_owned(),
            message,
            edited: None,
            deleted: false,
            deleted_by: None,
        });
        Ok(id)
    }

    fn append_event(&mut self, body: EventBody) -> ViewResult<EventId> {
        let id = self.events.len() as EventId + 1;
        self.events.push(Event { id, body });
        Ok(id)
    }

    fn event_head(&mut self) -> ViewResult<EventId> {
        Ok(self.events.len() as EventId)
    }

    fn events_after(&mut self, user: UserId, since: EventId, limit: u32) -> ViewResult<Vec<Event>> {
        let start = usize::try_from(since).unwrap_or(0).min(self.events.len());
        Ok(self.events[start..]
            .iter()
            .filter(|e| e.visible_to(user, |room| self.is_member(room, user)))
            .take(limit as usize)
            .map(|e| self.rebuilt(e))
            .collect())
    }

    fn has_reported(&mut self, target: UserId, reporter: UserId) -> ViewResult<bool> {
        Ok(self
            .reports
            .get(&target)
            .is_some_and(|r| r.contains(&reporter)))
    }

    fn report_count(&mut self, target: UserId) -> ViewResult<u32> {
        Ok(self.reports.get(&target).map_or(0, |r| r.len() as u32))
    }

    fn add_report(&mut self, target: UserId, reporter: UserId, _now: UnixMillis) -> ViewResult<()> {
        self.reports.entry(target).or_default().insert(reporter);
        Ok(())
    }

    fn clear_reports(&mut self, target: UserId) -> ViewResult<()> {
        self.reports.remove(&target);
        Ok(())
    }

    // (issue 26)
    fn message_written(&mut self, message: MessageId) -> ViewResult<Option<Written>> {
        Ok(self.messages.get(&message).map(|m| Written {
            chat: m.chat,
            message,
            author: m.author,
            deleted: m.deleted,
        }))
    }

    fn comment_written(&mut self, comment: CommentId) -> ViewResult<Option<Written>> {
        let Some(record) = index_of(comment).and_then(|i| self.comments.get(i)) else {
            return Ok(None);
        };
        Ok(self.messages.get(&record.message).map(|m| Written {
            chat: m.chat,
            message: record.message,
            author: record.author,
            deleted: record.deleted,
        }))
    }

    fn message(&mut self, message: MessageId, comments: u32) -> ViewResult<Option<StoredMessage>> {
        Ok(self.stored_message(message, comments))
    }

    fn comment(&mut self, comment: CommentId) -> ViewResult<Option<StoredComment>> {
        Ok(self.stored_comment(comment))
    }

    fn edit_message(&mut self, message: MessageId, edit: MessageEdit<'_>) -> ViewResult<()> {
        let m = self.message_mut(message)?;
        m.text = edit.text.to_owned();
        m.edited = Some(edit.now);
        m.mentions = edit.mentions.to_vec();
        Ok(())
    }

    fn edit_comment(&mut self, comment: CommentId, text: &str, now: UnixMillis) -> ViewResult<()> {
        let c = self.comment_mut(comment)?;
        c.text = text.to_owned();
        c.edited = Some(now);
        Ok(())
    }

    fn set_mentions(&mut self, message: MessageId, mentions: &[UserId]) -> ViewResult<()> {
        self.message_mut(message)?.mentions = mentions.to_vec();
        Ok(())
    }

    fn delete_message(&mut self, message: MessageId, by: Option<UserId>) -> ViewResult<()> {
        let m = self.message_mut(message)?;
        m.text.clear();
        m.deleted = true;
        m.deleted_by = by;
        m.mentions.clear();
        Ok(())
    }

    fn delete_comment(&mut self, comment: CommentId, by: Option<UserId>) -> ViewResult<()> {
        let c = self.comment_mut(comment)?;
        c.text.clear();
        c.deleted = true;
        c.deleted_by = by;
        Ok(())
    }

    fn reactions(&mut self, message: MessageId) -> ViewResult<Vec<Reaction>> {
        Ok(self.reactions_of(message))
    }

    fn has_reacted(&mut self, reaction: UserReaction<'_>) -> ViewResult<bool> {
        Ok(self
            .messages
            .get(&reaction.message)
            .is_some_and(|m| m.reactions.iter().any(|r| is_reaction(r, reaction))))
    }

    fn add_reaction(&mut self, reaction: UserReaction<'_>, _now: UnixMillis) -> ViewResult<()> {
        self.reaction_seq += 1;
        let seq = self.reaction_seq;
        self.message_mut(reaction.message)?.reactions.push((
            seq,
            reaction.emoji.to_owned(),
            reaction.user,
        ));
        Ok(())
    }

    fn remove_reaction(&mut self, reaction: UserReaction<'_>) -> ViewResult<()> {
        self.message_mut(reaction.message)?
            .reactions
            .retain(|r| !is_reaction(r, reaction));
        Ok(())
    }

    // (issue 27) search: the specification itself, over the chat's messages.
    fn search_chat(&mut self, page: SearchPage<'_>) -> ViewResult<Vec<MessageId>> {
        let Some(chat) = self.chat(page.chat) else {
            return Ok(Vec::new());
        };
        let below = page.before.unwrap_or(MessageId::MAX);
        Ok(chat
            .messages
            .iter()
            .rev()
            .filter(|&&id| id < below)
            .filter(|id| {
                self.messages
                    .get(id)
                    .is_some_and(|m| page.query.matches(&m.text))
            })
            .take(page.limit as usize)
            .copied()
            .collect())
    }
    // Issue 25: the people directory; every name sorted, the simplest way.
    fn users_by_prefix(&mut self, page: PeoplePage<'_>) -> ViewResult<Vec<String>> {
        let PeoplePage {
            prefix,
            after,
            limit,
        } = page;
        let mut keys: Vec<(&String, &UserId)> = self
            .by_name
            .iter()
            .filter(|(key, _)| key.starts_with(prefix) && after.is_none_or(|a| key.as_str() > a))
            .collect();
        keys.sort();
        Ok(keys
            .into_iter()
            .take(limit as usize)
            .map(|(_, &id)| self.name_of(id))
            .collect())
    }

    // (issue 25) rooms.
    fn room_by_name(&mut self, name: &str) -> ViewResult<Option<Room>> {
        Ok(self
            .rooms
            .get(&name_key(name))
            .and_then(|&id| self.room(id)))
    }

    fn room_of(&mut self, chat: ChatId) -> ViewResult<Option<Room>> {
        Ok(self.room(chat))
    }

    fn create_room(&mut self, new: NewRoom<'_>) -> ViewResult<ChatId> {
        let NewRoom {
            name,
            public,
            topic,
            now,
        } = new;
        let key = name_key(name);
        if self.rooms.contains_key(&key) {
            return Err(StoreError(format!("room {name} exists")));
        }
        let id = self.chats.len() as ChatId + 1;
        self.chats.push(ChatRecord {
            created: now,
            pair: None,
            members: BTreeMap::new(),
            messages: Vec::new(),
            room: Some(RoomRecord {
                name: name.to_owned(),
                public,
                topic: topic.to_owned(),
                invited: BTreeSet::new(),
            }),
        });
        self.rooms.insert(key, id);
        Ok(id)
    }

    fn rooms_for(&mut self, page: RoomsPage<'_>) -> ViewResult<Vec<RoomListing>> {
        let RoomsPage {
            user,
            prefix,
            limit,
        } = page;
        let prefix = name_key(prefix);
        let mut out = Vec::new();
        for (_, &id) in self.rooms.range(prefix.clone()..) {
            if out.len() >= limit as usize {
                break;
            }
            let (Some(chat), Some(room)) = (self.chat(id), self.room(id)) else {
                continue;
            };
            if !name_key(&room.name).starts_with(&prefix) {
                break;
            }
            let membership = if chat.members.contains_key(&user) {
                Some(Membership::Member)
            } else if chat
                .room
                .as_ref()
                .is_some_and(|r| r.invited.contains(&user))
            {
                Some(Membership::Invited)
            } else {
                None
            };
            if room.public || membership.is_some() {
                out.push(RoomListing { room, membership });
            }
        }
        Ok(out)
    }

    fn is_invited(&mut self, room: ChatId, user: UserId) -> ViewResult<bool> {
        Ok(self
            .chat(room)
            .and_then(|c| c.room.as_ref())
            .is_some_and(|r| r.invited.contains(&user)))
    }

    fn set_invited(&mut self, invitation: ChatUser, invited: bool) -> ViewResult<()> {
        let ChatUser { chat: room, user } = invitation;
        let record = self
            .chat_mut(room)?
            .room
            .as_mut()
            .ok_or_else(|| StoreError(format!("chat {room} is not a room")))?;
        if invited {
            record.invited.insert(user);
        } else {
            record.invited.remove(&user);
        }
        Ok(())
    }

    fn leave(&mut self, chat: ChatId, user: UserId) -> ViewResult<()> {
        self.chat_mut(chat)?.members.remove(&user);
        Ok(())
    }

    fn rooms_of(&mut self, user: UserId) -> ViewResult<Vec<ChatId>> {
        Ok(self
            .rooms
            .values()
            .copied()
            .filter(|&id| self.is_member(id, user))
            .collect())
    }
}

impl Model {
    /// (issue 25) Whether `user` is a member of `chat`.
    fn is_member(&self, chat: ChatId, user: UserId) -> bool {
        self.chat(chat)
            .is_some_and(|c| c.members.contains_key(&user))
    }
}

impl Default for Model {
    fn default() -> Self {
        Model::new(UnixMillis(0))
    }
}

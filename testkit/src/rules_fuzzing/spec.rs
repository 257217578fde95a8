//! What API.md promises, kept as plain bookkeeping over the outcomes seen so
//! far, for [`super::command_sequence`]. It never reads the model: it predicts
//! each outcome from the commands and outcomes before it, and panics when the
//! rules answer something else.

use agora_core::command::{ChatRef, ChatType, Command, Failure, Outcome, StatusReport, Target};
use agora_core::config::Config;
use agora_core::time::UnixMillis;
use agora_core::token::Token;
use agora_core::view::{ChatKind, MessageId, StoredMessage};
use std::collections::{BTreeMap, BTreeSet};

/// The user names the sequences play with; user `i` is `NAMES[i]` in some case.
pub const NAMES: [&str; 4] = ["ann", "Bob", "cy", "Dee"];
/// (issue 25) The rooms the sequences play with (any case).
pub const ROOMS: [&str; 2] = ["#dev", "#hush"];
/// How many distinct tokens the sequences use (more than users, so that some
/// tokens stay unknown and some names are asked for with a second token).
pub const TOKENS: usize = 6;

pub fn token(t: usize) -> Token {
    Token([t as u8 + 1; 16])
}

/// A chat as the bookkeeping names it: users are indexes into [`NAMES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Chat {
    Public,
    /// Smaller index first.
    Private(usize, usize),
    /// (issue 25) An index into [`ROOMS`].
    Room(usize),
}

/// (issue 25) A room as the bookkeeping knows it.
struct RoomSpec {
    /// As created.
    name: String,
    public: bool,
    members: BTreeSet<usize>,
    invited: BTreeSet<usize>,
    /// Rooms created before it: the order of chat ids.
    created: usize,
}

impl RoomSpec {
    fn sees(&self, u: usize) -> bool {
        self.public || self.members.contains(&u) || self.invited.contains(&u)
    }
}

fn pair(a: usize, b: usize) -> Chat {
    Chat::Private(a.min(b), a.max(b))
}

struct UserSpec {
    /// As registered.
    name: String,
    /// Public sends accepted, in order.
    public_sends: Vec<UnixMillis>,
    /// Comments accepted, in order.
    comment_sends: Vec<UnixMillis>,
    banned_until: Option<UnixMillis>,
    /// Distinct reporters since the last ban.
    reporters: BTreeSet<usize>,
}

struct MessageSpec {
    id: MessageId,
    chat: Chat,
    author: usize,
    /// Ids of its comments, ascending.
    comments: Vec<i64>,
    // (issue 26)
    deleted: bool,
    /// (emoji, user) of its reactions.
    reactions: BTreeSet<(String, usize)>,
}

/// (issue 26) The emoji the sequences react with.
pub const EMOJI: [&str; 2] = ["👍", "🎉"];

pub struct Spec {
    config: Config,
    users: [Option<UserSpec>; 4],
    /// Token index -> user index.
    owner: [Option<usize>; TOKENS],
    /// Every accepted message, ids ascending.
    messages: Vec<MessageSpec>,
    private_chats: BTreeSet<Chat>,
    /// Read position of a member in a chat (only members have one).
    position: BTreeMap<(usize, Chat), MessageId>,
    /// Where a member's unread started: what it had not read when it joined.
    joined_at: BTreeMap<(usize, Chat), MessageId>,
    /// Every message a member was handed as unread, in the order handed.
    received: BTreeMap<(usize, Chat), Vec<MessageId>>,
    last_comment: i64,
    /// (issue 25) Rooms created, by index into [`ROOMS`].
    rooms: BTreeMap<usize, RoomSpec>,
}

impl Spec {
    pub fn new(config: Config) -> Spec {
        Spec {
            config,
            users: [None, None, None, None],
            owner: [None; TOKENS],
            messages: Vec::new(),
            private_chats: BTreeSet::new(),
            position: BTreeMap::new(),
            joined_at: BTreeMap::new(),
            received: BTreeMap::new(),
            last_comment: 0,
            rooms: BTreeMap::new(),
        }
    }

    /// Checks `outcome` of `command` (issued by token `t`, or registering
    /// token `t`) at `now`, then records its effects.
    pub fn check(&mut self, t: usize, command: &Command, outcome: &Outcome, now: UnixMillis) {
        if let Command::GetToken {
            user_name, token, ..
        } = command
        {
            return self.get_token(t, user_name, token, outcome);
        }
        if *command == Command::Health {
            return assert_eq!(*outcome, Outcome::Health { available: true });
        }
        let Some(me) = self.owner[t] else {
            assert_eq!(
                *outcome,
                Outcome::Failed(Failure::Unauthorized),
                "{command:?}"
            );
            return;
        };
        match command {
            Command::GetToken { .. } | Command::Health => unreachable!("handled above"),
            Command::Connect {
                chat,
                messages_number,
                ..
            } => self.connect(me, chat, *messages_number, outcome),
            Command::Status { .. } => self.status(me, outcome, now),
            Command::Send { to, .. } => self.send(me, to, outcome, now),
            Command::Comment { message_id, .. } => self.comment(me, *message_id, outcome, now),
            Command::Report {
                target, chat_type, ..
            } => self.report(me, target, chat_type.clone(), outcome, now),
            Command::Comments {
                message_id,
                before,
                limit,
                ..
            } => self.comments(me, *message_id, *before, *limit, outcome),
            // Live delivery has its own property test
            // (core/tests/integration/rules_events_prop.rs).
            // (issue 26) Messages only; comment targets are the model-vs-store
            // tests' (store/tests/support/reference.rs).
            Command::Edit {
                target: Target::Message(id),
                ..
            } => self.edit(me, *id, outcome, now),
            Command::Delete {
                target: Target::Message(id),
                ..
            } => self.delete(me, *id, outcome),
            Command::React {
                message_id,
                emoji,
                remove,
                ..
            } => self.react(me, *message_id, emoji, *remove, outcome, now),
            Command::Events { .. }
            | Command::Read { .. }
            | Command::Unban { .. }
            | Command::Edit { .. }
            | Command::Delete { .. }
            | Command::Account(_)
            | Command::Search { .. }
            | Command::Messages { .. }
            | Command::Users { .. } => {
                unreachable!("command_sequence does not generate {command:?}")
            }
            // (issue 25) rooms.
            Command::CreateRoom { room, public, .. } => {
                self.create_room(me, room, *public, outcome, now)
            }
            Command::Join { room, .. } => self.join_room(me, room, outcome),
            Command::Leave { room, .. } => self.leave_room(me, room, outcome),
            Command::Invite {
                room, user_name, ..
            } => self.invite(me, room, user_name, outcome),
            Command::Rooms { .. } => unreachable!("command_sequence does not list rooms"),
        }
    }

    /// Users registered so far, with a token each.
    pub fn members(&self) -> Vec<(usize, usize, Vec<ChatRef>)> {
        let mut out = Vec::new();
        for (t, owner) in self.owner.iter().enumerate() {
            let Some(u) = *owner else { continue };
            if out.iter().any(|(v, _, _)| *v == u) {
                continue;
            }
            let mut chats = vec![ChatRef::Public];
            for chat in &self.private_chats {
                if let Chat::Private(a, b) = *chat {
                    if a == u || b == u {
                        let other = if a == u { b } else { a };
                        chats.push(ChatRef::Private(self.name(other).to_owned()));
                    }
                }
            }
            for room in self.rooms.values().filter(|r| r.members.contains(&u)) {
                chats.push(ChatRef::Room(room.name.clone()));
            }
            out.push((u, t, chats));
        }
        out
    }

    /// After a final drain: every message of others in every chat of every
    /// user, from the one after its join on, was handed as unread exactly
    /// once, and nothing else was (own messages at most once).
    pub fn check_exactly_once(&self) {
        for (&(u, chat), &start) in &self.joined_at {
            let got = self.received.get(&(u, chat)).map_or(&[][..], Vec::as_slice);
            for m in self.messages.iter().filter(|m| m.chat == chat) {
                let times = got.iter().filter(|&&id| id == m.id).count();
                if m.id > start && m.author != u {
                    assert_eq!(times, 1, "user {u} got message {} {times} times", m.id);
                } else if m.id <= start {
                    assert_eq!(
                        times, 0,
                        "user {u} got message {} from before it joined",
                        m.id
                    );
                }
            }
            for id in got {
                assert!(
                    self.messages.iter().any(|m| m.id == *id && m.chat == chat),
                    "user {u} was handed message {id} of another chat"
                );
            }
        }
    }

    fn name(&self, u: usize) -> &str {
        self.users[u].as_ref().map_or("", |s| s.name.as_str())
    }

    fn user(&mut self, u: usize) -> &mut UserSpec {
        self.users[u].as_mut().expect("a registered user")
    }

    /// The registered user a request names, if any.
    fn named(&self, name: &str) -> Option<usize> {
        (0..NAMES.len())
            .find(|&u| self.users[u].is_some() && self.name(u).eq_ignore_ascii_case(name))
    }

    /// The other user of a request field: `Err` is the refusal API.md gives.
    fn other(&self, me: usize, name: &str, field: &'static str) -> Result<usize, Outcome> {
        if name.eq_ignore_ascii_case(self.name(me)) {
            return Err(Outcome::Failed(Failure::SelfTarget { field }));
        }
        self.named(name)
            .ok_or(Outcome::Failed(Failure::UserNotFound))
    }

    fn banned(&self, u: usize, now: UnixMillis) -> Option<UnixMillis> {
        self.users[u]
            .as_ref()
            .and_then(|s| s.banned_until)
            .filter(|&until| now < until)
    }

    /// The public quota window open at `now`: its end and the sends accepted
    /// in it.
    fn window(&self, u: usize, now: UnixMillis) -> Option<(UnixMillis, u32)> {
        let user = self.users[u].as_ref().expect("registered");
        self.window_of(&user.public_sends, self.config.quota, now)
    }

    /// The window open at `now` over `sends`, of at most `quota` sends.
    /// Windows are rebuilt from the accepted sends alone: each opens at the
    /// first accepted send after the previous one closed.
    fn window_of(
        &self,
        sends: &[UnixMillis],
        quota: u32,
        now: UnixMillis,
    ) -> Option<(UnixMillis, u32)> {
        let mut window: Option<(UnixMillis, u32)> = None;
        for &t in sends {
            window = match window {
                Some((end, n)) if t < end => Some((end, n + 1)),
                _ => Some((t.plus_ms(self.config.quota_window_ms), 1)),
            };
            let n = window.map_or(0, |w| w.1);
            assert!(n <= quota, "{n} sends of one kind in one window");
        }
        window.filter(|&(end, _)| now < end)
    }

    /// When a window of `quota` over `sends` refuses one more at `now`.
    fn full_until(&self, sends: &[UnixMillis], quota: u32, now: UnixMillis) -> Option<UnixMillis> {
        match self.window_of(sends, quota, now) {
            Some((end, n)) if n >= quota => Some(end),
            None if quota == 0 => Some(now.plus_ms(self.config.quota_window_ms)),
            _ => None,
        }
    }

    fn chat_messages(&self, chat: Chat) -> impl Iterator<Item = &MessageSpec> {
        self.messages.iter().filter(move |m| m.chat == chat)
    }

    fn latest(&self, chat: Chat) -> MessageId {
        self.chat_messages(chat).last().map_or(0, |m| m.id)
    }

    fn join(&mut self, u: usize, chat: Chat, position: MessageId) {
        self.position.insert((u, chat), position);
        self.joined_at.insert((u, chat), position);
    }

    fn get_token(&mut self, t: usize, user_name: &str, token: &Token, outcome: &Outcome) {
        if self.named(user_name).is_some() || self.owner[t].is_some() {
            assert_eq!(*outcome, Outcome::Failed(Failure::TokenAlreadyIssued));
            return;
        }
        assert_eq!(
            *outcome,
            Outcome::TokenIssued {
                token: *token,
                user_name: user_name.to_owned()
            }
        );
        let u = NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(user_name))
            .expect("one of NAMES");
        self.users[u] = Some(UserSpec {
            name: user_name.to_owned(),
            public_sends: Vec::new(),
            comment_sends: Vec::new(),
            banned_until: None,
            reporters: BTreeSet::new(),
        });
        self.owner[t] = Some(u);
        let latest = self.latest(Chat::Public);
        self.join(u, Chat::Public, latest);
    }

    fn connect(&mut self, me: usize, chat: &ChatRef, n: u32, outcome: &Outcome) {
        let (key, name) = match chat {
            ChatRef::Public => (Chat::Public, "public_chat".to_owned()),
            ChatRef::Private(name) => match self.other(me, name, "chat_with") {
                Ok(other) => (pair(me, other), self.name(other).to_owned()),
                Err(refusal) => return assert_eq!(*outcome, refusal),
            },
            ChatRef::Room(name) => match self.member_room(me, name) {
                Ok(r) => (Chat::Room(r), self.rooms[&r].name.clone()),
                Err(refusal) => return assert_eq!(*outcome, refusal),
            },
        };
        let Outcome::Connected {
            chat,
            messages,
            history_truncated,
            unread_messages,
            unread_truncated,
        } = outcome
        else {
            panic!("connect answered {outcome:?}");
        };
        assert_eq!(*chat, name);
        // The budgets of the sequences' configuration are never reached.
        assert!(!history_truncated);
        let Some(&position) = self.position.get(&(me, key)) else {
            assert!(messages.is_empty() && unread_messages.is_empty() && !unread_truncated);
            return;
        };
        let read: Vec<MessageId> = self
            .chat_messages(key)
            .filter(|m| m.id <= position)
            .map(|m| m.id)
            .collect();
        let history = &read[read.len().saturating_sub(n as usize)..];
        let unread: Vec<MessageId> = self
            .chat_messages(key)
            .filter(|m| m.id > position)
            .map(|m| m.id)
            .collect();
        let max = self.config.unread_max as usize;
        assert_eq!(ids(messages), history, "history of {key:?} for user {me}");
        assert_eq!(ids(unread_messages), &unread[..unread.len().min(max)]);
        assert_eq!(*unread_truncated, unread.len() > max);
        let embedded = self.config.comments_per_message as usize;
        for m in messages.iter().chain(unread_messages) {
            let spec = self.messages.iter().find(|s| s.id == m.id).expect("known");
            assert_eq!(m.author, self.name(spec.author));
            assert_eq!(m.comments_total, spec.comments.len() as u64);
            let newest = &spec.comments[spec.comments.len().saturating_sub(embedded)..];
            let carried: Vec<i64> = m.comments.iter().map(|c| c.id).collect();
            assert_eq!(carried, newest, "the newest comments of message {}", m.id);
        }
        let got = self.received.entry((me, key)).or_default();
        if let (Some(last), Some(first)) = (got.last(), unread_messages.first()) {
            assert!(first.id > *last, "unread handed out of order or twice");
        }
        got.extend(ids(unread_messages));
        if let Some(last) = unread_messages.last() {
            self.position.insert((me, key), last.id);
        }
    }

    fn status(&mut self, me: usize, outcome: &Outcome, now: UnixMillis) {
        let Outcome::Status(StatusReport {
            connected_as,
            chats,
            cautions,
            banned_until,
            public_messages_left,
            quota_resets_at,
        }) = outcome
        else {
            panic!("status answered {outcome:?}");
        };
        assert_eq!(connected_as, self.name(me));
        assert_eq!(*banned_until, self.banned(me, now));
        let user = self.users[me].as_ref().expect("registered");
        assert_eq!(*cautions as usize, user.reporters.len());
        let (left, resets) = match self.window(me, now) {
            Some((end, n)) => (self.config.quota - n, Some(end)),
            None => (self.config.quota, None),
        };
        assert_eq!((*public_messages_left, *quota_resets_at), (left, resets));
        // Public first, then private chats by latest message, newest first.
        let mut expected: Vec<(Chat, String)> = vec![(Chat::Public, "public_chat".into())];
        let mut private: Vec<(MessageId, Chat, String)> = Vec::new();
        for &chat in &self.private_chats {
            if let Chat::Private(a, b) = chat {
                if a == me || b == me {
                    let other = if a == me { b } else { a };
                    private.push((self.latest(chat), chat, self.name(other).to_owned()));
                }
            }
        }
        // (issue 25) rooms among them; empty ones newest first (chat ids
        // follow creation; private chats are never empty).
        for (&r, room) in &self.rooms {
            if room.members.contains(&me) {
                private.push((self.latest(Chat::Room(r)), Chat::Room(r), room.name.clone()));
            }
        }
        let created = |chat: &Chat| match chat {
            Chat::Room(r) => self.rooms[r].created,
            _ => 0,
        };
        private.sort_by_key(|p| (std::cmp::Reverse(p.0), std::cmp::Reverse(created(&p.1))));
        expected.extend(private.into_iter().map(|(_, c, n)| (c, n)));
        assert_eq!(chats.len(), expected.len(), "{chats:?}");
        let users = self.users.iter().flatten().count() as u64;
        for (summary, (chat, name)) in chats.iter().zip(&expected) {
            match &summary.kind {
                ChatKind::Public => assert_eq!(*chat, Chat::Public),
                ChatKind::Private { other } => assert_eq!(other, name),
                ChatKind::Room { name: room } => assert_eq!(room, name),
            }
            let position = self.position[&(me, *chat)];
            let all = self.chat_messages(*chat).count() as u64;
            let unread = self
                .chat_messages(*chat)
                .filter(|m| m.id > position)
                .count();
            assert_eq!(summary.messages_number, all);
            assert_eq!(summary.unread, unread as u64, "{chat:?}");
            let members = match chat {
                Chat::Public => users,
                Chat::Private(..) => 2,
                Chat::Room(r) => self.rooms[r].members.len() as u64,
            };
            assert_eq!(summary.users_number, members);
        }
    }

    fn send(&mut self, me: usize, to: &ChatRef, outcome: &Outcome, now: UnixMillis) {
        let chat = match to {
            ChatRef::Public => Chat::Public,
            ChatRef::Private(name) => match self.other(me, name, "send_to") {
                Ok(other) => pair(me, other),
                Err(refusal) => return assert_eq!(*outcome, refusal),
            },
            ChatRef::Room(name) => match self.member_room(me, name) {
                Ok(r) => Chat::Room(r),
                Err(refusal) => return assert_eq!(*outcome, refusal),
            },
        };
        if let Some(until) = self.banned(me, now) {
            return assert_eq!(*outcome, Outcome::Banned { until, now });
        }
        // Public rooms share the public quota.
        let public = match chat {
            Chat::Public => true,
            Chat::Room(r) => self.rooms[&r].public,
            Chat::Private(..) => false,
        };
        if public {
            let sends = &self.users[me].as_ref().expect("registered").public_sends;
            if let Some(until) = self.full_until(sends, self.config.quota, now) {
                return assert_eq!(*outcome, Outcome::QuotaExceeded { until, now });
            }
        }
        let Outcome::MessageSent {
            message_id,
            pub_date,
        } = *outcome
        else {
            panic!("send to {chat:?} answered {outcome:?}");
        };
        assert_eq!(pub_date, now);
        let last = self.messages.last().map_or(0, |m| m.id);
        assert!(message_id > last, "message ids must increase");
        if public {
            self.user(me).public_sends.push(now);
        }
        if let Chat::Private(a, b) = chat {
            if self.private_chats.insert(chat) {
                self.join(a, chat, 0);
                self.join(b, chat, 0);
            }
        }
        let caught_up = self.position[&(me, chat)] == self.latest(chat);
        self.messages.push(MessageSpec {
            id: message_id,
            chat,
            author: me,
            comments: Vec::new(),
            deleted: false,
            reactions: BTreeSet::new(),
        });
        if caught_up {
            self.position.insert((me, chat), message_id);
        }
    }

    fn comment(&mut self, me: usize, message_id: MessageId, outcome: &Outcome, now: UnixMillis) {
        if let Some(until) = self.banned(me, now) {
            return assert_eq!(*outcome, Outcome::Banned { until, now });
        }
        if let Some(refusal) = self.hidden(me, message_id) {
            return assert_eq!(*outcome, Outcome::Failed(refusal));
        }
        let sends = &self.users[me].as_ref().expect("registered").comment_sends;
        if let Some(until) = self.full_until(sends, self.config.comment_quota, now) {
            return assert_eq!(*outcome, Outcome::CommentQuotaExceeded { until, now });
        }
        let Outcome::CommentAdded { comment_id } = *outcome else {
            panic!("comment answered {outcome:?}");
        };
        assert!(comment_id > self.last_comment, "comment ids must increase");
        self.last_comment = comment_id;
        self.user(me).comment_sends.push(now);
        let message = self.messages.iter_mut().find(|m| m.id == message_id);
        message.expect("visible").comments.push(comment_id);
    }

    /// (issue 26) The message `id` if `me` can see it, else why not (a
    /// room's outsider that may see the room: 403, else 404).
    fn visible_message(&self, me: usize, id: MessageId) -> Result<usize, Failure> {
        if let Some(refusal) = self.hidden(me, id) {
            return Err(refusal);
        }
        Ok(self
            .messages
            .iter()
            .position(|m| m.id == id)
            .expect("not hidden"))
    }

    /// `/edit` of a message: the ban, 404, the author, deleted, the quota
    /// shared with comments.
    fn edit(&mut self, me: usize, id: MessageId, outcome: &Outcome, now: UnixMillis) {
        if let Some(until) = self.banned(me, now) {
            return assert_eq!(*outcome, Outcome::Banned { until, now });
        }
        let at = match self.visible_message(me, id) {
            Ok(at) => at,
            Err(refusal) => return assert_eq!(*outcome, Outcome::Failed(refusal)),
        };
        if self.messages[at].author != me {
            return assert_eq!(*outcome, Outcome::Failed(Failure::NotAuthor));
        }
        if self.messages[at].deleted {
            return assert_eq!(*outcome, Outcome::Failed(Failure::Deleted));
        }
        let sends = &self.users[me].as_ref().expect("registered").comment_sends;
        if let Some(until) = self.full_until(sends, self.config.comment_quota, now) {
            return assert_eq!(*outcome, Outcome::CommentQuotaExceeded { until, now });
        }
        assert_eq!(*outcome, Outcome::Edited { edited: now });
        self.user(me).comment_sends.push(now);
    }

    /// `/delete` of a message: 404, the author (no moderators here), then
    /// 200 whether or not it was deleted already; a ban does not matter.
    fn delete(&mut self, me: usize, id: MessageId, outcome: &Outcome) {
        let at = match self.visible_message(me, id) {
            Ok(at) => at,
            Err(refusal) => return assert_eq!(*outcome, Outcome::Failed(refusal)),
        };
        let name = &self.users[me].as_ref().expect("registered").name;
        if self.messages[at].author != me && !self.config.is_moderator(name) {
            return assert_eq!(*outcome, Outcome::Failed(Failure::NotAuthor));
        }
        assert_eq!(*outcome, Outcome::Deleted);
        self.messages[at].deleted = true;
    }

    /// `/react`: the ban, 404, deleted; a change only when it changes
    /// something, and adding counts against the comment quota. The answer
    /// lists every emoji with its count.
    fn react(
        &mut self,
        me: usize,
        id: MessageId,
        emoji: &str,
        remove: bool,
        outcome: &Outcome,
        now: UnixMillis,
    ) {
        if let Some(until) = self.banned(me, now) {
            return assert_eq!(*outcome, Outcome::Banned { until, now });
        }
        let at = match self.visible_message(me, id) {
            Ok(at) => at,
            Err(refusal) => return assert_eq!(*outcome, Outcome::Failed(refusal)),
        };
        if self.messages[at].deleted {
            return assert_eq!(*outcome, Outcome::Failed(Failure::Deleted));
        }
        let key = (emoji.to_owned(), me);
        let had = self.messages[at].reactions.contains(&key);
        if !remove && !had {
            let sends = &self.users[me].as_ref().expect("registered").comment_sends;
            if let Some(until) = self.full_until(sends, self.config.comment_quota, now) {
                return assert_eq!(*outcome, Outcome::CommentQuotaExceeded { until, now });
            }
            self.user(me).comment_sends.push(now);
            self.messages[at].reactions.insert(key);
        } else if remove && had {
            self.messages[at].reactions.remove(&key);
        }
        let Outcome::Reacted {
            message_id,
            reactions,
        } = outcome
        else {
            panic!("react answered {outcome:?}");
        };
        assert_eq!(*message_id, id);
        let mut counted: Vec<(String, u64)> = reactions
            .iter()
            .map(|r| (r.emoji.clone(), r.count))
            .collect();
        counted.sort();
        let mut expected: BTreeMap<String, u64> = BTreeMap::new();
        for (emoji, _) in &self.messages[at].reactions {
            *expected.entry(emoji.clone()).or_default() += 1;
        }
        assert_eq!(counted, expected.into_iter().collect::<Vec<_>>());
    }

    /// `GET /comments`: 404 as for a comment (but a ban does not matter),
    /// else the newest `limit` comments before `before`, oldest first.
    fn comments(
        &self,
        me: usize,
        message_id: MessageId,
        before: Option<i64>,
        limit: u32,
        outcome: &Outcome,
    ) {
        if let Some(refusal) = self.hidden(me, message_id) {
            return assert_eq!(*outcome, Outcome::Failed(refusal));
        }
        let message = self.messages.iter().find(|m| m.id == message_id);
        let message = message.expect("visible");
        let Outcome::Comments {
            message_id: answered,
            comments,
            more,
        } = outcome
        else {
            panic!("comments answered {outcome:?}");
        };
        assert_eq!(*answered, message_id);
        let older: Vec<i64> = message
            .comments
            .iter()
            .copied()
            .filter(|&c| before.is_none_or(|b| c < b))
            .collect();
        let page = &older[older.len().saturating_sub(limit as usize)..];
        let got: Vec<i64> = comments.iter().map(|c| c.id).collect();
        assert_eq!(got, page);
        assert_eq!(*more, older.len() > page.len());
    }

    fn report(
        &mut self,
        me: usize,
        target: &str,
        chat_type: ChatType,
        outcome: &Outcome,
        now: UnixMillis,
    ) {
        let target = match self.other(me, target, "report_on") {
            Ok(target) => target,
            Err(refusal) => return assert_eq!(*outcome, refusal),
        };
        if chat_type == ChatType::Private && !self.private_chats.contains(&pair(me, target)) {
            return assert_eq!(*outcome, Outcome::Failed(Failure::NoSharedChat));
        }
        if let Some(banned_until) = self.banned(target, now) {
            return assert_eq!(*outcome, Outcome::AlreadyBanned { banned_until });
        }
        let threshold = self.config.ban_threshold as usize;
        let ban_ms = self.config.ban_ms;
        let user = self.user(target);
        if !user.reporters.insert(me) {
            return assert_eq!(*outcome, Outcome::Failed(Failure::AlreadyReported));
        }
        let expected = if user.reporters.len() >= threshold {
            user.reporters.clear();
            user.banned_until = Some(now.plus_ms(ban_ms));
            Outcome::ReportAccepted {
                cautions: 0,
                banned_until: user.banned_until,
            }
        } else {
            Outcome::ReportAccepted {
                cautions: user.reporters.len() as u32,
                banned_until: None,
            }
        };
        assert_eq!(*outcome, expected);
    }
}

/// (issue 25) Rooms.
impl Spec {
    /// The room a request names (any case), if it was created.
    fn room(&self, name: &str) -> Option<usize> {
        let r = ROOMS.iter().position(|r| r.eq_ignore_ascii_case(name))?;
        self.rooms.contains_key(&r).then_some(r)
    }

    /// The room if `me` may see it, else 404 as for no room.
    fn visible_room(&self, me: usize, name: &str) -> Result<usize, Outcome> {
        self.room(name)
            .filter(|r| self.rooms[r].sees(me))
            .ok_or(Outcome::Failed(Failure::RoomNotFound))
    }

    /// The room if `me` is a member: 404 as above, then 403.
    fn member_room(&self, me: usize, name: &str) -> Result<usize, Outcome> {
        let r = self.visible_room(me, name)?;
        if self.rooms[&r].members.contains(&me) {
            Ok(r)
        } else {
            Err(Outcome::Failed(Failure::NotAMember))
        }
    }

    /// Why `me` may not reach message `id`: none when it is in its chat;
    /// a room it may see but is not in, 403; else as no message.
    fn hidden(&self, me: usize, id: MessageId) -> Option<Failure> {
        let Some(message) = self.messages.iter().find(|m| m.id == id) else {
            return Some(Failure::MessageNotFound);
        };
        if self.position.contains_key(&(me, message.chat)) {
            return None;
        }
        match message.chat {
            Chat::Room(r) if self.rooms[&r].sees(me) => Some(Failure::NotAMember),
            _ => Some(Failure::MessageNotFound),
        }
    }

    fn create_room(
        &mut self,
        me: usize,
        name: &str,
        public: bool,
        outcome: &Outcome,
        now: UnixMillis,
    ) {
        if let Some(until) = self.banned(me, now) {
            return assert_eq!(*outcome, Outcome::Banned { until, now });
        }
        let r = ROOMS
            .iter()
            .position(|r| r.eq_ignore_ascii_case(name))
            .expect("one of ROOMS");
        if self.rooms.contains_key(&r) {
            return assert_eq!(*outcome, Outcome::Failed(Failure::RoomExists));
        }
        assert_eq!(
            *outcome,
            Outcome::RoomCreated {
                room: name.to_owned()
            }
        );
        let created = self.rooms.len();
        self.rooms.insert(
            r,
            RoomSpec {
                name: name.to_owned(),
                public,
                members: BTreeSet::from([me]),
                invited: BTreeSet::new(),
                created,
            },
        );
        self.join(me, Chat::Room(r), 0);
    }

    fn join_room(&mut self, me: usize, name: &str, outcome: &Outcome) {
        let r = match self.visible_room(me, name) {
            Ok(r) => r,
            Err(refusal) => return assert_eq!(*outcome, refusal),
        };
        let room = &self.rooms[&r];
        assert_eq!(
            *outcome,
            Outcome::Joined {
                room: room.name.clone()
            }
        );
        if room.members.contains(&me) {
            return;
        }
        let latest = self.latest(Chat::Room(r));
        let room = self.rooms.get_mut(&r).expect("created");
        room.members.insert(me);
        room.invited.remove(&me);
        self.join(me, Chat::Room(r), latest);
    }

    fn leave_room(&mut self, me: usize, name: &str, outcome: &Outcome) {
        let r = match self.visible_room(me, name) {
            Ok(r) => r,
            Err(refusal) => return assert_eq!(*outcome, refusal),
        };
        let room = self.rooms.get_mut(&r).expect("created");
        if !room.members.remove(&me) {
            return assert_eq!(*outcome, Outcome::Failed(Failure::NotAMemberToLeave));
        }
        assert_eq!(
            *outcome,
            Outcome::Left {
                room: room.name.clone()
            }
        );
        // What it was handed goes with the membership: a new one starts
        // afresh.
        let key = (me, Chat::Room(r));
        self.position.remove(&key);
        self.joined_at.remove(&key);
        self.received.remove(&key);
    }

    fn invite(&mut self, me: usize, name: &str, guest: &str, outcome: &Outcome) {
        let r = match self.member_room(me, name) {
            Ok(r) => r,
            Err(refusal) => return assert_eq!(*outcome, refusal),
        };
        let guest = match self.other(me, guest, "user_name") {
            Ok(guest) => guest,
            Err(Outcome::Failed(Failure::SelfTarget { .. })) => {
                return assert_eq!(*outcome, Outcome::Failed(Failure::AlreadyAMember))
            }
            Err(refusal) => return assert_eq!(*outcome, refusal),
        };
        let guest_name = self.name(guest).to_owned();
        let room = self.rooms.get_mut(&r).expect("created");
        if room.members.contains(&guest) {
            return assert_eq!(*outcome, Outcome::Failed(Failure::AlreadyAMember));
        }
        assert_eq!(
            *outcome,
            Outcome::Invited {
                room: room.name.clone(),
                user_name: guest_name
            }
        );
        room.invited.insert(guest);
    }
}

fn ids(messages: &[StoredMessage]) -> Vec<MessageId> {
    messages.iter().map(|m| m.id).collect()
}

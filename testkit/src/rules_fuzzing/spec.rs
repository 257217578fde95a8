//! What API.md promises, kept as plain bookkeeping over the outcomes seen so
//! far, for [`super::command_sequence`]. It never reads the model: it predicts
//! each outcome from the commands and outcomes before it, and panics when the
//! rules answer something else.

use agora_core::command::{ChatRef, ChatType, Command, Failure, Outcome, StatusReport};
use agora_core::config::Config;
use agora_core::time::UnixMillis;
use agora_core::token::Token;
use agora_core::view::{ChatKind, MessageId, StoredMessage};
use std::collections::{BTreeMap, BTreeSet};

/// The user names the sequences play with; user `i` is `NAMES[i]` in some case.
pub const NAMES: [&str; 4] = ["ann", "Bob", "cy", "Dee"];
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
}

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
            Command::Events { .. } | Command::Read { .. } | Command::Unban { .. } => {
                unreachable!("command_sequence does not generate {command:?}")
            }
            // Issue 25's reads: checked against the model by the store's
            // model-vs-store property tests; rooms by their own property
            // tests.
            Command::Messages { .. }
            | Command::Users { .. }
            | Command::CreateRoom { .. }
            | Command::Rooms { .. }
            | Command::Join { .. }
            | Command::Leave { .. }
            | Command::Invite { .. } => {
                unreachable!("command_sequence does not generate {command:?}")
            }
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
            ChatRef::Room(_) => unreachable!("command_sequence names no room"),
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
        private.sort_by_key(|p| std::cmp::Reverse(p.0));
        expected.extend(private.into_iter().map(|(_, c, n)| (c, n)));
        assert_eq!(chats.len(), expected.len(), "{chats:?}");
        let users = self.users.iter().flatten().count() as u64;
        for (summary, (chat, name)) in chats.iter().zip(&expected) {
            match &summary.kind {
                ChatKind::Public => assert_eq!(*chat, Chat::Public),
                ChatKind::Private { other } => assert_eq!(other, name),
                ChatKind::Room { .. } => unreachable!("command_sequence makes no room"),
            }
            let position = self.position[&(me, *chat)];
            let all = self.chat_messages(*chat).count() as u64;
            let unread = self
                .chat_messages(*chat)
                .filter(|m| m.id > position)
                .count();
            assert_eq!(summary.messages_number, all);
            assert_eq!(summary.unread, unread as u64, "{chat:?}");
            let members = if *chat == Chat::Public { users } else { 2 };
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
            ChatRef::Room(_) => unreachable!("command_sequence names no room"),
        };
        if let Some(until) = self.banned(me, now) {
            return assert_eq!(*outcome, Outcome::Banned { until, now });
        }
        if chat == Chat::Public {
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
        if chat == Chat::Public {
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
        });
        if caught_up {
            self.position.insert((me, chat), message_id);
        }
    }

    fn comment(&mut self, me: usize, message_id: MessageId, outcome: &Outcome, now: UnixMillis) {
        if let Some(until) = self.banned(me, now) {
            return assert_eq!(*outcome, Outcome::Banned { until, now });
        }
        let visible = self
            .messages
            .iter()
            .find(|m| m.id == message_id)
            .is_some_and(|m| self.position.contains_key(&(me, m.chat)));
        if !visible {
            return assert_eq!(*outcome, Outcome::Failed(Failure::MessageNotFound));
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
        let message = self
            .messages
            .iter()
            .find(|m| m.id == message_id)
            .filter(|m| self.position.contains_key(&(me, m.chat)));
        let Some(message) = message else {
            return assert_eq!(*outcome, Outcome::Failed(Failure::MessageNotFound));
        };
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

fn ids(messages: &[StoredMessage]) -> Vec<MessageId> {
    messages.iter().map(|m| m.id).collect()
}

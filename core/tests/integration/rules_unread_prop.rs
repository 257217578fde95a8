//! Specification of unread messages, checked against the rules over random
//! interleavings of registrations, sends and connects by several users. The
//! specification keeps, per chat, its message ids, and per member and chat
//! the set of ids it has *received*: returned as unread by `/connect`, or
//! known from the start (the public history before it registered, its own
//! message sent while it had received everything). It checks that
//!
//! - `unread_messages` is exactly the chat's messages not yet received, in id
//!   order, at most `unread_max` of them and as many as fit the unread byte
//!   budget (at least one), `unread_truncated` saying whether more remain,
//!   and never a message received before (exactly once);
//! - never a message of another chat shows up;
//! - `messages` is the last N messages up to the last one received, as many
//!   of the newest as fit the history byte budget (at least one),
//!   `history_truncated` saying whether some were left out;
//! - `/status` lists exactly the member's chats with the right `unread`;
//! - at the end, after draining, every member has received every message of
//!   each of its chats.

use crate::rules_support::World;
use agora_core::command::{ChatRef, Command, Outcome};
use agora_core::config::Config;
use agora_core::json_size;
use agora_core::token::Token;
use agora_core::view::{ChatKind, StoredMessage};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

const MAX_USERS: usize = 5;

#[derive(Clone, Debug)]
enum Op {
    Register,
    Send {
        from: usize,
        to: Option<usize>,
        len: usize,
    },
    Connect {
        user: usize,
        with: Option<usize>,
        n: u32,
    },
    Status {
        user: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let user = 0..MAX_USERS;
    let other = proptest::option::weighted(0.5, 0..MAX_USERS);
    prop_oneof![
        1 => Just(Op::Register),
        5 => (user.clone(), other.clone(), 1usize..300)
            .prop_map(|(from, to, len)| Op::Send { from, to, len }),
        5 => (user.clone(), other, 1u32..6).prop_map(|(user, with, n)| Op::Connect { user, with, n }),
        1 => user.prop_map(|user| Op::Status { user }),
    ]
}

/// A chat: `None` is the public chat, `Some((a, b))` with `a < b` the private
/// chat of users `a` and `b`.
type ChatKey = Option<(usize, usize)>;

fn key(a: usize, with: Option<usize>) -> ChatKey {
    with.map(|b| (a.min(b), a.max(b)))
}

struct Spec {
    users: usize,
    chats: BTreeMap<ChatKey, Vec<i64>>,
    received: BTreeMap<(usize, ChatKey), BTreeSet<i64>>,
    last_id: i64,
    /// Every message as `/connect` must show it, by id.
    sent: BTreeMap<i64, StoredMessage>,
}

/// How many of `lens`, in order, fit `budget` bytes with a comma between
/// each two; at least one.
fn fitting(lens: impl Iterator<Item = usize>, budget: usize) -> usize {
    let (mut used, mut count) = (0, 0);
    for len in lens {
        used += len + usize::from(count > 0);
        if used > budget {
            break;
        }
        count += 1;
    }
    count.max(1)
}

impl Spec {
    fn messages(&self, chat: ChatKey) -> &[i64] {
        self.chats.get(&chat).map_or(&[], Vec::as_slice)
    }

    fn received_count(&self, user: usize, chat: ChatKey) -> usize {
        self.received.get(&(user, chat)).map_or(0, BTreeSet::len)
    }

    fn received(&mut self, user: usize, chat: ChatKey) -> &mut BTreeSet<i64> {
        self.received.entry((user, chat)).or_default()
    }
}

fn token(user: usize) -> Token {
    Token([user as u8 + 1; 16])
}

fn name(user: usize) -> String {
    format!("U{user}")
}

fn ids(list: &[StoredMessage]) -> Vec<i64> {
    list.iter().map(|m| m.id).collect()
}

fn connect(
    w: &mut World,
    spec: &mut Spec,
    user: usize,
    with: Option<usize>,
    n: u32,
) -> Result<bool, TestCaseError> {
    let chat = match with {
        None => ChatRef::Public,
        Some(other) => ChatRef::Private(name(other).to_lowercase()),
    };
    let outcome = w.apply(Command::Connect {
        caller: token(user).hash(),
        chat,
        messages_number: n,
    });
    let Outcome::Connected {
        chat: chat_name,
        messages,
        history_truncated,
        unread_messages,
        unread_truncated,
    } = outcome
    else {
        return Err(TestCaseError::fail(format!("connect: {outcome:?}")));
    };
    prop_assert_eq!(chat_name, with.map_or("public_chat".to_owned(), name));
    let k = key(user, with);
    let all = spec.messages(k).to_vec();
    let received = spec.received(user, k).clone();
    let len = |id: &i64| json_size::message_len(&spec.sent[id]);
    let position = received.iter().next_back().copied().unwrap_or(0);
    // History: the last n up to the last message received.
    let upto: Vec<i64> = all.iter().copied().filter(|&id| id <= position).collect();
    let last_n = &upto[upto.len().saturating_sub(n as usize)..];
    let fit = fitting(last_n.iter().rev().map(len), w.config.history_budget);
    let expected_history = &last_n[last_n.len().saturating_sub(fit)..];
    prop_assert_eq!(&ids(&messages), expected_history);
    prop_assert_eq!(history_truncated, expected_history.len() < last_n.len());
    for m in messages.iter().chain(&unread_messages) {
        prop_assert_eq!(m, &spec.sent[&m.id]);
    }
    // Unread: what was never received, in order, capped.
    let pending: Vec<i64> = all
        .iter()
        .copied()
        .filter(|id| !received.contains(id))
        .collect();
    let max = w.config.unread_max as usize;
    let capped = &pending[..pending.len().min(max)];
    let fit = fitting(capped.iter().map(len), w.config.unread_budget);
    let got = ids(&unread_messages);
    prop_assert_eq!(&got, &capped[..capped.len().min(fit)]);
    prop_assert_eq!(unread_truncated, got.len() < pending.len());
    for id in got {
        prop_assert!(
            spec.received(user, k).insert(id),
            "message {} received twice",
            id
        );
    }
    Ok(unread_truncated)
}

fn run(
    unread_max: u32,
    budget: Option<usize>,
    initial_users: usize,
    ops: &[Op],
) -> Result<(), TestCaseError> {
    let defaults = Config::default();
    let config = Config {
        unread_max,
        quota: 1_000_000,
        history_budget: budget.unwrap_or(defaults.history_budget),
        unread_budget: budget.map_or(defaults.unread_budget, |b| b * 2),
        ..defaults
    };
    let mut w = World::new(config, 7);
    let mut spec = Spec {
        users: 0,
        chats: BTreeMap::new(),
        received: BTreeMap::new(),
        last_id: 0,
        sent: BTreeMap::new(),
    };
    let register = |w: &mut World, spec: &mut Spec| -> Result<(), TestCaseError> {
        let user = spec.users;
        let outcome = w.apply(Command::GetToken {
            user_name: name(user),
            token: token(user),
            client: std::net::Ipv4Addr::LOCALHOST.into(),
        });
        prop_assert!(
            matches!(outcome, Outcome::TokenIssued { .. }),
            "{:?}",
            outcome
        );
        let public: BTreeSet<i64> = spec.messages(None).iter().copied().collect();
        spec.received.insert((user, None), public);
        spec.users += 1;
        Ok(())
    };
    for _ in 0..initial_users {
        register(&mut w, &mut spec)?;
    }
    for op in ops {
        match *op {
            Op::Register => {
                if spec.users < MAX_USERS {
                    register(&mut w, &mut spec)?;
                }
            }
            Op::Send { from, to, len } => {
                if from >= spec.users || to.is_some_and(|t| t >= spec.users || t == from) {
                    continue;
                }
                let chat = to.map_or(ChatRef::Public, |t| ChatRef::Private(name(t)));
                let text = "\"m\u{1}é".repeat(len);
                let outcome = w.apply(Command::Send {
                    caller: token(from).hash(),
                    to: chat,
                    text: text.clone(),
                });
                let Outcome::MessageSent {
                    message_id,
                    pub_date,
                } = outcome
                else {
                    return Err(TestCaseError::fail(format!("send: {outcome:?}")));
                };
                let message = StoredMessage {
                    id: message_id,
                    author: name(from),
                    pub_date,
                    text,
                    comments: vec![],
                    comments_total: 0,
                };
                spec.sent.insert(message_id, message);
                prop_assert!(message_id > spec.last_id, "ids must increase");
                spec.last_id = message_id;
                let k = key(from, to);
                let caught_up = spec.received(from, k).len() == spec.messages(k).len();
                if caught_up {
                    spec.received(from, k).insert(message_id);
                }
                spec.chats.entry(k).or_default().push(message_id);
            }
            Op::Connect { user, with, n } => {
                if user >= spec.users || with.is_some_and(|t| t >= spec.users || t == user) {
                    continue;
                }
                connect(&mut w, &mut spec, user, with, n)?;
            }
            Op::Status { user } => {
                if user >= spec.users {
                    continue;
                }
                let Outcome::Status(report) = w.apply(Command::Status {
                    caller: token(user).hash(),
                }) else {
                    return Err(TestCaseError::fail("status failed"));
                };
                let mut listed = BTreeMap::new();
                for c in &report.chats {
                    let k = match &c.kind {
                        ChatKind::Public => None,
                        ChatKind::Private { other } => {
                            let other: usize = other[1..].parse().unwrap();
                            key(user, Some(other))
                        }
                        ChatKind::Room { .. } => unreachable!("no rooms here"),
                    };
                    listed.insert(k, c.unread);
                    prop_assert_eq!(c.messages_number, spec.messages(k).len() as u64);
                }
                let expected: BTreeMap<ChatKey, u64> = spec
                    .chats
                    .keys()
                    .copied()
                    .chain([None])
                    .filter(|k| match k {
                        None => true,
                        Some((a, b)) => *a == user || *b == user,
                    })
                    .map(|k| {
                        let unread = spec.messages(k).len() - spec.received_count(user, k);
                        (k, unread as u64)
                    })
                    .collect();
                prop_assert_eq!(listed, expected);
                prop_assert!(matches!(report.chats[0].kind, ChatKind::Public));
            }
        }
    }
    // Drain: every member ends up with every message of its chats.
    let chats: Vec<ChatKey> = spec.chats.keys().copied().collect();
    for k in chats {
        let members: Vec<(usize, Option<usize>)> = match k {
            None => (0..spec.users).map(|u| (u, None)).collect(),
            Some((a, b)) => vec![(a, Some(b)), (b, Some(a))],
        };
        for (user, with) in members {
            while connect(&mut w, &mut spec, user, with, 1)? {}
            let all: BTreeSet<i64> = spec.messages(k).iter().copied().collect();
            prop_assert_eq!(spec.received(user, k).clone(), all);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_member_receives_every_message_once_in_order(
        unread_max in 1u32..5,
        budget in proptest::option::of(100usize..4000),
        initial_users in 1usize..4,
        ops in proptest::collection::vec(op(), 0..120),
    ) {
        run(unread_max, budget, initial_users, &ops)?;
    }
}

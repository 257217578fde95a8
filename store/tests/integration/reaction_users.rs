//! (issue 26) Which users a reaction summary lists once more people react
//! with one emoji than it lists (`LISTED_USERS`): the contract's "the first
//! 20 who reacted with it, in turn", with `count` all of them. The model-
//! vs-store property tests never get there (six names), so here more than
//! `LISTED_USERS` users react to one message, on SQLite and on PostgreSQL,
//! through the real rules and a `Handle`; each answer is checked against
//! the model (`agora_testkit::model::Model`) run on the same commands and
//! against the names written out, in the `/react` answer and in the
//! message as `/messages` reads it back (the stored summary); then random
//! reactions and take-backs of those users, case after case, answered as
//! the model answers them (a property test that reaches the cut).

use crate::support;

use agora_core::command::{ChatRef, Command, Outcome};
use agora_core::reactions::LISTED_USERS;
use agora_core::rules;
use agora_core::time::UnixMillis;
use agora_core::token::{Token, TokenHash};
use agora_core::view::Reaction;
use agora_store::{Handle, StoreConfig};
use agora_testkit::model::Model;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use std::cell::{Cell, RefCell};
use support::{fresh_pg, pg_config, run, temp_database};

/// The store's clock (held still) and the model's.
const NOW: i64 = 1_800_000_000_000;

/// More reacting users than a summary lists.
const REACTING: usize = LISTED_USERS + 3;

/// The emoji reacted with; the first far more often, so that more than
/// `LISTED_USERS` users end up on it.
const EMOJI: [&str; 2] = ["👍", "🎉"];

fn name(n: usize) -> String {
    format!("fan{n:02}")
}

/// The store and the model, given the same commands.
struct Both<'a> {
    handle: &'a Handle,
    model: Model,
    config: agora_core::config::Config,
}

impl Both<'_> {
    /// `command`'s outcome on the store, asserted equal to the model's.
    fn run(&mut self, command: Command) -> Outcome {
        let expected = rules::apply(&command, &mut self.model, UnixMillis(NOW), &self.config)
            .expect("the model answers");
        let outcome = run(self.handle, command.clone());
        assert_eq!(outcome, expected, "store and model differ on {command:?}");
        outcome
    }

    fn send(&mut self, caller: TokenHash) -> i64 {
        let sent = self.run(Command::Send {
            caller,
            to: ChatRef::Public,
            text: "react to me".into(),
        });
        match sent {
            Outcome::MessageSent { message_id, .. } => message_id,
            other => panic!("send: {other:?}"),
        }
    }

    fn register(&mut self, n: usize) -> TokenHash {
        let token = Token([n as u8 + 1; 16]);
        let outcome = self.run(Command::GetToken {
            user_name: name(n),
            token,
            client: std::net::Ipv4Addr::LOCALHOST.into(),
        });
        assert!(
            matches!(outcome, Outcome::TokenIssued { .. }),
            "{outcome:?}"
        );
        token.hash()
    }

    fn react(&mut self, caller: TokenHash, message_id: i64, remove: bool) -> Vec<Reaction> {
        self.react_with(caller, message_id, EMOJI[0], remove)
    }

    fn react_with(
        &mut self,
        caller: TokenHash,
        message_id: i64,
        emoji: &str,
        remove: bool,
    ) -> Vec<Reaction> {
        match self.run(Command::React {
            caller,
            message_id,
            emoji: emoji.into(),
            remove,
        }) {
            Outcome::Reacted { reactions, .. } => reactions,
            other => panic!("react: {other:?}"),
        }
    }

    /// The message's reactions as `/messages` reads them back.
    fn read_back(&mut self, caller: TokenHash, message_id: i64) -> Vec<Reaction> {
        let page = self.run(Command::Messages {
            caller,
            chat: ChatRef::Public,
            before: None,
            limit: 10,
        });
        let Outcome::History { messages, .. } = page else {
            panic!("messages: {page:?}");
        };
        let message = messages.into_iter().find(|m| m.id == message_id);
        message.expect("the message is on the page").reactions
    }
}

fn thumbs(count: usize, listed: impl Iterator<Item = usize>) -> Vec<Reaction> {
    vec![Reaction {
        emoji: "👍".into(),
        count: count as u64,
        users: listed.map(name).collect(),
    }]
}

/// Everyone reacts in turn: the first `LISTED_USERS` are listed. The first
/// takes theirs back: the next in turn moves up into the list. The first
/// reacts again: now the newest, so not listed.
fn the_first_reacting_users_are_listed(handle: &Handle, config: &StoreConfig) {
    let mut both = Both {
        handle,
        model: Model::new(UnixMillis(NOW)),
        config: config.rules.clone(),
    };
    let callers: Vec<TokenHash> = (0..REACTING).map(|n| both.register(n)).collect();
    let message_id = both.send(callers[0]);
    let mut last = Vec::new();
    for &caller in &callers {
        last = both.react(caller, message_id, false);
    }
    let first_listed = thumbs(REACTING, 0..LISTED_USERS);
    assert_eq!(last, first_listed);
    assert_eq!(both.read_back(callers[0], message_id), first_listed);

    let moved_up = thumbs(REACTING - 1, 1..LISTED_USERS + 1);
    assert_eq!(both.react(callers[0], message_id, true), moved_up);
    assert_eq!(both.read_back(callers[1], message_id), moved_up);

    let back_last = thumbs(REACTING, 1..LISTED_USERS + 1);
    assert_eq!(both.react(callers[0], message_id, false), back_last);
    assert_eq!(both.read_back(callers[0], message_id), back_last);
}

/// Random reactions and take-backs of many users on a fresh message each
/// case, each answer the model's (checked in [`Both::run`]), the summary
/// read back at the end; the cases must reach a listed-users cut at least
/// once, or they would prove nothing about it.
fn random_reactions_answer_as_the_model(handle: &Handle, config: &StoreConfig, cases: u32) {
    let both = RefCell::new(Both {
        handle,
        model: Model::new(UnixMillis(NOW)),
        config: config.rules.clone(),
    });
    let callers: Vec<TokenHash> = (0..REACTING)
        .map(|n| both.borrow_mut().register(n))
        .collect();
    let reaction = (
        0..REACTING,
        prop_oneof![8 => Just(0usize), 1 => Just(1usize)],
        prop_oneof![9 => Just(false), 1 => Just(true)],
    );
    let reactions = prop::collection::vec(reaction, 60..160);
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        // The store and the model go on from case to case: once they
        // differ, a shrunk case would start from a divergence of its own.
        max_shrink_iters: 0,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let cut = Cell::new(0);
    runner
        .run(&reactions, |reactions| {
            let mut both = both.borrow_mut();
            let message_id = both.send(callers[0]);
            let mut last = Vec::new();
            for (user, emoji, remove) in reactions {
                last = both.react_with(callers[user], message_id, EMOJI[emoji], remove);
            }
            if last.iter().any(|r| r.count as usize > r.users.len()) {
                cut.set(cut.get() + 1);
            }
            let read = both.read_back(callers[0], message_id);
            prop_assert_eq!(read, last);
            Ok(())
        })
        .unwrap();
    assert!(cut.get() > 0, "no case listed fewer users than reacted");
}

/// The store with the model's clock and rules: many users from one address
/// at once.
fn open(mut config: StoreConfig) -> (Handle, StoreConfig) {
    support::hand_clock(&mut config, NOW);
    config.rules.register_rate = 0;
    // A new message every case, the clock held still.
    config.rules.quota = u32::MAX;
    config.rules.reporter_min_age_ms = 0;
    let handle = Handle::open(config.clone()).expect("the store opens");
    (handle, config)
}

#[test]
fn sqlite_lists_the_first_reacting_users() {
    let (_dir, path) = temp_database();
    let (handle, config) = open(StoreConfig::sqlite(&path));
    the_first_reacting_users_are_listed(&handle, &config);
}

#[test]
fn postgres_lists_the_first_reacting_users() {
    let Some(database) = fresh_pg() else { return };
    let (handle, config) = open(pg_config(&database));
    the_first_reacting_users_are_listed(&handle, &config);
    drop(handle);
}

#[test]
fn sqlite_random_reactions_answer_as_the_model() {
    let (_dir, path) = temp_database();
    let (handle, config) = open(StoreConfig::sqlite(&path));
    random_reactions_answer_as_the_model(&handle, &config, 24);
}

#[test]
fn postgres_random_reactions_answer_as_the_model() {
    let Some(database) = fresh_pg() else { return };
    let (handle, config) = open(pg_config(&database));
    random_reactions_answer_as_the_model(&handle, &config, 12);
    drop(handle);
}

//! (issue 26) Which users a reaction summary lists once more people react
//! with one emoji than it lists (`LISTED_USERS`): the contract's "the first
//! 20 who reacted with it, in turn", with `count` all of them. The model-
//! vs-store property tests never get there (six names), so here more than
//! `LISTED_USERS` users react to one message, on SQLite and on PostgreSQL,
//! through the real rules and a `Handle`; each answer is checked against
//! the model (`agora_testkit::model::Model`) run on the same commands and
//! against the names written out, in the `/react` answer and in the
//! message as `/messages` reads it back (the stored summary).

use crate::support;

use agora_core::command::{ChatRef, Command, Outcome};
use agora_core::reactions::LISTED_USERS;
use agora_core::rules;
use agora_core::time::UnixMillis;
use agora_core::token::{Token, TokenHash};
use agora_core::view::Reaction;
use agora_store::{Handle, StoreConfig};
use agora_testkit::model::Model;
use support::{fresh_pg, pg_config, run, temp_database};

/// The store's clock (held still) and the model's.
const NOW: i64 = 1_800_000_000_000;

/// More reacting users than a summary lists.
const REACTING: usize = LISTED_USERS + 3;

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
        match self.run(Command::React {
            caller,
            message_id,
            emoji: "👍".into(),
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
    let sent = both.run(Command::Send {
        caller: callers[0],
        to: ChatRef::Public,
        text: "react to me".into(),
    });
    let Outcome::MessageSent { message_id, .. } = sent else {
        panic!("send: {sent:?}");
    };
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

/// The store with the model's clock and rules: many users from one address
/// at once.
fn open(mut config: StoreConfig) -> (Handle, StoreConfig) {
    support::hand_clock(&mut config, NOW);
    config.rules.register_rate = 0;
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

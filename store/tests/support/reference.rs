//! The reference side of the model-vs-store property tests: random command
//! sequences (with clock steps and reopens) applied to the in-memory model.
//! `model_vs_sqlite` and `model_vs_postgres` replay them on a store.

use agora_core::accounts::{AccountCommand, PasswordCheck, Secret};
use agora_core::command::{ChatRef, ChatType, Command, EventsWait, Outcome, Target};
use agora_core::config::Config;
use agora_core::rules;
use agora_core::time::UnixMillis;
use agora_core::token::{Token, TokenHash};
use agora_testkit::model::{prepare_account, Model};
use proptest::prelude::*;
use proptest::sample::select;
use proptest_state_machine::ReferenceStateMachine;

/// Names with case variants, so that uniqueness without case is exercised.
const NAMES: &[&str] = &["alice", "Alice", "bob", "BOB", "carol", "dave"];
const TEXTS: &[&str] = &[
    "hi",
    "hello there",
    "é ☃",
    "x",
    "@bob @ALICE hey",
    "@carol.",
];
/// (issue 26) The emoji reactions use: few, so that they repeat.
const EMOJI: &[&str] = &["👍", "🎉", "🇫🇷"];
/// (issue 25) Room names with case variants; `#hush` is made private when
/// created so (whoever creates it first decides).
const ROOMS: &[&str] = &["#dev", "#DEV", "#ops", "#hush", "#Hush"];
pub const T0: i64 = 1_795_939_565_000;

/// How a model-against-store test runs: `cases` command sequences, each
/// shrunk at most `max_shrink_iters` times on failure, and none saved to a
/// file (a failing sequence is printed).
pub fn runs(cases: u32, max_shrink_iters: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        max_shrink_iters,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Small limits so that quotas, bans, truncated unread lists and pages cut
/// at their byte budgets all happen.
pub fn chat_config() -> Config {
    Config {
        history_default: 3,
        history_max: 100,
        quota: 3,
        quota_window_ms: 60_000,
        ban_threshold: 2,
        ban_ms: 600_000,
        max_text_chars: 4096,
        unread_max: 4,
        comment_quota: 3,
        comments_per_message: 2,
        history_budget: 300,
        unread_budget: 400,
        embedded_comments_budget: 150,
        comments_page_budget: 200,
        events_page_max: 3,
        events_page_budget: 400,
        events_timeout_default_secs: 30,
        // Two users per address per hour, reporters trusted after 2 minutes
        // and a message, one moderator: each limit is hit and passed.
        register_rate: 2,
        reporter_min_age_ms: 120_000,
        moderators: vec!["carol".to_string()],
        // Issue 25: pages of 2 by default, cut at 300 bytes.
        messages_page_default: 2,
        messages_page_budget: 300,
    }
}

/// (issue 28) The passwords set and tried.
const PASSWORDS: &[&str] = &["correct horse", "battery staple"];

/// An account command as the store hands it to the rules: passwords
/// checked and hashed (with the model's stand-in hash) against `model`.
fn prepared(model: &Model, account: AccountCommand) -> Step {
    let mut command = Command::Account(Box::new(account));
    prepare_account(&mut model.clone(), &mut command);
    Step::Run(command)
}

/// The client addresses registrations come from (the second an IPv6 one).
const CLIENTS: &[&str] = &["127.0.0.1", "2001:db8::5"];

#[derive(Clone, Debug)]
pub enum Step {
    Run(Command),
    AdvanceMs(u64),
    Reopen,
}

#[derive(Clone, Debug)]
pub struct Reference {
    pub model: Model,
    pub now: UnixMillis,
    /// Token bytes handed out so far (one per `GetToken`, whatever its fate).
    pub tokens_drawn: u8,
    /// Hashes of tokens whose `GetToken` succeeded.
    pub callers: Vec<TokenHash>,
    /// Newest message id answered, to aim comments at real and unreal ids.
    pub last_message: i64,
    /// What the last step answered: `None` for steps that are not commands,
    /// `Some(Err(()))` for a store error.
    pub last: Option<Result<Outcome, ()>>,
}

impl Reference {
    /// Asserts that a store under test answered `command` as the model did:
    /// the same outcome, or a failure where the model failed.
    pub fn assert_answered(&self, command: &Command, result: Result<Outcome, ()>) {
        assert_eq!(Some(&result), self.last.as_ref(), "outcome of {command:?}");
    }
}

fn token(n: u8) -> Token {
    Token([n; 16])
}

fn caller_strategy(state: &Reference) -> BoxedStrategy<TokenHash> {
    // Mostly registered callers, sometimes a token nobody holds.
    let unknown = Just(token(255).hash());
    if state.callers.is_empty() {
        unknown.boxed()
    } else {
        prop_oneof![19 => select(state.callers.clone()), 1 => unknown].boxed()
    }
}

/// A message id that may or may not name a message: from -1 to two past
/// the last one.
fn message_id_strategy(state: &Reference) -> std::ops::Range<i64> {
    -1..state.last_message + 3
}

/// A command with a text (`Send`, `Comment`, `Edit`): one of the callers,
/// what it is about, and one of the texts, made into the command by `make`.
fn with_text<T: std::fmt::Debug>(
    state: &Reference,
    about: impl Strategy<Value = T>,
    make: fn(TokenHash, T, String) -> Command,
) -> impl Strategy<Value = Step> {
    (caller_strategy(state), about, select(TEXTS))
        .prop_map(move |(caller, about, text)| Step::Run(make(caller, about, text.to_string())))
}

/// A page of a list (`Comments`, `Messages`): one of the callers, what it
/// is a page of, maybe an id to page back from (drawn from `before`), and a
/// limit of 1 to 4, made into the command by `make`.
fn page_of<T: std::fmt::Debug>(
    state: &Reference,
    of: impl Strategy<Value = T>,
    before: std::ops::Range<i64>,
    make: fn(TokenHash, T, Option<i64>, u32) -> Command,
) -> impl Strategy<Value = Step> {
    (
        caller_strategy(state),
        of,
        proptest::option::of(before),
        1u32..5,
    )
        .prop_map(move |(caller, of, before, limit)| Step::Run(make(caller, of, before, limit)))
}

fn chat_strategy() -> impl Strategy<Value = ChatRef> {
    prop_oneof![
        2 => Just(ChatRef::Public),
        3 => select(NAMES).prop_map(|n| ChatRef::Private(n.to_string())),
        1 => Just(ChatRef::Private("nobody".to_string())),
        // (issue 25)
        2 => select(ROOMS).prop_map(|r| ChatRef::Room(r.to_string())),
    ]
}

/// (issue 25) The room commands: create (public, or private for `#hush`),
/// list, join, leave, invite.
fn room_strategy(state: &Reference) -> BoxedStrategy<Step> {
    let create =
        (caller_strategy(state), select(ROOMS), select(TEXTS)).prop_map(|(caller, room, topic)| {
            Step::Run(Command::CreateRoom {
                caller,
                public: !room.eq_ignore_ascii_case("#hush"),
                room: room.to_string(),
                topic: topic.to_string(),
            })
        });
    let list = (
        caller_strategy(state),
        select(&["", "#", "#d", "#H", "#x"][..]),
    )
        .prop_map(|(caller, prefix)| {
            Step::Run(Command::Rooms {
                caller,
                prefix: prefix.to_string(),
            })
        });
    let join = (caller_strategy(state), select(ROOMS)).prop_map(|(caller, room)| {
        Step::Run(Command::Join {
            caller,
            room: room.to_string(),
        })
    });
    let leave = (caller_strategy(state), select(ROOMS)).prop_map(|(caller, room)| {
        Step::Run(Command::Leave {
            caller,
            room: room.to_string(),
        })
    });
    let invite =
        (caller_strategy(state), select(ROOMS), select(NAMES)).prop_map(|(caller, room, name)| {
            Step::Run(Command::Invite {
                caller,
                room: room.to_string(),
                user_name: name.to_string(),
            })
        });
    prop_oneof![2 => create, 1 => list, 3 => join, 1 => leave, 2 => invite].boxed()
}

impl ReferenceStateMachine for Reference {
    type State = Reference;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Reference> {
        Just(Reference {
            model: Model::new(UnixMillis(T0)),
            now: UnixMillis(T0 + 1),
            tokens_drawn: 0,
            callers: Vec::new(),
            last_message: 0,
            last: None,
        })
        .boxed()
    }

    fn transitions(state: &Reference) -> BoxedStrategy<Step> {
        let next_token = token(state.tokens_drawn);
        let register = (select(NAMES), select(CLIENTS)).prop_map(move |(name, client)| {
            Step::Run(Command::GetToken {
                user_name: name.to_string(),
                token: next_token,
                client: client.parse().expect("an address"),
            })
        });
        let unban = (caller_strategy(state), select(NAMES)).prop_map(|(caller, name)| {
            Step::Run(Command::Unban {
                caller,
                user_name: name.to_string(),
            })
        });
        let connect = (caller_strategy(state), chat_strategy(), 1u32..6).prop_map(
            |(caller, chat, messages_number)| {
                Step::Run(Command::Connect {
                    caller,
                    chat,
                    messages_number,
                })
            },
        );
        let status =
            caller_strategy(state).prop_map(|caller| Step::Run(Command::Status { caller }));
        let send = with_text(state, chat_strategy(), |caller, to, text| Command::Send {
            caller,
            to,
            text,
        });
        let comment = with_text(
            state,
            message_id_strategy(state),
            |caller, message_id, text| Command::Comment {
                caller,
                message_id,
                text,
            },
        );
        let comments = page_of(
            state,
            message_id_strategy(state),
            1i64..20,
            |caller, message_id, before, limit| Command::Comments {
                caller,
                message_id,
                before,
                limit,
            },
        );
        let events =
            (caller_strategy(state), proptest::option::of(0i64..40)).prop_map(|(caller, since)| {
                Step::Run(Command::Events {
                    caller,
                    since,
                    wait: EventsWait::Page,
                })
            });
        let read = (
            caller_strategy(state),
            chat_strategy(),
            0..state.last_message + 3,
        )
            .prop_map(|(caller, chat, up_to)| {
                Step::Run(Command::Read {
                    caller,
                    chat,
                    up_to,
                })
            });
        let report = (
            caller_strategy(state),
            select(NAMES),
            prop_oneof![
                Just(ChatType::Public),
                Just(ChatType::Private),
                select(ROOMS).prop_map(|r| ChatType::Room(r.to_string())),
            ],
        )
            .prop_map(|(caller, target, chat_type)| {
                Step::Run(Command::Report {
                    caller,
                    target: target.to_string(),
                    chat_type,
                })
            });
        // (issue 26) Edits, deletions and reactions of messages and comments
        // that may or may not exist.
        let target = prop_oneof![
            message_id_strategy(state).prop_map(Target::Message),
            (1i64..8).prop_map(Target::Comment),
        ];
        let edit = with_text(state, target.clone(), |caller, target, text| {
            Command::Edit {
                caller,
                target,
                text,
            }
        });
        let delete = (caller_strategy(state), target)
            .prop_map(|(caller, target)| Step::Run(Command::Delete { caller, target }));
        let react = (
            caller_strategy(state),
            message_id_strategy(state),
            select(EMOJI),
            any::<bool>(),
        )
            .prop_map(|(caller, message_id, emoji, remove)| {
                Step::Run(Command::React {
                    caller,
                    message_id,
                    emoji: emoji.to_string(),
                    remove,
                })
            });
        let advance = prop_oneof![
            1u64..2_000,
            Just(30_000u64),
            Just(60_000u64),
            Just(600_001u64),
            Just(3 * 3_600_000u64),
        ]
        .prop_map(Step::AdvanceMs);
        let model = state.model.clone();
        let set_password = (
            caller_strategy(state),
            select(PASSWORDS),
            proptest::option::of(select(PASSWORDS)),
        )
            .prop_map(move |(caller, password, old)| {
                let account = AccountCommand::SetPassword {
                    caller,
                    password: Secret(password.to_string()),
                    old_password: old.map(|o| Secret(o.to_string())),
                    check: PasswordCheck::Unchecked,
                    new_hash: None,
                };
                prepared(&model, account)
            });
        let model = state.model.clone();
        let login = (select(NAMES), select(PASSWORDS), select(CLIENTS)).prop_map(
            move |(name, password, client)| {
                let account = AccountCommand::Login {
                    user_name: name.to_string(),
                    password: Secret(password.to_string()),
                    device: "phone".to_string(),
                    token: next_token,
                    client: client.parse().expect("an address"),
                    check: PasswordCheck::Unchecked,
                };
                prepared(&model, account)
            },
        );
        let sessions = caller_strategy(state).prop_map(|caller| {
            Step::Run(Command::Account(Box::new(AccountCommand::Sessions {
                caller,
            })))
        });
        let logout =
            (caller_strategy(state), proptest::option::of(0i64..8)).prop_map(|(caller, device)| {
                Step::Run(Command::Account(Box::new(AccountCommand::Logout {
                    caller,
                    device,
                })))
            });
        let touch = caller_strategy(state).prop_map(|caller| {
            Step::Run(Command::Account(Box::new(AccountCommand::Touch { caller })))
        });
        // Issue 25: history pages and the people directory.
        let messages = page_of(
            state,
            chat_strategy(),
            1..state.last_message + 3,
            |caller, chat, before, limit| Command::Messages {
                caller,
                chat,
                before,
                limit,
            },
        );
        let users = (
            caller_strategy(state),
            select(&["", "a", "AL", "b", "c", "dave", "z", "é"][..]),
            proptest::option::of(select(NAMES)),
            1u32..4,
        )
            .prop_map(|(caller, prefix, after, limit)| {
                Step::Run(Command::Users {
                    caller,
                    prefix: prefix.to_string(),
                    after: after.map(str::to_string),
                    limit,
                })
            });
        // Register eagerly until a few users exist, then rarely.
        let register_weight = if state.callers.len() < 3 { 12 } else { 2 };
        prop_oneof![
            register_weight => register,
            3 => connect,
            2 => status,
            6 => send,
            4 => comment,
            2 => comments,
            2 => events,
            2 => read,
            3 => report,
            1 => unban,
            2 => edit,
            2 => delete,
            3 => react,
            2 => set_password,
            2 => login,
            1 => sessions,
            1 => logout,
            1 => touch,
            2 => messages,
            1 => users,
            2 => advance,
            1 => Just(Step::Reopen),
            4 => room_strategy(state),
        ]
        .boxed()
    }

    fn preconditions(state: &Reference, step: &Step) -> bool {
        // Token bytes are never reused (shrinking can reorder registrations).
        match step {
            Step::Run(Command::GetToken { token, .. }) => token.0[0] >= state.tokens_drawn,
            Step::Run(Command::Account(account)) => match account.as_ref() {
                AccountCommand::Login { token, .. } => token.0[0] >= state.tokens_drawn,
                _ => true,
            },
            _ => true,
        }
    }

    fn apply(mut state: Reference, step: &Step) -> Reference {
        state.last = None;
        match step {
            Step::AdvanceMs(ms) => state.now = state.now.plus_ms(*ms),
            Step::Reopen => {}
            Step::Run(command) => {
                let before = state.model.clone();
                let result = rules::apply(command, &mut state.model, state.now, &chat_config());
                if result.is_err() {
                    state.model = before;
                }
                if let Command::GetToken { token, .. } = command {
                    state.tokens_drawn = token.0[0] + 1;
                    if matches!(result, Ok(Outcome::TokenIssued { .. })) {
                        state.callers.push(token.hash());
                    }
                }
                if let Some(AccountCommand::Login { token, .. }) = match command {
                    Command::Account(account) => Some(account.as_ref()),
                    _ => None,
                } {
                    state.tokens_drawn = token.0[0] + 1;
                    if matches!(&result, Ok(Outcome::Account(a)) if matches!(a, agora_core::accounts::AccountOutcome::LoggedIn { .. }))
                    {
                        state.callers.push(token.hash());
                    }
                }
                if let Ok(Outcome::MessageSent { message_id, .. }) = &result {
                    state.last_message = *message_id;
                }
                state.last = Some(result.map_err(|_| ()));
            }
        }
        state
    }
}

//! Helpers shared by the store's tests and benchmark: a stand-in for the chat
//! rules that appends each `Send` to the public chat, so the writer can be
//! exercised without `rules::apply`; and the one home of what many tests
//! repeat: a database in a temporary folder, configs, registering users and
//! running commands, a clock the test moves by hand, event pages, and reading
//! a column straight from PostgreSQL. Beside it: a PostgreSQL database of a
//! test's own (`pg_database.rs`), a database file opened without the store's
//! threads (`view_database.rs`), an observer that records what the store
//! tells it (`recorder.rs`), and the model the stores are checked against
//! (`reference.rs`).
#![allow(dead_code)]

use agora_core::command::{ChatRef, Command, EventsWait, Failure, Outcome};
use agora_core::events::EventId;
use agora_core::search::SearchQuery;
use agora_core::time::UnixMillis;
use agora_core::token::Token;
use agora_core::token::TokenHash;
use agora_core::view::{MessageId, NewUser, StoreError, UserId, View, ViewResult, PUBLIC_CHAT};
use agora_store::{Clock, Handle, Pending, SqlView, StoreConfig};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub mod pg_database;
pub mod recorder;
pub mod reference;
pub mod view_database;

// Each of the three crates that compile this folder (the integration tests,
// fd_limit, the benchmark) uses a part of it.
#[allow(unused_imports)]
pub use pg_database::{fresh_pg, losing_commits, pg_config, pg_url};
#[allow(unused_imports)]
pub use recorder::Recorder;
#[allow(unused_imports)]
pub use view_database::{new_user, new_users, reopen, sql_value, view_database, with_view, T0};

/// A public message from the stand-in caller [`append`] answers.
pub fn send(text: &str) -> Command {
    public_send(TokenHash([7; 32]), text)
}

/// The store's defaults with the seed's rules on new accounts
/// (`--register-rate 0 --reporter-min-age 0s`): these tests register many
/// users from one address and report at once.
pub fn config(path: &Path) -> StoreConfig {
    let mut store = StoreConfig::sqlite(path);
    store.rules.register_rate = 0;
    store.rules.reporter_min_age_ms = 0;
    store
}

/// The chat rules' defaults with a public quota that never runs out, for
/// tests and benchmarks that send as fast as they can.
pub fn unlimited_config(path: &Path) -> StoreConfig {
    let mut store = config(path);
    store.rules.quota = u32::MAX;
    store
}

/// Registers `name` through the real rules and returns its caller hash.
pub fn register(handle: &Handle, name: &str) -> TokenHash {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).unwrap();
    let token = Token(bytes);
    let command = Command::GetToken {
        user_name: name.to_string(),
        token,
        client: std::net::Ipv4Addr::LOCALHOST.into(),
    };
    match handle.submit(command).unwrap().wait() {
        Ok(Outcome::TokenIssued { .. }) => token.hash(),
        other => panic!("registering {name}: {other:?}"),
    }
}

/// The outcome of a submitted command, waited for at most 10 s.
pub fn outcome(pending: Pending) -> Outcome {
    pending
        .wait_timeout(Duration::from_secs(10))
        .expect("an outcome")
}

/// Registers each of `names` (see [`register`]); their caller hashes, in
/// order, so a test names its users in one line.
pub fn register_all<const N: usize>(handle: &Handle, names: [&str; N]) -> [TokenHash; N] {
    names.map(|name| register(handle, name))
}

/// Submits `command` and waits for its outcome.
pub fn run(handle: &Handle, command: Command) -> Outcome {
    outcome(handle.submit(command).expect("the queue has room"))
}

pub fn is_sent(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::MessageSent { .. })
}

/// A public message from `caller`.
pub fn public_send(caller: TokenHash, text: &str) -> Command {
    Command::Send {
        caller,
        to: ChatRef::Public,
        text: text.to_string(),
    }
}

/// A private message from `caller` to the user named `to`.
pub fn private_send(caller: TokenHash, to: &str, text: &str) -> Command {
    Command::Send {
        caller,
        to: ChatRef::Private(to.to_string()),
        text: text.to_string(),
    }
}

/// Registers user `name` with the token hash `[byte; 32]` from 127.0.0.1
/// at `now`.
pub fn add_user(view: &mut impl View, name: &str, byte: u8, now: UnixMillis) -> ViewResult<UserId> {
    view.create_user(NewUser {
        name,
        hash: &TokenHash([byte; 32]),
        origin: "127.0.0.1",
        now,
    })
}

/// Appends a `Send`'s text to the public chat as user `writer` (created on
/// first use) and answers `MessageSent`; other commands are `Unauthorized`.
pub fn append(
    command: &Command,
    view: &mut SqlView<'_>,
    now: UnixMillis,
) -> Result<Outcome, StoreError> {
    let Command::Send { text, .. } = command else {
        return Ok(Outcome::Failed(Failure::Unauthorized));
    };
    let author = match view.user_by_name("writer")? {
        Some(user) => user.id,
        None => {
            let id = add_user(view, "writer", 7, now)?;
            view.join(PUBLIC_CHAT, id, 0)?;
            id
        }
    };
    let message_id = view.append_message(
        PUBLIC_CHAT,
        agora_core::view::NewText::new(author, text, now),
    )?;
    Ok(Outcome::MessageSent {
        message_id,
        pub_date: now,
    })
}

/// Texts of the public chat's messages, oldest first.
pub fn stored_texts(path: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT text FROM messages WHERE chat_id = 1 ORDER BY id")
        .unwrap();
    let texts = stmt
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<Vec<String>, _>>()
        .unwrap();
    texts
}

pub fn integrity(path: &Path) -> String {
    sql_value(
        &rusqlite::Connection::open(path).unwrap(),
        "PRAGMA integrity_check",
    )
}

/// A fresh folder and the path of a database file in it; the folder goes
/// when the `TempDir` is dropped, so keep it alive for the test.
pub fn temp_database() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agora.db");
    (dir, path)
}

/// A store clock that reads `now`, which the test moves by hand.
pub fn clock_reading(now: &Arc<AtomicI64>) -> Clock {
    let now = now.clone();
    Clock::new(move || UnixMillis(now.load(Ordering::SeqCst)))
}

/// Gives `config` a clock that starts at `start` and moves only when the test
/// moves the returned hand.
pub fn hand_clock(config: &mut StoreConfig, start: i64) -> Arc<AtomicI64> {
    let now = Arc::new(AtomicI64::new(start));
    config.clock = clock_reading(&now);
    now
}

/// The first column of every row `sql` selects on the PostgreSQL database at
/// `url`, read on a connection of its own (the store's are busy).
pub fn pg_column<T: postgres::types::FromSqlOwned>(url: &str, sql: &str) -> Vec<T> {
    let mut admin = postgres::Client::connect(url, postgres::NoTls).unwrap();
    admin
        .query(sql, &[])
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// The next page of events after `since` for `caller`, read on `handle`,
/// waited for at most 10 s: its event ids, its `more` and its `next`.
pub fn events_page(
    handle: &Handle,
    caller: TokenHash,
    since: EventId,
) -> (Vec<EventId>, bool, EventId) {
    let command = Command::Events {
        caller,
        since: Some(since),
        wait: EventsWait::Page,
    };
    let watch = handle
        .watch(command)
        .unwrap()
        .wait_timeout(Duration::from_secs(10))
        .expect("a page");
    match watch.outcome {
        Outcome::Events {
            events, more, next, ..
        } => (events.iter().map(|e| e.id).collect(), more, next),
        other => panic!("events page: {other:?}"),
    }
}

/// Every message's text on PostgreSQL (stored as bytes), oldest first.
pub const PG_MESSAGE_TEXTS: &str = "SELECT convert_from(text, 'UTF8') FROM messages ORDER BY id";

/// What the search `q` should find among `sent`, newest first: the
/// specification both backends' search is held to.
pub fn expected(sent: &[(MessageId, String)], q: &str) -> Vec<MessageId> {
    let query = SearchQuery::parse(q).unwrap();
    let mut ids: Vec<MessageId> = sent
        .iter()
        .filter(|(_, text)| query.matches(text))
        .map(|&(id, _)| id)
        .collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids
}

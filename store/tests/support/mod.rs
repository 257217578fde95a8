//! Helpers shared by the store's tests and benchmark: a stand-in for the chat
//! rules that appends each `Send` to the public chat, so the writer can be
//! exercised without `rules::apply`.
#![allow(dead_code)]

use agora_core::command::{ChatRef, Command, Failure, Outcome};
use agora_core::time::UnixMillis;
use agora_core::token::Token;
use agora_core::token::TokenHash;
use agora_core::view::{StoreError, View, PUBLIC_CHAT};
use agora_store::{Handle, Pending, SqlView, StoreConfig};
use std::path::Path;
use std::time::Duration;

pub mod reference;

pub fn send(text: &str) -> Command {
    Command::Send {
        caller: TokenHash([7; 32]),
        to: ChatRef::Public,
        text: text.to_string(),
    }
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
            let id = view.create_user("writer", &TokenHash([7; 32]), "127.0.0.1", now)?;
            view.join(PUBLIC_CHAT, id, 0)?;
            id
        }
    };
    let message_id = view.append_message(PUBLIC_CHAT, author, text, now)?;
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
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap()
}

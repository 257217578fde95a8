//! The `agora` client's integration tests against a real server: one test
//! binary, one module per file, so the test build links once rather than once
//! per file. Run one file's tests with
//! `cargo test -p agora --test integration -- chat::`.

mod support;

mod chat;
mod commands;
mod edits;
mod login;
mod sessions;
// (issue 27)
mod rooms;
mod search;
mod watch;

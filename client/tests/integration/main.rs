//! The `agora` client's integration tests against a real server, one binary
//! (linking one test binary per file cost more than compiling them on a small
//! machine): one module per file, run one with
//! `cargo test -p agora --test integration -- chat::`.

mod support;

mod chat;
mod commands;
mod login;
mod watch;

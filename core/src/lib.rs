//! agora's sans-IO core.
//!
//! Bytes come in through [`http::Conn`], requests become [`command::Command`]s in
//! [`api`], [`rules::apply`] decides over a [`view::View`], and the
//! [`command::Outcome`] goes back out as response bytes. [`session::Session`]
//! is one connection's application state over them: it pipelines requests,
//! asks the adapter to submit commands, and holds long-polls and event
//! streams. Nothing here reads the clock, the RNG, a socket or a file: time
//! and token bytes are passed in.
//!
//! Test code lives elsewhere: the in-memory [`view::View`] (the oracle the
//! stores are checked against) and the fuzz targets' checking harnesses are
//! in the `agora-testkit` crate, built only for tests and `fuzz/`; everything
//! they use here is public API.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod api;
pub mod client_addr;
pub mod command;
pub mod config;
pub mod error_code;
pub mod events;
pub mod http;
pub mod idempotency;
pub mod json_size;
pub mod reactions;
pub mod records;
pub mod rules;
pub mod server_secret;
pub mod session;
pub mod time;
pub mod token;
pub mod view;
// (issue 27) search
pub mod search;

//! The `agora-server` binary's integration tests, one test binary: one
//! module per file, run one with
//! `cargo test -p agora-server --test integration -- built_binary::`.

mod built_binary;
mod help_matches_readme;

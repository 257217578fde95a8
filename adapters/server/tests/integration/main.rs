//! The `agora-server` binary's integration tests: one test binary, one module
//! per file, so the test build links once rather than once per file. Run one
//! file's tests with `cargo test -p agora-server --test integration -- built_binary::`.

mod built_binary;
mod help_matches_readme;

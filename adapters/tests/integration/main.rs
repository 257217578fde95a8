//! The adapters' integration tests: one test binary, one module per file, so
//! the test build links once rather than once per file. Run one file's tests
//! with `cargo test -p agora-adapters --test integration -- session::`.
//! `panic_containment` installs the binary's one tracing subscriber; the
//! other modules' servers log into its buffer too, which it allows.

mod panic_containment;
mod queue_full;
mod session;

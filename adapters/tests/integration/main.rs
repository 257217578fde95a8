//! The adapters' integration tests, one binary (linking one test binary per
//! file cost more than compiling them on a small machine): one module per
//! file, run one with `cargo test -p agora-adapters --test integration -- session::`.
//! `panic_containment` installs the binary's one tracing subscriber; the
//! other modules' servers log into its buffer too, which it allows.

mod panic_containment;
mod queue_full;
mod session;

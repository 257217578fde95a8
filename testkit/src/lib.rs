//! agora's test support, kept out of the production crates: nothing here is
//! compiled into `agora-server` or the client.
//!
//! - [`model`]: the rules' [`View`](agora_core::view::View) in memory, the
//!   oracle the SQL stores are checked against (core/tests, store/tests) and
//!   the state behind the command fuzz targets.
//! - [`http_fuzzing`] and [`rules_fuzzing`]: the checking harnesses of the
//!   fuzz targets (`fuzz/`, each target a one-liner into one of them), which
//!   core's tests also replay on stable over the saved corpora. Each harness
//!   panics when the machine or the rules break a promise.
//!
//! Everything here goes through agora-core's public API only.
#![forbid(unsafe_code)]

pub mod http_fuzzing;
pub mod model;
pub mod rules_fuzzing;

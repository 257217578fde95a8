//! core's integration tests: one test binary, one module per file, so the
//! test build links once rather than once per file. Run one file's tests with
//! `cargo test -p agora-core --test integration -- http_server::`.
//! Property tests keep their failures in `../proptest-regressions/<module>.txt`
//! (proptest's place for a binary whose folder holds a `main.rs`).

mod rules_support;
mod session_support;
mod support;

mod api_decode;
mod api_encode;
mod http_client;
mod http_fuzz_replay;
mod http_hostile_extra;
mod http_partial_request;
mod http_pipelining;
mod http_precheck;
mod http_props;
mod http_server;
mod http_vectors;
mod openapi;
mod rules_abuse;
mod rules_ban_prop;
mod rules_codes;
mod rules_events_prop;
mod rules_fuzz_replay;
mod rules_fuzz_smoke;
mod rules_history;
mod rules_model;
mod rules_quota_prop;
mod rules_unread_prop;
mod session_live;
mod session_pipeline;

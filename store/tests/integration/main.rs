//! store's integration tests: one test binary, one module per file, so the
//! test build links once rather than once per file. Run one file's tests with
//! `cargo test -p agora-store --test integration -- writer::`.
//! `fd_limit` is not here: it lowers the process's open-file limit, so it
//! has its own binary (`tests/fd_limit.rs`).

// Shared with fd_limit and the store_send benchmark, so it stays beside them.
#[path = "../support/mod.rs"]
mod support;

mod checkpoints;
mod clock;
mod crash;
mod database_files;
mod device_use;
mod event_readers;
mod handle;
mod health;
mod hub_ring;
mod idempotency;
mod migrate_to_pg;
mod model_vs_postgres;
mod model_vs_sqlite;
mod pg_event_readers;
mod pg_lock_wait;
mod pg_nodes;
mod pg_room_round_trips;
mod pg_round_trips;
mod pg_search;
mod pg_send_references;
mod pg_status_memo;
mod reaction_users;
mod read_path;
mod read_shutdown;
mod reader_rows;
mod room_events;
mod row_cache;
mod sql_view;
mod sqlite_search;
mod writer;

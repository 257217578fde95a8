//! End-to-end tests: the real `agora-server` binary on 127.0.0.1, one fresh
//! temporary database per server, every scenario run on every runtime and
//! both stores (`<scenario>::{tokio,smol,blocking}` on SQLite,
//! `<scenario>::{tokio_pg,smol_pg,blocking_pg}` on PostgreSQL, which needs
//! `$AGORA_TEST_PG`: see `tests/pg/cluster.sh`). The multi-node scenarios
//! (`nodes::`) run three nodes, one per runtime, on one PostgreSQL database.

#[macro_use]
mod harness;

mod abuse;
mod accounts;
mod api;
mod client;
mod comments;
mod compression;
mod connections;
mod database_files;
mod edits;
mod events;
mod external;
mod history;
mod idempotency;
mod lifecycle;
mod load;
mod log_file;
mod migrate;
mod nodes;
mod open_files;
mod operations;
mod own_cluster;
mod pg_tls;
mod pg_url;
mod pipelining;
mod readme;
mod request_logs;
mod ring_memory;
mod rooms;
mod rules;
// (issue 27)
mod search;
// (issues 25 and 27)
mod search_rooms;
mod secrets;
mod server_secret;
mod slow_clients;
mod split_writes;
mod sse;
mod startup;
mod steps;
mod store_faults;
mod transport;
mod unread_pages;
mod vectors;
mod web;

//! The PostgreSQL backend: several agora nodes on one database.
//!
//! The shape is the SQLite backend's (one writer thread per node with group
//! commit, reader threads for reads, the live-delivery hub), with what
//! several writers need on top:
//!
//! - Each batch is one transaction that first takes the transaction-level
//!   advisory lock [`WRITE_LOCK`]: the batches of every node commit one at
//!   a time, each reading what the ones before it committed. So the rules
//!   (unique names, quotas, bans, read positions) are exact across nodes,
//!   and every id a sequence hands out (messages, comments, events) is
//!   above every id already committed: a snapshot always holds a prefix of
//!   the ids, and no node can see id N+1 while a transaction holding N is
//!   still open.
//! - Nothing is cached across transactions: no row cache, no status memo
//!   (another node may have changed any row). Within one, the batch's
//!   commands run over the batch overlay (`crate::overlay`,
//!   [`batch_rows`]): one statement loads what they name, one writes what
//!   they changed; with `BEGIN` and `COMMIT`, four round trips a batch
//!   while the lock is held, whatever its size. Ids are numbered as the
//!   sequences would (the load reads them, the flush moves them on).
//! - Each node feeds its hub from the `events` table only, in id order
//!   ([`feed`]): when a `NOTIFY` arrives (every node's commits, its own
//!   included, or every [`feed::POLL`] without one), and before a reader
//!   pages events, so a cursor handed out by any node is valid on every
//!   node.
//! - A `COMMIT` whose answer is lost is looked up, not guessed
//!   ([`lost_commit`]).
//! - A transaction whose client goes quiet (a node frozen or cut off while
//!   it holds the lock) is ended by the server after 5 s (`connection`).
//!
//! The client is the synchronous `postgres` crate: the store already runs on
//! threads of its own (a writer, readers, a listener), each owning one
//! connection, so an async client would only add a runtime to drive it.

pub(crate) mod batch_rows;
pub(crate) mod connection;
pub(crate) mod feed;
mod idempotency_keys;
pub mod import;
mod import_tables;
pub(crate) mod lost_commit;
pub(crate) mod open;
pub(crate) mod reading;
pub(crate) mod schema;
mod tls;
pub mod url;
pub(crate) mod view;
pub(crate) mod writer;

/// The transaction-level advisory lock every write batch takes first
/// ("agora" in ASCII).
pub(crate) const WRITE_LOCK: i64 = 0x0061_676f_7261;
/// The session-level advisory lock migrations run under.
pub(crate) const MIGRATION_LOCK: i64 = WRITE_LOCK + 1;
/// The channel committing nodes notify and every node listens on.
pub(crate) const CHANNEL: &str = "agora_events";

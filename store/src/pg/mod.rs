//! The PostgreSQL wing: several agora nodes on one database.
//!
//! The engine is the SQLite wing's (`crate::engine`: one writer thread per
//! node with group commit, a reader pool, the live-delivery hub); this wing
//! gives it the connections (`start`, `connection`), the writer's steps
//! (`wing`), the rules' view (`view`, `idempotency_keys`), the readers'
//! source (`reading`) and its part of the hub's feed (`feed`: the `events`
//! read and `LISTEN`; the rest is `crate::live`'s), with what several writers
//! need on top:
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
//!   (`crate::live`'s feed over [`feed`]): when a `NOTIFY` arrives (every
//!   node's commits, its own included, or every second without one), and
//!   before a reader
//!   pages events, so a cursor handed out by any node is valid on every
//!   node.
//! - A `COMMIT` whose answer is lost is looked up, not guessed
//!   ([`lost_commit`]).
//! - A transaction whose client goes quiet (a node frozen or cut off while
//!   it holds the lock) is ended by the server after 5 s (`connection`).
//!
//! ## The write lock, and what holding it for less would take
//!
//! Today a batch holds [`WRITE_LOCK`] from `BEGIN` to `COMMIT`: every read
//! the rules make and every write they do happen under it, so a batch's
//! round trips are all paid with the lock held, and the nodes' batches run
//! one after another. Holding it only while ids are numbered (the events,
//! messages and comments a batch inserts, just before `COMMIT`) would need:
//!
//! - the rules' checks that read what another node may be writing (unique
//!   names, quotas and bans, read positions, private chats, reports) to
//!   hold without it: row locks (`SELECT .. FOR UPDATE` on the users and
//!   chats a batch names) or `SERIALIZABLE` with the batch run again on a
//!   serialization failure, which the engine's retry already allows;
//! - ids taken under the lock at the end (the inserts deferred until then,
//!   as the batch overlay's flush does), so that a snapshot still holds a
//!   prefix of the event ids and the feed's catch-up stays gapless;
//! - the lost-`COMMIT` lookup unchanged (it waits on the lock only to know
//!   the broken transaction has ended).
//!
//! With the overlay (a batch loaded in one round trip, flushed in one), the
//! hold is a few round trips, which is why it has not been split yet.
//!
//! Measured (issue 23, BENCHMARKS.md "two nodes: where the second node's
//! time goes"): on two nodes each batch waits for the other's whole
//! transaction (`agora_store_write_lock_wait_seconds`), and the hold is
//! the load (0.5-0.9 ms), the flush (1.6-2.3 ms for 32-43 sends) and the
//! `COMMIT` (0.6-4 ms: the WAL's fsync, as fast as the disk is that
//! minute). Then (BENCHMARKS.md "Issue 23: a shorter hold") the load and
//! the flush became statements of only the parts a batch uses
//! (`composed`), the foreign-key checks of the send path went (migration
//! 13) and the vocabulary's counts moved into Rust: the writer's backend
//! went from ~73 to ~45 µs of CPU a send, the flush from ~2.1 to ~1.2 ms of
//! execution for ~50 sends, and a two-node hold from ~4-5 to ~2.3 ms for
//! ~32 sends. What stays fixed in every hold is the round trips, the two
//! statements' start (~0.1-0.2 ms each) and the fsync of `COMMIT`
//! (0.6-0.9 ms). A second node pays that fixed part once more per 64
//! sends, so it (the fsync its largest piece) now sets the ratio of two
//! nodes to one: 0.85-0.92 on calm minutes of the shared 2 cores.
//!
//! Splitting the lock as above would take only the load and the
//! rules out of it: the flush numbers ids, and the `COMMIT` must stay
//! under the lock, because PostgreSQL makes a transaction visible only
//! after its fsync (`synchronous_commit = on`), and a commit that became
//! visible after a later-numbered one would break the prefix. And
//! batches that name the same rows (every send of one user: its quota
//! window, the chat's counters) are ordered by those rows anyway. Taking
//! the fsync out too means `synchronous_commit = off` with a wait for the
//! WAL flush before the replies: a `201` still means durable and what
//! another node builds on a batch is behind it in the WAL, but readers and
//! the feed would see a batch before it is durable (after a crash of
//! PostgreSQL a delivered event could vanish and its id be handed out
//! again). Tried as an experiment, it did not reliably reach 0.9x either
//! on the shared 2 cores, so the lock is held for the batch.
//!
//! The client is the synchronous `postgres` crate: the store already runs on
//! threads of its own (a writer, readers, a listener), each owning one
//! connection, so an async client would only add a runtime to drive it.

mod accounts;
mod batch_rows;
mod composed;
pub(crate) mod connection;
mod edits;
mod feed;
mod flush_sql;
mod idempotency_keys;
mod load_sql;
pub(crate) mod lost_commit;
mod reading;
pub(crate) mod schema;
// (issue 27)
pub(crate) mod search;
mod start;
mod tls;
pub mod url;
mod view;
mod wing;

pub(crate) use start::start;
/// For the tests that run one case on both wings' views (`crate::membership`).
#[cfg(test)]
pub(crate) use view::{test_fixture, PgView};

/// The transaction-level advisory lock every write batch takes first
/// ("agora" in ASCII).
pub(crate) const WRITE_LOCK: i64 = 0x0061_676f_7261;
/// The session-level advisory lock migrations run under.
pub(crate) const MIGRATION_LOCK: i64 = WRITE_LOCK + 1;
/// The channel committing nodes notify and every node listens on.
pub(crate) const CHANNEL: &str = "agora_events";

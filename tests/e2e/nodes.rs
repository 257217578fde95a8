//! Several agora nodes on one PostgreSQL database (issue 17's multi-node
//! scenarios): three nodes, one per runtime, each scenario on a fresh
//! database of `$AGORA_TEST_PG`'s cluster (the last one on a cluster of its
//! own, which it stops and starts). Plain tests, not [`per_runtime!`]: every
//! scenario already runs the three runtimes side by side.
//!
//! - [`rules`]: the public quota and the ban threshold hold across nodes.
//! - [`delivery`]: events reach a client on another node, and a client
//!   moving its stream to another node loses nothing.
//! - [`failures`]: a node killed under load, a node frozen holding the write
//!   lock, PostgreSQL restarted under load.

mod accounts;
mod delivery;
mod failures;
mod rooms;
mod rooms_across;
mod rules;

use crate::harness::{request_bytes, Client, Reply, Runtime, Server};
use crate::steps::head;
use agora_tests::pg::{self, PgDatabase};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One node per runtime, in this order.
const RUNTIMES: [Runtime; 3] = [Runtime::Tokio, Runtime::Smol, Runtime::Blocking];

/// A quota no scenario reaches, for those that are not about the quota.
const NO_QUOTA: [&str; 2] = ["--quota", "1000000"];

/// Three agora nodes, one per runtime, sharing one database.
struct Nodes {
    /// `None` once killed. Declared first: dropped (the nodes killed)
    /// before the database is.
    servers: Vec<Option<Server>>,
    _db: Option<PgDatabase>,
}

impl Nodes {
    /// Three nodes on a fresh database of the test cluster; `None` (after
    /// saying loudly that the calling test is skipped) under
    /// `AGORA_SKIP_PG=1`.
    fn start(extra: &[&str]) -> Option<Nodes> {
        let Some(db) = PgDatabase::fresh() else {
            pg::skipped(&pg::this_test());
            return None;
        };
        let mut nodes = Nodes::on_url(db.url(), extra);
        nodes._db = Some(db);
        Some(nodes)
    }

    /// Three nodes on the database `url` names.
    fn on_url(url: &str, extra: &[&str]) -> Nodes {
        let servers = RUNTIMES
            .iter()
            .map(|&runtime| Some(Server::start_on_url(runtime, url, extra)))
            .collect();
        Nodes { servers, _db: None }
    }

    /// The database of [`start`](Nodes::start).
    fn db_url(&self) -> &str {
        self._db.as_ref().expect("a database of its own").url()
    }

    fn server(&self, node: usize) -> &Server {
        self.servers[node]
            .as_ref()
            .unwrap_or_else(|| panic!("node {node} was killed"))
    }

    fn addr(&self, node: usize) -> SocketAddr {
        self.server(node).addr
    }

    fn client(&self, node: usize) -> Client {
        self.server(node).client()
    }

    /// SIGKILLs `node` and waits (bounded) until it is gone.
    fn kill(&mut self, node: usize) {
        let server = self.servers[node].take().expect("a running node");
        let (status, _) = server.stop_with(libc::SIGKILL);
        assert!(!status.success(), "node {node} exits by SIGKILL: {status}");
    }
}

/// The bytes of a public `/send` of `text`.
fn send_bytes(token: &str, text: &str) -> Vec<u8> {
    request_bytes(
        "POST",
        "/send",
        Some(token),
        Some(&json!({ "message": text })),
    )
}

/// A public `/send` of `text`; `None` when the connection fails (its node is
/// gone) instead of answering.
fn try_send(c: &mut Client, token: &str, text: &str) -> Option<Reply> {
    c.stream_write(&send_bytes(token, text)).ok()?;
    c.try_read_reply()
}

/// Every event `token` may see since the start of the database, in order,
/// paged through `GET /events` on the node at `addr`.
fn all_events(addr: SocketAddr, token: &str) -> Vec<Value> {
    let mut c = Client::connect(addr);
    let mut events = Vec::new();
    let mut since = 0;
    loop {
        let page = c
            .get(&format!("/events?since={since}&timeout=0"), Some(token))
            .expect(200);
        let batch = page["events"].as_array().expect("events");
        if batch.is_empty() {
            return events;
        }
        events.extend(batch.iter().cloned());
        since = page["next"].as_i64().expect("a cursor");
    }
}

/// The whole public chat in id order, as message objects, read through
/// the events feed (`/connect` pages at most 100) on the node at `addr`.
fn public_messages(addr: SocketAddr, token: &str) -> Vec<Value> {
    all_events(addr, token)
        .into_iter()
        .filter(|e| e["type"] == "message" && e["chat"] == "public_chat")
        .map(|e| e["message"].clone())
        .collect()
}

/// One `/send` a [`Writer`] made.
struct Attempt {
    text: String,
    /// The reply; `None` when the connection failed instead (the writer
    /// stopped there).
    reply: Option<Reply>,
    /// When the reply (or the failure) came.
    at: Instant,
}

impl Attempt {
    /// The message id of a 201.
    fn accepted(&self) -> Option<i64> {
        let reply = self.reply.as_ref().filter(|r| r.status == 201)?;
        reply.json()["message_id"].as_i64()
    }
}

/// A thread sending public messages to one node as fast as it answers
/// (after `pause`) until told to stop or its connection fails.
struct Writer {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<Attempt>>,
}

impl Writer {
    /// Writes as `token` (whose texts start with `name`) to the node at `addr`.
    fn start(addr: SocketAddr, token: String, name: String, pause: Duration) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut c = Client::connect(addr);
            let mut attempts: Vec<Attempt> = Vec::new();
            while !stopped.load(Ordering::Relaxed) {
                let text = format!("{name}-{}", attempts.len());
                let reply = try_send(&mut c, &token, &text);
                let failed = reply.is_none();
                attempts.push(Attempt {
                    text,
                    reply,
                    at: Instant::now(),
                });
                if failed {
                    break;
                }
                std::thread::sleep(pause);
            }
            attempts
        });
        Writer { stop, thread }
    }

    fn finish(self) -> Vec<Attempt> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("writer thread")
    }
}

/// Asserts that every accepted send in `attempts` is in `chat` (message
/// objects) with its text, and that no message is there twice.
fn assert_all_accepted_are_in(attempts: &[Attempt], chat: &[Value]) {
    let ids: Vec<i64> = chat.iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "the chat is in id order, no message twice: {ids:?}"
    );
    let texts: HashMap<i64, &Value> = ids
        .iter()
        .zip(chat)
        .map(|(&id, m)| (id, &m["message_text"]))
        .collect();
    let mut accepted = 0;
    for attempt in attempts {
        if let Some(id) = attempt.accepted() {
            accepted += 1;
            assert_eq!(
                texts.get(&id).copied(),
                Some(&json!(attempt.text)),
                "acknowledged message {id} ({}) is in the chat",
                attempt.text
            );
        }
    }
    eprintln!(
        "{accepted} acknowledged sends, all in the chat of {} messages",
        chat.len()
    );
}

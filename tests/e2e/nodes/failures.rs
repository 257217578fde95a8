//! Failures under load: a node killed with SIGKILL, PostgreSQL restarted.
//! Either way nothing acknowledged is lost; during PostgreSQL's outage the
//! nodes answer 503 `store_unavailable` and they recover by themselves.

use super::{
    assert_all_accepted_are_in, head, public_messages, try_send, Attempt, Nodes, Writer, NO_QUOTA,
    RUNTIMES,
};
use crate::harness::{Reply, IO_TIMEOUT};
use crate::own_cluster::OwnCluster;
use crate::steps::{send_public, tokens};
use agora_tests::pg;
use std::time::{Duration, Instant};

/// Writer threads per node.
const WRITERS_PER_NODE: usize = 2;

/// Starts [`WRITERS_PER_NODE`] writers on every node, each as a user of its
/// own (`w<node>.<i>`), pausing `pause` between sends.
fn start_writers(nodes: &Nodes, pause: Duration) -> Vec<(usize, Writer)> {
    let mut c = nodes.client(0);
    let mut writers = Vec::new();
    for node in 0..RUNTIMES.len() {
        for i in 0..WRITERS_PER_NODE {
            let name = format!("w{node}.{i}");
            let token = c.token(&name);
            writers.push((node, Writer::start(nodes.addr(node), token, name, pause)));
        }
    }
    writers
}

#[test]
fn a_node_killed_under_load_loses_no_acknowledged_write() {
    let Some(mut nodes) = Nodes::start(&NO_QUOTA) else {
        return;
    };
    let reader = nodes.client(1).token("reader");
    let writers = start_writers(&nodes, Duration::ZERO);
    std::thread::sleep(Duration::from_secs(1));
    let killed = 0;
    nodes.kill(killed);
    std::thread::sleep(Duration::from_secs(1));

    let mut attempts: Vec<Attempt> = Vec::new();
    for (node, writer) in writers {
        let mine = writer.finish();
        let accepted = mine.iter().filter(|a| a.accepted().is_some()).count();
        assert!(accepted > 0, "node {node}'s writer had sends accepted");
        let refused: Vec<&Reply> = mine
            .iter()
            .filter_map(|a| a.reply.as_ref())
            .filter(|r| r.status != 201)
            .collect();
        assert!(refused.is_empty(), "node {node} refused sends: {refused:?}");
        if node != killed {
            assert!(mine.iter().all(|a| a.reply.is_some()), "node {node} lives");
        }
        attempts.extend(mine);
    }
    // Through both survivors: the same whole chat, every 201 in it.
    let chat = public_messages(nodes.addr(1), &reader);
    assert_all_accepted_are_in(&attempts, &chat);
    assert_eq!(public_messages(nodes.addr(2), &reader), chat);
}

/// Asserts a 503 `store_unavailable` with `Retry-After`.
fn assert_unavailable(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status,
        503,
        "{what}: {:?}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.json()["code"], "store_unavailable", "{what}");
    assert!(reply.header("retry-after").is_some(), "{what}: Retry-After");
}

/// Calls `ask` every 50 ms until `done` holds for its reply (that reply,
/// and when it came) or `bound` passes (`None`).
fn poll_until(
    mut ask: impl FnMut() -> Reply,
    done: impl Fn(&Reply) -> bool,
    bound: Duration,
) -> Option<(Reply, Instant)> {
    let deadline = Instant::now() + bound;
    loop {
        let reply = ask();
        if done(&reply) {
            return Some((reply, Instant::now()));
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A send on node 0 reaches long-polls on node 2 (among the writers'
/// messages): the nodes' hubs are fed from the database again.
fn assert_live_delivery_works(nodes: &Nodes, reader: &str, sender: &str) {
    let mut waiter = nodes.client(2);
    let mut since = head(&mut waiter, reader);
    let id = send_public(&mut nodes.client(0), sender, "live again");
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        let page = waiter
            .get(&format!("/events?since={since}&timeout=1"), Some(reader))
            .expect(200);
        let events = page["events"].as_array().expect("events");
        if events.iter().any(|e| e["message"]["id"] == id) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "message {id} did not reach node 2"
        );
        since = page["next"].as_i64().expect("a cursor");
    }
}

/// Reads checked on each node once it accepts sends again: more than its
/// reader threads (2 by default).
const READS_AFTER_RECOVERY: usize = 6;

/// How long the nodes may take to work again after PostgreSQL is back.
const RECOVERY_BOUND: Duration = Duration::from_secs(20);

#[test]
fn postgres_restarted_under_load_answers_503_then_recovers() {
    if pg::cluster_url().is_none() {
        return pg::skipped(
            "nodes::failures::postgres_restarted_under_load_answers_503_then_recovers",
        );
    }
    let cluster = OwnCluster::start();
    // Dropped before `cluster`: the nodes go first.
    let nodes = Nodes::on_url(&cluster.url, &NO_QUOTA);
    let mut c = nodes.client(0);
    let [reader, prober] = tokens(&mut c, ["reader", "prober"]);
    let writers = start_writers(&nodes, Duration::from_millis(20));
    std::thread::sleep(Duration::from_secs(1));

    cluster.halt();
    let halted = Instant::now();
    let mut probes: Vec<Attempt> = Vec::new();
    for node in 0..RUNTIMES.len() {
        let mut c = nodes.client(node);
        let health = c.get("/health", None);
        assert_unavailable(&health, &format!("/health on node {node}"));
        assert_eq!(health.json()["status"], "unavailable");
        let text = format!("during the outage {node}");
        let reply = try_send(&mut c, &prober, &text).expect("an answer");
        assert_unavailable(&reply, &format!("a send on node {node}"));
        probes.push(Attempt {
            text,
            reply: Some(reply),
            at: Instant::now(),
        });
    }
    // The outage lasts a while under the writers' load.
    std::thread::sleep(Duration::from_secs(2));
    cluster.resume();
    let resumed = Instant::now();
    eprintln!("PostgreSQL down for {:?}", resumed - halted);

    for node in 0..RUNTIMES.len() {
        let mut c = nodes.client(node);
        let mut sent = 0;
        let accepted = poll_until(
            || {
                sent += 1;
                try_send(&mut c, &prober, &format!("after {node}.{sent}")).expect("an answer")
            },
            |reply| reply.status != 503,
            RECOVERY_BOUND,
        );
        let (reply, at) = accepted.unwrap_or_else(|| {
            panic!("node {node} still refuses sends {RECOVERY_BOUND:?} after PostgreSQL is back")
        });
        assert_eq!(
            reply.status,
            201,
            "{:?}",
            String::from_utf8_lossy(&reply.body)
        );
        eprintln!(
            "node {node} accepts sends {:?} after PostgreSQL is back",
            at - resumed
        );
        probes.push(Attempt {
            text: format!("after {node}.{sent}"),
            reply: Some(reply),
            at,
        });
        // The node works again: its reads too, on every reader thread (the
        // readers take jobs in turn, so a few reads in a row reach each).
        // A connection the outage broke must not fail a request made
        // after PostgreSQL is back.
        for read in 0..READS_AFTER_RECOVERY {
            let status = c.get("/status", Some(&reader));
            assert_eq!(
                status.status,
                200,
                "node {node}, read {read} after it accepted a send again: {:?}",
                String::from_utf8_lossy(&status.body)
            );
        }
        c.get("/health", None).expect(200);
    }
    assert_live_delivery_works(&nodes, &reader, &prober);
    std::thread::sleep(Duration::from_secs(1));

    let mut attempts = probes;
    for (node, writer) in writers {
        let mine = writer.finish();
        let mut unavailable = 0;
        for attempt in &mine {
            let reply = attempt
                .reply
                .as_ref()
                .unwrap_or_else(|| panic!("node {node} kept its connections: {}", attempt.text));
            if reply.status != 201 {
                assert_unavailable(reply, &format!("{} on node {node}", attempt.text));
                unavailable += 1;
            }
        }
        assert!(unavailable > 0, "node {node}'s writer met the outage");
        assert!(
            mine.iter()
                .any(|a| a.at > resumed && a.accepted().is_some()),
            "node {node}'s writer had sends accepted after the outage"
        );
        attempts.extend(mine);
    }
    let chat = public_messages(nodes.addr(0), &reader);
    assert_all_accepted_are_in(&attempts, &chat);
    // What was refused while PostgreSQL was down was not written either.
    assert!(
        chat.iter().all(|m| !m["message_text"]
            .as_str()
            .unwrap()
            .starts_with("during the outage")),
        "a send refused during the outage is in the chat"
    );
}

/// A node frozen (SIGSTOP: a paused VM, a stalled host) in the middle of a
/// batch holds the write lock that every node's batches need. PostgreSQL
/// ends a transaction whose client went quiet after a few seconds, so the
/// other nodes write again without waiting for it; once thawed, the frozen
/// node runs its batch again on a new connection, and no 201 is lost.
#[test]
fn a_frozen_node_does_not_stall_the_others() {
    let Some(nodes) = Nodes::start(&NO_QUOTA) else {
        return;
    };
    let url = nodes.db_url().to_owned();
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let mut c = nodes.client(1);
    let [reader, sender] = tokens(&mut c, ["reader", "sender"]);
    let frozen = 0;
    let writers: Vec<Writer> = (0..4)
        .map(|i| {
            let name = format!("f{i}");
            let token = c.token(&name);
            Writer::start(nodes.addr(frozen), token, name, Duration::ZERO)
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    // Freeze the node until it is caught holding the write lock.
    let mut caught = false;
    for _ in 0..50 {
        nodes.server(frozen).signal(libc::SIGSTOP);
        std::thread::sleep(Duration::from_millis(30));
        let holders: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted",
                &[],
            )
            .unwrap()
            .get(0);
        if holders > 0 {
            caught = true;
            break;
        }
        nodes.server(frozen).signal(libc::SIGCONT);
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        caught,
        "the frozen node was never caught holding the write lock"
    );
    let frozen_at = Instant::now();
    let mut other = nodes.client(2);
    let sent = try_send(&mut other, &sender, "while a node is frozen").expect("an answer");
    let waited = frozen_at.elapsed();
    eprintln!(
        "a send on another node answered {} after {waited:?}",
        sent.status
    );
    assert_eq!(
        sent.status,
        201,
        "{:?}",
        String::from_utf8_lossy(&sent.body)
    );
    assert!(waited < IO_TIMEOUT, "the other nodes went on ({waited:?})");
    nodes.server(frozen).signal(libc::SIGCONT);
    std::thread::sleep(Duration::from_millis(500));
    let mut attempts: Vec<Attempt> = Vec::new();
    for writer in writers {
        let mine = writer.finish();
        assert!(
            mine.iter().all(|a| a.reply.is_some()),
            "the thawed node answers"
        );
        attempts.extend(mine);
    }
    let after = try_send(&mut nodes.client(frozen), &sender, "after the thaw").expect("an answer");
    assert_eq!(
        after.status,
        201,
        "{:?}",
        String::from_utf8_lossy(&after.body)
    );
    let chat = public_messages(nodes.addr(1), &reader);
    assert_all_accepted_are_in(&attempts, &chat);
}

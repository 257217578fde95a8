//! Several stores ("nodes") on one PostgreSQL database: the rules stay exact
//! and event cursors stay valid on every node while all of them write.

use crate::support;

use agora_core::events::EventId;
use agora_core::token::TokenHash;
use agora_store::{Handle, PostgresUrl, StoreConfig};
use agora_tests::pg::PgDatabase;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{events_page, fresh_pg, pg_config, public_send, register};

const NODES: usize = 3;

fn nodes(database: &PgDatabase, quota: u32) -> Vec<Handle> {
    (0..NODES)
        .map(|_| {
            let mut config = pg_config(database);
            config.rules.quota = quota;
            Handle::open(config).expect("a node opens")
        })
        .collect()
}

#[test]
fn the_public_quota_is_exact_across_nodes() {
    let Some(database) = fresh_pg() else { return };
    let nodes = nodes(&database, 20);
    let ann = register(&nodes[0], "ann");
    // 60 sends at once, 20 per node, from one user.
    let pendings: Vec<_> = (0..60)
        .map(|i| {
            nodes[i % NODES]
                .submit(public_send(ann, &format!("m{i}")))
                .unwrap()
        })
        .collect();
    let sent = pendings
        .into_iter()
        .map(support::outcome)
        .filter(support::is_sent)
        .count();
    assert_eq!(sent, 20, "exactly the quota is accepted across nodes");
}

/// Clients that follow their cursor on a different node for every page, while
/// every node writes as fast as it can, see every event once, in order: no
/// node hands out a cursor past an event that another node commits later.
#[test]
fn cursors_followed_across_nodes_skip_nothing() {
    let Some(database) = fresh_pg() else { return };
    let nodes = Arc::new(nodes(&database, u32::MAX));
    let writers: Vec<TokenHash> = (0..NODES)
        .map(|i| register(&nodes[i], &format!("writer{i}")))
        .collect();
    let reader = register(&nodes[0], "reader");
    let done = Arc::new(AtomicBool::new(false));
    let sending: Vec<_> = writers
        .iter()
        .enumerate()
        .map(|(i, &writer)| {
            let nodes = nodes.clone();
            std::thread::spawn(move || {
                // Many small batches from each node, so that transactions
                // from different nodes interleave all the time.
                for round in 0..40 {
                    let pendings: Vec<_> = (0..5)
                        .map(|k| {
                            let text = format!("{i}-{round}-{k}");
                            nodes[i].submit(public_send(writer, &text)).unwrap()
                        })
                        .collect();
                    for pending in pendings {
                        assert!(support::is_sent(&support::outcome(pending)));
                    }
                }
            })
        })
        .collect();
    let following: Vec<_> = (0..NODES)
        .map(|start| {
            let nodes = nodes.clone();
            let done = done.clone();
            std::thread::spawn(move || {
                let (mut seen, mut since, mut turn) = (Vec::new(), 0, start);
                let deadline = Instant::now() + Duration::from_secs(60);
                loop {
                    let finished = done.load(Ordering::Acquire);
                    let (ids, _, next) = events_page(&nodes[turn % NODES], reader, since);
                    turn += 1;
                    seen.extend(ids);
                    since = next;
                    if finished && since >= 600 {
                        return seen;
                    }
                    assert!(Instant::now() < deadline, "followers did not reach the end");
                }
            })
        })
        .collect();
    for thread in sending {
        thread.join().unwrap();
    }
    done.store(true, Ordering::Release);
    let committed: Vec<EventId> =
        support::pg_column(database.url(), "SELECT id FROM events ORDER BY id");
    assert_eq!(committed.len(), 600);
    for follower in following {
        let seen = follower.join().unwrap();
        assert_eq!(seen, committed, "a follower's events, in order, once each");
    }
}

/// Event ids are handed out in commit order: while a transaction of one node
/// that recorded event N is still open, no other node commits N+1 (the write
/// lock holds them back), so no reader can see it.
#[test]
fn no_node_commits_past_an_open_transaction() {
    let Some(database) = fresh_pg() else { return };
    let nodes = nodes(&database, u32::MAX);
    let ann = register(&nodes[0], "ann");
    // Stand in for a node in the middle of a batch: the write lock taken,
    // an event id drawn from the sequence, not committed yet.
    let mut open = postgres::Client::connect(database.url(), postgres::NoTls).unwrap();
    let mut tx = open.transaction().unwrap();
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&0x0061_676f_7261_i64])
        .unwrap();
    let held: i64 = tx
        .query_one(
            "SELECT nextval(pg_get_serial_sequence('events', 'id'))",
            &[],
        )
        .unwrap()
        .get(0);
    let pending = nodes[1].submit(public_send(ann, "after")).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let (ids, _, next) = events_page(&nodes[2], ann, 0);
    assert!(
        ids.is_empty() && next < held,
        "nothing past the open transaction: {ids:?} next {next}"
    );
    tx.rollback().unwrap();
    let sent = support::outcome(pending);
    assert!(support::is_sent(&sent), "{sent:?}");
    let (ids, _, _) = events_page(&nodes[2], ann, 0);
    assert_eq!(ids.len(), 1);
    assert!(ids[0] > held, "the next event comes after the held id");
}

/// Nodes that start at the same moment on an empty database create the
/// schema once: the others wait for the migration lock, then find it done.
#[test]
fn nodes_started_together_migrate_once() {
    let Some(database) = fresh_pg() else { return };
    let url = database.url().to_owned();
    let starting: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let config = StoreConfig::postgres(url.parse::<PostgresUrl>().unwrap());
                Handle::open(config).expect("every node opens")
            })
        })
        .collect();
    let nodes: Vec<Handle> = starting.into_iter().map(|t| t.join().unwrap()).collect();
    let ann = register(&nodes[3], "ann");
    assert!(support::is_sent(&support::run(
        &nodes[0],
        public_send(ann, "hi")
    )));
    let versions: Vec<i64> = support::pg_column(&url, "SELECT version FROM agora_schema");
    // One row, whatever the number of migrations.
    assert_eq!(versions.len(), 1, "one version row: {versions:?}");
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let public: i64 = admin
        .query_one("SELECT count(*) FROM chats WHERE user_a IS NULL", &[])
        .unwrap()
        .get(0);
    assert_eq!(public, 1, "one public chat");
}

/// A `COMMIT` whose answer is lost (the connection breaks on its way) is
/// answered by what happened: 201 when the batch was committed (a 503 would
/// have the client post it again), and when it was not, the batch runs
/// again on a new connection. Each message is stored once.
#[test]
fn a_commit_whose_answer_is_lost_is_answered_by_what_happened() {
    let Some(pg) = support::losing_commits() else {
        return;
    };
    let (node, ann, faults) = (&pg.handle, pg.ann, &pg.faults);
    faults.lost_after_commit.store(1, Ordering::SeqCst);
    let sent = support::run(node, public_send(ann, "committed, answer lost"));
    assert!(support::is_sent(&sent), "{sent:?}");
    faults.lost_before_commit.store(1, Ordering::SeqCst);
    let sent = support::run(node, public_send(ann, "not committed, run again"));
    assert!(support::is_sent(&sent), "{sent:?}");
    assert_eq!(faults.lost_after_commit.load(Ordering::SeqCst), 0);
    assert_eq!(faults.lost_before_commit.load(Ordering::SeqCst), 0);
    let texts: Vec<String> = support::pg_column(pg.database.url(), support::PG_MESSAGE_TEXTS);
    assert_eq!(
        texts,
        ["committed, answer lost", "not committed, run again"]
    );
}

//! Durable sends per second through `Handle` and the real chat rules: 1, 8
//! and 64 submitters, each sending a public message and waiting for its
//! acknowledgement before the next (as HTTP clients do), with group commit and
//! with one commit per send, and with group commit and an `Idempotency-Key`
//! on every send (`group_commit_keyed`: what the key's lookup, pruning and
//! kept answer cost). `synchronous=FULL`, database on disk under the target
//! directory.

#[path = "../tests/support/mod.rs"]
mod support;

use agora_core::command::Outcome;
use agora_core::idempotency::Keyed;
use agora_core::token::TokenHash;
use agora_store::{Backend, Handle, StoreConfig, SyncMode};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const MAX_SUBMITTERS: usize = 64;

/// Every keyed send's key is new: none is replayed.
static NEXT_KEY: AtomicU64 = AtomicU64::new(0);

/// A store with `count` registered users.
fn open_with_users(config: StoreConfig, count: usize) -> (Handle, Vec<TokenHash>) {
    let handle = Handle::open(config).unwrap();
    let users = (0..count)
        .map(|k| support::register(&handle, &format!("user{k}")))
        .collect();
    (handle, users)
}

/// A durable store with one registered user per possible submitter.
fn open(dir: &tempfile::TempDir, batch_max: usize) -> (Handle, Vec<TokenHash>) {
    let mut config = support::unlimited_config(&dir.path().join("bench.db"));
    config.backend = Backend::Sqlite {
        path: dir.path().join("bench.db"),
        sync: SyncMode::Full,
    };
    config.batch_max = batch_max;
    open_with_users(config, MAX_SUBMITTERS)
}

/// `iters` sends split over `users.len()` threads, each with a fresh
/// idempotency key when `keyed`; the time until the last acknowledgement.
fn sends(handle: &Handle, users: &[TokenHash], iters: u64, keyed: bool) -> Duration {
    let submitters = users.len() as u64;
    let start = Instant::now();
    std::thread::scope(|s| {
        for (k, &caller) in users.iter().enumerate() {
            let count = iters / submitters + u64::from((k as u64) < iters % submitters);
            let handle = handle.clone();
            s.spawn(move || {
                for i in 0..count {
                    let command = support::public_send(caller, &format!("message {i} from {k}"));
                    let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed).to_string();
                    let key = Keyed {
                        seal: agora_core::server_secret::ServerSecret::default().seal_key(&key),
                        key,
                        fingerprint: [0; 32],
                    };
                    let pending = loop {
                        let submitted = if keyed {
                            handle.submit_keyed(command.clone(), key.clone())
                        } else {
                            handle.submit(command.clone())
                        };
                        match submitted {
                            Ok(pending) => break pending,
                            Err(_) => std::thread::yield_now(),
                        }
                    };
                    match pending.wait() {
                        Ok(Outcome::MessageSent { .. }) => {}
                        other => panic!("send failed: {other:?}"),
                    }
                }
            });
        }
    });
    start.elapsed()
}

fn store_send(c: &mut Criterion) {
    let tmp = env!("CARGO_TARGET_TMPDIR");
    for (group_name, batch_max, keyed) in [
        ("group_commit", 256, false),
        ("commit_per_send", 1, false),
        ("group_commit_keyed", 256, true),
    ] {
        let mut group = c.benchmark_group(group_name);
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4))
            .throughput(Throughput::Elements(1));
        for submitters in [1usize, 8, 64] {
            let dir = tempfile::tempdir_in(tmp).unwrap();
            let (handle, users) = open(&dir, batch_max);
            group.bench_with_input(
                BenchmarkId::new("submitters", submitters),
                &users[..submitters],
                |b, users| b.iter_custom(|iters| sends(&handle, users, iters, keyed)),
            );
            handle.shutdown();
        }
        group.finish();
    }
}

/// Opening (and closing) a database holding a million messages: start-up
/// must not grow with the data.
fn store_open(c: &mut Criterion) {
    const MESSAGES: i64 = 1_000_000;
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let path = dir.path().join("large.db");
    let config = support::config(&path);
    let (handle, users) = open_with_users(config.clone(), 2);
    let pending = handle
        .submit(support::public_send(users[0], "the first of many"))
        .unwrap();
    assert!(matches!(pending.wait(), Ok(Outcome::MessageSent { .. })));
    handle.shutdown();
    // Fill it directly: a million sends through the rules would take minutes.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < ?1)
         INSERT INTO messages (chat_id, author, pub_date, text)
         SELECT 1, 1, 1795939565000 + value, 'filler ' || value FROM n",
        [MESSAGES],
    )
    .unwrap();
    conn.execute(
        "UPDATE chats SET message_count = message_count + ?1,
                          last_message = (SELECT max(id) FROM messages) WHERE id = 1",
        [MESSAGES],
    )
    .unwrap();
    drop(conn);
    c.benchmark_group("open")
        .sample_size(10)
        .bench_function("million_messages", |b| {
            b.iter(|| Handle::open(config.clone()).unwrap().shutdown())
        });
}

criterion_group!(benches, store_send, store_open);
criterion_main!(benches);

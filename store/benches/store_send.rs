//! Durable sends per second through `Handle`: 1, 8 and 64 submitters, each
//! submitting one send and waiting for its acknowledgement before the next
//! (as HTTP clients do), with group commit and with one commit per send.
//! `synchronous=FULL`, database on disk under the target directory.

#[path = "../tests/support/mod.rs"]
mod support;

use agora_core::command::Outcome;
use agora_store::{Handle, StoreConfig, SyncMode};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::{Duration, Instant};

fn open(dir: &tempfile::TempDir, batch_max: usize) -> Handle {
    let config = StoreConfig {
        sync: SyncMode::Full,
        batch_max,
        ..support::config(&dir.path().join("bench.db"))
    };
    Handle::open_with(config, support::append).unwrap()
}

/// `iters` sends split over `submitters` threads; the time until the last
/// acknowledgement.
fn sends(handle: &Handle, submitters: u64, iters: u64) -> Duration {
    let start = Instant::now();
    std::thread::scope(|s| {
        for k in 0..submitters {
            let count = iters / submitters + u64::from(k < iters % submitters);
            let handle = handle.clone();
            s.spawn(move || {
                for i in 0..count {
                    let pending = loop {
                        match handle.submit(support::send(&format!("bench {k} {i}"))) {
                            Ok(pending) => break pending,
                            Err(_) => std::thread::yield_now(),
                        }
                    };
                    match pending.recv() {
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
    for (group_name, batch_max) in [("group_commit", 256), ("commit_per_send", 1)] {
        let mut group = c.benchmark_group(group_name);
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4))
            .throughput(Throughput::Elements(1));
        for submitters in [1u64, 8, 64] {
            let dir = tempfile::tempdir_in(tmp).unwrap();
            let handle = open(&dir, batch_max);
            group.bench_with_input(
                BenchmarkId::new("submitters", submitters),
                &submitters,
                |b, &n| b.iter_custom(|iters| sends(&handle, n, iters)),
            );
            handle.shutdown();
        }
        group.finish();
    }
}

criterion_group!(benches, store_send);
criterion_main!(benches);

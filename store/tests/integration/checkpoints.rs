//! The WAL is checkpointed beside the writer, and rewound often enough to stay
//! bounded under a stream of writes that never pauses.

use crate::support;

use agora_core::command::Outcome;
use agora_store::Handle;
use std::time::Duration;
use support::{append, config, integrity, send, stored_texts};

/// 16 MiB of WAL pages (4,000 of 4 KiB, with their frame headers) is where the
/// writer rewinds; allow one more batch's worth.
const WAL_BOUND: u64 = 17 * 1024 * 1024;

#[test]
fn the_wal_stays_bounded_under_sustained_writes() {
    let (_dir, path) = support::temp_database();
    let handle = Handle::open_with(config(&path), append).unwrap();
    let wal = path.with_extension("db-wal");
    // Each send is its own commit of a few pages: about 36 MiB of WAL frames
    // in all, more than twice the bound.
    let text = "x".repeat(3000);
    let mut largest_wal = 0;
    for i in 0..3000 {
        let pending = handle.submit(send(&format!("{i} {text}"))).unwrap();
        let outcome = pending.wait_timeout(Duration::from_secs(10)).unwrap();
        assert!(
            matches!(outcome, Outcome::MessageSent { .. }),
            "{outcome:?}"
        );
        largest_wal = largest_wal.max(std::fs::metadata(&wal).unwrap().len());
    }
    assert!(
        largest_wal <= WAL_BOUND,
        "the WAL grew to {largest_wal} bytes"
    );
    // The messages reached the database file itself, not only the WAL.
    let database = std::fs::metadata(&path).unwrap().len();
    assert!(
        database > 3000 * 3000 / 2,
        "database file: {database} bytes"
    );
    handle.shutdown();
    assert!(!wal.exists(), "closed cleanly");
    assert_eq!(stored_texts(&path).len(), 3000);
    assert_eq!(integrity(&path), "ok");
}

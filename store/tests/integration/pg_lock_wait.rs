//! The PostgreSQL writer tells its observer how long each batch waited to
//! begin (`agora_store_write_lock_wait_seconds`): with two nodes this is
//! how long a node's batch waits for the other's transaction under the
//! write lock, which `bench/pg.sh` prints beside the batch's whole time.

use crate::support;

use std::time::Duration;
use support::{fresh_pg, pg_config, public_send, register, Recorder};

/// The write lock every node's batch takes (`pg::WRITE_LOCK`: "agora" in
/// ASCII), as another node's transaction would hold it.
const WRITE_LOCK: i64 = 0x0061_676f_7261;

#[test]
fn a_batch_reports_how_long_it_waited_for_the_write_lock() {
    let Some(database) = fresh_pg() else { return };
    let (handle, recorder) = Recorder::open(pg_config(&database));
    let alice = register(&handle, "alice");
    let reported = recorder.lock_waits().len();
    assert!(
        reported >= 1,
        "registering alice was a batch: its wait is told"
    );

    // Another node's transaction holds the lock while alice sends.
    let mut other = postgres::Client::connect(database.url(), postgres::NoTls).unwrap();
    let mut holding = other.transaction().unwrap();
    holding
        .execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
        .unwrap();
    let held = Duration::from_millis(400);
    let sender = {
        let handle = handle.clone();
        std::thread::spawn(move || support::run(&handle, public_send(alice, "after the lock")))
    };
    std::thread::sleep(held);
    holding.commit().unwrap();
    let outcome = sender.join().unwrap();
    assert!(support::is_sent(&outcome), "{outcome:?}");

    let waits = recorder.lock_waits();
    let waited: Duration = waits[reported..].iter().sum();
    // The send reached the writer while the lock was held, so its batch
    // waited for nearly all of it (the thread's start is the slack).
    assert!(
        waited >= held / 2,
        "the batch behind a held write lock reported waiting {waited:?} (held {held:?})"
    );
}

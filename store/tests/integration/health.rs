//! `Health` (GET /health) and the store's observer (the server's metrics):
//! a working store is available, one whose files were removed is not (once
//! the last good check is older than `HEALTH_FRESH`); queued jobs, batches,
//! commit times and status memo hits are reported.

use crate::support;

use agora_core::command::{Command, Outcome};
use agora_store::{Handle, HEALTH_FRESH};
use std::time::Duration;
use support::{config, is_sent, public_send, register, run, unlimited_config, Recorder};

const AVAILABLE: Outcome = Outcome::Health { available: true };
const UNAVAILABLE: Outcome = Outcome::Health { available: false };

#[test]
fn health_is_available_until_the_database_files_are_removed() {
    let (_dir, db) = support::temp_database();
    let handle = Handle::open(config(&db)).unwrap();
    // A fresh store has read nothing yet: the first check is a probe.
    assert_eq!(run(&handle, Command::Health), AVAILABLE);
    // Then it is answered from that probe, many times over.
    for _ in 0..100 {
        assert_eq!(run(&handle, Command::Health), AVAILABLE);
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut path = db.clone().into_os_string();
        path.push(suffix);
        std::fs::remove_file(path).unwrap();
    }
    std::thread::sleep(HEALTH_FRESH + Duration::from_millis(50));
    assert_eq!(run(&handle, Command::Health), UNAVAILABLE);
    handle.shutdown();
}

#[test]
fn a_failed_commit_makes_health_unavailable_at_once() {
    let (_dir, db) = support::temp_database();
    let handle = Handle::open(unlimited_config(&db)).unwrap();
    let alice = register(&handle, "alice");
    assert_eq!(run(&handle, Command::Health), AVAILABLE);
    std::fs::remove_file(&db).unwrap();
    // The writer finds the files gone before this commit, and says so.
    assert!(!is_sent(&run(&handle, public_send(alice, "lost"))));
    assert_eq!(run(&handle, Command::Health), UNAVAILABLE);
    handle.shutdown();
}

#[test]
fn health_after_shutdown_is_unavailable_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let handle = Handle::open(config(&dir.path().join("agora.db"))).unwrap();
    handle.shutdown();
    std::thread::sleep(HEALTH_FRESH + Duration::from_millis(50));
    assert_eq!(run(&handle, Command::Health), UNAVAILABLE);
}

#[test]
fn the_observer_hears_of_queued_jobs_batches_and_memo_hits() {
    let dir = tempfile::tempdir().unwrap();
    let (handle, heard) = Recorder::open(unlimited_config(&dir.path().join("agora.db")));
    let alice = register(&handle, "alice");
    assert!(is_sent(&run(&handle, public_send(alice, "hi"))));
    assert!(matches!(
        run(&handle, Command::Status { caller: alice }),
        Outcome::Status(_)
    ));
    assert!(matches!(
        run(&handle, Command::Status { caller: alice }),
        Outcome::Status(_)
    ));
    handle.shutdown();
    // The registration and the send went to the writer, one batch each.
    assert_eq!(heard.queued(), 2);
    let batches = heard.batches();
    assert_eq!(batches.len(), 2, "{batches:?}");
    assert!(batches
        .iter()
        .all(|(jobs, commit)| *jobs == 1 && commit.is_some()));
    // The first status is read, the second replayed from the memo.
    assert_eq!(heard.memo(), [false, true]);
}

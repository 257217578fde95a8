//! The reader threads end with the store: on `shutdown`, after answering what
//! was queued for them, and when the last handle is dropped. Alone in its
//! binary, so the threads it counts are its own.

use crate::support;

use agora_core::command::{Command, Outcome};
use agora_store::{Backend, Handle, SyncMode, WaitError};
use std::time::Duration;
use support::{config, register};

/// Threads of this process named like the store's reader threads.
fn reader_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with("agora-reader"))
        .count()
}

/// Threads name themselves once running and leave /proc a moment after they
/// end: wait (boundedly) for the count.
fn wait_for_reader_threads(count: usize) {
    for _ in 0..1000 {
        if reader_threads() == count {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(reader_threads(), count);
}

#[test]
fn reader_threads_answer_what_is_queued_then_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = config(&dir.path().join("agora.db"));
    store.backend = Backend::Sqlite {
        path: dir.path().join("agora.db"),
        sync: SyncMode::Normal,
    };
    store.readers = 2;
    let handle = Handle::open(store.clone()).unwrap();
    wait_for_reader_threads(2);
    let users: Vec<_> = (0..40)
        .map(|i| register(&handle, &format!("user{i}")))
        .collect();
    // None of them has a memo yet: every one is a read for the threads (or,
    // past their queue, for the writer).
    let pending: Vec<_> = users
        .iter()
        .map(|&caller| handle.submit(Command::Status { caller }).unwrap())
        .collect();
    handle.shutdown();
    // Joined; the kernel may list an exited thread for a moment after the join.
    wait_for_reader_threads(0);
    for answer in pending {
        let outcome = answer.wait_timeout(Duration::from_secs(10)).unwrap();
        assert!(matches!(outcome, Outcome::Status(_)), "{outcome:?}");
    }
    // Shut down: nothing is read any more, and shutting down again is a no-op.
    let late = handle.submit(Command::Status { caller: users[0] }).unwrap();
    assert!(matches!(
        late.wait_timeout(Duration::from_secs(10)),
        Err(WaitError::Gone(_))
    ));
    handle.shutdown();

    // Dropping every handle ends them too.
    let handle = Handle::open(store).unwrap();
    let other = handle.clone();
    wait_for_reader_threads(2);
    let caller = register(&handle, "late");
    let answer = other.submit(Command::Status { caller }).unwrap();
    drop(handle);
    drop(other);
    wait_for_reader_threads(0);
    assert!(matches!(
        answer.wait_timeout(Duration::from_secs(10)).unwrap(),
        Outcome::Status(_)
    ));
}

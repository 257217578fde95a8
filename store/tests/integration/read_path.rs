//! The read path of `Handle::open`: `Status` runs beside the writer over
//! read-only connections, with its reads memoized until the next commit. It
//! must answer exactly what the rules answer over the committed database, and
//! never less than a write already acknowledged.

use crate::support;

use agora_core::command::{ChatRef, ChatType, Command, Failure, Outcome};
use agora_core::rules;
use agora_store::{Handle, SqlView, StoreConfig};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::{config, private_send, public_send, register, register_all, run};

/// `Status` computed by the rules over a fresh connection to the database.
fn direct_status(path: &Path, store: &StoreConfig, command: &Command) -> Outcome {
    let conn = rusqlite::Connection::open(path).unwrap();
    let now = agora_core::time::UnixMillis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    );
    rules::apply(command, &mut SqlView::new(&conn), now, &store.rules).unwrap()
}

/// Asks `command` twice (the second answer may come from a memo): each answer
/// is what the rules compute over the database.
fn assert_answers_as_the_database(
    handle: &Handle,
    path: &Path,
    store: &StoreConfig,
    command: &Command,
) {
    for _ in 0..2 {
        assert_eq!(
            run(handle, command.clone()),
            direct_status(path, store, command)
        );
    }
}

#[test]
fn status_matches_the_database_after_every_write() {
    let (_dir, path) = support::temp_database();
    let store = config(&path);
    let handle = Handle::open(store.clone()).unwrap();
    let [alice, bob, carol] = register_all(&handle, ["alice", "bob", "carol"]);
    let writes = [
        public_send(alice, "one"),
        private_send(alice, "bob", "psst"),
        public_send(bob, "two"),
        Command::Connect {
            caller: bob,
            chat: ChatRef::Public,
            messages_number: 5,
        },
        Command::Report {
            caller: bob,
            target: "alice".into(),
            chat_type: ChatType::Public,
        },
        private_send(carol, "alice", "hi"),
        public_send(carol, "three"),
    ];
    for write in writes {
        let outcome = run(&handle, write.clone());
        assert!(
            !matches!(outcome, Outcome::Failed(_)),
            "{write:?}: {outcome:?}"
        );
        for caller in [alice, bob, carol] {
            let status = Command::Status { caller };
            // The first read fills the memo, the second replays it.
            for _ in 0..2 {
                let served = run(&handle, status.clone());
                assert!(matches!(served, Outcome::Status(_)), "{served:?}");
                assert_eq!(
                    served,
                    direct_status(&path, &store, &status),
                    "after {write:?}"
                );
            }
        }
    }
    let stranger = Command::Status {
        caller: agora_core::token::TokenHash([1; 32]),
    };
    assert_answers_as_the_database(&handle, &path, &store, &stranger);
}

/// Read-your-writes: once a send is acknowledged, `Status` counts it, however
/// the reads and the writer's batches interleave.
#[test]
fn status_never_lags_an_acknowledged_send() {
    let (_dir, path) = support::temp_database();
    let mut store = config(&path);
    store.rules.quota = u32::MAX;
    let handle = Handle::open(store).unwrap();
    let [alice, bob] = register_all(&handle, ["alice", "bob"]);
    // Bob polls and sends all along, so batches and memo refills interleave.
    let noise = {
        let handle = handle.clone();
        std::thread::spawn(move || {
            for i in 0..200 {
                run(&handle, Command::Status { caller: bob });
                if i % 3 == 0 {
                    run(&handle, public_send(bob, "noise"));
                }
            }
        })
    };
    let public_count = |handle: &Handle| match run(handle, Command::Status { caller: alice }) {
        Outcome::Status(report) => report.chats[0].messages_number,
        other => panic!("{other:?}"),
    };
    let mut last = 0;
    for _ in 0..100 {
        let before = public_count(&handle);
        assert!(before >= last);
        assert!(matches!(
            run(&handle, public_send(alice, "mine")),
            Outcome::MessageSent { .. }
        ));
        last = public_count(&handle);
        assert!(
            last > before,
            "a status after a 201 shows {last}, before {before}"
        );
    }
    noise.join().unwrap();
}

/// Counts the error events logged on the thread it is installed on.
struct ErrorsHere(Arc<AtomicUsize>);

impl tracing::Subscriber for ErrorsHere {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if *event.metadata().level() == tracing::Level::ERROR {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// SQLite can wait (on the disk, on a lock); the thread that submits a
/// `Status` is an event loop, so it must not be the one reading. Seen here by
/// a read that fails (the table it reads is gone, renamed by another
/// connection): it is answered, but its error is not logged on the submitting
/// thread, which it would be if the read ran there. The reader reopens its
/// connection for the next read.
#[test]
fn a_memo_miss_is_read_off_the_callers_thread() {
    let (_dir, path) = support::temp_database();
    let store = config(&path);
    let handle = Handle::open(store.clone()).unwrap();
    let alice = register(&handle, "alice");
    let status = Command::Status { caller: alice };
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute_batch("ALTER TABLE users RENAME TO users_away")
        .unwrap();
    let errors = Arc::new(AtomicUsize::new(0));
    // Nothing was read since alice registered: a miss, which needs the file.
    let pending = tracing::subscriber::with_default(ErrorsHere(errors.clone()), || {
        handle.submit(status.clone()).unwrap()
    });
    assert_eq!(
        pending.wait_timeout(Duration::from_secs(10)).unwrap(),
        Outcome::Failed(Failure::StoreUnavailable)
    );
    assert_eq!(
        errors.load(Ordering::SeqCst),
        0,
        "the read failed on the submitting thread"
    );
    other
        .execute_batch("ALTER TABLE users_away RENAME TO users")
        .unwrap();
    drop(other);
    assert_answers_as_the_database(&handle, &path, &store, &status);
}

/// With no reader threads every `Status` goes through the writer, and
/// answers what the read path answers.
#[test]
fn status_without_reader_threads_answers_the_same() {
    let (_dir, path) = support::temp_database();
    let mut store = config(&path);
    store.readers = 0;
    let handle = Handle::open(store.clone()).unwrap();
    let [alice, bob] = register_all(&handle, ["alice", "bob"]);
    let writes = [
        public_send(alice, "one"),
        private_send(bob, "alice", "hi"),
        Command::Report {
            caller: alice,
            target: "bob".into(),
            chat_type: ChatType::Private,
        },
    ];
    for write in writes {
        assert!(
            !matches!(run(&handle, write.clone()), Outcome::Failed(_)),
            "{write:?}"
        );
        for caller in [alice, bob] {
            let status = Command::Status { caller };
            assert_answers_as_the_database(&handle, &path, &store, &status);
        }
    }
}

/// `Connect` reads its page on the read path and hands only the move of the
/// read position to the writer. While another user keeps sending, a reader
/// that connects again and again is handed every message exactly once, in
/// order: a page read from an older snapshot never moves the position past
/// what it returned.
#[test]
fn connect_pages_skip_nothing_sent_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = support::unlimited_config(&dir.path().join("agora.db"));
    store.rules.unread_max = 7;
    let handle = Handle::open(store).unwrap();
    let [sender, reader] = register_all(&handle, ["sender", "reader"]);
    const SENT: usize = 300;
    let sending = {
        let handle = handle.clone();
        std::thread::spawn(move || {
            (0..SENT)
                .map(
                    |i| match run(&handle, public_send(sender, &format!("m{i}"))) {
                        Outcome::MessageSent { message_id, .. } => message_id,
                        other => panic!("send {i}: {other:?}"),
                    },
                )
                .collect::<Vec<_>>()
        })
    };
    let connect = Command::Connect {
        caller: reader,
        chat: ChatRef::Public,
        messages_number: 1,
    };
    let mut received = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while received.len() < SENT {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} received",
            received.len()
        );
        let Outcome::Connected {
            unread_messages, ..
        } = run(&handle, connect.clone())
        else {
            panic!("connect failed");
        };
        received.extend(unread_messages.iter().map(|m| m.id));
    }
    let sent = sending.join().unwrap();
    assert_eq!(received, sent, "every message once, in order");
    let Outcome::Status(status) = run(&handle, Command::Status { caller: reader }) else {
        panic!("status failed");
    };
    assert_eq!(status.chats[0].unread, 0);
    handle.shutdown();
}

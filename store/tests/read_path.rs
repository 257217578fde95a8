//! The read path of `Handle::open`: `Status` runs beside the writer over
//! read-only connections, with its reads memoized until the next commit. It
//! must answer exactly what the rules answer over the committed database, and
//! never less than a write already acknowledged.

mod support;

use agora_core::command::{ChatRef, ChatType, Command, Outcome};
use agora_core::rules;
use agora_store::{Handle, SqlView, StoreConfig};
use std::path::Path;
use std::time::Duration;
use support::{config, public_send, register};

fn run(handle: &Handle, command: Command) -> Outcome {
    handle
        .submit(command)
        .unwrap()
        .recv_timeout(Duration::from_secs(10))
        .unwrap()
}

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

#[test]
fn status_matches_the_database_after_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agora.db");
    let store = config(&path);
    let handle = Handle::open(store.clone()).unwrap();
    let alice = register(&handle, "alice");
    let bob = register(&handle, "bob");
    let carol = register(&handle, "carol");
    let writes = [
        public_send(alice, "one"),
        Command::Send {
            caller: alice,
            to: ChatRef::Private("bob".into()),
            text: "psst".into(),
        },
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
        Command::Send {
            caller: carol,
            to: ChatRef::Private("alice".into()),
            text: "hi".into(),
        },
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
    for _ in 0..2 {
        assert_eq!(
            run(&handle, stranger.clone()),
            direct_status(&path, &store, &stranger)
        );
    }
}

/// Read-your-writes: once a send is acknowledged, `Status` counts it, however
/// the reads and the writer's batches interleave.
#[test]
fn status_never_lags_an_acknowledged_send() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agora.db");
    let mut store = config(&path);
    store.rules.quota = u32::MAX;
    let handle = Handle::open(store).unwrap();
    let alice = register(&handle, "alice");
    let bob = register(&handle, "bob");
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

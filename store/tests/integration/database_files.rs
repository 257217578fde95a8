//! The database's files: after `shutdown` the database file alone holds every
//! acknowledged write; writes into a database whose files were removed or
//! replaced under the store are refused; the files are private to their
//! owner; an error opening them names the path once and says what to do.

use crate::support;

use agora_core::command::{Command, Failure, Outcome};
use agora_store::{open_database, Handle};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use support::{
    config, is_sent, outcome, public_send, register, run, stored_texts, unlimited_config,
};

const UNAVAILABLE: Outcome = Outcome::Failed(Failure::StoreUnavailable);

/// `db` with `suffix` appended (`-wal`, `-shm`).
fn sibling(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// Reads and writes from several threads, then `shutdown` while the reader
/// threads are still busy: no `-wal` or `-shm` is left, and a copy of the
/// database file alone has every acknowledged message. (The readers must close
/// their connections before the writer closes the last one, which removes the
/// WAL: that was a race, so the test runs a few rounds.)
#[test]
fn after_shutdown_the_database_file_alone_holds_every_write() {
    for round in 0..10 {
        let (_dir, path) = support::temp_database();
        let handle = Handle::open(unlimited_config(&path)).unwrap();
        let acknowledged: Vec<String> = std::thread::scope(|scope| {
            let writers: Vec<_> = (0..4)
                .map(|w| {
                    let handle = &handle;
                    scope.spawn(move || {
                        let caller = register(handle, &format!("writer{w}"));
                        let mut texts = Vec::new();
                        for i in 0..25 {
                            let text = format!("{w}-{i}");
                            assert!(is_sent(&run(handle, public_send(caller, &text))));
                            texts.push(text);
                            let status = run(handle, Command::Status { caller });
                            assert!(matches!(status, Outcome::Status(_)), "{status:?}");
                        }
                        texts
                    })
                })
                .collect();
            writers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        // A commit makes every memo stale: each of these is a read.
        let caller = register(&handle, "last");
        let reads: Vec<_> = (0..100)
            .map(|_| handle.submit(Command::Status { caller }).unwrap())
            .collect();
        handle.shutdown();
        for read in reads {
            assert!(matches!(outcome(read), Outcome::Status(_)));
        }
        for suffix in ["-wal", "-shm"] {
            let left = sibling(&path, suffix);
            assert!(!left.exists(), "round {round}: {} left", left.display());
        }
        let (_copy, backup) = support::temp_database();
        std::fs::copy(&path, &backup).unwrap();
        let mut stored = stored_texts(&backup);
        let mut expected = acknowledged;
        stored.sort();
        expected.sort();
        assert_eq!(stored, expected, "round {round}");
    }
}

/// The database, its WAL and its shared-memory file are removed while the
/// store runs: writes are refused with `store_unavailable` (SQLite would go on
/// committing into the unlinked files, lost at the next start), reads go on.
/// Put back (the same files), writes resume.
#[test]
fn writes_into_removed_database_files_are_refused() {
    let (dir, path) = support::temp_database();
    let handle = Handle::open(config(&path)).unwrap();
    let alice = register(&handle, "alice");
    assert!(is_sent(&run(&handle, public_send(alice, "before"))));

    // Moved aside rather than deleted, so that they can come back.
    let aside = tempfile::tempdir_in(dir.path()).unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let name = format!("agora.db{suffix}");
        std::fs::rename(dir.path().join(&name), aside.path().join(&name)).unwrap();
    }
    assert_eq!(
        run(&handle, public_send(alice, "into nothing")),
        UNAVAILABLE
    );
    let newcomer = Command::GetToken {
        user_name: "newcomer".into(),
        token: agora_core::token::Token([9; 16]),
        client: std::net::Ipv4Addr::LOCALHOST.into(),
    };
    assert_eq!(run(&handle, newcomer.clone()), UNAVAILABLE);
    let status = run(&handle, Command::Status { caller: alice });
    assert!(matches!(status, Outcome::Status(_)), "{status:?}");
    assert!(!path.exists(), "nothing was created at the path meanwhile");

    for suffix in ["", "-wal", "-shm"] {
        let name = format!("agora.db{suffix}");
        std::fs::rename(aside.path().join(&name), dir.path().join(&name)).unwrap();
    }
    assert!(is_sent(&run(&handle, public_send(alice, "after"))));
    handle.shutdown();
    assert_eq!(stored_texts(&path), ["before", "after"]);
}

/// Another database put in place of the open one (a restore from a backup
/// while the server runs, say): the open one is not the one at the path any
/// more, so writes are refused rather than lost with it.
#[test]
fn writes_into_a_replaced_database_are_refused() {
    let (dir, path) = support::temp_database();
    let other = dir.path().join("other.db");
    drop(open_database(&config(&other)).unwrap());
    let handle = Handle::open(config(&path)).unwrap();
    let alice = register(&handle, "alice");
    std::fs::rename(&other, &path).unwrap();
    assert_eq!(run(&handle, public_send(alice, "lost?")), UNAVAILABLE);
    assert_eq!(run(&handle, public_send(alice, "again")), UNAVAILABLE);
}

/// The database holds private messages: it, its WAL and its shared-memory
/// file are readable and writable by their owner only, whatever the umask
/// lets through.
#[test]
fn the_database_files_are_private() {
    // SAFETY: umask(2) only sets the process's file-creation mask. 022, the
    // usual one, lets group and others read new files: the store must not.
    unsafe { libc::umask(0o022) };
    let (_dir, path) = support::temp_database();
    let handle = Handle::open(config(&path)).unwrap();
    let alice = register(&handle, "alice");
    assert!(is_sent(&run(&handle, public_send(alice, "secret"))));
    for suffix in ["", "-wal", "-shm"] {
        let file = sibling(&path, suffix);
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} is {mode:o}", file.display());
    }
    handle.shutdown();
}

/// The error names the path once and says what to check.
#[test]
fn an_unopenable_database_is_named_once_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_database = dir.path().join("notes.txt");
    std::fs::write(&not_a_database, "x".repeat(4096)).unwrap();
    let cases = [
        (
            dir.path().join("missing/agora.db"),
            "check that its folder exists",
        ),
        (not_a_database, "check that it is an agora database"),
    ];
    for (path, advice) in cases {
        let message = open_database(&config(&path)).unwrap_err().to_string();
        let named = path.to_str().unwrap();
        assert_eq!(message.matches(named).count(), 1, "{message}");
        assert!(message.contains(advice), "{message}");
        assert!(message.contains("--db"), "{message}");
    }
}

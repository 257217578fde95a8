//! The database's files: they are private to their owner; an error opening
//! them names the path once and says what to do.

mod support;

use agora_store::{open_database, Handle};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use support::{config, is_sent, public_send, register, run};

/// `db` with `suffix` appended (`-wal`, `-shm`).
fn sibling(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// The database holds private messages: it, its WAL and its shared-memory
/// file are readable and writable by their owner only, whatever the umask
/// lets through.
#[test]
fn the_database_files_are_private() {
    // SAFETY: umask(2) only sets the process's file-creation mask. 022, the
    // usual one, lets group and others read new files: the store must not.
    unsafe { libc::umask(0o022) };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agora.db");
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

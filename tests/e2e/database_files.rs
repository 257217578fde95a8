//! The database's files on disk: after a clean stop `agora.db` alone holds
//! every acknowledged write; while the server runs, a database whose files
//! were removed is refused rather than written; the files are private to the
//! server's user.

use crate::harness::{Client, Runtime, Server};
use crate::load::send_under_load;
use crate::steps::{send_public, temp_db};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

// All about SQLite's files: they have no PostgreSQL counterpart.
per_runtime_sqlite!(
    a_clean_stop_leaves_everything_in_the_database_file,
    writes_into_removed_database_files_are_refused,
    the_database_files_are_private,
);

/// The database file's suffixes: the file itself, its WAL and its
/// shared-memory file.
const DATABASE_FILES: [&str; 3] = ["", "-wal", "-shm"];

/// A server on a fresh SQLite file after alice's first message (`text`), so
/// that all three [`DATABASE_FILES`] exist; the temporary directory, the
/// database's path, the server, a client and alice's token.
fn serving_one_message(rt: Runtime, text: &str) -> (TempDir, PathBuf, Server, Client, String) {
    let (dir, db) = temp_db();
    let server = Server::start_on(rt, &db, &[]);
    let mut c = server.client();
    let alice = c.token("alice");
    send_public(&mut c, &alice, text);
    (dir, db, server, c, alice)
}

/// `db` with `suffix` appended (`-wal`, `-shm`).
pub fn sibling(db: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// SIGTERM under load, exit 0: no `-wal` or `-shm` is left, and a copy of the
/// `.db` file alone (as a backup would take it) holds every acknowledged
/// message.
fn a_clean_stop_leaves_everything_in_the_database_file(rt: Runtime) {
    let (_dir, db) = temp_db();
    let server = Server::start_on(rt, &db, &["--quota", "100000"]);
    let writers = send_under_load(&server, 4, Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(500));
    let (status, _) = server.stop_with(libc::SIGTERM);
    assert!(status.success(), "exit status {status}");
    let load: Vec<String> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert!(!load.is_empty(), "nothing was acknowledged before the stop");
    for suffix in ["-wal", "-shm"] {
        let left = sibling(&db, suffix);
        assert!(!left.exists(), "{} left after a clean stop", left.display());
    }

    let copy = tempfile::tempdir().unwrap();
    let backup = copy.path().join("backup.db");
    std::fs::copy(&db, &backup).unwrap();
    let conn = rusqlite::Connection::open(&backup).unwrap();
    let stored: std::collections::HashSet<String> = conn
        .prepare("SELECT text FROM messages")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let missing: Vec<_> = load.iter().filter(|t| !stored.contains(*t)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged messages are not in the .db file: {missing:?}",
        missing.len(),
        load.len()
    );
}

/// The database files are removed under the running server: writes get 503
/// `store_unavailable` with `Retry-After` (never a 201 that a restart would
/// lose), logged once as an error naming the path; reads go on.
fn writes_into_removed_database_files_are_refused(rt: Runtime) {
    let (_dir, db, server, mut c, alice) = serving_one_message(rt, "kept");
    for suffix in DATABASE_FILES {
        std::fs::remove_file(sibling(&db, suffix)).unwrap();
    }
    for i in 0..3 {
        let reply = c.post(
            "/send",
            Some(&alice),
            json!({ "message": format!("lost {i}") }),
        );
        reply.expect_error(503, "store_unavailable");
        assert!(reply.header("retry-after").is_some(), "{reply:?}");
    }
    c.post("/get-token", None, json!({"user_name": "bob"}))
        .expect_error(503, "store_unavailable");
    let status = c.get("/status", Some(&alice)).expect(200);
    assert_eq!(status["connected_as"], "alice");
    let log = server.log_text();
    let alarms: Vec<_> = log
        .lines()
        .filter(|line| line.contains("removed or replaced"))
        .collect();
    assert_eq!(alarms.len(), 1, "logged once per episode:\n{log}");
    assert!(alarms[0].contains("ERROR"), "{}", alarms[0]);
    assert!(alarms[0].contains(db.to_str().unwrap()), "{}", alarms[0]);
    drop(c);
    server.stop();
}

/// The database, its WAL and its shared-memory file are the server user's
/// alone (0600), even under the usual umask of 022.
fn the_database_files_are_private(rt: Runtime) {
    // SAFETY: umask(2) only sets the file-creation mask, which the server
    // inherits; 022 is the usual one (group and others may read new files).
    unsafe { libc::umask(0o022) };
    let (_dir, db, server, c, _alice) = serving_one_message(rt, "private");
    for suffix in DATABASE_FILES {
        let file = sibling(&db, suffix);
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} is {mode:o}", file.display());
    }
    drop(c);
    server.stop();
}

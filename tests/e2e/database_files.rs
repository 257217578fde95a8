//! The database's files on disk: they are private to the server's user, and
//! an error opening them names the path once and says what to do.

use crate::harness::{server_binary, Runtime, Server};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

per_runtime!(the_database_files_are_private,);

/// `db` with `suffix` appended (`-wal`, `-shm`).
fn sibling(db: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// The database, its WAL and its shared-memory file are the server user's
/// alone (0600), even under the usual umask of 022.
fn the_database_files_are_private(rt: Runtime) {
    // SAFETY: umask(2) only sets the file-creation mask, which the server
    // inherits; 022 is the usual one (group and others may read new files).
    unsafe { libc::umask(0o022) };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("agora.db");
    let server = Server::start_on(rt, &db, &[]);
    let mut c = server.client();
    let alice = c.token("alice");
    c.post("/send", Some(&alice), json!({"message": "private"}))
        .expect(201);
    for suffix in ["", "-wal", "-shm"] {
        let file = sibling(&db, suffix);
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} is {mode:o}", file.display());
    }
    drop(c);
    server.stop();
}

/// A database that cannot be opened: the error names the path once and says
/// what to do.
#[test]
fn an_unopenable_database_is_named_once_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("missing-folder").join("agora.db");
    let out = std::process::Command::new(server_binary())
        .args(["--port", "0", "--db"])
        .arg(&db)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run agora-server");
    assert!(!out.status.success());
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(log.matches(db.to_str().unwrap()).count(), 1, "{log}");
    assert!(log.contains("check that its folder exists"), "{log}");
}

//! The database's files on disk: after a clean stop `agora.db` alone holds
//! every acknowledged write; while the server runs, a database whose files
//! were removed is refused rather than written; the files are private to the
//! server's user.

use crate::harness::{request_bytes, server_binary, Client, Runtime, Server};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

per_runtime!(
    a_clean_stop_leaves_everything_in_the_database_file,
    writes_into_removed_database_files_are_refused,
    the_database_files_are_private,
);

/// `db` with `suffix` appended (`-wal`, `-shm`).
fn sibling(db: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// Starts `writers` threads that send public messages (each followed by a
/// `/status`, which keeps the reader threads busy too) for at most `run`; each
/// returns the texts acknowledged with 201. A thread stops at its first
/// failure (the server may be stopping).
fn send_under_load(
    server: &Server,
    writers: usize,
    run: Duration,
) -> Vec<std::thread::JoinHandle<Vec<String>>> {
    let mut c = server.client();
    (0..writers)
        .map(|i| {
            let token = c.token(&format!("writer{i}"));
            let addr = server.addr;
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                let mut client = Client::connect(addr);
                let started = Instant::now();
                while started.elapsed() < run {
                    let text = format!("w{i}-{}", acknowledged.len());
                    let send = request_bytes(
                        "POST",
                        "/send",
                        Some(&token),
                        Some(&json!({ "message": text })),
                    );
                    let status = request_bytes("GET", "/status", Some(&token), None);
                    if client.stream_write(&send).is_err() {
                        break;
                    }
                    match client.try_read_reply() {
                        Some(reply) if reply.status == 201 => acknowledged.push(text),
                        _ => break,
                    }
                    if client.stream_write(&status).is_err() || client.try_read_reply().is_none() {
                        break;
                    }
                }
                acknowledged
            })
        })
        .collect()
}

/// SIGTERM under load, exit 0: no `-wal` or `-shm` is left, and a copy of the
/// `.db` file alone (as a backup would take it) holds every acknowledged
/// message.
fn a_clean_stop_leaves_everything_in_the_database_file(rt: Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("agora.db");
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
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("agora.db");
    let server = Server::start_on(rt, &db, &[]);
    let mut c = server.client();
    let alice = c.token("alice");
    c.post("/send", Some(&alice), json!({"message": "kept"}))
        .expect(201);
    for suffix in ["", "-wal", "-shm"] {
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

//! Store faults: while the database cannot be written, writes get 503
//! `store_unavailable` (never a success), and the server recovers by itself
//! once the fault goes away; every acknowledged write survives a restart.
//!
//! The fault: the test lowers the running server's `RLIMIT_FSIZE` to 0 with
//! prlimit(2), so every write to the database or its WAL fails with EFBIG, as
//! on a full disk. (`chmod` of the directory would not do: the suite may run as
//! root, which ignores permissions.) The server ignores SIGXFSZ for this.

use crate::harness::{Client, Runtime, Server};
use crate::log_file::FileLoggedServer;
use crate::steps::{chat_texts, connect_to, temp_db, tokens};
use serde_json::json;
use std::time::{Duration, Instant};

// The fault is in the server's own file writes, which PostgreSQL does not
// make; PostgreSQL going away is the multi-node scenarios' part.
per_runtime_sqlite!(unwritable_database_answers_503_then_recovers);

/// Sets the soft file-size limit of process `pid`; returns the previous limits.
pub(crate) fn set_file_size_limit(pid: i32, soft: libc::rlim_t) -> libc::rlimit {
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: prlimit(2) with valid pointers; reading the old limits only.
    let rc = unsafe { libc::prlimit(pid, libc::RLIMIT_FSIZE, std::ptr::null(), &mut old) };
    assert_eq!(rc, 0, "prlimit read: {}", std::io::Error::last_os_error());
    let new = libc::rlimit {
        rlim_cur: soft,
        rlim_max: old.rlim_max,
    };
    // SAFETY: as above, setting the soft limit at or below the hard one.
    let rc = unsafe { libc::prlimit(pid, libc::RLIMIT_FSIZE, &new, std::ptr::null_mut()) };
    assert_eq!(rc, 0, "prlimit set: {}", std::io::Error::last_os_error());
    old
}

fn send(c: &mut Client, token: &str, text: &str) -> crate::harness::Reply {
    c.post(
        "/send",
        Some(token),
        json!({"message": text, "send_to": "reader"}),
    )
}

fn unwritable_database_answers_503_then_recovers(rt: Runtime) {
    let (_dir, db) = temp_db();
    let server = Server::start_on(rt, &db, &[]);
    let mut c = server.client();
    let [token, reader] = tokens(&mut c, ["writer", "reader"]);
    let mut acknowledged = Vec::new();
    let mut refused = Vec::new();
    for i in 0..3 {
        let text = format!("before {i}");
        send(&mut c, &token, &text).expect(201);
        acknowledged.push(text);
    }

    let old = set_file_size_limit(server.pid(), 0);
    for i in 0..5 {
        let text = format!("during {i}");
        let reply = send(&mut c, &token, &text);
        let body = reply.expect_error(503, "store_unavailable");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{body}"
        );
        assert!(reply.header("retry-after").is_some());
        refused.push(text);
    }
    c.post("/get-token", None, json!({"user_name": "newcomer"}))
        .expect_error(503, "store_unavailable");
    // Reads may or may not work meanwhile; the server must answer them.
    let status = c.get("/status", Some(&token)).status;
    assert!(status == 200 || status == 503, "{status}");

    // The fault goes away: the very next writes succeed again.
    set_file_size_limit(server.pid(), old.rlim_cur);
    let lifted = Instant::now();
    for i in 0..3 {
        let text = format!("after {i}");
        send(&mut c, &token, &text).expect(201);
        acknowledged.push(text);
    }
    assert!(lifted.elapsed() < Duration::from_secs(5));
    c.post("/get-token", None, json!({"user_name": "newcomer"}))
        .expect(200);
    assert!(
        server.log_text().contains("store_unavailable"),
        "the fault is logged:\n{}",
        server.log_text()
    );
    drop(c);
    server.stop();

    // After a restart: exactly the acknowledged messages, in order.
    let server = Server::start_on(rt, &db, &[]);
    let mut c = server.client();
    let chat = connect_to(&mut c, &reader, "writer", 100);
    let stored = chat_texts(&chat);
    assert_eq!(stored, acknowledged, "refused: {refused:?}");
}

/// The same fault with the server's log in a file on the faulted disk: the log
/// lines are lost meanwhile, but the server stays up and recovers (a failed log
/// write used to panic the thread that logged, and the panic hook's own log
/// line then aborted the process).
#[test]
fn unwritable_log_file_does_not_stop_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = FileLoggedServer::start(
        Runtime::Tokio,
        &dir.path().join("agora.db"),
        &dir.path().join("server.log"),
        &[],
    );
    let mut c = Client::connect(server.addr);
    let token = c.token("writer");
    c.token("reader");
    let old = set_file_size_limit(server.pid(), 0);
    for i in 0..3 {
        send(&mut c, &token, &format!("during {i}")).expect_error(503, "store_unavailable");
    }
    set_file_size_limit(server.pid(), old.rlim_cur);
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server died"
    );
    send(&mut c, &token, "after").expect(201);
    let messages = c.post("/connect", Some(&token), json!({"chat_with": "reader"}));
    assert_eq!(messages.expect(200)["messages"][0]["message_text"], "after");
    server.stop();
}

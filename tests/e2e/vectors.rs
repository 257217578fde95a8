//! The HTTP robustness vectors against the real server, on every runtime:
//! the repository's own (`tests/data/http-vectors.jsonl`) with the runner
//! written here (`vectors/runner.rs`), so that a fresh clone tests itself;
//! and the shared set beside the repository with its own Python runner.

mod runner;
mod wire;

use crate::harness::{workspace_root, Runtime, Server};
use agora_tests::vectors::{self, Vector};
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

per_runtime!(http_vectors, shared_vectors);

/// Connections at once: each vector has its own, and most of a vector's
/// time is waiting (pauses of its delivery, the wait for a close).
const PARALLEL: usize = 8;

fn http_vectors(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let token = server.client().token("vectors");
    let all = vectors::load(&vectors::vector_file());
    assert!(all.len() >= 70, "only {} vectors", all.len());
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL {
            scope.spawn(|| {
                while let Some(v) = all.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let run = runner::run(v, server.addr, &token);
                    let reasons = runner::judge(v, &run);
                    if !reasons.is_empty() {
                        let line = failure(v, &reasons, &runner::describe(&run));
                        failures.lock().unwrap().push(line);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed on {}:\n{}",
        failures.len(),
        all.len(),
        rt.name(),
        failures.join("\n")
    );
}

fn failure(v: &Vector, reasons: &[String], got: &str) -> String {
    let note = v.expect.note.as_deref().unwrap_or("");
    format!(
        "{} ({}): {} <- got {got}\n    note: {note}",
        v.id,
        v.category,
        reasons.join("; ")
    )
}

/// Set to skip the shared vectors when they are not beside the repository.
const SKIP_SHARED: &str = "AGORA_SKIP_SHARED";

/// The shared folder: `$AGORA_SHARED_DIR`, else `../shared` beside the
/// workspace (where CI lays it out).
fn shared_dir() -> PathBuf {
    std::env::var_os("AGORA_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared"))
}

fn shared_vectors(rt: Runtime) {
    let runner = shared_dir().join("http-vectors/run_vectors.py");
    if !runner.exists() {
        let why = format!("no shared HTTP vectors at {}", runner.display());
        if std::env::var_os(SKIP_SHARED).is_some_and(|v| v == "1") {
            // Past the test harness's capture, so that the skip is seen.
            let _ = writeln!(
                std::io::stderr(),
                "\n*** SKIPPED shared_vectors::{}: {why} ({SKIP_SHARED}=1) ***\n",
                rt.name()
            );
            return;
        }
        panic!(
            "{why}: lay the shared folder beside the repository, point \
             AGORA_SHARED_DIR at it, or set {SKIP_SHARED}=1 to skip this test"
        );
    }
    let server = Server::start(rt, &[]);
    let out = Command::new("python3")
        .arg(&runner)
        .args([
            "--port",
            &server.addr.port().to_string(),
            "--close-wait",
            "0.5",
            "-v",
        ])
        .output()
        .expect("run python3 run_vectors.py (is python3 installed?)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "shared vectors failed on {}:\n{stdout}\n{}",
        rt.name(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

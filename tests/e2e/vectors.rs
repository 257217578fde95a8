//! The HTTP robustness vectors against the real server, on every runtime:
//! the repository's own (`tests/data/http-vectors.jsonl`: the shared set
//! and the project's own) with the runner written here (`vectors/runner.rs`),
//! and again with the shared set's Python runner, kept verbatim in
//! `tests/data/run_vectors.py`: a fresh clone tests itself, and neither ever
//! skips.

mod runner;
mod wire;

use crate::harness::{workspace_root, Runtime, Server};
use agora_tests::vectors::{self, Vector};
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

/// The shared runner, kept verbatim beside the vectors (as they are), so
/// that a fresh clone runs it without the shared folder.
fn shared_runner() -> PathBuf {
    workspace_root().join("tests/data/run_vectors.py")
}

/// The shared folder: `$AGORA_SHARED_DIR`, else `../shared` beside the
/// workspace (where CI lays it out).
fn shared_dir() -> PathBuf {
    std::env::var_os("AGORA_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared"))
}

/// When the shared folder is there: the repository's copies of its runner
/// and vectors must still be what it holds, so that a clone without it tests
/// the same thing.
fn check_copies_match_the_shared_folder() {
    let shared = shared_dir().join("http-vectors");
    let Ok(runner) = std::fs::read(shared.join("run_vectors.py")) else {
        return;
    };
    assert!(
        std::fs::read(shared_runner()).unwrap() == runner,
        "tests/data/run_vectors.py differs from {}: copy it again",
        shared.join("run_vectors.py").display()
    );
    let shared_vectors = std::fs::read_to_string(shared.join("vectors.jsonl")).unwrap();
    let ours = std::fs::read_to_string(vectors::vector_file()).unwrap();
    for line in shared_vectors.lines() {
        assert!(
            ours.lines().any(|l| l == line),
            "a shared vector is missing from (or differs in) tests/data/http-vectors.jsonl: {line}"
        );
    }
}

/// The repository's vectors (the shared set and its own) through the shared
/// Python runner. It never skips: python3 is required (CI installs it).
fn shared_vectors(rt: Runtime) {
    check_copies_match_the_shared_folder();
    let server = Server::start(rt, &[]);
    let out = Command::new("python3")
        .arg(shared_runner())
        .arg("--file")
        .arg(vectors::vector_file())
        .args([
            "--port",
            &server.addr.port().to_string(),
            "--close-wait",
            "0.5",
            "-v",
        ])
        .output()
        .expect("run python3 tests/data/run_vectors.py (is python3 installed?)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let test = std::thread::current()
        .name()
        .unwrap_or("shared_vectors")
        .to_owned();
    assert!(
        out.status.success(),
        "shared vectors failed ({test}):\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = vectors::load(&vectors::vector_file()).len();
    assert!(
        stdout.contains(&format!("\n{all} passed, 0 failed")),
        "({test}) not all {all} vectors ran: {stdout}"
    );
}

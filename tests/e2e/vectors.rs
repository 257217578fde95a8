//! The shared HTTP robustness vectors (`../shared/http-vectors/`), run with their
//! own runner against every runtime.

use crate::harness::{workspace_root, Runtime, Server};
use std::process::Command;

per_runtime!(http_vectors);

fn http_vectors(rt: Runtime) {
    let runner = workspace_root().join("../shared/http-vectors/run_vectors.py");
    if !runner.exists() {
        // The vectors live beside the repository, not in it; CI lays them out.
        eprintln!("skipped: no {}", runner.display());
        return;
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
        .expect("run python3 run_vectors.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "vectors failed on {}:\n{stdout}\n{}",
        rt.name(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

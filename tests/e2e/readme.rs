//! The README's "Try it in bash" block, run as written (but for the port and
//! a time bound on the stream, which otherwise runs until Ctrl-C): each reply
//! ends its own line, and the events step prints the message sent before it.

use crate::harness::{workspace_root, Runtime, Server};
use std::process::Command;

per_runtime_sqlite!(readme_curl_steps);

/// The shell block that follows "Try it in bash" in the README.
fn try_it_block() -> String {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let after = readme
        .split("Try it in bash")
        .nth(1)
        .expect("a 'Try it in bash' step");
    let block = after.split("```").nth(1).expect("a code block after it");
    block.trim_start_matches(|c| c != '\n').to_owned()
}

fn readme_curl_steps(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let block = try_it_block();
    assert!(block.contains("Last-Event-ID: 0"), "{block}");
    let script = block
        .replace("http://127.0.0.1:8000", &format!("http://{}", server.addr))
        // The stream never ends by itself: 3 s is plenty to see the replay.
        .replace("curl -N ", "curl --max-time 3 -N ");
    let out = Command::new("bash")
        .args(["-c", &script])
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    // send, status: one JSON reply per line (no reply runs into the next).
    let send: serde_json::Value =
        serde_json::from_str(lines[0]).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(send["info"], "message sent", "{stdout}");
    let status: serde_json::Value =
        serde_json::from_str(lines[1]).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(status["connected_as"], "alice", "{stdout}");
    // The stream replays the message sent above.
    assert_eq!(lines[2], "id: 1", "{stdout}");
    assert_eq!(lines[3], "event: message", "{stdout}");
    assert!(
        lines[4].starts_with("data: {") && lines[4].contains(r#""message_text":"hello""#),
        "{stdout}"
    );
}

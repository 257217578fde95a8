//! Tokens never reach the log: neither the token nor its hash, even at
//! `--log debug` (one line per request), for good, wrong and malformed tokens.

use crate::harness::{Client, Runtime};
use crate::log_file::FileLoggedServer;
use crate::steps::send_to;
use agora_core::token::Token;
use serde_json::json;

per_runtime!(tokens_are_never_logged);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn tokens_are_never_logged(rt: Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server =
        FileLoggedServer::start(rt, &dir.path().join("agora.db"), &log, &["--log", "debug"]);
    let mut c = Client::connect(server.addr);
    let token = c.token("alice");
    c.token("bob");
    c.get("/status", Some(&token)).expect(200);
    send_to(&mut c, &token, "bob", "hi");
    c.post("/get-token", None, json!({"user_name": "alice"}))
        .expect(409);
    let wrong = "0123456789abcdef0123456789abcdef";
    c.get("/status", Some(wrong)).expect(401);
    let malformed = "NOT-A-TOKEN-but-a-secret-anyway";
    c.get("/status", Some(malformed)).expect(401);
    drop(c);
    server.stop();

    let text = std::fs::read_to_string(&log).unwrap();
    // The per-request debug lines are there: the check below means something.
    assert!(text.contains("uri=/status"), "{text}");
    assert!(text.contains("uri=/get-token"), "{text}");
    for secret in [&token, wrong] {
        let parsed = Token::from_hex(secret.as_bytes()).expect("32 hex digits");
        let hash = hex(&parsed.hash().0);
        for shown in [
            secret.to_string(),
            secret.to_uppercase(),
            hash.clone(),
            hash[..16].to_string(),
        ] {
            assert!(!text.contains(&shown), "{shown} is in the log:\n{text}");
        }
    }
    assert!(!text.contains(malformed), "{text}");
    assert!(!text.to_ascii_lowercase().contains("bearer"), "{text}");
}

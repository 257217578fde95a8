//! Load for the tests that stop or kill the server while it works.

use crate::harness::{request_bytes, Client, Server};
use serde_json::json;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Starts `writers` threads that send public messages (each followed by a
/// `/status`, which keeps the reader threads busy too) for at most `run`; each
/// returns the texts acknowledged with 201. A thread stops at its first
/// failure (the server may be stopping).
pub fn send_under_load(
    server: &Server,
    writers: usize,
    run: Duration,
) -> Vec<JoinHandle<Vec<String>>> {
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

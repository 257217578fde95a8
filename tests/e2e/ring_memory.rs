//! The hub's ring of recent events is bounded by bytes: big private
//! messages streamed to both members leave the server's memory bounded
//! (before, 4,096 such events stayed in memory with both their encodings:
//! about 450 MB).

use crate::client::request_bytes;
use crate::harness::{Runtime, Server};
use crate::steps::server_with_users;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

per_runtime!(big_streamed_events_keep_memory_bounded);

fn rss_mib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        / 1024
}

/// An event stream read and dropped until `stop`.
fn stream(server: &Server, token: &str, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    let mut socket = TcpStream::connect(server.addr).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut request = request_bytes("GET", "/events", Some(token), None);
    request.truncate(request.len() - 2);
    request.extend_from_slice(b"Accept: text/event-stream\r\n\r\n");
    socket.write_all(&request).unwrap();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        while !stop.load(Ordering::Relaxed) {
            // A read timeout only wakes the loop to look at `stop`.
            if let Ok(0) = socket.read(&mut buf) {
                return;
            }
        }
    })
}

fn big_streamed_events_keep_memory_bounded(rt: Runtime) {
    const SENDERS: usize = 4;
    const EACH: usize = 500;
    let (server, _c, [alice, bob]) = server_with_users(rt, ["alice", "bob"]);
    let stop = Arc::new(AtomicBool::new(false));
    let readers = [
        stream(&server, &alice, stop.clone()),
        stream(&server, &bob, stop.clone()),
    ];
    // 4,096 control characters: each event escapes to about 24 KiB of JSON,
    // encoded once for each member.
    let text = "\u{1}".repeat(4096);
    let senders: Vec<_> = (0..SENDERS)
        .map(|_| {
            let mut c = server.client();
            let (alice, text) = (alice.clone(), text.clone());
            std::thread::spawn(move || {
                for _ in 0..EACH {
                    c.post(
                        "/send",
                        Some(&alice),
                        json!({"send_to": "bob", "message": text}),
                    )
                    .expect(201);
                }
            })
        })
        .collect();
    for sender in senders {
        sender.join().unwrap();
    }
    std::thread::sleep(Duration::from_millis(500));
    let rss = rss_mib(server.pid());
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.join().unwrap();
    }
    // 2,000 events with both encodings are ~200 MB; the ring keeps 16 MiB.
    assert!(
        rss < 120,
        "server RSS {rss} MiB after 2,000 big streamed events"
    );
}

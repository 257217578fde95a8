//! Clients that ask for a big page and never read it: the server cuts a
//! response its client takes nothing of for `--write-progress-timeout`, and
//! while responses not yet taken pass `--max-unsent-bytes`, further page
//! requests get 503 `overloaded` (other requests are still answered) until
//! the stalled clients are cut.

use crate::client::{request_bytes, Client};
use crate::harness::{Runtime, Server};
use crate::steps::tokens;
use serde_json::json;
use socket2::{Domain, Socket, Type};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

per_runtime!(
    a_page_its_client_never_reads_is_cut,
    pages_over_the_unsent_budget_get_503
);

/// Private messages whose texts escape to about 24 KiB of JSON each: bob's
/// catch-up from 0 is a page of about 1 MiB (the page budget).
fn one_mib_page(server: &Server) -> String {
    let mut c = server.client();
    let [alice, bob] = tokens(&mut c, ["alice", "bob"]);
    let text = "\u{1}".repeat(4096);
    for _ in 0..60 {
        c.post(
            "/send",
            Some(&alice),
            json!({"send_to": "bob", "message": text}),
        )
        .expect(201);
    }
    bob
}

/// A connection whose receive buffer is small (set before connecting, so
/// that the window it offers stays small), which asks for the page.
fn never_reading(addr: SocketAddr, token: &str) -> TcpStream {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket
        .connect_timeout(&addr.into(), Duration::from_secs(5))
        .unwrap();
    let mut stream: TcpStream = socket.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let request = request_bytes("GET", "/events?since=0&timeout=0", Some(token), None);
    stream.write_all(&request).unwrap();
    stream
}

/// The status of the response arriving on `stream` (reads 12 bytes of it).
fn status(stream: &mut TcpStream) -> u16 {
    let mut line = [0u8; 12];
    stream.read_exact(&mut line).expect("a status line");
    std::str::from_utf8(&line[9..12]).unwrap().parse().unwrap()
}

fn a_page_its_client_never_reads_is_cut(rt: Runtime) {
    let server = Server::start(rt, &["--write-progress-timeout", "2s"]);
    let bob = one_mib_page(&server);
    let mut stream = never_reading(server.addr, &bob);
    std::thread::sleep(Duration::from_secs(5));
    // Whatever the kernels held, then the end: not the whole page.
    let mut got = Vec::new();
    let started = Instant::now();
    let ended = loop {
        let mut chunk = [0u8; 65536];
        match stream.read(&mut chunk) {
            Ok(0) => break true,
            Ok(n) => got.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    let text = String::from_utf8_lossy(&got[..got.len().min(512)]).to_lowercase();
    assert!(text.starts_with("http/1.1 200"), "{text}");
    let length: usize = text
        .split("content-length: ")
        .nth(1)
        .and_then(|rest| rest.split("\r\n").next())
        .and_then(|n| n.parse().ok())
        .expect("a content-length");
    assert!(length > 900 * 1024, "a page of {length} bytes");
    assert!(
        ended,
        "the connection is still open after {:?}",
        started.elapsed()
    );
    assert!(
        got.len() < length,
        "the whole page ({} bytes) came to a client that read nothing for 5 s",
        got.len()
    );
    // Everyone else is served as before.
    let mut other = server.client();
    other.get("/status", Some(&bob)).expect(200);
}

fn pages_over_the_unsent_budget_get_503(rt: Runtime) {
    let server = Server::start(
        rt,
        &[
            "--write-progress-timeout",
            "3s",
            "--max-unsent-bytes",
            "2097152",
        ],
    );
    let bob = one_mib_page(&server);
    let mut statuses = Vec::new();
    let mut stalled = Vec::new();
    for _ in 0..8 {
        let mut stream = never_reading(server.addr, &bob);
        statuses.push(status(&mut stream));
        stalled.push(stream);
    }
    let pages = statuses.iter().filter(|&&s| s == 200).count();
    let refused = statuses.iter().filter(|&&s| s == 503).count();
    assert!(pages >= 1, "{statuses:?}");
    assert!(
        refused >= 1,
        "8 pages of 1 MiB held, none refused: {statuses:?}"
    );
    assert_eq!(pages + refused, 8, "{statuses:?}");
    // Requests that answer small are not refused.
    let mut other = Client::connect(server.addr);
    other.get("/status", Some(&bob)).expect(200);
    // Once the stalled clients are cut, pages are served again, in full.
    std::thread::sleep(Duration::from_secs(5));
    let page = other
        .get("/events?since=0&timeout=0", Some(&bob))
        .expect(200);
    assert!(page["events"].as_array().unwrap().len() > 30, "a full page");
    drop(stalled);
}

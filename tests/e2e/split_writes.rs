//! Clients that write a request's head and its body in two writes (h11 and
//! many others do) with Nagle's algorithm on: the body waits for the ACK of
//! the head, so the server must not delay that ACK (Linux's delayed ACK is
//! 40 ms) while it holds an incomplete request.

use crate::harness::{Runtime, Server};
use std::time::{Duration, Instant};

per_runtime!(split_write_requests_are_answered_promptly);

const REQUESTS: usize = 20;
/// Generous: a prompt ACK gives about the pause below; a delayed one 40 ms.
const MEDIAN_BOUND: Duration = Duration::from_millis(5);
/// Between the two writes, so that the head leaves alone before the body.
const PAUSE: Duration = Duration::from_millis(1);

fn split_write_requests_are_answered_promptly(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let token = c.token("splitter");
    // Nagle on, as in the clients this is about.
    c.stream.set_nodelay(false).unwrap();
    let body = r#"{"messages_number":1}"#;
    let head = format!(
        "POST /connect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut took: Vec<Duration> = (0..REQUESTS)
        .map(|_| {
            let started = Instant::now();
            c.send_raw(head.as_bytes());
            std::thread::sleep(PAUSE);
            c.send_raw(body.as_bytes());
            c.read_reply().expect("a response").expect(200);
            started.elapsed()
        })
        .collect();
    took.sort();
    let median = took[REQUESTS / 2];
    eprintln!(
        "{}: median {:.2} ms per split-write request (min {:.2}, max {:.2})",
        rt.name(),
        median.as_secs_f64() * 1e3,
        took[0].as_secs_f64() * 1e3,
        took[REQUESTS - 1].as_secs_f64() * 1e3
    );
    assert!(
        median < MEDIAN_BOUND,
        "median {median:?} per split-write request on {} (all: {took:?})",
        rt.name()
    );
}

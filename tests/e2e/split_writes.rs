//! Clients that write a request's head and its body in two writes (h11 and
//! many others do) with Nagle's algorithm on: the body waits for the ACK of
//! the head, so the server must not delay that ACK (Linux's delayed ACK is
//! 40 ms) while it holds an incomplete request.

use crate::harness::{Runtime, Server};
use std::time::{Duration, Instant};

per_runtime!(split_write_requests_are_answered_promptly);

const REQUESTS: usize = 20;
/// Generous: a prompt ACK adds about the pause below to a request written
/// whole; a delayed one 40 ms.
const MEDIAN_BOUND: Duration = Duration::from_millis(5);
/// Between the two writes, so that the head leaves alone before the body.
const PAUSE: Duration = Duration::from_millis(1);

/// Compared with the same request written whole, alternating, so that what
/// the request itself takes (a few ms over PostgreSQL, on a busy machine)
/// is not counted against the split.
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
    let whole = format!("{head}{body}");
    let mut split_took = Vec::new();
    let mut whole_took = Vec::new();
    for _ in 0..REQUESTS {
        let started = Instant::now();
        c.send_raw(head.as_bytes());
        std::thread::sleep(PAUSE);
        c.send_raw(body.as_bytes());
        c.read_reply().expect("a response").expect(200);
        split_took.push(started.elapsed());

        let started = Instant::now();
        c.send_raw(whole.as_bytes());
        c.read_reply().expect("a response").expect(200);
        whole_took.push(started.elapsed());
    }
    let split = median(&mut split_took);
    let whole = median(&mut whole_took);
    eprintln!(
        "{}: median {:.2} ms per split-write request (min {:.2}, max {:.2}), {:.2} ms written whole",
        rt.name(),
        split.as_secs_f64() * 1e3,
        split_took[0].as_secs_f64() * 1e3,
        split_took[REQUESTS - 1].as_secs_f64() * 1e3,
        whole.as_secs_f64() * 1e3,
    );
    assert!(
        split < whole + MEDIAN_BOUND,
        "median {split:?} per split-write request on {}, {whole:?} written whole \
         (split: {split_took:?}; whole: {whole_took:?})",
        rt.name()
    );
}

/// Sorts `took` and returns its median.
fn median(took: &mut [Duration]) -> Duration {
    took.sort();
    took[took.len() / 2]
}

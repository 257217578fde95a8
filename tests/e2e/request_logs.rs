//! What the request log lines and the request metrics hold: no token from a
//! query string, one `target` key per JSON line (the request's own target is
//! `uri`), and event streams counted among the requests.

use crate::harness::{Runtime, Server, IO_TIMEOUT};
use crate::operations::{metrics_addr, sample, scrape};
use crate::sse::SseStream;
use std::time::{Duration, Instant};

per_runtime!(
    a_token_in_a_query_string_never_reaches_the_log,
    stream_log_lines_carry_one_target_key,
    event_streams_are_counted_among_the_requests,
);

/// The server's log once `done` holds for it (within the I/O timeout).
fn log_once(server: &Server, done: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let log = server.log_text();
        if done(&log) {
            return log;
        }
        assert!(started.elapsed() < IO_TIMEOUT, "not in the log:\n{log}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn a_token_in_a_query_string_never_reaches_the_log(rt: Runtime) {
    let server = Server::start(rt, &["--log", "debug"]);
    let mut c = server.client();
    let alice = c.token("alice");
    c.get(&format!("/status?token={alice}"), Some(&alice))
        .expect(200);
    c.get(&format!("/events?since=0&timeout=0&{alice}"), Some(&alice))
        .expect_error(400, "invalid_query");
    c.get(&format!("/nowhere?t={alice}"), None)
        .expect_error(404, "not_found");
    // A stream, opened and hung up on, logs its opening and its end (with
    // its query, redacted).
    let stream = SseStream::open(server.addr, &alice, None, Some(0));
    assert_eq!(stream.status, 200);
    log_once(&server, |log| log.contains("event stream opened"));
    drop(stream);
    let log = log_once(&server, |log| {
        log.contains("event stream ended") && log.contains("/nowhere?t=…")
    });
    assert!(log.contains("uri=/events?since=… "), "{log}");
    assert!(log.contains("/status?token=…"), "{log}");
    assert!(!log.contains(&alice), "the token is in the log:\n{log}");
}

fn stream_log_lines_carry_one_target_key(rt: Runtime) {
    let server = Server::start(rt, &["--log-format", "json", "--log", "debug"]);
    let mut c = server.client();
    let alice = c.token("alice");
    let stream = SseStream::open(server.addr, &alice, None, Some(0));
    assert_eq!(stream.status, 200);
    log_once(&server, |log| log.contains("event stream opened"));
    drop(stream);
    let log = log_once(&server, |log| log.contains("event stream ended"));
    let mut stream_lines = 0;
    for line in log.lines() {
        assert_eq!(line.matches("\"target\":").count(), 1, "{line}");
        if line.contains("event stream") {
            stream_lines += 1;
            let json: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(json["uri"], "/events?since=…", "{line}");
        }
    }
    assert_eq!(stream_lines, 2, "{log}");
}

fn event_streams_are_counted_among_the_requests(rt: Runtime) {
    let server = Server::start(rt, &["--metrics-addr", "127.0.0.1:0"]);
    let metrics = metrics_addr(&server);
    let mut c = server.client();
    let alice = c.token("alice");
    let series = r#"agora_http_requests_total{route="/events",status="200"}"#;
    let one = SseStream::open(server.addr, &alice, None, None);
    let two = SseStream::open(server.addr, &alice, None, Some(0));
    assert_eq!((one.status, two.status), (200, 200));
    let started = Instant::now();
    loop {
        let text = scrape(metrics);
        assert_eq!(sample(&text, "agora_event_streams_open"), 2.0, "{text}");
        if text.contains(series) && sample(&text, series) == 2.0 {
            break;
        }
        assert!(
            started.elapsed() < IO_TIMEOUT,
            "streams not counted:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let latency = r#"agora_http_request_duration_seconds_count{route="/events"}"#;
    assert_eq!(sample(&scrape(metrics), latency), 2.0);
}

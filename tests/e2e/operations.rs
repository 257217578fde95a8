//! What an operator runs the server with: `GET /health` for a load balancer,
//! Prometheus metrics on `--metrics-addr`, JSON log lines with
//! `--log-format json`.

use crate::database_files::sibling;
use crate::harness::{on_postgres_now, Client, Runtime, Server, IO_TIMEOUT};
use crate::steps::{send_public_all, temp_db};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

per_runtime!(
    health_is_ok_without_a_token,
    metrics_move_with_the_traffic_on_their_own_port,
    metrics_count_connections_refused_over_the_limit,
    json_log_lines_carry_the_request_fields,
);
// About SQLite's files; PostgreSQL going away is the multi-node scenarios' part.
per_runtime_sqlite!(health_is_unavailable_once_the_database_files_are_gone);

fn health_is_ok_without_a_token(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    for _ in 0..20 {
        let reply = c.get("/health", None);
        assert_eq!(reply.expect(200), json!({"status": "ok"}));
        assert_eq!(reply.header("content-type"), Some("application/json"));
    }
    c.post("/health", None, json!({}))
        .expect_error(405, "method_not_allowed");
}

fn health_is_unavailable_once_the_database_files_are_gone(rt: Runtime) {
    let (_dir, db) = temp_db();
    let server = Server::start_on(rt, &db, &[]);
    let mut c = server.client();
    assert_eq!(c.get("/health", None).expect(200), json!({"status": "ok"}));
    for suffix in ["", "-wal", "-shm"] {
        std::fs::remove_file(sibling(&db, suffix)).unwrap();
    }
    // Within a second of the last good check the answer may still be ok;
    // after it, the files are checked again.
    std::thread::sleep(agora_store::HEALTH_FRESH + Duration::from_millis(100));
    let reply = c.get("/health", None);
    let body = reply.expect(503);
    assert_eq!(body["status"], "unavailable", "{body}");
    assert_eq!(body["code"], "store_unavailable", "{body}");
    assert!(reply.header("retry-after").is_some(), "{reply:?}");
}

/// The address of the metrics port, from the start-up log.
pub(crate) fn metrics_addr(server: &Server) -> SocketAddr {
    let started = Instant::now();
    loop {
        let log = server.log_text();
        if let Some(rest) = log.split("metrics on http://").nth(1) {
            let addr = rest.split('/').next().unwrap();
            return addr.parse().unwrap();
        }
        assert!(started.elapsed() < IO_TIMEOUT, "no metrics line:\n{log}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A sample's value in the exposition text.
pub(crate) fn sample(text: &str, series: &str) -> f64 {
    let prefix = format!("{series} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

pub(crate) fn scrape(addr: SocketAddr) -> String {
    let reply = Client::connect(addr).get("/metrics", None);
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    String::from_utf8(reply.body).unwrap()
}

fn metrics_move_with_the_traffic_on_their_own_port(rt: Runtime) {
    let server = Server::start(rt, &["--metrics-addr", "127.0.0.1:0"]);
    let addr = metrics_addr(&server);
    assert_ne!(addr, server.addr);
    let before = scrape(addr);
    assert_eq!(
        sample(
            &before,
            r#"agora_http_request_duration_seconds_count{route="/status"}"#
        ),
        0.0,
        "every route's latency series exists from the start"
    );
    let mut c = server.client();
    let alice = c.token("alice");
    send_public_all(&mut c, &alice, (0..5).map(|i| format!("m{i}")));
    for _ in 0..3 {
        c.get("/status", Some(&alice)).expect(200);
    }
    c.get("/nowhere", None).expect_error(404, "not_found");
    // The public port does not serve them.
    c.get("/metrics", None).expect_error(404, "not_found");
    let text = scrape(addr);
    let requests = |route: &str, status: u16| {
        sample(
            &text,
            &format!(r#"agora_http_requests_total{{route="{route}",status="{status}"}}"#),
        )
    };
    assert_eq!(requests("/send", 201), 5.0);
    assert_eq!(requests("/status", 200), 3.0);
    assert_eq!(requests("/get-token", 200), 1.0);
    assert_eq!(requests("other", 404), 2.0);
    assert_eq!(
        sample(
            &text,
            r#"agora_http_request_duration_seconds_count{route="/send"}"#
        ),
        5.0
    );
    // This connection and the scraper's are open.
    assert!(sample(&text, "agora_open_connections") >= 1.0, "{text}");
    // The registration and five sends were committed, in 1 to 6 batches.
    let batches = sample(&text, "agora_store_batch_size_count");
    assert!((1.0..=6.0).contains(&batches), "{text}");
    assert_eq!(sample(&text, "agora_store_batch_size_sum"), 6.0);
    assert_eq!(
        sample(&text, "agora_store_commit_duration_seconds_count"),
        batches
    );
    assert_eq!(sample(&text, "agora_store_queue_depth"), 0.0);
    // The first status is read, the next two replayed from the memo. On
    // PostgreSQL (since issue 23) an entry is replayed while the cluster's
    // snapshot is the one it was read at, and any commit in the cluster
    // moves it: other tests' databases share this one, so a replay there
    // may be read again (never the other way round; pg_status_memo.rs
    // checks the memo on its own cluster).
    let misses = sample(&text, r#"agora_status_memo_lookups_total{result="miss"}"#);
    let hits = sample(&text, r#"agora_status_memo_lookups_total{result="hit"}"#);
    if on_postgres_now() {
        assert_eq!(misses + hits, 3.0, "{text}");
        assert!(misses >= 1.0, "the first status is read: {text}");
    } else {
        assert_eq!((misses, hits), (1.0, 2.0), "{text}");
    }
    assert!((sample(&text, "agora_status_memo_hit_ratio") - hits / 3.0).abs() < 1e-9);
    for live in [
        "agora_long_polls_waiting",
        "agora_event_streams_open",
        "agora_events_delivered_total",
    ] {
        assert_eq!(sample(&text, live), 0.0, "{live}");
    }
    // Anything else on the metrics port is refused by core's HTTP.
    let mut other = Client::connect(addr);
    other.get("/", None).expect_error(404, "not_found");
    other
        .post("/metrics", None, json!({}))
        .expect_error(405, "method_not_allowed");
}

/// Over `--max-connections` a connection gets 503 at once: counted as
/// `too_many_connections`, and not as an open connection.
fn metrics_count_connections_refused_over_the_limit(rt: Runtime) {
    let server = Server::start(
        rt,
        &["--max-connections", "1", "--metrics-addr", "127.0.0.1:0"],
    );
    let addr = metrics_addr(&server);
    let mut served = server.client();
    served.get("/health", None).expect(200);
    let mut refused = server.client();
    refused
        .read_reply()
        .expect("a 503 without asking")
        .expect_error(503, "overloaded");
    let text = scrape(addr);
    assert_eq!(
        sample(
            &text,
            r#"agora_unavailable_responses_total{reason="too_many_connections"}"#
        ),
        1.0
    );
    assert_eq!(sample(&text, "agora_open_connections"), 1.0);
    served.get("/health", None).expect(200);
}

fn json_log_lines_carry_the_request_fields(rt: Runtime) {
    let server = Server::start(rt, &["--log-format", "json", "--log", "debug"]);
    let mut c = server.client();
    let alice = c.token("alice");
    c.get("/status?x=1", Some(&alice)).expect(200);
    let started = Instant::now();
    let lines: Vec<Value> = loop {
        let log = server.log_text();
        let lines: Vec<Value> = log
            .lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
            })
            .collect();
        if lines.iter().any(|l| l["route"] == "/status") {
            break lines;
        }
        assert!(started.elapsed() < IO_TIMEOUT, "no request line:\n{log}");
        std::thread::sleep(Duration::from_millis(20));
    };
    for line in &lines {
        for key in ["timestamp", "level", "target", "message"] {
            assert!(line[key].is_string(), "no {key}: {line}");
        }
    }
    let request = |route: &str| {
        lines
            .iter()
            .find(|l| l["message"] == "request" && l["route"] == route)
            .unwrap_or_else(|| panic!("no request line for {route}"))
    };
    let status = request("/status");
    assert_eq!(status["level"], "DEBUG");
    assert_eq!(status["method"], "GET");
    assert_eq!(status["status"], 200);
    assert_eq!(status["uri"], "/status?x=…", "query values are not logged");
    assert!(status["duration_us"].is_u64(), "{status}");
    // Both requests came over one connection: one id.
    let conn = status["conn"].as_u64().expect("conn");
    assert_eq!(request("/get-token")["conn"].as_u64(), Some(conn));
    let other = server.client().get("/health", None);
    assert_eq!(other.status, 200);
    let started = Instant::now();
    loop {
        let log = server.log_text();
        let health = log
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find(|l| l["route"] == "/health");
        if let Some(health) = health {
            assert_ne!(
                health["conn"].as_u64(),
                Some(conn),
                "a new connection, a new id"
            );
            break;
        }
        assert!(started.elapsed() < IO_TIMEOUT, "no /health line:\n{log}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

//! Who is asking (issue 21): new users per client address, X-Forwarded-For
//! behind a trusted proxy, trusted reporters, streams per user, connections
//! per address, and the moderators' `/unban`. The harness runs the seed's
//! rules (`SEED_RULES`); each scenario turns on the limit it tests.

use crate::harness::{request_bytes, Client, Reply, Runtime, Server, IO_TIMEOUT};
use crate::sse::SseStream;
use crate::steps::{
    insert_fields, report, send_public, server_with_flags_and_users, server_with_users, temp_db,
};
use serde_json::json;
use socket2::{Domain, Socket, Type};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

per_runtime!(
    register_rate_per_address,
    forwarded_for_only_from_trusted_proxies,
    fresh_accounts_cannot_ban,
    streams_per_user,
    connections_per_address,
    moderators_unban,
);

/// `Retry-After` (whole seconds), agreeing with the body's `retry_after`.
fn retry_after(reply: &Reply) -> u64 {
    let header: u64 = reply
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("whole seconds");
    assert_eq!(reply.json()["retry_after"], header);
    header
}

/// `POST /get-token` for `name`, with an `X-Forwarded-For` when given.
fn get_token(client: &mut Client, name: &str, forwarded_for: Option<&str>) -> Reply {
    let mut bytes = request_bytes(
        "POST",
        "/get-token",
        None,
        Some(&json!({ "user_name": name })),
    );
    if let Some(chain) = forwarded_for {
        // After the request line.
        insert_fields(&mut bytes, &format!("X-Forwarded-For: {chain}\r\n"));
    }
    client.send_raw(&bytes);
    client.read_reply().expect("a response")
}

fn register_rate_per_address(rt: Runtime) {
    let (_dir, db) = temp_db();
    let server = Server::start_on(rt, &db, &["--register-rate", "10"]);
    let mut c = server.client();
    for i in 0..10 {
        c.token(&format!("user{i}"));
    }
    let refused = get_token(&mut c, "user10", None);
    refused.expect_error(429, "register_rate_exceeded");
    let wait = retry_after(&refused);
    assert!(
        (3590..=3600).contains(&wait),
        "a slot frees in an hour: {wait}"
    );
    // Counted in the database: a restart does not reset it.
    server.stop();
    let server = Server::start_on(rt, &db, &["--register-rate", "10"]);
    let mut c = server.client();
    get_token(&mut c, "user11", None).expect_error(429, "register_rate_exceeded");
    // Off with 0.
    server.stop();
    let server = Server::start_on(rt, &db, &["--register-rate", "0"]);
    server.client().token("user12");
}

fn forwarded_for_only_from_trusted_proxies(rt: Runtime) {
    // From an untrusted peer X-Forwarded-For is ignored: both are 127.0.0.1.
    let server = Server::start(rt, &["--register-rate", "1"]);
    let mut c = server.client();
    get_token(&mut c, "ann", Some("198.51.100.1")).expect(200);
    get_token(&mut c, "bob", Some("198.51.100.2")).expect_error(429, "register_rate_exceeded");
    server.stop();

    // Behind a trusted proxy, the last untrusted hop is the client.
    let server = Server::start(
        rt,
        &["--register-rate", "1", "--trusted-proxy", "127.0.0.1/32"],
    );
    let mut c = server.client();
    get_token(&mut c, "ann", Some("198.51.100.1")).expect(200);
    get_token(&mut c, "bob", Some("198.51.100.2")).expect(200);
    // A forged left part does not help: the proxy appended the real one.
    get_token(&mut c, "cy", Some("203.0.113.9, 198.51.100.1"))
        .expect_error(429, "register_rate_exceeded");
    // No header: the proxy itself is the client.
    get_token(&mut c, "dee", None).expect(200);
    get_token(&mut c, "eve", None).expect_error(429, "register_rate_exceeded");
}

fn fresh_accounts_cannot_ban(rt: Runtime) {
    let min_age = Duration::from_secs(2);
    let server = Server::start(rt, &["--reporter-min-age", "2s"]);
    let mut c = server.client();
    let target = c.token("target");
    let registered = Instant::now();
    let reporters: Vec<String> = (0..3).map(|i| c.token(&format!("fresh{i}"))).collect();
    let report_target = |c: &mut Client, token: &str| report(c, token, "target", "public");
    // Never sent a message (and young): not trusted.
    for token in &reporters {
        report_target(&mut c, token).expect_error(403, "reporter_not_trusted");
    }
    for token in &reporters {
        send_public(&mut c, token, "hello");
    }
    let young = report_target(&mut c, &reporters[0]);
    if registered.elapsed() < min_age {
        young.expect_error(403, "reporter_not_trusted");
    }
    // Nothing was recorded.
    let status = c.get("/status", Some(&target)).expect(200);
    assert_eq!(status["cautions"], 0);
    assert_eq!(status["banned_until"], json!(null));
    // Old enough and have sent a message: three reports ban.
    std::thread::sleep(min_age.saturating_sub(registered.elapsed()) + Duration::from_millis(100));
    report_target(&mut c, &reporters[0]).expect(201);
    report_target(&mut c, &reporters[1]).expect(201);
    let ban = report_target(&mut c, &reporters[2]).expect(201);
    assert!(ban["banned_until"].is_string(), "{ban}");
}

fn streams_per_user(rt: Runtime) {
    let (server, mut c, [ann, bob]) = server_with_users(rt, ["ann", "bob"]);
    let streams: Vec<SseStream> = (0..16)
        .map(|_| {
            let stream = SseStream::open(server.addr, &ann, None, None);
            assert_eq!(stream.status, 200);
            stream
        })
        .collect();
    let refused = SseStream::open(server.addr, &ann, None, None);
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after"), Some("5"));
    // Long-polls count too.
    let poll = c.get("/events?since=0&timeout=5", Some(&ann));
    poll.expect_error(429, "too_many_streams");
    assert!(retry_after(&poll) >= 1);
    // Another user is not affected.
    let other = SseStream::open(server.addr, &bob, None, None);
    assert_eq!(other.status, 200);
    // A stream that ends gives its place back.
    drop(streams);
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        let again = SseStream::open(server.addr, &ann, None, None);
        if again.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "places never freed");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A connection to `server` from `local` (another loopback address).
fn connect_from(local: &str, server: SocketAddr) -> TcpStream {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let local: SocketAddr = format!("{local}:0").parse().unwrap();
    socket.bind(&local.into()).unwrap();
    socket.connect_timeout(&server.into(), IO_TIMEOUT).unwrap();
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream
}

fn connections_per_address(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let open: Vec<Client> = (0..256)
        .map(|_| {
            let mut c = server.client();
            c.get("/health", None).expect(200);
            c
        })
        .collect();
    let mut refused = server.client();
    let reply = refused.read_reply().expect("a 503 without asking");
    reply.expect_error(503, "overloaded");
    assert!(refused.closed_within(Duration::from_secs(3)));
    // 127.0.0.2 is another client address.
    let mut other = connect_from("127.0.0.2", server.addr);
    other
        .write_all(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    other.read_to_end(&mut answer).unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    // The admitted ones still work; one closing frees a place.
    drop(open);
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        let mut next = server.client();
        next.send_raw(&request_bytes("GET", "/health", None, None));
        if next.read_reply().is_some_and(|r| r.status == 200) {
            break;
        }
        assert!(Instant::now() < deadline, "places never freed");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn moderators_unban(rt: Runtime) {
    let (_server, mut c, [moderator, bob, eve]) = server_with_flags_and_users(
        rt,
        &["--ban-threshold", "1", "--moderator", "Mod"],
        ["mod", "bob", "eve"],
    );
    let banned = report(&mut c, &eve, "bob", "public").expect(201);
    assert!(banned["banned_until"].is_string());
    c.post("/send", Some(&bob), json!({"message": "hi"}))
        .expect_error(403, "banned");
    c.post("/unban", Some(&eve), json!({"user_name": "bob"}))
        .expect_error(403, "not_a_moderator");
    c.post("/unban", Some(&moderator), json!({"user_name": "nobody"}))
        .expect_error(404, "user_not_found");
    let lifted = c
        .post("/unban", Some(&moderator), json!({"user_name": "BOB"}))
        .expect(200);
    assert_eq!(
        lifted,
        json!({"info": "user unbanned", "user_name": "bob", "was_banned": true})
    );
    send_public(&mut c, &bob, "back");
    let status = c.get("/status", Some(&bob)).expect(200);
    assert_eq!(status["banned_until"], json!(null));
}

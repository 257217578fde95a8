//! The server-role machine, case by case: each case is fed whole, byte by
//! byte, and followed by the start of another request, and must give the
//! same statuses, requests and close every way.

use crate::support;

use agora_core::error_code::ErrorCode;
use agora_core::http::{Conn, HttpError, Input, Limits, Now, Output, ReqId, Response, Version};
use std::time::Duration;
use support::{drive, now0, sent_continue, statuses};

struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    statuses: &'static [u16],
    close: bool,
    requests: usize,
}

fn case(
    name: &'static str,
    bytes: impl Into<Vec<u8>>,
    statuses: &'static [u16],
    close: bool,
) -> Case {
    let requests = statuses.iter().filter(|&&s| s == 200).count();
    Case {
        name,
        bytes: bytes.into(),
        statuses,
        close,
        requests,
    }
}

const GET: &str = "GET /status HTTP/1.1\r\nHost: h\r\n\r\n";

fn post(headers: &str, body: &str) -> String {
    format!("POST /send HTTP/1.1\r\nHost: h\r\n{headers}\r\n{body}")
}

/// A chunked [`post`] of `body` (the chunks, last chunk and trailers).
fn chunked(body: &str) -> String {
    post("Transfer-Encoding: chunked\r\n", body)
}

/// One case a line: name, the bytes sent, the statuses sent back, whether
/// the connection is closed after them.
#[rustfmt::skip]
fn cases() -> Vec<Case> {
    let big = |n: usize| "a".repeat(n);
    let many_headers = |n: usize| (0..n).map(|i| format!("H{i}: 1\r\n")).collect::<String>();
    vec![
        case("get", GET, &[200], false),
        case("post content-length", post("Content-Length: 5\r\n", "hello"), &[200], false),
        case("chunked with extensions and trailer", chunked("5;a=b;q=\"x;y\"\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"), &[200], false),
        case("chunked mixed case", post("Transfer-Encoding: ChUnKeD\r\n", "1\r\na\r\n0\r\n\r\n"), &[200], false),
        case("chunk size with leading zeros", chunked("0001\r\na\r\n0\r\n\r\n"), &[200], false),
        case("cl and te", post("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), &[400], true),
        case("te and cl", post("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", "0\r\n\r\n"), &[400], true),
        case("cl list differing", post("Content-Length: 0, 5\r\n", "hello"), &[400], true),
        case("cl duplicate differing", post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"), &[400], true),
        // API.md: a framing header given twice, even with equal values, is a
        // duplicate (a proxy in front may read it differently).
        case("cl duplicate same", post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), &[400], true),
        case("cl list same", post("Content-Length: 5, 5\r\n", "hello"), &[400], true),
        case("te duplicate fields", post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), &[400], true),
        case("cl plus sign", post("Content-Length: +5\r\n", "hello"), &[400], true),
        case("cl empty", post("Content-Length: \r\n", ""), &[400], true),
        case("cl list empty element", post("Content-Length: 5,\r\n", "hello"), &[400], true),
        case("cl overflow", post("Content-Length: 99999999999999999999999\r\n", ""), &[413], true),
        case("space before colon", post("Content-Length : 5\r\n", "hello"), &[400], true),
        case("obs-fold", post("Transfer-Encoding:\r\n chunked\r\n", "0\r\n\r\n"), &[400], true),
        case("te leading comma", post("Transfer-Encoding: ,chunked\r\n", "0\r\n\r\n"), &[400], true),
        case("te nbsp", post("Transfer-Encoding: \u{a0}chunked\r\n", "0\r\n\r\n"), &[400], true),
        case("te chunked twice", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), &[400], true),
        case("te chunked not final", post("Transfer-Encoding: chunked, gzip\r\n", "0\r\n\r\n"), &[400], true),
        case("te gzip then chunked", post("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"), &[501], true),
        case("te unknown", post("Transfer-Encoding: xchunked\r\n", "0\r\n\r\n"), &[501], true),
        case("te chunked with parameter", post("Transfer-Encoding: chunked;q=1\r\n", "0\r\n\r\n"), &[400], true),
        case("bare cr in value", post("X-Note: a\rb\r\nContent-Length: 0\r\n", ""), &[400], true),
        case("chunk size 0x", chunked("0x1\r\na\r\n0\r\n\r\n"), &[400], true),
        case("chunk size underscore", chunked("0_2e\r\n"), &[400], true),
        case("chunk size sign", chunked("+1\r\na\r\n0\r\n\r\n"), &[400], true),
        case("chunk size empty", chunked(";a\r\n"), &[400], true),
        case("chunk size space then crlf", chunked("1 \r\na\r\n0\r\n\r\n"), &[400], true),
        case("chunk size bws ext", chunked("1 ;a\r\na\r\n0\r\n\r\n"), &[200], false),
        case("chunk data bare lf", chunked("1\r\na\n0\r\n\r\n"), &[400], true),
        case("chunk line bare lf", chunked("1\na\r\n0\r\n\r\n"), &[400], true),
        case("chunk data too long", chunked("1\r\nab\r\n0\r\n\r\n"), &[400], true),
        case("chunk extension too long", chunked(&format!("1;x={}\r\na\r\n0\r\n\r\n", big(2000))), &[400], true),
        case("trailer bare lf", chunked("0\r\nX: 1\n\r\n"), &[400], true),
        case("trailer without colon", chunked("0\r\nX\r\n\r\n"), &[400], true),
        case("trailers too large", chunked(&format!("0\r\nX: {}\r\n\r\n", big(17000))), &[431], true),
        case("host missing", "GET / HTTP/1.1\r\n\r\n", &[400], true),
        case("host duplicate", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", &[400], true),
        case("http/1.0 without host", "GET / HTTP/1.0\r\n\r\n", &[200], true),
        case("bare lf line endings", "GET / HTTP/1.1\nHost: h\n\n", &[200], false),
        case("leading empty line", "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", &[200], false),
        case("cr x after head", "GET / HTTP/1.1\r\nHost: h\r\n\rXGET / HTTP/1.1\r\n\r\n", &[400], true),
        case("first header line starts with space", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", &[400], true),
        case("header 12k ok", format!("GET / HTTP/1.1\r\nHost: h\r\nX-Pad: {}\r\n\r\n", big(12000)), &[200], false),
        case("header 20k", format!("GET / HTTP/1.1\r\nHost: h\r\nX-Pad: {}\r\n\r\n", big(20000)), &[431], true),
        case("100 headers ok", format!("GET / HTTP/1.1\r\nHost: h\r\n{}\r\n", many_headers(99)), &[200], false),
        case("101 headers", format!("GET / HTTP/1.1\r\nHost: h\r\n{}\r\n", many_headers(100)), &[431], true),
        case("1000 headers", format!("GET / HTTP/1.1\r\nHost: h\r\n{}\r\n", many_headers(1000)), &[431], true),
        case("uri 7000 ok", format!("GET /?p={} HTTP/1.1\r\nHost: h\r\n\r\n", big(7000)), &[200], false),
        case("uri 9000", format!("GET /?p={} HTTP/1.1\r\nHost: h\r\n\r\n", big(9000)), &[414], true),
        case("uri 70k", format!("GET /?p={} HTTP/1.1\r\nHost: h\r\n\r\n", big(70000)), &[414], true),
        case("body at limit", post("Content-Length: 65536\r\n", &big(65536)), &[200], false),
        case("body over limit", post("Content-Length: 65537\r\n", &big(65537)), &[413], true),
        case("body declared 10 GiB", post("Content-Length: 10737418240\r\n", ""), &[413], true),
        case("chunked over limit", chunked(&format!("8000\r\n{0}\r\n8000\r\n{0}\r\n1\r\na\r\n0\r\n\r\n", big(0x8000))), &[413], true),
        case("chunked at limit", chunked(&format!("8000\r\n{0}\r\n8000\r\n{0}\r\n0\r\n\r\n", big(0x8000))), &[200], false),
        case("expect oversized", post("Expect: 100-continue\r\nContent-Length: 100000\r\n", ""), &[413], true),
        case("http/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", &[505], true),
        case("h2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", &[505], true),
        case("http/3.0", "GET / HTTP/3.0\r\nHost: h\r\n\r\n", &[505], true),
        case("http/1.2 served as 1.1", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", &[200], false),
        case("lowercase http", "GET / http/1.1\r\nHost: h\r\n\r\n", &[400], true),
        case("http/1.10", "GET / HTTP/1.10\r\nHost: h\r\n\r\n", &[400], true),
        case("http/0.9", "GET /status\r\n", &[400], true),
        case("connection close", "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", &[200], true),
        case("connection close in list", "GET / HTTP/1.1\r\nHost: h\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", &[200], true),
        case("http/1.0 default close", "GET / HTTP/1.0\r\nHost: h\r\n\r\n", &[200], true),
        case("http/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &[200], false),
        case("http/1.0 with te", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", &[400], true),
        case("pipelined three", [GET, GET, GET].concat(), &[200, 200, 200], false),
        case("pipelined close in middle", [GET, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", GET].concat(), &[200, 200], true),
        case("pipelined post then get", post("Content-Length: 5\r\n", "hello") + GET, &[200, 200], false),
        case("pipelined chunked then get", chunked("5\r\nhello\r\n0\r\n\r\n") + GET, &[200, 200], false),
        case("valid then garbage", format!("{GET}NOT A REQUEST\r\n\r\n"), &[200, 400], true),
        case("cl duplicate same then a request", post("Content-Length: 3\r\ncontent-length: 3\r\n", "abc") + GET, &[400], true),
        case("cl letters", post("Content-Length: abc\r\n", "") + GET, &[400], true),
        case("chunk size wraps 2^64", chunked("10000000000000000\r\n\r\n") + GET, &[400], true),
        case("get with body", format!("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello{GET}"), &[200, 200], false),
        case("nul in header value", b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n".to_vec(), &[400], true),
        case("non-ascii header name", "GET / HTTP/1.1\r\nHost: h\r\nX-Caf\u{e9}: 1\r\n\r\n", &[400], true),
        case("obs-text header value", b"GET / HTTP/1.1\r\nHost: h\r\nX: \xff\xfe\x80\r\n\r\n".to_vec(), &[200], false),
        case("nul in target", b"GET /a\x00b HTTP/1.1\r\nHost: h\r\n\r\n".to_vec(), &[400], true),
        case("non-ascii target", "GET /caf\u{e9} HTTP/1.1\r\nHost: h\r\n\r\n", &[400], true),
        case("control in method", b"G\x01T / HTTP/1.1\r\nHost: h\r\n\r\n".to_vec(), &[400], true),
        case("double space in request line", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", &[400], true),
        case("te raw 0xa0", [post("Transfer-Encoding: ", "").trim_end().as_bytes(), b" \xa0chunked\r\n\r\n0\r\n\r\n"].concat(), &[400], true),
    ]
}

#[test]
fn every_case_whole_bytewise_and_with_trailing_bytes() {
    for c in cases() {
        let whole = drive(&[&c.bytes], false);
        let bytes: Vec<&[u8]> = c.bytes.chunks(1).collect();
        let bytewise = drive(&bytes, false);
        let trailing = drive(&[&c.bytes, b"GET /next HT"], false);
        for (how, t) in [
            ("whole", &whole),
            ("bytewise", &bytewise),
            ("trailing", &trailing),
        ] {
            assert_eq!(statuses(t), c.statuses, "{}: {how}", c.name);
            assert_eq!(t.closed, c.close, "{}: {how} close", c.name);
            assert_eq!(t.requests.len(), c.requests, "{}: {how} requests", c.name);
        }
        assert_eq!(whole, bytewise, "{}: bytewise differs", c.name);
    }
}

#[test]
fn decoded_requests_carry_what_was_sent() {
    let t = drive(
        &[post(
            "Transfer-Encoding: chunked\r\n",
            "5;a=\"b;c\"\r\nhello\r\n3\r\n, w\r\n0\r\nX-T: 1\r\n\r\n",
        )
        .as_bytes()],
        false,
    );
    assert_eq!(t.requests[0].body, b"hello, w");
    assert_eq!(t.requests[0].method, "POST");
    assert_eq!(t.requests[0].path(), "/send");

    let t = drive(
        &[b"GET /x?y=1 HTTP/1.1\r\nHost: h\r\nX-Raw: \xff\xfe\r\n\r\n"],
        false,
    );
    let r = &t.requests[0];
    assert_eq!((r.target.as_str(), r.path()), ("/x?y=1", "/x"));
    assert_eq!(r.single_header("x-raw"), Some(&b"\xff\xfe"[..]));
    assert_eq!(r.version, Version::Http11);

    let t = drive(&[b"GET / HTTP/1.2\r\nHost: h\r\n\r\n"], false);
    assert_eq!(t.requests[0].version, Version::Http11);
    let t = drive(&[b"GET / HTTP/1.0\r\n\r\n"], false);
    assert_eq!(t.requests[0].version, Version::Http10);

    let t = drive(
        &[format!("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello{GET}").as_bytes()],
        false,
    );
    assert_eq!(t.requests[0].body, b"hello");
    assert_eq!(t.requests[1].target, "/status");
}

fn text(t: &agora_testkit::http_fuzzing::Transcript) -> String {
    String::from_utf8_lossy(&t.sent).into_owned()
}

#[test]
fn responses_carry_date_length_type_and_connection() {
    let t = drive(&[GET.as_bytes()], false);
    let sent = text(&t);
    assert!(sent.starts_with("HTTP/1.1 200 OK\r\n"), "{sent}");
    for field in [
        "\r\nDate: Sun, 29 Nov 2026 08:06:05 GMT\r\n",
        "\r\nContent-Type: application/json\r\n",
        "\r\nContent-Length: 7\r\n\r\n{\"n\":1}",
    ] {
        assert!(sent.contains(field), "{field:?} in {sent}");
    }
    assert!(!sent.contains("Connection"), "{sent}");

    let t = drive(
        &[b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"],
        false,
    );
    assert!(text(&t).contains("\r\nConnection: close\r\n"));
    let t = drive(
        &[b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"],
        false,
    );
    assert!(text(&t).contains("\r\nConnection: keep-alive\r\n"));
}

#[test]
fn errors_are_json_with_code_and_close() {
    for (bytes, status, code) in [
        (&b"GET / HTTP/2.0\r\n\r\n"[..], 505, "version_not_supported"),
        (b"GET / HTTP/1.1\r\n\r\n", 400, "bad_request"),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 70000\r\n\r\n",
            413,
            "body_too_large",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: br\r\n\r\n",
            501,
            "not_implemented",
        ),
    ] {
        let t = drive(&[bytes], false);
        let sent = text(&t);
        let (head, body) = sent.split_once("\r\n\r\n").expect("a head");
        assert!(head.starts_with(&format!("HTTP/1.1 {status} ")), "{head}");
        assert!(head.contains("\r\nConnection: close"), "{head}");
        assert!(
            head.contains("\r\nContent-Type: application/json"),
            "{head}"
        );
        assert!(
            head.contains(&format!("\r\nContent-Length: {}", body.len())),
            "{head}"
        );
        let json: serde_json::Value = serde_json::from_str(body).expect("json body");
        assert_eq!(json["code"], code);
        assert!(json["error"].as_str().is_some_and(|e| !e.is_empty()));
        assert_eq!(t.error.as_ref().map(HttpError::status), Some(status));
        assert!(t.closed);
    }
}

#[test]
fn expect_continue_sends_100_before_the_body() {
    let head = "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
    let now = now0();
    let mut conn = Conn::new(Limits::default(), now);
    conn.handle_input(Input::Bytes(head.as_bytes()), now);
    assert_eq!(
        conn.poll_output(),
        Output::Send(b"HTTP/1.1 100 Continue\r\n\r\n".to_vec())
    );
    assert!(matches!(conn.poll_output(), Output::Timeout(Some(_))));
    conn.handle_input(Input::Bytes(b"hello"), now);
    assert!(matches!(conn.poll_output(), Output::Request(_, r) if r.body == b"hello"));

    // No 100 for HTTP/1.0 (RFC 9110 §10.1.1) or without a body.
    let t = drive(
        &[b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\na"],
        false,
    );
    assert!(!sent_continue(&t));
    let t = drive(
        &[b"GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n"],
        false,
    );
    assert!(!sent_continue(&t));
    // Refused at once, without a 100.
    let t = drive(
        &[b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 100000\r\n\r\n"],
        false,
    );
    assert!(!sent_continue(&t));
    assert_eq!(statuses(&t), [413]);
}

#[test]
fn eof_handling() {
    // Partial head then EOF: closed, nothing answered.
    let t = drive(&[b"GET / HTTP/1.1\r\nHost:"], true);
    assert!(t.closed && t.sent.is_empty());
    // Partial body then EOF: 400 and closed.
    let t = drive(
        &[post("Content-Length: 26\r\n", "{\"user_nam").as_bytes()],
        true,
    );
    assert_eq!(statuses(&t), [400]);
    assert!(t.closed);
    // Half-close after complete requests: all of them answered, then closed.
    let t = drive(&[[GET, GET].concat().as_bytes()], true);
    assert_eq!(statuses(&t), [200, 200]);
    assert!(t.closed);
    // EOF while the first is in flight: the second is still answered, with
    // `Connection: close`, then the connection closes.
    let t0 = now0();
    let mut conn = Conn::new(Limits::default(), t0);
    conn.handle_input(Input::Bytes([GET, GET].concat().as_bytes()), t0);
    conn.handle_input(Input::Eof, t0);
    for last in [false, true] {
        let Output::Request(id, _) = conn.poll_output() else {
            panic!()
        };
        conn.handle_input(Input::Response(id, Response::json(200, vec![])), t0);
        let Output::Send(bytes) = conn.poll_output() else {
            panic!()
        };
        assert_eq!(
            String::from_utf8(bytes)
                .unwrap()
                .contains("Connection: close"),
            last
        );
    }
    assert_eq!(conn.poll_output(), Output::Close);
    // EOF on an idle connection.
    let t = drive(&[], true);
    assert!(t.closed && t.sent.is_empty());
}

fn later(now: Now, secs: u64) -> Now {
    Now {
        mono: now.mono + Duration::from_secs(secs),
        wall: now.wall.plus_ms(secs * 1000),
    }
}

fn expect_timeout(conn: &mut Conn) -> Option<std::time::Instant> {
    match conn.poll_output() {
        Output::Timeout(t) => t,
        other => panic!("expected Timeout, got {other:?}"),
    }
}

/// A connection at `now0()` fed `bytes`, with the id of the first request
/// it handed over.
#[track_caller]
fn conn_with_request(bytes: &[u8]) -> (Conn, Now, ReqId) {
    let t0 = now0();
    let mut conn = Conn::new(Limits::default(), t0);
    conn.handle_input(Input::Bytes(bytes), t0);
    let Output::Request(id, _) = conn.poll_output() else {
        panic!("no request in {:?}", String::from_utf8_lossy(bytes))
    };
    (conn, t0, id)
}

/// Answers request `id` with a 200 `{}` at `at`: the bytes sent.
#[track_caller]
fn answer_ok(conn: &mut Conn, id: ReqId, at: Now) -> Vec<u8> {
    conn.handle_input(Input::Response(id, Response::json(200, b"{}".to_vec())), at);
    let Output::Send(bytes) = conn.poll_output() else {
        panic!("nothing sent")
    };
    bytes
}

#[test]
fn header_timeout_counts_from_the_first_byte() {
    let t0 = now0();
    let mut conn = Conn::new(Limits::default(), t0);
    assert_eq!(
        expect_timeout(&mut conn),
        Some(t0.mono + Duration::from_secs(10))
    );
    let t1 = later(t0, 5);
    conn.handle_input(Input::Bytes(b"GET / HT"), t1);
    let deadline = expect_timeout(&mut conn).expect("a deadline");
    assert_eq!(deadline, t1.mono + Duration::from_secs(10));
    // Early and spurious timeouts are ignored.
    conn.handle_input(Input::Timeout, later(t1, 9));
    assert_eq!(expect_timeout(&mut conn), Some(deadline));
    conn.handle_input(Input::Timeout, later(t1, 10));
    let Output::Send(bytes) = conn.poll_output() else {
        panic!("no 408")
    };
    assert!(bytes.starts_with(b"HTTP/1.1 408 Request Timeout\r\n"));
    assert_eq!(conn.poll_output(), Output::Close);
    assert_eq!(conn.poll_output(), Output::Timeout(None));
    assert_eq!(conn.error(), Some(&HttpError::Timeout));
    // Sticky: nothing more happens.
    conn.handle_input(Input::Bytes(GET.as_bytes()), later(t1, 11));
    assert_eq!(conn.poll_output(), Output::Timeout(None));
    assert!(conn.is_closed());
}

#[test]
fn idle_timeout_closes_quietly_and_in_flight_has_none() {
    let (mut conn, t0, id) = conn_with_request(GET.as_bytes());
    assert_eq!(expect_timeout(&mut conn), None);
    // A request in flight never times out.
    conn.handle_input(Input::Timeout, later(t0, 3600));
    assert_eq!(expect_timeout(&mut conn), None);
    let t1 = later(t0, 3601);
    answer_ok(&mut conn, id, t1);
    assert_eq!(
        expect_timeout(&mut conn),
        Some(t1.mono + Duration::from_secs(60))
    );
    assert_eq!(
        conn.buffered_capacity(),
        0,
        "idle connection holds no buffer"
    );
    conn.handle_input(Input::Timeout, later(t1, 60));
    assert_eq!(conn.poll_output(), Output::Close);
    assert_eq!(conn.poll_output(), Output::Timeout(None));
    assert_eq!(conn.error(), None);
}

#[test]
fn buffered_request_gets_header_timeout_from_previous_response() {
    let (mut conn, t0, id) = conn_with_request(format!("{GET}GET / HT").as_bytes());
    let t1 = later(t0, 30);
    answer_ok(&mut conn, id, t1);
    assert_eq!(
        expect_timeout(&mut conn),
        Some(t1.mono + Duration::from_secs(10))
    );
}

#[test]
fn pipelined_requests_wait_for_the_response_in_flight() {
    let (mut conn, t0, first) = conn_with_request([GET, GET].concat().as_bytes());
    assert_eq!(expect_timeout(&mut conn), None);
    conn.handle_input(Input::Bytes(GET.as_bytes()), t0);
    assert_eq!(
        expect_timeout(&mut conn),
        None,
        "later requests stay buffered"
    );
    // A response with another id is ignored.
    conn.handle_input(
        Input::Response(ReqId(first.0 + 7), Response::json(200, vec![])),
        t0,
    );
    assert_eq!(expect_timeout(&mut conn), None);
    for n in 0..3 {
        let id = if n == 0 {
            first
        } else {
            let Output::Request(id, _) = conn.poll_output() else {
                panic!("request {n}")
            };
            id
        };
        conn.handle_input(Input::Response(id, Response::json(200, vec![])), t0);
        assert!(matches!(conn.poll_output(), Output::Send(_)));
    }
    assert!(expect_timeout(&mut conn).is_some());
}

#[test]
fn wants_input_bounds_buffering_while_in_flight() {
    let t0 = now0();
    let limits = Limits::default();
    let cap = limits.max_header_bytes + limits.max_body_bytes;
    let mut conn = Conn::new(limits, t0);
    conn.handle_input(Input::Bytes(GET.as_bytes()), t0);
    assert!(matches!(conn.poll_output(), Output::Request(..)));
    assert!(conn.wants_input());
    conn.handle_input(Input::Bytes(&vec![b'a'; cap]), t0);
    assert!(!conn.wants_input());
}

#[test]
fn app_headers_are_written_and_unsafe_ones_dropped() {
    let (mut conn, t0, id) = conn_with_request(GET.as_bytes());
    let response = Response::error(405, ErrorCode::MethodNotAllowed, "No.", None)
        .with_header("Allow", "POST")
        .with_header("Retry-After", "3")
        .with_header("WWW-Authenticate", "Bearer")
        .with_header("X-Evil", "a\r\nSet-Cookie: x")
        .with_header("Content-Length", "1");
    conn.handle_input(Input::Response(id, response), t0);
    let Output::Send(bytes) = conn.poll_output() else {
        panic!()
    };
    let sent = String::from_utf8(bytes).unwrap();
    assert!(sent.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
    for h in [
        "\r\nAllow: POST\r\n",
        "\r\nRetry-After: 3\r\n",
        "\r\nWWW-Authenticate: Bearer\r\n",
    ] {
        assert!(sent.contains(h), "{sent}");
    }
    assert!(
        !sent.contains("Set-Cookie") && sent.matches("Content-Length").count() == 1,
        "{sent}"
    );
}

#[test]
fn head_response_has_length_but_no_body() {
    let (mut conn, t0, id) = conn_with_request(b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
    let bytes = answer_ok(&mut conn, id, t0);
    assert!(bytes.ends_with(b"Content-Length: 2\r\n\r\n"));
}

#[test]
fn more_hostile_heads() {
    for (bytes, expected, close) in [
        (&b"GET / HTTP/1.1 \r\nHost: h\r\n\r\n"[..], &[400][..], true),
        (b"GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", &[400], true),
        (b"GET / HTTP/1.1\r\r\nHost: h\r\n\r\n", &[400], true),
        (b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1e3\r\n\r\n", &[400], true),
        (b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", &[400], true),
        (b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5 5\r\n\r\n", &[400], true),
        (b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0005\r\n\r\nhello", &[200], false),
        (b"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", &[400], true),
        (b"GET / HTTP/1.1\r\nHost: h\r\n: empty\r\n\r\n", &[400], true),
        (b"GET / HTTP/1.1\r\nHost: h\r\nX\x7f: 1\r\n\r\n", &[400], true),
        (b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x7fb\r\n\r\n", &[400], true),
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n", &[501], true),
        // Two fields are a duplicate framing header (400) before any coding is looked at.
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", &[400], true),
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;\"q\r\nhello\r\n0\r\n\r\n", &[400], true),
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n\r\n", &[200], false),
    ] {
        let t = drive(&[bytes], false);
        assert_eq!(statuses(&t), expected, "{:?}", String::from_utf8_lossy(bytes));
        assert_eq!(t.closed, close, "{:?}", String::from_utf8_lossy(bytes));
    }
    let zeros = format!(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n{}1\r\na\r\n0\r\n\r\n",
        "0".repeat(2000)
    );
    assert_eq!(statuses(&drive(&[zeros.as_bytes()], false)), [400]);
}

#[test]
fn a_standalone_response_is_what_a_closing_connection_writes() {
    let response =
        Response::error(503, ErrorCode::Overloaded, "Busy.", None).with_header("Retry-After", "1");
    let now = now0();
    let bytes = agora_core::http::standalone_response(&response, now.wall);
    let mut conn = Conn::new(Limits::default(), now);
    conn.handle_input(
        Input::Bytes(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
        now,
    );
    let Output::Request(id, _) = conn.poll_output() else {
        panic!("no request")
    };
    conn.handle_input(Input::Response(id, response), now);
    assert_eq!(conn.poll_output(), Output::Send(bytes.clone()));
    let text = String::from_utf8(bytes).expect("ASCII");
    assert!(
        text.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{text}"
    );
    assert!(text.contains("\r\nConnection: close\r\n") && text.contains("\r\nRetry-After: 1\r\n"));
}

#[test]
fn a_response_may_name_its_own_content_type() {
    use agora_core::http::{standalone_response, Response};
    use agora_core::time::UnixMillis;
    let text = |r: &Response| String::from_utf8(standalone_response(r, UnixMillis(0))).unwrap();
    let json = text(&Response::json(200, b"{}".to_vec()));
    assert!(
        json.contains("\r\nContent-Type: application/json\r\n"),
        "{json}"
    );
    let page = Response::json(200, b"<p>".to_vec())
        .with_header("Content-Type", "text/html; charset=utf-8");
    let written = text(&page);
    assert!(
        written.contains("\r\nContent-Type: text/html; charset=utf-8\r\n"),
        "{written}"
    );
    assert_eq!(written.matches("Content-Type").count(), 1, "{written}");
    let injected = Response::json(200, vec![]).with_header("content-type", "a\r\nX-Evil: 1");
    let written = text(&injected);
    assert!(
        written.contains("\r\nContent-Type: application/json\r\n"),
        "{written}"
    );
    assert!(!written.contains("X-Evil"), "{written}");
}

#[test]
fn a_stream_to_http_1_0_ends_with_the_connection() {
    use agora_core::http::{Conn, Input, Limits, Now, Output, Response};
    use agora_core::time::UnixMillis;
    let now = Now {
        mono: std::time::Instant::now(),
        wall: UnixMillis(0),
    };
    let mut conn = Conn::new(Limits::default(), now);
    conn.handle_input(Input::Bytes(b"GET /events HTTP/1.0\r\n\r\n"), now);
    let Output::Request(id, _) = conn.poll_output() else {
        panic!("no request");
    };
    let head = Response::json(200, vec![]).with_header("Content-Type", "text/event-stream");
    conn.handle_input(Input::StreamStart(id, head), now);
    conn.handle_input(Input::StreamChunk(id, b"data: 1\n\n"), now);
    conn.handle_input(Input::StreamEnd(id), now);
    let mut sent = Vec::new();
    let mut closed = false;
    loop {
        match conn.poll_output() {
            Output::Send(bytes) => sent.extend_from_slice(&bytes),
            Output::Close => closed = true,
            Output::Timeout(_) => break,
            other => panic!("{other:?}"),
        }
    }
    let text = String::from_utf8(sent).unwrap();
    assert!(closed);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("\r\nConnection: close\r\n"), "{text}");
    assert!(
        !text.contains("Transfer-Encoding") && !text.contains("Content-Length"),
        "{text}"
    );
    assert!(text.ends_with("\r\n\r\ndata: 1\n\n"), "{text}");
}

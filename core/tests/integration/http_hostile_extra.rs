//! Hostile requests beyond the shared vector file, two tables (refused, and
//! handed to the app): each case goes to a `Conn` whole and byte by byte, and
//! must give the same answer both ways.

use crate::support;

use support::{drive, statuses};

/// Handed to the app (the stub answers 200).
const APP: u16 = 200;

struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    status: u16,
    /// For `APP`: the target the app must see.
    target: Option<&'static str>,
}

fn case(name: &'static str, bytes: impl Into<Vec<u8>>, status: u16) -> Case {
    Case {
        name,
        bytes: bytes.into(),
        status,
        target: None,
    }
}

fn app(name: &'static str, bytes: impl Into<Vec<u8>>, target: &'static str) -> Case {
    Case {
        name,
        bytes: bytes.into(),
        status: APP,
        target: Some(target),
    }
}

/// A well-formed HTTP/1.1 `POST` head up to `rest`: its further fields, the
/// blank line and the body, where the case's fault is.
fn post(path: &str, rest: &str) -> String {
    format!("POST {path} HTTP/1.1\r\nHost: x\r\n{rest}")
}

/// A well-formed chunked `POST` head, then `body`, where the case's fault is.
fn chunked(path: &str, body: &str) -> String {
    post(path, &format!("Transfer-Encoding: chunked\r\n\r\n{body}"))
}

/// The requests refused, one case a line: name, the bytes sent, the status.
#[rustfmt::skip]
fn refused() -> Vec<Case> {
    vec![
        // Framing (RFC 9112 §6).
        case("chunked repeated across two lines", post("/", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400),
        case("chunked, then another coding on a second line", post("/", "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n"), 400),
        case("TE with an empty list element", post("/", "Transfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n"), 400),
        case("TE value with a vertical tab", post("/", "Transfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n"), 400),
        case("TE: identity is not a coding we implement", post("/", "Transfer-Encoding: identity\r\n\r\n"), 501),
        case("Content-Length 1,1 is a duplicate (API.md), not one length", post("/cl", "Content-Length: 1,1\r\n\r\nA"), 400),
        case("Content-Length 1,2", post("/", "Content-Length: 1,2\r\n\r\nAB"), 400),
        case("Content-Length with an empty element", post("/", "Content-Length: 1,\r\n\r\nA"), 400),
        case("Content-Length with a sign", post("/", "Content-Length: +1\r\n\r\nA"), 400),
        case("Content-Length in hex", post("/", "Content-Length: 0x1\r\n\r\nA"), 400),
        case("Content-Length with a space inside", post("/", "Content-Length: 1 1\r\n\r\nA"), 400),
        case("Content-Length on two lines that differ", post("/", "Content-Length: 1\r\nContent-Length: 2\r\n\r\nAB"), 400),
        case("CL and TE together", post("/", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400),
        // Request line (RFC 9112 §3).
        case("two spaces after the method", "GET  /status HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        case("two spaces before the version", "GET /status  HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        case("a tab as the delimiter", "GET\t/status HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        case("a space before the method", " GET /status HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        case("a trailing space after the version", "GET /status HTTP/1.1 \r\nHost: x\r\n\r\n", 400),
        case("lower-case version", "GET /status http/1.1\r\nHost: x\r\n\r\n", 400),
        case("a bare CR ending the line", "GET /status HTTP/1.1\rHost: x\r\n\r\n", 400),
        case("a NUL in the target", "GET /st\x00atus HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        case("a method with a slash", "G/ET /status HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        // Request target forms (RFC 9112 §3.2).
        case("asterisk-form for GET", "GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        case("a target without a leading slash", "GET status HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        case("authority-form for GET", "GET x:80 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        case("a fragment in the target", "GET /status#top HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        case("absolute-form with another scheme", "GET ftp://x/status HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        case("absolute-form without an authority", "GET http:///status HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        case("absolute-form with user info", "GET http://u@x/status HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        // Host (RFC 9112 §3.2: an invalid Host value is a 400).
        case("Host with a space inside", "GET / HTTP/1.1\r\nHost: exa mple.com\r\n\r\n", 400),
        case("Host with a slash", "GET / HTTP/1.1\r\nHost: x/y\r\n\r\n", 400),
        case("Host with user info", "GET / HTTP/1.1\r\nHost: u@x\r\n\r\n", 400),
        case("Host with a bad port", "GET / HTTP/1.1\r\nHost: x:8o\r\n\r\n", 400),
        case("Host with a comma list", "GET / HTTP/1.1\r\nHost: x, y\r\n\r\n", 400),
        case("Host with an unclosed bracket", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400),
        case("Host twice", "GET / HTTP/1.1\r\nHost: x\r\nHost: x\r\n\r\n", 400),
        case("no Host in HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400),
        // Header fields (RFC 9112 §5).
        case("a space before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
        case("a tab before the colon", "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", 400),
        case("an empty field name", "GET / HTTP/1.1\r\nHost: x\r\n: empty\r\n\r\n", 400),
        case("no colon", "GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400),
        case("obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n", 400),
        case("whitespace before the first field", "GET / HTTP/1.1\r\n Host: x\r\n\r\n", 400),
        case("a NUL in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400),
        case("a bare LF inside a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\nb\r\n\r\n", 400),
        // Version (RFC 9112 §2.3).
        case("HTTP/2.0 on an HTTP/1 connection", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        case("HTTP/0.9 style request", "GET /status\r\n\r\n", 400),
        case("a two-digit minor version", "GET / HTTP/1.10\r\nHost: x\r\n\r\n", 400),
        case("TE in an HTTP/1.0 request", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        // Chunked body (RFC 9112 §7.1).
        case("a chunk extension without a name", chunked("/", "1;\r\nA\r\n0\r\n\r\n"), 400),
        case("a chunk extension with only a value", chunked("/", "1;=v\r\nA\r\n0\r\n\r\n"), 400),
        case("a bare LF after the chunk size", chunked("/", "1\nA\r\n0\r\n\r\n"), 400),
        case("a chunk size with a sign", chunked("/", "+1\r\nA\r\n0\r\n\r\n"), 400),
        case("a chunk size prefixed 0x", chunked("/", "0x1\r\nA\r\n0\r\n\r\n"), 400),
        case("chunk data longer than its size", chunked("/", "1\r\nAB\r\n0\r\n\r\n"), 400),
        case("obs-fold in a trailer field", chunked("/", "0\r\nX-T: 1\r\n 2\r\n\r\n"), 400),
        case("a trailer field without a colon", chunked("/", "0\r\nX-T\r\n\r\n"), 400),
        case("a space before a trailer field's colon", chunked("/", "0\r\nX-T : 1\r\n\r\n"), 400),
        case("a bare LF ending the trailer section", chunked("/", "0\r\nX-T: 1\n\r\n"), 400),
    ]
}

/// The requests handed to the app, one case a line: name, the bytes sent,
/// the target the stub app must see.
#[rustfmt::skip]
fn reaching_the_app() -> Vec<Case> {
    vec![
        app("Content-Length with OWS around it", post("/ows", "Content-Length: \t 1 \t\r\n\r\nA"), "/ows"),
        app("absolute-form is accepted as its path", "GET http://x/status?q=1 HTTP/1.1\r\nHost: x\r\n\r\n", "/status?q=1"),
        app("absolute-form with an empty path", "GET http://example.com:8000 HTTP/1.1\r\nHost: x\r\n\r\n", "/"),
        app("asterisk-form for OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", "*"),
        app("Host with a port", "GET /h1 HTTP/1.1\r\nHost: example.com:8000\r\n\r\n", "/h1"),
        app("Host as an IPv6 literal", "GET /h2 HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n", "/h2"),
        app("an empty Host", "GET /h3 HTTP/1.1\r\nHost:\r\n\r\n", "/h3"),
        app("chunk extensions, named, with token and quoted values", chunked("/ext", "1 ; a=b ;c=\"d;e\"\r\nA\r\n0;last\r\n\r\n"), "/ext"),
        app("a well-formed trailer field", chunked("/trailer", "1\r\nA\r\n0\r\nX-T: 1\r\n\r\n"), "/trailer"),
    ]
}

#[test]
fn every_hostile_case_gets_its_answer_however_split() {
    let mut failures = Vec::new();
    for case in refused().into_iter().chain(reaching_the_app()) {
        let whole = drive(&[&case.bytes], true);
        let bytes: Vec<&[u8]> = case.bytes.chunks(1).collect();
        let split = drive(&bytes, true);
        for (how, t) in [("whole", &whole), ("byte by byte", &split)] {
            let first = statuses(t).first().copied().unwrap_or(0);
            if first != case.status {
                failures.push(format!(
                    "{} ({how}): {first}, expected {}",
                    case.name, case.status
                ));
                continue;
            }
            if case.status != APP {
                if !t.requests.is_empty() {
                    failures.push(format!("{} ({how}): reached the app", case.name));
                }
                if !t.closed {
                    failures.push(format!("{} ({how}): not closed after the error", case.name));
                }
            } else if t.requests.first().map(|r| r.target.as_str()) != case.target {
                failures.push(format!(
                    "{} ({how}): target {:?}, expected {:?}",
                    case.name,
                    t.requests.first().map(|r| &r.target),
                    case.target
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

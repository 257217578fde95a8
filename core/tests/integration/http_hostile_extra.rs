//! Hostile requests beyond the shared vector file, one table: each case goes to
//! a `Conn` whole and byte by byte, and must give the same answer both ways.
//! `APP` means the request reached the (stub) app, with the target shown.

use crate::support;

use support::{drive, statuses};

/// Handed to the app (the stub answers 200).
const APP: u16 = 200;

struct Case {
    name: &'static str,
    bytes: &'static [u8],
    status: u16,
    /// For `APP`: the target the app must see.
    target: Option<&'static str>,
}

const fn case(name: &'static str, bytes: &'static [u8], status: u16) -> Case {
    Case {
        name,
        bytes,
        status,
        target: None,
    }
}

const fn app(name: &'static str, bytes: &'static [u8], target: &'static str) -> Case {
    Case {
        name,
        bytes,
        status: APP,
        target: Some(target),
    }
}

const CASES: &[Case] = &[
    // Framing (RFC 9112 §6).
    case(
        "TE in an HTTP/1.0 request",
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    case(
        "chunked repeated across two lines",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    case(
        "chunked, then another coding on a second line",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n",
        400,
    ),
    case(
        "TE with an empty list element",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    case(
        "TE value with a vertical tab",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    case(
        "TE: identity is not a coding we implement",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n",
        501,
    ),
    case(
        "Content-Length 1,1 is a duplicate (API.md), not one length",
        b"POST /cl HTTP/1.1\r\nHost: x\r\nContent-Length: 1,1\r\n\r\nA",
        400,
    ),
    app(
        "Content-Length with OWS around it",
        b"POST /ows HTTP/1.1\r\nHost: x\r\nContent-Length: \t 1 \t\r\n\r\nA",
        "/ows",
    ),
    case(
        "Content-Length 1,2",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1,2\r\n\r\nAB",
        400,
    ),
    case(
        "Content-Length with an empty element",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1,\r\n\r\nA",
        400,
    ),
    case(
        "Content-Length with a sign",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\nA",
        400,
    ),
    case(
        "Content-Length in hex",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x1\r\n\r\nA",
        400,
    ),
    case(
        "Content-Length with a space inside",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 1\r\n\r\nA",
        400,
    ),
    case(
        "Content-Length on two lines that differ",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nAB",
        400,
    ),
    case(
        "CL and TE together",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    // Request line (RFC 9112 §3).
    case("two spaces after the method", b"GET  /status HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    case("two spaces before the version", b"GET /status  HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    case("a tab as the delimiter", b"GET\t/status HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    case("a space before the method", b" GET /status HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    case("a trailing space after the version", b"GET /status HTTP/1.1 \r\nHost: x\r\n\r\n", 400),
    case("lower-case version", b"GET /status http/1.1\r\nHost: x\r\n\r\n", 400),
    case("a bare CR ending the line", b"GET /status HTTP/1.1\rHost: x\r\n\r\n", 400),
    case("a NUL in the target", b"GET /st\x00atus HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    case("a method with a slash", b"G/ET /status HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    // Request target forms (RFC 9112 §3.2).
    app(
        "absolute-form is accepted as its path",
        b"GET http://x/status?q=1 HTTP/1.1\r\nHost: x\r\n\r\n",
        "/status?q=1",
    ),
    app(
        "absolute-form with an empty path",
        b"GET http://example.com:8000 HTTP/1.1\r\nHost: x\r\n\r\n",
        "/",
    ),
    app(
        "asterisk-form for OPTIONS",
        b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        "*",
    ),
    case("asterisk-form for GET", b"GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    case("a target without a leading slash", b"GET status HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    case("authority-form for GET", b"GET x:80 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    case("a fragment in the target", b"GET /status#top HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    case(
        "absolute-form with another scheme",
        b"GET ftp://x/status HTTP/1.1\r\nHost: x\r\n\r\n",
        400,
    ),
    case(
        "absolute-form without an authority",
        b"GET http:///status HTTP/1.1\r\nHost: x\r\n\r\n",
        400,
    ),
    case(
        "absolute-form with user info",
        b"GET http://u@x/status HTTP/1.1\r\nHost: x\r\n\r\n",
        400,
    ),
    // Host (RFC 9112 §3.2: an invalid Host value is a 400).
    app("Host with a port", b"GET /h1 HTTP/1.1\r\nHost: example.com:8000\r\n\r\n", "/h1"),
    app("Host as an IPv6 literal", b"GET /h2 HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n", "/h2"),
    app("an empty Host", b"GET /h3 HTTP/1.1\r\nHost:\r\n\r\n", "/h3"),
    case("Host with a space inside", b"GET / HTTP/1.1\r\nHost: exa mple.com\r\n\r\n", 400),
    case("Host with a slash", b"GET / HTTP/1.1\r\nHost: x/y\r\n\r\n", 400),
    case("Host with user info", b"GET / HTTP/1.1\r\nHost: u@x\r\n\r\n", 400),
    case("Host with a bad port", b"GET / HTTP/1.1\r\nHost: x:8o\r\n\r\n", 400),
    case("Host with a comma list", b"GET / HTTP/1.1\r\nHost: x, y\r\n\r\n", 400),
    case("Host with an unclosed bracket", b"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400),
    case("Host twice", b"GET / HTTP/1.1\r\nHost: x\r\nHost: x\r\n\r\n", 400),
    case("no Host in HTTP/1.1", b"GET / HTTP/1.1\r\n\r\n", 400),
    // Header fields (RFC 9112 §5).
    case("a space before the colon", b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    case("a tab before the colon", b"GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", 400),
    case("an empty field name", b"GET / HTTP/1.1\r\nHost: x\r\n: empty\r\n\r\n", 400),
    case("no colon", b"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400),
    case("obs-fold", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n", 400),
    case(
        "whitespace before the first field",
        b"GET / HTTP/1.1\r\n Host: x\r\n\r\n",
        400,
    ),
    case("a NUL in a value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400),
    case("a bare LF inside a value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\nb\r\n\r\n", 400),
    // Chunked body (RFC 9112 §7.1).
    case(
        "a chunk extension without a name",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;\r\nA\r\n0\r\n\r\n",
        400,
    ),
    case(
        "a chunk extension with only a value",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;=v\r\nA\r\n0\r\n\r\n",
        400,
    ),
    app(
        "chunk extensions, named, with token and quoted values",
        b"POST /ext HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1 ; a=b ;c=\"d;e\"\r\nA\r\n0;last\r\n\r\n",
        "/ext",
    ),
    case(
        "a bare LF after the chunk size",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\nA\r\n0\r\n\r\n",
        400,
    ),
    case(
        "a chunk size with a sign",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n+1\r\nA\r\n0\r\n\r\n",
        400,
    ),
    case(
        "a chunk size prefixed 0x",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0x1\r\nA\r\n0\r\n\r\n",
        400,
    ),
    case(
        "chunk data longer than its size",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nAB\r\n0\r\n\r\n",
        400,
    ),
    case(
        "obs-fold in a trailer field",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n 2\r\n\r\n",
        400,
    ),
    case(
        "a trailer field without a colon",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T\r\n\r\n",
        400,
    ),
    case(
        "a space before a trailer field's colon",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T : 1\r\n\r\n",
        400,
    ),
    case(
        "a bare LF ending the trailer section",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\n\r\n",
        400,
    ),
    app(
        "a well-formed trailer field",
        b"POST /trailer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nA\r\n0\r\nX-T: 1\r\n\r\n",
        "/trailer",
    ),
    // Version (RFC 9112 §2.3).
    case("HTTP/2.0 on an HTTP/1 connection", b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    case("HTTP/0.9 style request", b"GET /status\r\n\r\n", 400),
    case("a two-digit minor version", b"GET / HTTP/1.10\r\nHost: x\r\n\r\n", 400),
];

#[test]
fn every_hostile_case_gets_its_answer_however_split() {
    let mut failures = Vec::new();
    for case in CASES {
        let whole = drive(&[case.bytes], true);
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

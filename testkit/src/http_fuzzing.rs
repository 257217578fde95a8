//! The HTTP machine's checking harnesses, shared by the fuzz targets (`fuzz/`)
//! and the core tests that replay their corpora on stable
//! (`core/tests/integration/http_fuzz_replay.rs`). Each function panics when
//! the machine ([`Conn`], [`ClientConn`]) breaks a property.

use agora_core::http::{
    ClientConn, ClientError, Conn, HttpError, Input, Limits, Now, Output, Precheck,
};
use agora_core::http::{Request, Response, Version};
use agora_core::time::UnixMillis;
use std::time::Instant;

/// What a connection did with a stream, as the peer and the app see it.
#[derive(Debug, PartialEq, Eq)]
pub struct Transcript {
    /// Every byte sent, in order.
    pub sent: Vec<u8>,
    /// Every request handed to the app, in order.
    pub requests: Vec<Request>,
    pub closed: bool,
    pub error: Option<HttpError>,
}

/// Small limits, so that short fuzz inputs reach every bound.
pub fn small_limits() -> Limits {
    Limits {
        max_header_bytes: 256,
        max_uri_bytes: 64,
        max_body_bytes: 128,
        max_headers: 8,
        max_chunk_line_bytes: 32,
        max_trailer_bytes: 64,
        ..Limits::default()
    }
}

/// The app's answer in these harnesses: 200 with the request's number.
pub fn stub_response(n: usize) -> Response {
    Response::json(200, format!("{{\"n\":{n}}}").into_bytes())
}

/// The status [`refuse_put`] answers with.
pub const REFUSED: u16 = 405;

/// A precheck for these harnesses: refuses every `PUT` head, so that the
/// fuzzer reaches `Expect: 100-continue` refused and accepted alike.
pub fn refuse_put(request: &Request) -> Option<Response> {
    (request.method == "PUT").then(|| Response::json(REFUSED, b"{}".to_vec()))
}

/// Feeds `chunks` (then EOF if `eof`) to a new connection at a fixed time,
/// answering each request with [`stub_response`], and records what happened.
/// Panics if an output breaks the call contract.
pub fn run(limits: &Limits, chunks: &[&[u8]], eof: bool, start: Instant) -> Transcript {
    run_with(limits, None, chunks, eof, start)
}

/// [`run`] on a connection with `precheck`, if any.
pub fn run_with(
    limits: &Limits,
    precheck: Option<Precheck>,
    chunks: &[&[u8]],
    eof: bool,
    start: Instant,
) -> Transcript {
    run_pipelined(limits, precheck, chunks, eof, start, 1)
}

/// [`run_with`] on a connection that may have `depth` requests in flight
/// (`Conn::with_max_in_flight`). The requests are answered only once the
/// machine waits, all of them at once, newest first: whatever the depth,
/// the transcript must be the one a depth of 1 gives.
pub fn run_pipelined(
    limits: &Limits,
    precheck: Option<Precheck>,
    chunks: &[&[u8]],
    eof: bool,
    start: Instant,
    depth: usize,
) -> Transcript {
    let now = Now {
        mono: start,
        wall: UnixMillis(1_795_939_565_123),
    };
    let mut conn = Conn::new(limits.clone(), now).with_max_in_flight(depth);
    if let Some(precheck) = precheck {
        conn = conn.with_precheck(precheck);
    }
    let mut t = Transcript {
        sent: Vec::new(),
        requests: Vec::new(),
        closed: false,
        error: None,
    };
    drain(&mut conn, &mut t, limits, now, depth);
    for chunk in chunks {
        conn.handle_input(Input::Bytes(chunk), now);
        drain(&mut conn, &mut t, limits, now, depth);
    }
    if eof {
        conn.handle_input(Input::Eof, now);
        drain(&mut conn, &mut t, limits, now, depth);
    }
    t.error = conn.error().cloned();
    t
}

fn drain(conn: &mut Conn, t: &mut Transcript, limits: &Limits, now: Now, depth: usize) {
    loop {
        let mut answers = Vec::new();
        for _ in 0..16 + 2 * depth {
            match conn.poll_output() {
                Output::Send(bytes) => {
                    assert!(!t.closed, "sent after Close");
                    t.sent.extend_from_slice(&bytes);
                }
                Output::Request(id, request) => {
                    assert!(!t.closed, "request after Close");
                    assert!(
                        answers.len() < depth,
                        "more than {depth} requests in flight"
                    );
                    assert!(request.body.len() <= limits.max_body_bytes);
                    assert!(request.target.len() <= limits.max_uri_bytes);
                    t.requests.push(request);
                    answers.push((id, stub_response(t.requests.len())));
                }
                Output::Close => {
                    assert!(!t.closed, "Close twice");
                    t.closed = true;
                }
                Output::Timeout(deadline) => {
                    assert_eq!(deadline.is_none(), !answers.is_empty() || t.closed);
                    break;
                }
            }
        }
        if answers.is_empty() {
            return;
        }
        for (id, response) in answers.into_iter().rev() {
            conn.handle_input(Input::Response(id, response), now);
        }
    }
}

/// The final responses in `sent` (what a connection sent), in order, 1xx
/// skipped; panics when the bytes do not parse as responses.
pub fn sent_responses(sent: &[u8]) -> Vec<Response> {
    let mut client = ClientConn::new();
    client.feed(sent);
    client.feed_eof();
    let mut responses = Vec::new();
    loop {
        match client.poll_response() {
            Ok(Some(r)) => responses.push(r),
            Err(ClientError::Closed) => return responses,
            other => panic!("server sent unparsable bytes: {other:?}"),
        }
    }
}

/// The statuses of [`sent_responses`].
pub fn sent_statuses(sent: &[u8]) -> Vec<u16> {
    sent_responses(sent).iter().map(|r| r.status).collect()
}

/// Checks that the bytes a connection sent parse back as one response per
/// request (plus the error response, if any, or [`refuse_put`]'s refusal),
/// with the expected statuses.
pub fn check_sent(t: &Transcript) {
    if t.requests.iter().any(|r| r.method == "HEAD") {
        return;
    }
    let statuses = sent_statuses(&t.sent);
    let mut expected = vec![200; t.requests.len()];
    match &t.error {
        Some(error) => expected.push(error.status()),
        // A refused head is the last thing answered, and then the connection closes.
        None if statuses.len() > expected.len() => {
            assert!(t.closed, "answered more than was asked and stayed open");
            expected.push(REFUSED);
        }
        None => {}
    }
    assert_eq!(statuses, expected);
}

/// Arbitrary bytes, split arbitrarily, never panic, and give the same
/// transcript as the whole stream and as the stream byte by byte.
///
/// Input: byte 0 = flags (bit 7: end with EOF; low 3 bits: how many cut bytes
/// follow); the cut bytes give chunk lengths in turn; the rest is the stream.
pub fn split_stream(data: &[u8], start: Instant) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let cuts = usize::from(flags & 7).min(rest.len());
    let (cuts, stream) = rest.split_at(cuts);
    let eof = flags & 0x80 != 0;
    let limits = small_limits();

    let whole = run_with(&limits, Some(refuse_put), &[stream], eof, start);
    check_sent(&whole);

    let mut chunks = Vec::new();
    let mut at = 0;
    for &c in cuts
        .iter()
        .cycle()
        .take(if cuts.is_empty() { 0 } else { stream.len() })
    {
        if at >= stream.len() {
            break;
        }
        let len = (usize::from(c) % 64 + 1).min(stream.len() - at);
        chunks.push(&stream[at..at + len]);
        at += len;
    }
    chunks.push(&stream[at..]);
    assert_eq!(
        whole,
        run_with(&limits, Some(refuse_put), &chunks, eof, start),
        "split differs"
    );

    // Several requests in flight, answered newest first: the same bytes.
    assert_eq!(
        whole,
        run_pipelined(&limits, Some(refuse_put), &chunks, eof, start, 4),
        "pipelined differs"
    );

    if stream.len() <= 4096 {
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(
            whole,
            run_with(&limits, Some(refuse_put), &bytes, eof, start),
            "bytewise differs"
        );
    }
}

/// Reads fuzz input as a sequence of choices; zeros once exhausted.
struct Choices<'a>(&'a [u8]);

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn string(&mut self, alphabet: &[u8], max: usize) -> String {
        let len = usize::from(self.byte()) % max;
        (0..len)
            .map(|_| char::from(alphabet[usize::from(self.byte()) % alphabet.len()]))
            .collect()
    }
}

const TCHARS: &[u8] =
    b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const PATH: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-._~/?=&%+:@!$'()*,;";
const VALUE: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \t!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// Field names the client writer manages or that change the exchange: a
/// generated request must not set them itself.
pub fn is_managed(name: &str) -> bool {
    [
        "host",
        "content-length",
        "transfer-encoding",
        "date",
        "connection",
        "content-type",
        "expect",
    ]
    .iter()
    .any(|m| name.eq_ignore_ascii_case(m))
}

/// Any request the client role writes, the server role reads back equal; any
/// response the server role writes, the client role reads back equal.
pub fn roundtrip(data: &[u8], start: Instant) {
    let mut c = Choices(data);
    const METHODS: [&str; 6] = ["GET", "POST", "PUT", "DELETE", "PATCH", "FROB"];
    let method = METHODS[usize::from(c.byte()) % METHODS.len()];
    let target = format!("/{}", c.string(PATH, 48));
    let host = format!("h{}.example:{}", c.byte(), c.byte());
    let mut headers = Vec::new();
    for _ in 0..c.byte() % 6 {
        let name = c.string(TCHARS, 16);
        let value = c.string(VALUE, 40);
        let name = if name.is_empty() || is_managed(&name) {
            format!("x-{name}")
        } else {
            name
        };
        headers.push((name, value.trim_matches([' ', '\t']).to_owned()));
    }
    let status = [200, 201, 400, 401, 404, 405, 413, 429, 500][usize::from(c.byte()) % 9];
    let extra: Vec<(String, String)> = (0..c.byte() % 3)
        .map(|i| {
            let name = ["Allow", "Retry-After", "WWW-Authenticate"][usize::from(i)];
            (name.to_owned(), c.string(TCHARS, 20))
        })
        .collect();
    let body = c.0.to_vec();

    let mut client = ClientConn::new();
    let borrowed: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let bytes = client.encode_request(method, &target, &host, &borrowed, &body);

    let mut expected_headers = vec![("Host".to_owned(), host.clone().into_bytes())];
    expected_headers.extend(
        headers
            .iter()
            .map(|(n, v)| (n.clone(), v.clone().into_bytes())),
    );
    expected_headers.push((
        "Content-Length".to_owned(),
        body.len().to_string().into_bytes(),
    ));
    let expected = Request {
        method: method.to_owned(),
        target,
        version: Version::Http11,
        headers: expected_headers.into_iter().collect(),
        body,
    };

    let now = Now {
        mono: start,
        wall: UnixMillis(1_795_939_565_123),
    };
    let limits = Limits {
        max_body_bytes: 1 << 20,
        ..Limits::default()
    };
    let mut conn = Conn::new(limits, now);
    conn.handle_input(Input::Bytes(&bytes), now);
    let Output::Request(id, request) = conn.poll_output() else {
        panic!(
            "no request parsed from {:?}",
            String::from_utf8_lossy(&bytes)
        );
    };
    assert_eq!(request, expected);
    assert_eq!(conn.poll_output(), Output::Timeout(None));

    let mut response = Response::json(status, request.body.clone());
    response.headers = extra.clone();
    conn.handle_input(Input::Response(id, response), now);
    let Output::Send(sent) = conn.poll_output() else {
        panic!("no response written");
    };
    client.feed(&sent);
    let back = client
        .poll_response()
        .expect("response parses")
        .expect("response complete");
    assert_eq!(back.status, status);
    assert_eq!(back.body, request.body);
    let back_extra: Vec<_> = back
        .headers
        .iter()
        .filter(|(n, _)| extra.iter().any(|(e, _)| e == n))
        .cloned()
        .collect();
    assert_eq!(back_extra, extra);
    assert_eq!(back.header("date"), Some("Sun, 29 Nov 2026 08:06:05 GMT"));
    assert!(client.is_reusable());
}

/// A streamed answer (`Input::StreamStart`, chunks, `Input::StreamEnd`) to an
/// HTTP/1.1 request reads back, through the client role, as one response
/// whose body is the chunks in order, and the connection goes on with the
/// request pipelined behind it, which is handed out only once the stream has
/// ended. Bytes of `data`: the chunk sizes (a size byte, then that many body
/// bytes; zero-length chunks are sent too and must vanish), and where the
/// pipelined request arrives (before the stream, or after chunk N).
pub fn stream_roundtrip(data: &[u8], start: Instant) {
    let mut c = Choices(data);
    let arrive_after = c.byte();
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    while !c.0.is_empty() {
        let len = usize::from(c.byte() % 64);
        let take = len.min(c.0.len());
        chunks.push(c.0[..take].to_vec());
        c.0 = &c.0[take..];
    }
    let now = Now {
        mono: start,
        wall: UnixMillis(1_795_939_565_123),
    };
    let mut conn = Conn::new(Limits::default(), now);
    let first = b"GET /events HTTP/1.1\r\nHost: h\r\nAccept: text/event-stream\r\n\r\n";
    let second = b"GET /status HTTP/1.1\r\nHost: h\r\n\r\n";
    conn.handle_input(Input::Bytes(first), now);
    let Output::Request(id, _) = conn.poll_output() else {
        panic!("no request parsed");
    };
    let mut sent = Vec::new();
    let drain = |conn: &mut Conn, sent: &mut Vec<u8>| loop {
        match conn.poll_output() {
            Output::Send(bytes) => sent.extend_from_slice(&bytes),
            Output::Timeout(_) => return,
            other => panic!("unexpected {other:?} while streaming"),
        }
    };
    let head =
        Response::json(200, b"ignored".to_vec()).with_header("Content-Type", "text/event-stream");
    conn.handle_input(Input::StreamStart(id, head), now);
    drain(&mut conn, &mut sent);
    for (i, chunk) in chunks.iter().enumerate() {
        if usize::from(arrive_after) == i {
            conn.handle_input(Input::Bytes(second), now);
        }
        conn.handle_input(Input::StreamChunk(id, chunk), now);
        // A whole response to a stream is not an answer to anything.
        conn.handle_input(Input::Response(id, Response::json(500, vec![])), now);
        drain(&mut conn, &mut sent);
    }
    if usize::from(arrive_after) >= chunks.len() {
        conn.handle_input(Input::Bytes(second), now);
        drain(&mut conn, &mut sent);
    }
    conn.handle_input(Input::StreamEnd(id), now);
    let mut next = None;
    loop {
        match conn.poll_output() {
            Output::Send(bytes) => sent.extend_from_slice(&bytes),
            Output::Request(id, request) => next = Some((id, request)),
            Output::Timeout(_) => break,
            Output::Close => panic!("the stream's connection closed"),
        }
    }
    let (_, request) = next.expect("the pipelined request, after the stream");
    assert_eq!(request.target, "/status");

    let mut client = ClientConn::new();
    let _ = client.encode_request("GET", "/events", "h", &[], b"");
    client.feed(&sent);
    let back = client
        .poll_response()
        .expect("the stream parses")
        .expect("the stream is complete");
    assert_eq!(back.status, 200);
    assert_eq!(back.header("content-type"), Some("text/event-stream"));
    assert_eq!(back.body, chunks.concat());
    assert!(client.is_reusable());
}

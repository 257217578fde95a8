//! `Conn::has_partial_request`: true exactly while a request's head or body is
//! partly read, which is when an adapter acknowledges a read at once.

use agora_core::http::{Conn, Input, Limits, Now, Output, Response};
use agora_core::time::UnixMillis;
use std::time::Instant;

fn now0() -> Now {
    Now {
        mono: Instant::now(),
        wall: UnixMillis(1_795_939_565_123),
    }
}

#[test]
fn partial_only_between_a_requests_first_and_last_byte() {
    let t0 = now0();
    let mut conn = Conn::new(Limits::default(), t0);
    assert!(!conn.has_partial_request(), "idle");
    conn.handle_input(Input::Bytes(b"POST /send HTTP/1.1\r\nHost: h\r\n"), t0);
    assert!(conn.has_partial_request(), "half a head");
    conn.handle_input(Input::Bytes(b"Content-Length: 4\r\n\r\n"), t0);
    assert!(conn.has_partial_request(), "head without its body");
    conn.handle_input(Input::Bytes(b"{}{"), t0);
    assert!(conn.has_partial_request(), "part of the body");
    conn.handle_input(Input::Bytes(b"}"), t0);
    let Output::Request(id, _) = conn.poll_output() else {
        panic!("the complete request is handed out")
    };
    assert!(!conn.has_partial_request(), "in flight");
    conn.handle_input(Input::Response(id, Response::json(200, vec![])), t0);
    while !matches!(conn.poll_output(), Output::Timeout(_)) {}
    assert!(!conn.has_partial_request(), "idle again");
}

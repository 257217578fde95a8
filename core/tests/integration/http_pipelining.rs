//! Several requests in flight on one connection (`Conn::with_max_in_flight`):
//! pipelined requests are handed out together, their answers leave in
//! request order whatever order they are fed in, and what ends a pipeline
//! (`Connection: close`, a protocol error, EOF) or holds it (`Expect:
//! 100-continue`, a stream) does so in order. Virtual time throughout.

use crate::support;

use agora_core::http::{Conn, Input, Limits, Now, Output, ReqId, Response};
use agora_testkit::http_fuzzing::{self, small_limits};
use std::time::Duration;
use support::now0;

const GET: &str = "GET /status HTTP/1.1\r\nHost: h\r\n\r\n";
const CLOSE: &str = "GET /status HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";

/// What the connection said, drained until it waits.
#[derive(Default, Debug)]
struct Said {
    sent: Vec<u8>,
    requests: Vec<(ReqId, String)>,
    closed: bool,
    deadline: Option<std::time::Instant>,
}

fn drain(conn: &mut Conn) -> Said {
    let mut said = Said::default();
    loop {
        match conn.poll_output() {
            Output::Send(bytes) => {
                assert!(!said.closed, "sent after Close");
                said.sent.extend_from_slice(&bytes);
            }
            Output::Request(id, request) => said.requests.push((id, request.target)),
            Output::Close => said.closed = true,
            Output::Timeout(deadline) => {
                said.deadline = deadline;
                return said;
            }
        }
    }
}

/// The statuses and bodies of the responses in `bytes`, in order.
fn responses(bytes: &[u8]) -> Vec<(u16, String)> {
    http_fuzzing::sent_responses(bytes)
        .into_iter()
        .map(|r| (r.status, String::from_utf8(r.body).unwrap()))
        .collect()
}

fn answer(n: usize) -> Response {
    Response::json(200, format!("{{\"n\":{n}}}").into_bytes())
}

fn body(n: usize) -> String {
    format!("{{\"n\":{n}}}")
}

fn later(now: Now, secs: u64) -> Now {
    Now {
        mono: now.mono + Duration::from_secs(secs),
        wall: now.wall.plus_ms(secs * 1000),
    }
}

/// A connection four requests deep, at `now0()`, fed `bytes`: the
/// connection, its clock and what it said.
fn fed(bytes: &str) -> (Conn, Now, Said) {
    let t0 = now0();
    let mut conn = Conn::new(Limits::default(), t0).with_max_in_flight(4);
    conn.handle_input(Input::Bytes(bytes.as_bytes()), t0);
    let said = drain(&mut conn);
    (conn, t0, said)
}

#[test]
fn pipelined_requests_are_handed_out_together_and_answered_in_order() {
    let (mut conn, t0, said) = fed(&GET.repeat(6));
    assert_eq!(said.requests.len(), 4, "up to the depth at once");
    assert_eq!(
        said.deadline, None,
        "no deadline while requests are in flight"
    );
    let ids: Vec<ReqId> = said.requests.iter().map(|(id, _)| *id).collect();

    // Answers fed newest first: nothing leaves until the oldest is answered.
    for n in (1..4).rev() {
        conn.handle_input(Input::Response(ids[n], answer(n)), t0);
        let said = drain(&mut conn);
        assert!(said.sent.is_empty(), "answer {n} went out before answer 0");
        assert!(said.requests.is_empty());
    }
    conn.handle_input(Input::Response(ids[0], answer(0)), t0);
    let said = drain(&mut conn);
    let got = responses(&said.sent);
    assert_eq!(
        got,
        (0..4).map(|n| (200, body(n))).collect::<Vec<_>>(),
        "all four, in request order"
    );
    // Room again: the last two buffered requests are handed out.
    assert_eq!(said.requests.len(), 2);
    assert!(!said.closed);
}

#[test]
fn an_answer_to_no_request_in_flight_or_given_twice_is_ignored() {
    let (mut conn, t0, said) = fed(&GET.repeat(2));
    let (a, b) = (said.requests[0].0, said.requests[1].0);
    conn.handle_input(Input::Response(ReqId(b.0 + 7), answer(9)), t0);
    conn.handle_input(Input::Response(b, answer(1)), t0);
    conn.handle_input(Input::Response(b, answer(8)), t0);
    assert!(drain(&mut conn).sent.is_empty());
    conn.handle_input(Input::Response(a, answer(0)), t0);
    let got = responses(&drain(&mut conn).sent);
    assert_eq!(got, vec![(200, body(0)), (200, body(1))]);
}

#[test]
fn connection_close_in_the_middle_is_the_last_request_handed_out() {
    let t0 = now0();
    let mut conn = Conn::new(Limits::default(), t0).with_max_in_flight(8);
    let bytes = [GET, CLOSE, GET].concat();
    conn.handle_input(Input::Bytes(bytes.as_bytes()), t0);
    let said = drain(&mut conn);
    assert_eq!(said.requests.len(), 2, "nothing after `Connection: close`");
    let (a, b) = (said.requests[0].0, said.requests[1].0);
    conn.handle_input(Input::Response(b, answer(1)), t0);
    let said = drain(&mut conn);
    assert!(
        said.sent.is_empty() && !said.closed,
        "the first is not answered yet"
    );
    conn.handle_input(Input::Response(a, answer(0)), t0);
    let said = drain(&mut conn);
    assert_eq!(responses(&said.sent), vec![(200, body(0)), (200, body(1))]);
    assert!(said.closed);
    assert!(String::from_utf8_lossy(&said.sent).ends_with(&body(1)));
    assert!(String::from_utf8_lossy(&said.sent).contains("Connection: close\r\n"));
}

#[test]
fn a_protocol_error_is_answered_after_the_requests_before_it() {
    let t0 = now0();
    let mut conn = Conn::new(Limits::default(), t0).with_max_in_flight(8);
    let bytes = [GET, GET, "BAD LINE\r\n\r\n"].concat();
    conn.handle_input(Input::Bytes(bytes.as_bytes()), t0);
    let said = drain(&mut conn);
    assert_eq!(said.requests.len(), 2);
    assert!(
        said.sent.is_empty(),
        "the error waits for the answers before it"
    );
    assert!(!said.closed);
    assert!(conn.error().is_some());
    let (a, b) = (said.requests[0].0, said.requests[1].0);
    conn.handle_input(Input::Response(a, answer(0)), t0);
    let said = drain(&mut conn);
    assert_eq!(responses(&said.sent), vec![(200, body(0))]);
    assert!(!said.closed);
    conn.handle_input(Input::Response(b, answer(1)), t0);
    let said = drain(&mut conn);
    let got = responses(&said.sent);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0], (200, body(1)));
    assert_eq!(got[1].0, 400);
    assert!(said.closed);
}

#[test]
fn eof_behind_a_pipeline_closes_after_the_last_answer() {
    let t0 = now0();
    let mut conn = Conn::new(Limits::default(), t0).with_max_in_flight(8);
    conn.handle_input(Input::Bytes(GET.repeat(3).as_bytes()), t0);
    conn.handle_input(Input::Eof, t0);
    let said = drain(&mut conn);
    assert_eq!(said.requests.len(), 3);
    assert!(!said.closed, "the answers are still owed");
    for (n, (id, _)) in said.requests.iter().enumerate() {
        conn.handle_input(Input::Response(*id, answer(n)), t0);
    }
    let said = drain(&mut conn);
    assert_eq!(responses(&said.sent).len(), 3);
    assert!(said.closed);
    let text = String::from_utf8_lossy(&said.sent);
    assert_eq!(
        text.matches("Connection: close").count(),
        1,
        "on the last only"
    );
}

#[test]
fn a_head_cut_short_by_eof_still_gets_the_answers_before_it() {
    let t0 = now0();
    let mut conn = Conn::new(Limits::default(), t0).with_max_in_flight(8);
    conn.handle_input(Input::Bytes(format!("{GET}{GET}GET /sta").as_bytes()), t0);
    conn.handle_input(Input::Eof, t0);
    let said = drain(&mut conn);
    assert_eq!(said.requests.len(), 2);
    assert!(!said.closed);
    conn.handle_input(Input::Response(said.requests[1].0, answer(1)), t0);
    conn.handle_input(Input::Response(said.requests[0].0, answer(0)), t0);
    let said = drain(&mut conn);
    assert_eq!(responses(&said.sent), vec![(200, body(0)), (200, body(1))]);
    assert!(said.closed);
    assert_eq!(conn.error(), None, "a cut head is not answered");
}

#[test]
fn expect_continue_waits_until_every_earlier_request_is_answered() {
    let t0 = now0();
    let mut conn = Conn::new(Limits::default(), t0).with_max_in_flight(8);
    let post =
        "POST /send HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n";
    conn.handle_input(Input::Bytes(format!("{GET}{post}").as_bytes()), t0);
    let said = drain(&mut conn);
    assert_eq!(said.requests.len(), 1);
    assert!(said.sent.is_empty(), "no 100 before the first answer");
    conn.handle_input(Input::Response(said.requests[0].0, answer(0)), t0);
    let said = drain(&mut conn);
    let text = String::from_utf8_lossy(&said.sent).into_owned();
    let final_at = text.find("HTTP/1.1 200").expect("the first answer");
    let continue_at = text.find("HTTP/1.1 100 Continue").expect("then the 100");
    assert!(final_at < continue_at);
    conn.handle_input(Input::Bytes(b"{}"), t0);
    let said = drain(&mut conn);
    assert_eq!(said.requests.len(), 1);
    assert_eq!(said.requests[0].1, "/send");
}

#[test]
fn a_stream_goes_to_the_oldest_request_and_holds_later_answers() {
    let t0 = now0();
    let mut conn = Conn::new(Limits::default(), t0).with_max_in_flight(4);
    let events = "GET /events HTTP/1.1\r\nHost: h\r\nAccept: text/event-stream\r\n\r\n";
    conn.handle_input(Input::Bytes(format!("{events}{GET}").as_bytes()), t0);
    let said = drain(&mut conn);
    let (stream, later) = (said.requests[0].0, said.requests[1].0);
    let head = Response::json(200, vec![]).with_header("Content-Type", "text/event-stream");
    // Not the oldest: ignored.
    conn.handle_input(Input::StreamStart(later, head.clone()), t0);
    assert!(drain(&mut conn).sent.is_empty());
    conn.handle_input(Input::StreamStart(stream, head), t0);
    conn.handle_input(Input::Response(later, answer(1)), t0);
    conn.handle_input(Input::StreamChunk(stream, b"data: x\n\n"), t0);
    let said = drain(&mut conn);
    let text = String::from_utf8_lossy(&said.sent).into_owned();
    assert!(text.contains("data: x"));
    assert!(
        !text.contains(&body(1)),
        "the later answer waits for the stream"
    );
    conn.handle_input(Input::StreamEnd(stream), t0);
    let said = drain(&mut conn);
    let text = String::from_utf8_lossy(&said.sent).into_owned();
    assert!(
        text.starts_with("0\r\n\r\n"),
        "the stream ends first: {text:?}"
    );
    assert!(text.ends_with(&body(1)));
}

#[test]
fn room_is_bounded_by_the_bytes_of_the_requests_in_flight() {
    let t0 = now0();
    let limits = small_limits();
    let room = limits.max_header_bytes + limits.max_body_bytes;
    let mut conn = Conn::new(limits, t0).with_max_in_flight(1000);
    let n = 3 * room / GET.len();
    conn.handle_input(Input::Bytes(GET.repeat(n).as_bytes()), t0);
    let said = drain(&mut conn);
    let handed = said.requests.len();
    assert!(
        handed > 1 && handed * GET.len() <= room + GET.len(),
        "{handed}"
    );
    assert!(
        !conn.wants_input(),
        "paused with a full request's worth buffered"
    );
    for (id, _) in &said.requests {
        conn.handle_input(Input::Response(*id, answer(0)), t0);
    }
    let said = drain(&mut conn);
    assert_eq!(responses(&said.sent).len(), handed);
    assert_eq!(said.requests.len(), handed, "room again, as much");
}

#[test]
fn deadlines_count_from_the_last_answer() {
    let (mut conn, t0, said) = fed(&format!("{GET}{GET}GET / HT"));
    assert_eq!(said.requests.len(), 2);
    assert_eq!(said.deadline, None);
    // Long past the header timeout, but requests are in flight.
    let t1 = later(t0, 30);
    conn.handle_input(Input::Timeout, t1);
    let said2 = drain(&mut conn);
    assert!(said2.sent.is_empty() && !said2.closed);
    conn.handle_input(Input::Response(said.requests[0].0, answer(0)), t1);
    assert_eq!(drain(&mut conn).deadline, None, "one still in flight");
    let t2 = later(t0, 40);
    conn.handle_input(Input::Response(said.requests[1].0, answer(1)), t2);
    let said = drain(&mut conn);
    assert_eq!(said.deadline, Some(t2.mono + Duration::from_secs(10)));
}

#[test]
fn depth_one_is_the_default() {
    let t0 = now0();
    let mut conn = Conn::new(Limits::default(), t0);
    conn.handle_input(Input::Bytes(GET.repeat(3).as_bytes()), t0);
    assert_eq!(drain(&mut conn).requests.len(), 1);
}

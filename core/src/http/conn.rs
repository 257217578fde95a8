//! The server-role connection: the public face of the machine in `state`.

use super::buf::ReadBuf;
use super::error::HttpError;
use super::state::{Event, Flight, Phase};
use super::{Input, Limits, Now, Output, Precheck};
use crate::time::UnixMillis;
use std::collections::VecDeque;

/// One server-side HTTP/1.1 connection, sans IO.
///
/// # Call contract
///
/// The adapter owns the socket and the clock; `Conn` owns the protocol.
///
/// 1. Create it with [`Conn::new`] when the connection is accepted, and give
///    it the application's [`Precheck`] with [`Conn::with_precheck`].
/// 2. Feed every event with [`Conn::handle_input`], each with the current
///    time ([`Now`], both clocks): [`Input::Bytes`] for bytes read,
///    [`Input::Eof`] when the peer closed its sending side, [`Input::Timeout`]
///    when the last reported deadline passed, and [`Input::Response`] with the
///    application's answer to a request. Unlike DESIGN.md's sketch, `now` comes
///    with *every* input, not only timeouts: the header timeout starts when the
///    first byte of a request arrives, and the `Date` of a response is the
///    wall time it is written at. `Conn` never reads a clock.
/// 3. After every input, call [`Conn::poll_output`] until it returns
///    [`Output::Timeout`], and do what each output says, in order:
///    [`Output::Send`] (write all the bytes), [`Output::Request`] (give the
///    request to the application, then later feed its response back with
///    the same [`ReqId`](super::ReqId)), [`Output::Close`] (close the socket
///    after writing what was sent before). `poll_output` never blocks or
///    loops: once its queue is empty it returns `Timeout`.
/// 4. `Timeout(Some(t))`: feed `Input::Timeout` once `t` has passed (early or
///    spurious timeouts are ignored). `Timeout(None)`: no deadline, because a
///    request is in flight (waiting for the application) or the connection is
///    closed. After `Close`, `poll_output` returns `Timeout(None)` forever and
///    every input is ignored.
///
/// ## Pipelining: several requests in flight, answers in order
///
/// With [`Conn::with_max_in_flight`]`(k)`, up to `k` requests (and, beyond the
/// first, no more than one full request's worth of their bytes:
/// `max_header_bytes + max_body_bytes`) may be in flight at once: the machine
/// hands out pipelined requests while earlier ones wait for the application,
/// so that it can handle them together. The default, `k = 1`, hands out the
/// next request only once the previous one is answered.
///
/// Answers may be fed in any order; each goes out once every earlier request
/// is answered, so responses always leave in request order. An answer whose
/// id is not of a request in flight (or that was already answered) is
/// ignored. When reading is paused for room, later bytes stay buffered and
/// the adapter may stop reading while [`Conn::wants_input`] is false, which
/// keeps the buffer bounded.
///
/// What ends or holds the pipeline: a request that does not keep the
/// connection alive (`Connection: close`, HTTP/1.0 without keep-alive) is the
/// last one handed out, and the connection closes after its answer; a
/// protocol error in a later request is answered (and the connection closed)
/// after the answers of the requests before it; a head with `Expect:
/// 100-continue` is read only once every earlier request is answered (the
/// `100` is an answer too). While a request is in flight there is no
/// deadline: the header timeout of a request already buffered, and the idle
/// timeout, count from the last answer.
///
/// A request may also be answered with a stream (`text/event-stream`):
/// [`Input::StreamStart`] with the head, any number of [`Input::StreamChunk`]s
/// as the body comes, then [`Input::StreamEnd`]. Only the oldest request in
/// flight may start a stream (a `StreamStart` for a later one is ignored), so
/// an application that may stream an answer hands it the request only once
/// the earlier ones are answered. The machine frames it chunked (an HTTP/1.0
/// client gets the raw bytes and the connection closes at the end). The
/// request stays in flight the whole time: no deadline, and the answers of
/// later requests wait until the stream ends.
///
/// `Expect: 100-continue` (on an HTTP/1.1 request with a body) is answered
/// `100 Continue` before the body is read, unless the head alone is refused
/// (RFC 9110 §10.1.1): by the machine (413 for a declared length over the
/// limit, as any protocol error) or by the precheck, which is called with the
/// head (and only then, never for a request without that expectation). A
/// refusal is sent at once with `Connection: close`, then `Close`, without
/// reading the body: the adapter should keep reading and dropping what the
/// peer still sends for a moment before closing the socket, so that the
/// refusal is not lost to a reset. Without a precheck, every such head that
/// the machine accepts gets `100 Continue`.
///
/// Protocol errors ([`HttpError`]) are answered with API.md's JSON error and
/// `Connection: close`, then `Close`; they are sticky ([`Conn::error`]).
/// Timeouts: a request must be complete within `header_timeout` of its first
/// byte (or of the previous response, when it was already buffered), else
/// 408 and close; a keep-alive connection with nothing buffered is closed
/// quietly after `idle_timeout`. A newly accepted connection that sends
/// nothing is closed quietly after `header_timeout`.
#[derive(Debug)]
pub struct Conn {
    pub(crate) limits: Limits,
    pub(crate) buf: ReadBuf,
    pub(crate) phase: Phase,
    /// The peer sent EOF: answer what is complete, then close.
    pub(crate) peer_closed: bool,
    pub(crate) out: VecDeque<Output>,
    /// Requests handed out and not yet answered (and a protocol error queued
    /// behind them), in request order.
    pub(crate) flights: VecDeque<Flight>,
    /// Their bytes in the buffer, counted against the room for more.
    pub(crate) flight_bytes: usize,
    /// How many requests may be in flight at once (see the call contract).
    pub(crate) max_in_flight: usize,
    /// `Output::Close` was queued.
    pub(crate) close_sent: bool,
    pub(crate) next_id: u64,
    pub(crate) error: Option<HttpError>,
    pub(crate) date: DateCache,
    /// Asked before `100 Continue`; see the call contract.
    pub(crate) precheck: Option<Precheck>,
}

impl Conn {
    pub fn new(limits: Limits, now: Now) -> Conn {
        let deadline = now.mono + limits.header_timeout;
        Conn {
            limits,
            buf: ReadBuf::default(),
            phase: Phase::Idle { deadline },
            peer_closed: false,
            out: VecDeque::new(),
            flights: VecDeque::new(),
            flight_bytes: 0,
            max_in_flight: 1,
            close_sent: false,
            next_id: 0,
            error: None,
            date: DateCache::default(),
            precheck: None,
        }
    }

    /// Sets the application's check of a head that carries `Expect:
    /// 100-continue` (see the call contract).
    #[must_use]
    pub fn with_precheck(mut self, precheck: Precheck) -> Conn {
        self.precheck = Some(precheck);
        self
    }

    /// Lets up to `depth` (at least 1) requests be in flight at once, so that
    /// the application can handle pipelined requests together (see the call
    /// contract). The default is 1.
    #[must_use]
    pub fn with_max_in_flight(mut self, depth: usize) -> Conn {
        self.max_in_flight = depth.max(1);
        self
    }

    /// Feeds one event that happened at `now`. See the call contract above.
    pub fn handle_input(&mut self, input: Input<'_>, now: Now) {
        let event = match input {
            Input::Bytes(bytes) => Event::Bytes(bytes),
            Input::Eof => Event::Eof,
            Input::Timeout => Event::Timeout,
            Input::Response(id, response) => Event::Response(id, response),
            Input::StreamStart(id, response) => Event::StreamStart(id, response),
            Input::StreamChunk(id, bytes) => Event::StreamChunk(id, bytes),
            Input::StreamEnd(id) => Event::StreamEnd(id),
        };
        self.step(event, now);
    }

    /// The next thing to do; `Output::Timeout` when there is nothing more.
    #[must_use = "outputs must be drained and acted on, in order"]
    pub fn poll_output(&mut self) -> Output {
        match self.out.pop_front() {
            Some(output) => output,
            None => Output::Timeout(self.deadline()),
        }
    }

    /// The protocol error the connection was closed for, if any.
    pub fn error(&self) -> Option<&HttpError> {
        self.error.as_ref()
    }

    /// Whether the connection has closed (or will, once the queued outputs
    /// are done).
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// Whether reading more from the socket is useful now. False once closed,
    /// and while reading is paused (requests in flight use up the room) with
    /// a full request's worth of later bytes buffered (the adapter should
    /// stop reading until a response goes out).
    pub fn wants_input(&self) -> bool {
        match self.phase {
            Phase::Closed => false,
            Phase::Paused => {
                self.buf.len() < self.limits.max_header_bytes + self.limits.max_body_bytes
            }
            _ => true,
        }
    }

    /// Whether part of a request (its head, or its head and part of its body)
    /// is buffered and the rest is awaited. An adapter uses it to acknowledge
    /// such reads at once: a client with Nagle's algorithm on holds the rest
    /// of the request until the part already sent is acknowledged.
    pub fn has_partial_request(&self) -> bool {
        matches!(self.phase, Phase::Head { .. } | Phase::Body { .. })
    }

    /// Bytes of read buffer held (for memory accounting; 0 when idle).
    pub fn buffered_capacity(&self) -> usize {
        self.buf.capacity()
    }
}

/// The `Date` value, formatted once per second.
#[derive(Debug, Default)]
pub(crate) struct DateCache {
    second: Option<i64>,
    text: String,
}

impl DateCache {
    pub(crate) fn format(&mut self, wall: UnixMillis) -> &str {
        let second = wall.0.div_euclid(1000);
        if self.second != Some(second) {
            self.second = Some(second);
            self.text = wall.to_http_date();
        }
        &self.text
    }
}

//! The server-role connection's public face and its call contract. The state
//! and every transition of it live in `state.rs` (`Machine`); this file only
//! says how an adapter drives it.

use super::error::HttpError;
use super::state::Machine;
use super::{Input, Limits, Now, Output, Precheck};

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
///    application's answer to a request. `now` comes with *every* input, not
///    only timeouts: the header timeout starts when the first byte of a
///    request arrives, and the `Date` of a response is the wall time it is
///    written at. `Conn` never reads a clock.
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
    machine: Machine,
}

impl Conn {
    pub fn new(limits: Limits, now: Now) -> Conn {
        Conn {
            machine: Machine::new(limits, now),
        }
    }

    /// Sets the application's check of a head that carries `Expect:
    /// 100-continue` (see the call contract).
    #[must_use]
    pub fn with_precheck(mut self, precheck: Precheck) -> Conn {
        self.machine.set_precheck(precheck);
        self
    }

    /// Lets up to `depth` (at least 1) requests be in flight at once, so that
    /// the application can handle pipelined requests together (see the call
    /// contract). The default is 1.
    #[must_use]
    pub fn with_max_in_flight(mut self, depth: usize) -> Conn {
        self.machine.set_max_in_flight(depth);
        self
    }

    /// Feeds one input that happened at `now`. See the call contract above.
    pub fn handle_input(&mut self, input: Input<'_>, now: Now) {
        self.machine.handle(input, now);
    }

    /// The next thing to do; `Output::Timeout` when there is nothing more.
    #[must_use = "outputs must be drained and acted on, in order"]
    pub fn poll_output(&mut self) -> Output {
        self.machine.poll_output()
    }

    /// The protocol error the connection was closed for, if any.
    pub fn error(&self) -> Option<&HttpError> {
        self.machine.error()
    }

    /// Whether the connection has closed (or will, once the queued outputs
    /// are done).
    pub fn is_closed(&self) -> bool {
        self.machine.is_closed()
    }

    /// Whether reading more from the socket is useful now. False once closed,
    /// and while reading is paused (requests in flight use up the room) with
    /// a full request's worth of later bytes buffered (the adapter should
    /// stop reading until a response goes out).
    pub fn wants_input(&self) -> bool {
        self.machine.wants_input()
    }

    /// Whether part of a request (its head, or its head and part of its body)
    /// is buffered and the rest is awaited. An adapter uses it to acknowledge
    /// such reads at once: a client with Nagle's algorithm on holds the rest
    /// of the request until the part already sent is acknowledged.
    pub fn has_partial_request(&self) -> bool {
        self.machine.has_partial_request()
    }

    /// Bytes of read buffer held (for memory accounting; 0 when idle).
    pub fn buffered_capacity(&self) -> usize {
        self.machine.buffered_capacity()
    }
}

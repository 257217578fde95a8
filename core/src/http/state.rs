//! The server-role connection's state and every transition of it, in one
//! place: [`Machine`] holds the state, and [`Machine::handle`] is the
//! transition function, one explicit `match` on the phase and the input.
//! `conn.rs` wraps it in the public [`Conn`](super::Conn) and writes down the
//! call contract; nothing outside this file touches the state.
//!
//! Two sides move here. The read side (`Phase`) parses requests out of the
//! buffer and hands them out; the answer side (`Machine::flights`) holds the
//! requests handed out and not yet answered, in request order, and writes
//! each answer once every earlier one is out. Reading goes on while fewer
//! than `max_in_flight` requests (and fewer than one full request's worth of
//! their bytes) are unanswered, so that pipelined requests can be handled
//! together; it pauses otherwise.

use super::buf::ReadBuf;
use super::error::HttpError;
use super::framing::{BodyLimits, BodyReader, Framing};
use super::head::{self, HeadParse};
use super::writer::{self, BodyFraming, DateCache, ResponseMode};
use super::{Input, Limits, Now, Output, Precheck, ReqId, Request, Response, Version};
use std::collections::VecDeque;
use std::time::Instant;

/// The state of one server-side connection (see [`Conn`](super::Conn)).
#[derive(Debug)]
pub(super) struct Machine {
    limits: Limits,
    buf: ReadBuf,
    phase: Phase,
    /// The peer sent EOF: answer what is complete, then close.
    peer_closed: bool,
    out: VecDeque<Output>,
    /// Requests handed out and not yet answered (and a protocol error queued
    /// behind them), in request order.
    flights: VecDeque<Flight>,
    /// Their bytes in the buffer, counted against the room for more.
    flight_bytes: usize,
    /// How many requests may be in flight at once (see the call contract).
    max_in_flight: usize,
    /// `Output::Close` was queued.
    close_sent: bool,
    next_id: u64,
    error: Option<HttpError>,
    date: DateCache,
    /// Asked before `100 Continue`; see the call contract.
    precheck: Option<Precheck>,
}

/// Where the read side of the connection is.
#[derive(Debug)]
enum Phase {
    /// No byte of a request buffered. At the deadline: close quietly.
    Idle {
        deadline: Instant,
    },
    /// Part of a request head buffered. At the deadline: 408.
    Head {
        deadline: Instant,
    },
    /// The head is in, the body is being read. At the deadline: 408.
    Body {
        deadline: Instant,
        partial: Box<PartialRequest>,
    },
    /// Reading stopped until an answer goes out: the requests in flight use
    /// up the room, or the buffered head expects `100 Continue` (which may
    /// only be sent once every earlier answer is out).
    Paused,
    /// No more requests are read (the last one handed out closes the
    /// connection, a protocol error is queued, or the peer closed): close
    /// once every request in flight is answered.
    Draining,
    Closed,
}

/// A request whose head is in and whose body is still arriving.
#[derive(Debug)]
struct PartialRequest {
    request: Request,
    reader: BodyReader,
    keep_alive: bool,
    /// Bytes of the buffer it used so far (head and body).
    bytes: usize,
}

/// A request handed out (or a protocol error queued behind them), awaiting
/// its turn to be answered.
#[derive(Debug)]
struct Flight {
    id: ReqId,
    keep_alive: bool,
    version: Version,
    head: bool,
    /// Bytes the request took in the buffer, counted against the room.
    bytes: usize,
    /// Its answer is being streamed: the head is out, chunks follow.
    streaming: bool,
    /// Its answer, fed before an earlier request's went out.
    answer: Option<Response>,
}

impl Phase {
    fn deadline(&self) -> Option<Instant> {
        match self {
            Phase::Idle { deadline } | Phase::Head { deadline } | Phase::Body { deadline, .. } => {
                Some(*deadline)
            }
            Phase::Paused | Phase::Draining | Phase::Closed => None,
        }
    }

    /// The same phase with its deadline counted from `now` again.
    fn restarted(self, idle: Instant, header: Instant) -> Phase {
        match self {
            Phase::Idle { .. } => Phase::Idle { deadline: idle },
            Phase::Head { .. } => Phase::Head { deadline: header },
            Phase::Body { partial, .. } => Phase::Body {
                deadline: header,
                partial,
            },
            other => other,
        }
    }
}

impl Machine {
    pub(super) fn new(limits: Limits, now: Now) -> Machine {
        let deadline = now.mono + limits.header_timeout;
        Machine {
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

    pub(super) fn set_precheck(&mut self, precheck: Precheck) {
        self.precheck = Some(precheck);
    }

    pub(super) fn set_max_in_flight(&mut self, depth: usize) {
        self.max_in_flight = depth.max(1);
    }

    /// The next output queued; `Output::Timeout` with the deadline when
    /// there is none.
    pub(super) fn poll_output(&mut self) -> Output {
        match self.out.pop_front() {
            Some(output) => output,
            None => Output::Timeout(self.deadline()),
        }
    }

    pub(super) fn error(&self) -> Option<&HttpError> {
        self.error.as_ref()
    }

    pub(super) fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// See `Conn::wants_input`.
    pub(super) fn wants_input(&self) -> bool {
        match self.phase {
            Phase::Closed => false,
            Phase::Paused => {
                self.buf.len() < self.limits.max_header_bytes + self.limits.max_body_bytes
            }
            _ => true,
        }
    }

    /// Part of a request is buffered and the rest is awaited.
    pub(super) fn has_partial_request(&self) -> bool {
        matches!(self.phase, Phase::Head { .. } | Phase::Body { .. })
    }

    pub(super) fn buffered_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The deadline to report: none while a request is in flight (the
    /// application, not the peer, is awaited).
    fn deadline(&self) -> Option<Instant> {
        if self.flights.is_empty() {
            self.phase.deadline()
        } else {
            None
        }
    }

    /// The transition function: the current phase and an input give the next
    /// phase (and outputs queued on the way).
    pub(super) fn handle(&mut self, input: Input<'_>, now: Now) {
        let phase = std::mem::replace(&mut self.phase, Phase::Closed);
        self.phase = match (phase, input) {
            // Sticky: after closing, nothing more happens.
            (Phase::Closed, _) => Phase::Closed,
            (phase, Input::Bytes([])) => phase,

            (Phase::Idle { .. }, Input::Bytes(bytes)) => {
                self.buf.extend(bytes);
                self.read_head(now.mono + self.limits.header_timeout, now)
            }
            (Phase::Head { deadline }, Input::Bytes(bytes)) => {
                self.buf.extend(bytes);
                // The head parser only looks at complete lines (or a full
                // window), so nothing can change without a new line end.
                if bytes.contains(&b'\n') || self.buf.len() >= self.limits.max_header_bytes {
                    self.read_head(deadline, now)
                } else {
                    Phase::Head { deadline }
                }
            }
            (Phase::Body { deadline, partial }, Input::Bytes(bytes)) => {
                self.buf.extend(bytes);
                self.read_body(deadline, partial, now)
            }
            (Phase::Paused, Input::Bytes(bytes)) => {
                self.buf.extend(bytes);
                Phase::Paused
            }
            // Nothing more will be read: what comes is dropped.
            (Phase::Draining, Input::Bytes(_)) => Phase::Draining,

            (Phase::Idle { deadline }, Input::Eof) => {
                self.peer_closed = true;
                if self.flights.is_empty() {
                    self.close()
                } else {
                    Phase::Idle { deadline }
                }
            }
            (Phase::Head { deadline }, Input::Eof) => {
                self.peer_closed = true;
                self.read_head(deadline, now)
            }
            (Phase::Body { deadline, partial }, Input::Eof) => {
                self.peer_closed = true;
                self.read_body(deadline, partial, now)
            }
            (phase @ (Phase::Paused | Phase::Draining), Input::Eof) => {
                self.peer_closed = true;
                phase
            }

            // Deadlines run only while no request is in flight.
            (phase, Input::Timeout) if !self.flights.is_empty() => phase,
            (Phase::Idle { deadline }, Input::Timeout) if now.mono >= deadline => self.close(),
            (Phase::Head { deadline } | Phase::Body { deadline, .. }, Input::Timeout)
                if now.mono >= deadline =>
            {
                self.fail(HttpError::Timeout)
            }
            (phase, Input::Timeout) => phase,

            (phase, Input::Response(id, response)) => {
                // Kept until every earlier answer is out (see `settle`).
                let waiting = self
                    .flights
                    .iter_mut()
                    .find(|f| f.id == id && !f.streaming && f.answer.is_none());
                if let Some(flight) = waiting {
                    flight.answer = Some(response);
                }
                phase
            }
            (phase, Input::StreamStart(id, response)) => {
                // Only the oldest request in flight may stream: its bytes go
                // out at once.
                if let Some(flight) = self
                    .flights
                    .front_mut()
                    .filter(|f| f.id == id && !f.streaming && f.answer.is_none())
                {
                    flight.streaming = true;
                    let flight = &self.flights[0];
                    // HTTP/1.0 knows no chunks: its stream ends with the
                    // connection.
                    let (framing, mode) = match flight.version {
                        Version::Http11 => (BodyFraming::Chunked, self.response_mode(flight, 1)),
                        Version::Http10 => (
                            BodyFraming::UntilClose,
                            ResponseMode {
                                close: true,
                                keep_alive_10: false,
                                head: flight.head,
                            },
                        ),
                    };
                    let mut bytes = Vec::with_capacity(200);
                    let date = self.date.format(now.wall);
                    writer::write_head(&mut bytes, &response, date, mode, framing);
                    self.out.push_back(Output::Send(bytes));
                }
                phase
            }
            (phase, Input::StreamChunk(id, bytes)) => {
                if let Some(flight) = self.streaming(id) {
                    if !bytes.is_empty() && !flight.head {
                        let framed = match flight.version {
                            Version::Http11 => {
                                let mut framed = Vec::with_capacity(bytes.len() + 12);
                                writer::write_chunk(&mut framed, bytes);
                                framed
                            }
                            Version::Http10 => bytes.to_vec(),
                        };
                        self.out.push_back(Output::Send(framed));
                    }
                }
                phase
            }
            (phase, Input::StreamEnd(id)) => match self.streaming(id) {
                None => phase,
                Some(flight) => {
                    let flight_is_10 = flight.version == Version::Http10;
                    let head = flight.head;
                    if flight_is_10 {
                        self.close()
                    } else {
                        if !head {
                            self.out
                                .push_back(Output::Send(writer::LAST_CHUNK.to_vec()));
                        }
                        let mode = self.response_mode(&self.flights[0], 1);
                        self.pop_flight();
                        if mode.close {
                            self.close()
                        } else {
                            phase
                        }
                    }
                }
            },
        };
        self.settle(now);
    }

    /// The oldest request in flight, if it is `id` and its answer streams.
    fn streaming(&self, id: ReqId) -> Option<&Flight> {
        self.flights.front().filter(|f| f.id == id && f.streaming)
    }

    fn pop_flight(&mut self) {
        if let Some(flight) = self.flights.pop_front() {
            self.flight_bytes -= flight.bytes;
        }
    }

    /// After every input: writes the answers whose turn came, in request
    /// order, then lets the read side go on if that made room.
    fn settle(&mut self, now: Now) {
        while let Some(flight) = self.flights.front() {
            let Some(response) = &flight.answer else {
                break;
            };
            let mode = self.response_mode(flight, 1);
            let mut bytes = Vec::with_capacity(160 + response.body.len());
            writer::write_response(&mut bytes, response, self.date.format(now.wall), mode);
            self.out.push_back(Output::Send(bytes));
            self.pop_flight();
            if mode.close {
                self.phase = self.close();
                return;
            }
            if self.flights.is_empty() {
                // The peer's deadlines count from the last answer again.
                let phase = std::mem::replace(&mut self.phase, Phase::Closed);
                self.phase = phase.restarted(
                    now.mono + self.limits.idle_timeout,
                    now.mono + self.limits.header_timeout,
                );
                self.buf.release_if_empty();
            }
        }
        match self.phase {
            Phase::Draining if self.flights.is_empty() => self.phase = self.close(),
            Phase::Paused if self.has_room() => {
                self.phase = self.read_head(now.mono + self.limits.header_timeout, now);
                // Reading may have queued an answer (a protocol error) that
                // is due at once.
                if self.flights.front().is_some_and(|f| f.answer.is_some()) {
                    self.settle(now);
                }
            }
            _ => {}
        }
    }

    /// Whether another request may be handed out now.
    fn has_room(&self) -> bool {
        self.flights.is_empty()
            || (self.flights.len() < self.max_in_flight
                && self.flight_bytes < self.limits.max_header_bytes + self.limits.max_body_bytes)
    }

    /// How the answer to `flight` relates to the connection: it closes after
    /// it unless the request allowed keep-alive and the peer has not closed
    /// with nothing more buffered. `left`: the flights still unanswered,
    /// this one included.
    fn response_mode(&self, flight: &Flight, left: usize) -> ResponseMode {
        let last = self.flights.len() <= left;
        let close = !flight.keep_alive || (self.peer_closed && self.buf.is_empty() && last);
        ResponseMode {
            close,
            keep_alive_10: flight.version == Version::Http10 && !close,
            head: flight.head,
        }
    }

    fn read_head(&mut self, deadline: Instant, now: Now) -> Phase {
        if self.buf.is_empty() {
            // Nothing buffered: wait for the next request.
            return Phase::Idle {
                deadline: now.mono + self.limits.idle_timeout,
            };
        }
        match head::parse_head(self.buf.unread(), &self.limits, self.peer_closed) {
            Err(e) => self.fail(e),
            // A head cut short by the peer is not answered.
            Ok(HeadParse::Partial) if self.peer_closed => self.stop_reading(),
            Ok(HeadParse::Partial) => Phase::Head { deadline },
            // `100 Continue` is an answer too: it waits for the earlier ones.
            Ok(HeadParse::Complete { head, .. })
                if head.expect_continue && !self.flights.is_empty() =>
            {
                Phase::Paused
            }
            Ok(HeadParse::Complete { head, len }) => {
                self.buf.consume(len);
                if head.expect_continue {
                    // RFC 9110 §10.1.1: a head refused on its own gets its
                    // final status instead of a 100, and its body is not read.
                    if let Some(refusal) = self.precheck.and_then(|check| check(&head.request)) {
                        return self.refuse(&refusal, head.request.method == "HEAD", now);
                    }
                    self.out.push_back(Output::Send(writer::CONTINUE.to_vec()));
                }
                let limits = BodyLimits {
                    max_body: self.limits.max_body_bytes as u64,
                    max_chunk_line: self.limits.max_chunk_line_bytes,
                    max_trailer: self.limits.max_trailer_bytes,
                };
                let mut request = head.request;
                if let Framing::Length(n) = head.framing {
                    request.body.reserve_exact(n as usize);
                }
                let partial = Box::new(PartialRequest {
                    request,
                    reader: BodyReader::new(head.framing, limits),
                    keep_alive: head.keep_alive,
                    bytes: len,
                });
                self.read_body(deadline, partial, now)
            }
        }
    }

    fn read_body(
        &mut self,
        deadline: Instant,
        mut partial: Box<PartialRequest>,
        now: Now,
    ) -> Phase {
        let PartialRequest {
            request, reader, ..
        } = &mut *partial;
        match reader.read(self.buf.unread(), &mut request.body) {
            Err(e) => self.fail(e.into()),
            Ok(used) => {
                self.buf.consume(used);
                partial.bytes += used;
                if partial.reader.is_done() {
                    self.hand_out(*partial, now)
                } else if self.peer_closed {
                    self.fail(HttpError::BadRequest("body cut short by the peer"))
                } else {
                    Phase::Body { deadline, partial }
                }
            }
        }
    }

    /// Hands a complete request to the application, then reads on while
    /// there is room.
    fn hand_out(&mut self, partial: PartialRequest, now: Now) -> Phase {
        let id = self.fresh_id();
        let keep_alive = partial.keep_alive;
        self.flights.push_back(Flight {
            id,
            keep_alive,
            version: partial.request.version,
            head: partial.request.method == "HEAD",
            bytes: partial.bytes,
            streaming: false,
            answer: None,
        });
        self.flight_bytes += partial.bytes;
        self.out.push_back(Output::Request(id, partial.request));
        if !keep_alive {
            // Nothing after it will be answered.
            self.stop_reading()
        } else if !self.has_room() {
            Phase::Paused
        } else {
            self.read_head(now.mono + self.limits.header_timeout, now)
        }
    }

    fn fresh_id(&mut self) -> ReqId {
        let id = ReqId(self.next_id);
        self.next_id += 1;
        id
    }

    /// Queues a protocol error's answer behind the requests in flight; the
    /// connection closes after it.
    fn fail(&mut self, error: HttpError) -> Phase {
        let id = self.fresh_id();
        self.flights.push_back(Flight {
            id,
            keep_alive: false,
            version: Version::Http11,
            head: false,
            bytes: 0,
            streaming: false,
            answer: Some(error.response()),
        });
        self.error = Some(error);
        self.stop_reading()
    }

    /// Answers a head the precheck refused, and closes: the body it announced
    /// is not read, so nothing after it can be framed. (Only reached with no
    /// request in flight: see `read_head`.)
    fn refuse(&mut self, response: &Response, head: bool, now: Now) -> Phase {
        let mode = ResponseMode {
            close: true,
            keep_alive_10: false,
            head,
        };
        let mut bytes = Vec::with_capacity(160 + response.body.len());
        writer::write_response(&mut bytes, response, self.date.format(now.wall), mode);
        self.out.push_back(Output::Send(bytes));
        self.close()
    }

    /// No more requests will be read: what is buffered goes, and the
    /// connection closes once the requests in flight are answered.
    fn stop_reading(&mut self) -> Phase {
        self.buf = Default::default();
        if self.flights.is_empty() {
            self.close()
        } else {
            Phase::Draining
        }
    }

    fn close(&mut self) -> Phase {
        if !self.close_sent {
            self.out.push_back(Output::Close);
            self.close_sent = true;
        }
        self.buf = Default::default();
        self.flights.clear();
        self.flight_bytes = 0;
        Phase::Closed
    }
}

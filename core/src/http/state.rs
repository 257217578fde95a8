//! Every state transition of the server-role connection, in one place.

use super::conn::Conn;
use super::error::HttpError;
use super::framing::{BodyLimits, BodyReader, Framing};
use super::head::{self, HeadParse};
use super::writer::{self, BodyFraming, ResponseMode};
use super::{Now, Output, ReqId, Request, Response, Version};
use std::time::Instant;

/// Where the connection is.
#[derive(Debug)]
pub(crate) enum Phase {
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
        pending: Box<Pending>,
    },
    /// A request was handed out; later bytes stay buffered until its
    /// response comes back. No deadline.
    InFlight(InFlight),
    Closed,
}

/// A request whose body is still arriving.
#[derive(Debug)]
pub(crate) struct Pending {
    request: Request,
    reader: BodyReader,
    keep_alive: bool,
}

/// What the response to the request in flight needs to know.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InFlight {
    id: ReqId,
    keep_alive: bool,
    version: Version,
    head: bool,
    /// Its answer is being streamed: the head is out, chunks follow.
    streaming: bool,
}

/// What happened to the connection.
#[derive(Debug)]
pub(crate) enum Event<'a> {
    Bytes(&'a [u8]),
    Eof,
    Timeout,
    Response(ReqId, Response),
    StreamStart(ReqId, Response),
    StreamChunk(ReqId, &'a [u8]),
    StreamEnd(ReqId),
}

impl Phase {
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self {
            Phase::Idle { deadline } | Phase::Head { deadline } | Phase::Body { deadline, .. } => {
                Some(*deadline)
            }
            Phase::InFlight(_) | Phase::Closed => None,
        }
    }
}

impl Conn {
    /// The transition function: the current phase and an event give the next
    /// phase (and outputs queued on the way).
    pub(crate) fn step(&mut self, event: Event<'_>, now: Now) {
        let phase = std::mem::replace(&mut self.phase, Phase::Closed);
        self.phase = match (phase, event) {
            // Sticky: after closing, nothing more happens.
            (Phase::Closed, _) => Phase::Closed,
            (phase, Event::Bytes([])) => phase,

            (Phase::Idle { .. }, Event::Bytes(bytes)) => {
                self.buf.extend(bytes);
                self.read_head(now.mono + self.limits.header_timeout, now)
            }
            (Phase::Head { deadline }, Event::Bytes(bytes)) => {
                self.buf.extend(bytes);
                // The head parser only looks at complete lines (or a full
                // window), so nothing can change without a new line end.
                if bytes.contains(&b'\n') || self.buf.len() >= self.limits.max_header_bytes {
                    self.read_head(deadline, now)
                } else {
                    Phase::Head { deadline }
                }
            }
            (Phase::Body { deadline, pending }, Event::Bytes(bytes)) => {
                self.buf.extend(bytes);
                self.read_body(deadline, pending, now)
            }
            (phase @ Phase::InFlight(_), Event::Bytes(bytes)) => {
                self.buf.extend(bytes);
                phase
            }

            (Phase::Idle { .. }, Event::Eof) => self.close(),
            (Phase::Head { deadline }, Event::Eof) => {
                self.peer_closed = true;
                self.read_head(deadline, now)
            }
            (Phase::Body { deadline, pending }, Event::Eof) => {
                self.peer_closed = true;
                self.read_body(deadline, pending, now)
            }
            (phase @ Phase::InFlight(_), Event::Eof) => {
                self.peer_closed = true;
                phase
            }

            (Phase::Idle { deadline }, Event::Timeout) if now.mono >= deadline => self.close(),
            (Phase::Head { deadline } | Phase::Body { deadline, .. }, Event::Timeout)
                if now.mono >= deadline =>
            {
                self.fail(HttpError::Timeout, now)
            }
            (phase, Event::Timeout) => phase,

            (Phase::InFlight(flight), Event::Response(id, response))
                if id == flight.id && !flight.streaming =>
            {
                let mode = self.response_mode(flight);
                self.send_response(&response, mode, now);
                self.after_response(mode, now)
            }
            (Phase::InFlight(flight), Event::StreamStart(id, response))
                if id == flight.id && !flight.streaming =>
            {
                // HTTP/1.0 knows no chunks: its stream ends with the connection.
                let (framing, mode) = match flight.version {
                    Version::Http11 => (BodyFraming::Chunked, self.response_mode(flight)),
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
                Phase::InFlight(InFlight {
                    streaming: true,
                    ..flight
                })
            }
            (Phase::InFlight(flight), Event::StreamChunk(id, bytes))
                if id == flight.id && flight.streaming =>
            {
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
                Phase::InFlight(flight)
            }
            (Phase::InFlight(flight), Event::StreamEnd(id))
                if id == flight.id && flight.streaming =>
            {
                match flight.version {
                    Version::Http11 if !flight.head => {
                        self.out
                            .push_back(Output::Send(writer::LAST_CHUNK.to_vec()));
                        let mode = self.response_mode(flight);
                        self.after_response(mode, now)
                    }
                    Version::Http11 => {
                        let mode = self.response_mode(flight);
                        self.after_response(mode, now)
                    }
                    Version::Http10 => self.close(),
                }
            }
            // An answer to no request in flight, or of the wrong kind
            // (a whole response to a stream, a chunk to no stream), is
            // ignored.
            (phase, Event::Response(..) | Event::StreamStart(..))
            | (phase, Event::StreamChunk(..) | Event::StreamEnd(..)) => phase,
        };
    }

    /// How the answer to `flight` relates to the connection: it closes
    /// after it unless the request allowed keep-alive and the peer has not
    /// closed with nothing more buffered.
    fn response_mode(&self, flight: InFlight) -> ResponseMode {
        let close = !flight.keep_alive || (self.peer_closed && self.buf.is_empty());
        ResponseMode {
            close,
            keep_alive_10: flight.version == Version::Http10 && !close,
            head: flight.head,
        }
    }

    /// After the whole answer went out: the next request, or the close the
    /// answer announced.
    fn after_response(&mut self, mode: ResponseMode, now: Now) -> Phase {
        if mode.close {
            self.close()
        } else {
            self.next_request(now)
        }
    }

    /// After a response, on a connection that stays open.
    fn next_request(&mut self, now: Now) -> Phase {
        if !self.buf.is_empty() {
            return self.read_head(now.mono + self.limits.header_timeout, now);
        }
        self.buf.release_if_empty();
        Phase::Idle {
            deadline: now.mono + self.limits.idle_timeout,
        }
    }

    fn read_head(&mut self, deadline: Instant, now: Now) -> Phase {
        match head::parse_head(self.buf.unread(), &self.limits, self.peer_closed) {
            Err(e) => self.fail(e, now),
            // A head cut short by the peer is not answered.
            Ok(HeadParse::Partial) if self.peer_closed => self.close(),
            Ok(HeadParse::Partial) => Phase::Head { deadline },
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
                let pending = Box::new(Pending {
                    request,
                    reader: BodyReader::new(head.framing, limits),
                    keep_alive: head.keep_alive,
                });
                self.read_body(deadline, pending, now)
            }
        }
    }

    fn read_body(&mut self, deadline: Instant, mut pending: Box<Pending>, now: Now) -> Phase {
        let Pending {
            request, reader, ..
        } = &mut *pending;
        match reader.read(self.buf.unread(), &mut request.body) {
            Err(e) => self.fail(e.into(), now),
            Ok(used) => {
                self.buf.consume(used);
                if reader.is_done() {
                    self.hand_out(*pending)
                } else if self.peer_closed {
                    self.fail(HttpError::BadRequest("body cut short by the peer"), now)
                } else {
                    Phase::Body { deadline, pending }
                }
            }
        }
    }

    fn hand_out(&mut self, pending: Pending) -> Phase {
        let id = ReqId(self.next_id);
        self.next_id += 1;
        let flight = InFlight {
            id,
            keep_alive: pending.keep_alive,
            version: pending.request.version,
            head: pending.request.method == "HEAD",
            streaming: false,
        };
        self.out.push_back(Output::Request(id, pending.request));
        Phase::InFlight(flight)
    }

    /// Answers a protocol error and closes.
    fn fail(&mut self, error: HttpError, now: Now) -> Phase {
        let mode = ResponseMode {
            close: true,
            keep_alive_10: false,
            head: false,
        };
        self.send_response(&error.response(), mode, now);
        self.error = Some(error);
        self.close()
    }

    /// Answers a head the precheck refused, and closes: the body it announced
    /// is not read, so nothing after it can be framed.
    fn refuse(&mut self, response: &Response, head: bool, now: Now) -> Phase {
        let mode = ResponseMode {
            close: true,
            keep_alive_10: false,
            head,
        };
        self.send_response(response, mode, now);
        self.close()
    }

    fn close(&mut self) -> Phase {
        self.out.push_back(Output::Close);
        self.buf = Default::default();
        Phase::Closed
    }

    fn send_response(&mut self, response: &Response, mode: ResponseMode, now: Now) {
        let mut bytes = Vec::with_capacity(160 + response.body.len());
        writer::write_response(&mut bytes, response, self.date.format(now.wall), mode);
        self.out.push_back(Output::Send(bytes));
    }
}

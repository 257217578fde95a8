//! A request between its decoding and its answer, and the one way it is
//! answered (the response to the HTTP machine, its log line and metrics to
//! the adapter).

use super::{Answered, Now, Output, ReqId};
use crate::http::{Conn, Input, Response};
use std::collections::VecDeque;
use std::time::Instant;

/// A decoded request awaiting its answer.
#[derive(Debug)]
pub(super) struct InFlight {
    pub(super) id: ReqId,
    pub(super) method: String,
    pub(super) target: String,
    /// When it was decoded: its latency counts from here.
    pub(super) started: Instant,
}

/// What answering needs: the machine, the output queue and the time.
pub(super) struct Ctx<'a> {
    pub(super) conn: &'a mut Conn,
    pub(super) out: &'a mut VecDeque<Output>,
    pub(super) now: Now,
}

impl Ctx<'_> {
    /// Answers `flight` with `response`, reporting it (`Output::Answered`).
    pub(super) fn respond(&mut self, flight: InFlight, response: Response) {
        let InFlight {
            id,
            method,
            target,
            started,
        } = flight;
        self.answered(method, target, started, &response);
        self.conn
            .handle_input(Input::Response(id, response), self.now);
    }

    /// Reports `flight` as answered with `response` (a stream's head: the
    /// stream goes on, so the flight is kept).
    pub(super) fn report(&mut self, flight: &InFlight, response: &Response) {
        let (method, target) = (flight.method.clone(), flight.target.clone());
        self.answered(method, target, flight.started, response);
    }

    fn answered(&mut self, method: String, target: String, started: Instant, response: &Response) {
        let failure_body = if response.status >= 500 {
            response.body.clone()
        } else {
            Vec::new()
        };
        self.out.push_back(Output::Answered(Answered {
            method,
            target,
            status: response.status,
            failure_body,
            elapsed: self.now.mono.saturating_duration_since(started),
        }));
    }

    pub(super) fn chunk(&mut self, id: ReqId, bytes: &[u8]) {
        self.conn
            .handle_input(Input::StreamChunk(id, bytes), self.now);
    }

    pub(super) fn delivered(&mut self, count: usize) {
        if count > 0 {
            self.out.push_back(Output::Delivered(count));
        }
    }
}

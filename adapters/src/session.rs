//! One connection's state above the socket: [`Session`] wraps `http::Conn`,
//! takes bytes, EOF, timeouts and store outcomes, decodes requests, submits
//! their commands, and tells the adapter what to do next ([`Step`]). A
//! `GET /events` that waits (a long-poll, a stream) is held by the session
//! itself: see `live`.

use crate::answered::answered;
use crate::live::{Asked, Held};
use crate::outbound;
use crate::shared::Shared;
use agora_core::api;
use agora_core::command::{Command, Failure, Outcome};
use agora_core::http::{Conn, Input, Now, Output, ReqId, Request, Response};
use agora_core::time::UnixMillis;
use agora_core::token::Token;
use agora_store::{Pending, StoreGone, Subscription, Watch};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tracing::warn;

/// Both clocks, read now.
pub fn now() -> Now {
    Now {
        mono: Instant::now(),
        wall: wall_clock(),
    }
}

pub fn wall_clock() -> UnixMillis {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    UnixMillis(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
}

/// A fresh token from the operating system's CSPRNG.
pub fn fresh_token() -> Token {
    let mut bytes = [0u8; 16];
    // Without an OS RNG no token can be issued safely; the panic stays in this
    // connection's task (see the adapters' panic containment).
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    Token(bytes)
}

/// What the adapter must do next. Before acting on it, write
/// [`Session::take_output`] to the socket.
#[must_use = "the adapter must do what the step says"]
pub enum Step {
    /// Wait for bytes, or until the deadline and then call [`Session::timeout`].
    Wait(Option<Instant>),
    /// Await the store's outcome and hand it to [`Session::complete`].
    Submit(Pending),
    /// Await the store's answer to `GET /events` and hand it to
    /// [`Session::watched`].
    Watch(Pending<Watch>),
    /// A long-poll or an event stream is held: wait for events on
    /// [`Session::subscription`] (then call [`Session::events`]), for the
    /// deadline ([`Session::timeout`]), for shutdown ([`Session::stop`]),
    /// and, if `read`, for bytes (a hang-up shows up as EOF).
    Hold { deadline: Instant, read: bool },
    /// Close the socket.
    Close,
}

pub(crate) struct InFlight {
    pub(crate) id: ReqId,
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) started: Instant,
}

/// The id of the next connection, for log lines.
static NEXT_CONN_ID: AtomicU64 = AtomicU64::new(1);

/// One connection's state above the socket.
pub struct Session {
    /// This connection's id in log lines (`conn`).
    id: u64,
    pub(crate) conn: Conn,
    pub(crate) shared: Arc<Shared>,
    out: Vec<u8>,
    queued: VecDeque<(ReqId, Request)>,
    pub(crate) in_flight: Option<InFlight>,
    /// What the `GET /events` in flight asked, while the store answers it.
    pub(crate) asked: Option<Asked>,
    /// The `GET /events` in flight, once the store answered and it waits.
    pub(crate) held: Option<Held>,
    /// The server is stopping: held requests end.
    pub(crate) stopping: bool,
    closed: bool,
    /// A catch-up's place in the output budget, from its dispatch until the
    /// store answered (see `outbound`).
    reserved: Option<outbound::Charge>,
}

impl Session {
    pub fn new(shared: Arc<Shared>) -> Session {
        Session {
            id: NEXT_CONN_ID.fetch_add(1, Ordering::Relaxed),
            conn: Conn::new(shared.limits.clone(), now()).with_precheck(api::precheck),
            shared,
            out: Vec::new(),
            queued: VecDeque::new(),
            in_flight: None,
            asked: None,
            held: None,
            stopping: false,
            closed: false,
            reserved: None,
        }
    }

    pub fn bytes(&mut self, bytes: &[u8]) {
        self.conn.handle_input(Input::Bytes(bytes), now());
    }

    pub fn eof(&mut self) {
        self.conn.handle_input(Input::Eof, now());
        // A client that hangs up on a long-poll or a stream frees it at once.
        self.end_held();
    }

    pub fn timeout(&mut self) {
        self.conn.handle_input(Input::Timeout, now());
    }

    /// Whether a request is partly read (see `Conn::has_partial_request`).
    pub fn has_partial_request(&self) -> bool {
        self.conn.has_partial_request()
    }

    /// The bytes to write before acting on the last [`Step`].
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Drains the machine's outputs and handles the request they hand out, until
    /// the adapter has to wait for something.
    pub fn next_step(&mut self) -> Step {
        // A held request's step, returned once the output it made is taken.
        let mut held_step = None;
        loop {
            if self.closed {
                return Step::Close;
            }
            match self.conn.poll_output() {
                Output::Send(bytes) if self.out.is_empty() => self.out = bytes,
                Output::Send(bytes) => self.out.extend_from_slice(&bytes),
                Output::Request(id, request) => self.queued.push_back((id, request)),
                Output::Close => self.closed = true,
                // The machine has nothing more to say.
                Output::Timeout(deadline) => {
                    if let Some(step) = held_step.take() {
                        return step;
                    }
                    if self.held.is_some() {
                        held_step = self.step_held();
                        continue;
                    }
                    if self.in_flight.is_some() {
                        // Only reachable if the adapter asks again before completing.
                        return Step::Wait(None);
                    }
                    match self.queued.pop_front() {
                        None => return Step::Wait(deadline),
                        Some((id, request)) => {
                            if let Some(step) = self.dispatch(id, request) {
                                return step;
                            }
                        }
                    }
                }
            }
        }
    }

    /// Feeds the store's answer to the request in flight.
    pub fn complete(&mut self, result: Result<Outcome, StoreGone>) {
        let Some(flight) = self.in_flight.take() else {
            return;
        };
        let outcome = result.unwrap_or_else(|_| {
            warn!(conn = self.id, method = %flight.method, uri = %flight.target,
                "the store dropped a command");
            Outcome::Failed(Failure::StoreUnavailable)
        });
        self.respond(flight, api::encode(&outcome));
    }

    /// Takes what the machine has to send, then closes the connection (the
    /// machine has said all it will).
    pub(crate) fn close_after_output(&mut self) {
        while let Output::Send(bytes) = self.conn.poll_output() {
            self.out.extend_from_slice(&bytes);
        }
        self.closed = true;
    }

    /// The subscription of the long-poll or stream held, for the adapter to
    /// wait on.
    pub fn subscription(&self) -> Option<&Subscription> {
        self.held.as_ref().map(Held::subscription)
    }

    /// Decodes a request and answers it at once, or submits its command and
    /// returns the step that awaits the store.
    fn dispatch(&mut self, id: ReqId, request: Request) -> Option<Step> {
        let started = Instant::now();
        if let Some(hook) = self.shared.config.request_hook {
            hook(&request);
        }
        let decoded = api::decode(&request, &self.shared.rules, &mut fresh_token);
        let flight = InFlight {
            id,
            method: request.method,
            target: request.target,
            started,
        };
        let response = match decoded {
            Err(response) => response,
            Ok(command) if !self.admit(&command) => {
                warn!("clients are not taking their answers: answering 503");
                api::encode(&Outcome::Failed(Failure::Overloaded))
            }
            Ok(command @ Command::Events { .. }) => match self.watch(command) {
                Ok(pending) => {
                    self.in_flight = Some(flight);
                    return Some(Step::Watch(pending));
                }
                Err(agora_store::Busy) => {
                    warn!("the readers' queue is full: answering 503");
                    api::encode(&Outcome::Failed(Failure::Overloaded))
                }
            },
            Ok(command) => match self.shared.store.submit(command) {
                Ok(pending) => {
                    self.in_flight = Some(flight);
                    return Some(Step::Submit(pending));
                }
                Err(agora_store::Busy) => {
                    warn!("the store's queue is full: answering 503");
                    api::encode(&Outcome::Failed(Failure::Overloaded))
                }
            },
        };
        self.respond(flight, response);
        None
    }

    /// Admits `command` against the output budget (see `outbound`),
    /// keeping its reservation; `false`: answer 503.
    fn admit(&mut self, command: &Command) -> bool {
        let head = self.shared.store.hub().head();
        match outbound::admit(command, &self.shared.unsent, head) {
            outbound::Admission::Serve(reserved) => {
                self.reserved = reserved;
                true
            }
            outbound::Admission::Refuse => false,
        }
    }

    /// The store answered: what it leads to is charged as it is written, so
    /// a reservation ends.
    pub fn store_answered(&mut self) {
        self.reserved = None;
    }

    pub(crate) fn respond(&mut self, flight: InFlight, response: Response) {
        self.store_answered();
        let now = now();
        // ops hook: the request's log line and metrics (`answered`).
        let elapsed = now.mono.saturating_duration_since(flight.started);
        answered(
            &self.shared,
            self.id,
            &flight.method,
            &flight.target,
            &response,
            elapsed,
        );
        self.conn
            .handle_input(Input::Response(flight.id, response), now);
    }
}

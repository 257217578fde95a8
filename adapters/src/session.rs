//! One connection's state above the socket: [`Session`] wraps `http::Conn`,
//! takes bytes, EOF, timeouts and store outcomes, decodes requests, submits
//! their commands, and tells the adapter what to do next ([`Step`]). A
//! `GET /events` that waits (a long-poll, a stream) is held by the session
//! itself: see `live`.

use crate::answered::{answered, loggable_uri};
use crate::live::{Asked, Held};
use crate::outbound;
use crate::shared::Shared;
use agora_core::api;
use agora_core::client_addr::client_address;
use agora_core::command::{Command, Failure, Outcome};
use agora_core::http::{Conn, Input, Now, Output, ReqId, Request, Response};
use agora_core::idempotency::{self, Keyed};
use agora_core::time::UnixMillis;
use agora_core::token::Token;
use agora_store::{Pending, StoreGone, Subscription, Watch};
use std::collections::VecDeque;
use std::net::IpAddr;
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

/// How many pipelined requests of one connection may be in flight at once
/// (`Conn::with_max_in_flight`): enough for the writer's batch to gather a
/// pipelining client's sends into one commit, few enough that one
/// connection's answers held for order stay small.
pub const PIPELINE_DEPTH: usize = 64;

/// A command submitted to the store, awaiting its outcome; answered in
/// request order.
struct Submitted {
    flight: InFlight,
    /// Taken by the [`Step::Submit`] that awaits it.
    pending: Option<Pending>,
    /// It went to the writer's queue, which applies commands in the order
    /// they came: a later write may be submitted before it is answered.
    ordered: bool,
}

/// What `dispatch_next` did.
enum Dispatch {
    /// No request may start now.
    Nothing,
    /// A request was answered or submitted; look again.
    Again,
    /// The adapter must do this.
    Step(Step),
}

pub(crate) struct InFlight {
    pub(crate) id: ReqId,
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) started: Instant,
}

/// Whether the store applies `command` in the writer's queue, in the order
/// submitted (every write but `Connect`, whose page a reader reads first).
fn joins_in_order(command: &Command) -> bool {
    command.writes() && !matches!(command, Command::Connect { .. })
}

/// The id of the next connection, for log lines.
static NEXT_CONN_ID: AtomicU64 = AtomicU64::new(1);

/// One connection's state above the socket.
pub struct Session {
    /// This connection's id in log lines (`conn`).
    pub(crate) id: u64,
    pub(crate) conn: Conn,
    pub(crate) shared: Arc<Shared>,
    /// The socket's TCP peer; see [`Session::client_address`].
    peer: IpAddr,
    out: Vec<u8>,
    queued: VecDeque<(ReqId, Request)>,
    /// A decoded command that must wait for the commands submitted before
    /// it (see `may_start`); nothing after it starts meanwhile.
    parked: Option<(InFlight, (Command, Option<Keyed>))>,
    /// Commands submitted, in request order.
    submitted: VecDeque<Submitted>,
    /// The `GET /events` in flight, while the store answers it or it is held.
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
    /// A session for a connection from `peer`.
    pub fn new(shared: Arc<Shared>, peer: IpAddr) -> Session {
        Session {
            id: NEXT_CONN_ID.fetch_add(1, Ordering::Relaxed),
            conn: Conn::new(shared.limits.clone(), now())
                .with_precheck(api::precheck)
                .with_max_in_flight(PIPELINE_DEPTH),
            shared,
            peer,
            out: Vec::new(),
            queued: VecDeque::new(),
            parked: None,
            submitted: VecDeque::new(),
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

    /// Who is asking: the TCP peer, or behind a `--trusted-proxy` the
    /// address its `X-Forwarded-For` names (`client_addr`).
    pub fn client_address(&self, request: &Request) -> IpAddr {
        let forwarded = request.header_values("X-Forwarded-For");
        client_address(self.peer, forwarded, &self.shared.config.trusted_proxies)
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
                    match self.dispatch_next() {
                        Dispatch::Step(step) => return step,
                        Dispatch::Again => continue,
                        Dispatch::Nothing => {}
                    }
                    // Await the oldest submitted command; the later ones
                    // are at the store meanwhile.
                    return match self.submitted.front_mut() {
                        Some(submitted) => match submitted.pending.take() {
                            Some(pending) => Step::Submit(pending),
                            // Only reachable if the adapter asks again before completing.
                            None => Step::Wait(None),
                        },
                        None => Step::Wait(deadline),
                    };
                }
            }
        }
    }

    /// Gives back the outcome the last [`Step::Submit`] handed out, not
    /// awaited yet (the adapter read more first); the next step hands it out
    /// again.
    pub fn resubmit(&mut self, pending: Pending) {
        if let Some(front) = self.submitted.front_mut() {
            front.pending = Some(pending);
        }
    }

    /// Whether reading more from the socket is useful now (see
    /// `Conn::wants_input`).
    pub fn wants_input(&self) -> bool {
        self.conn.wants_input()
    }

    /// Feeds the store's answer to the oldest command submitted (the one
    /// the last [`Step::Submit`] awaited).
    pub fn complete(&mut self, result: Result<Outcome, StoreGone>) {
        let Some(Submitted { flight, .. }) = self.submitted.pop_front() else {
            return;
        };
        let outcome = result.unwrap_or_else(|_| {
            warn!(conn = self.id, method = %flight.method, uri = %loggable_uri(&flight.target),
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

    /// Starts the next request handed out, if it may start now: decoded and
    /// answered at once, or its command submitted to the store (the machine
    /// writes every answer in request order).
    fn dispatch_next(&mut self) -> Dispatch {
        let (flight, (command, keyed)) = match self.parked.take() {
            Some(parked) => parked,
            None => {
                let Some((id, request)) = self.queued.pop_front() else {
                    return Dispatch::Nothing;
                };
                let started = Instant::now();
                #[cfg(feature = "test-hooks")]
                if let Some(hook) = self.shared.config.request_hook {
                    hook(&request);
                }
                let client = self.client_address(&request);
                let decoded = api::decode(&request, &self.shared.rules, client, &mut fresh_token)
                    .and_then(|command| Ok((command, idempotency_key(&request)?)));
                let flight = InFlight {
                    id,
                    method: request.method,
                    target: request.target,
                    started,
                };
                match decoded {
                    Ok(command) => (flight, command),
                    Err(response) => {
                        self.respond(flight, response);
                        return Dispatch::Again;
                    }
                }
            }
        };
        if !self.may_start(&command) {
            self.parked = Some((flight, (command, keyed)));
            return Dispatch::Nothing;
        }
        let refusal = match command {
            command if !self.admit(&command) => {
                warn!("clients are not taking their answers: answering 503");
                api::encode(&Outcome::Failed(Failure::Overloaded))
            }
            command @ Command::Events { .. } => match self.watch(command) {
                Ok(pending) => {
                    self.in_flight = Some(flight);
                    return Dispatch::Step(Step::Watch(pending));
                }
                Err(agora_store::Busy) => {
                    warn!("the readers' queue is full: answering 503");
                    api::encode(&Outcome::Failed(Failure::Overloaded))
                }
            },
            command => {
                let ordered = joins_in_order(&command);
                match self.submit(command, keyed) {
                    Ok(pending) => {
                        self.submitted.push_back(Submitted {
                            flight,
                            pending: Some(pending),
                            ordered,
                        });
                        return Dispatch::Again;
                    }
                    Err(agora_store::Busy) => {
                        warn!("the store's queue is full: answering 503");
                        api::encode(&Outcome::Failed(Failure::Overloaded))
                    }
                }
            }
        };
        self.respond(flight, refusal);
        Dispatch::Again
    }

    /// Whether `command` may be submitted while the earlier ones are not
    /// answered yet. Writes may follow writes: the writer applies them in
    /// the order they came, so pipelined sends join one group commit. A
    /// read waits for every earlier command (it must see what was answered
    /// before it, and must not see a later write), and so does `GET /events`
    /// (which may become a stream, and a stream goes out only as the oldest
    /// answer).
    fn may_start(&self, command: &Command) -> bool {
        self.submitted.is_empty()
            || (joins_in_order(command) && self.submitted.iter().all(|s| s.ordered))
    }

    fn submit(&self, command: Command, keyed: Option<Keyed>) -> Result<Pending, agora_store::Busy> {
        match keyed {
            Some(keyed) => self.shared.store.submit_keyed(command, keyed),
            None => self.shared.store.submit(command),
        }
    }

    /// Admits `command` against the output budget (see `outbound`),
    /// keeping its reservation; `false`: answer 503.
    fn admit(&mut self, command: &Command) -> bool {
        // The hub's head (a lock the writer takes too) only for a catch-up.
        let hub = self.shared.store.hub();
        match outbound::admit(command, &self.shared.unsent, || hub.head()) {
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

/// A POST's `Idempotency-Key` (a 400 when malformed); `None` for other
/// methods.
fn idempotency_key(request: &Request) -> Result<Option<Keyed>, Response> {
    if request.method != "POST" {
        return Ok(None);
    }
    idempotency::keyed(request)
}

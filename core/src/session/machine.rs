//! [`Session`]: the pipeline of one connection's requests (decode, submit,
//! answer in order) and the hand-off of a `GET /events` that waits to
//! `held`. See the call contract in the module above.

use super::flight::{Ctx, InFlight};
use super::held::{Held, Mode, Next};
use super::{
    Gone, HoldKind, Input, LiveEvent, Note, Now, Output, ReqId, SessionConfig, Watched,
    PIPELINE_DEPTH,
};
use crate::api;
use crate::client_addr::client_address;
use crate::command::{Command, EventsWait, Failure, Outcome};
use crate::events::EventId;
use crate::http::{self, Conn, Request, Response};
use crate::idempotency::{self, Keyed};
use crate::token::{Token, TokenHash};
use crate::view::UserId;
use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// The `Retry-After` of a 429 `too_many_streams`: a place frees when one of
/// the caller's streams or long-polls ends, which no one can foretell.
const STREAMS_RETRY_AFTER_SECS: u64 = 5;

/// One connection's application state, sans IO; `E` is the hub's event.
pub struct Session<E> {
    conn: Conn,
    config: Arc<SessionConfig>,
    /// The socket's TCP peer (see `client_address`).
    peer: IpAddr,
    /// The time of the last input: what outputs made while draining are
    /// dated by.
    now: Now,
    out: VecDeque<Output>,
    /// Requests the machine handed out, not decoded yet.
    queued: VecDeque<(ReqId, Request)>,
    /// A decoded command that must wait for the commands submitted before
    /// it (see `may_start`); nothing after it starts meanwhile.
    parked: Option<(InFlight, Command, Option<Keyed>)>,
    /// Random bytes for the next token a request issues.
    token: Option<Token>,
    /// `Output::NeedToken` went out and `Input::Token` has not come yet.
    token_asked: bool,
    /// Commands at the store, in request order.
    submitted: VecDeque<Submitted>,
    /// The `GET /events` at the store.
    watching: Option<(InFlight, Asked)>,
    /// The `GET /events` that waits for `Input::Place`.
    placing: Option<Placing<E>>,
    /// The `GET /events` held.
    held: Option<Held>,
    /// The server is stopping: held requests end.
    stopping: bool,
    /// Close once the machine's bytes are out (a stream was cut).
    closing: bool,
    closed: bool,
}

/// A command at the store, awaiting its outcome.
struct Submitted {
    flight: InFlight,
    /// It went to the writer's queue, which applies commands in the order
    /// they came: a later write may be submitted before it is answered.
    ordered: bool,
}

/// What a `GET /events` asked, kept while the store answers it.
struct Asked {
    caller: TokenHash,
    wait: EventsWait,
}

/// A `GET /events` about to be held, waiting for its place; its page is
/// sent once the place is granted.
struct Placing<E> {
    flight: InFlight,
    page: Vec<E>,
    caller: TokenHash,
    viewer: UserId,
    next: EventId,
    mode: Mode,
}

/// Whether the store applies `command` in the writer's queue, in the order
/// submitted (every write but `Connect`, whose page a reader reads first).
fn joins_in_order(command: &Command) -> bool {
    command.writes() && !matches!(command, Command::Connect { .. })
}

impl<E: LiveEvent> Session<E> {
    /// A session for a connection from `peer`, accepted at `now`.
    pub fn new(config: Arc<SessionConfig>, peer: IpAddr, now: Now) -> Session<E> {
        Session {
            conn: Conn::new(config.limits.clone(), now)
                .with_precheck(api::precheck)
                .with_max_in_flight(PIPELINE_DEPTH),
            config,
            peer,
            now,
            out: VecDeque::new(),
            queued: VecDeque::new(),
            parked: None,
            token: None,
            token_asked: false,
            submitted: VecDeque::new(),
            watching: None,
            placing: None,
            held: None,
            stopping: false,
            closing: false,
            closed: false,
        }
    }

    /// Feeds one event that happened at `now` (see the call contract).
    pub fn handle_input(&mut self, input: Input<'_, E>, now: Now) {
        self.now = now;
        match input {
            Input::Bytes(bytes) => self.conn.handle_input(http::Input::Bytes(bytes), now),
            Input::Eof => {
                self.conn.handle_input(http::Input::Eof, now);
                // A client that hangs up on a long-poll or a stream frees it
                // at once.
                self.step_held(|held, cx, _| held.hang_up(cx));
            }
            Input::Timeout => {
                self.conn.handle_input(http::Input::Timeout, now);
                self.step_held(|held, cx, config| held.timeout(cx, config.heartbeat));
            }
            Input::Shutdown => {
                self.stopping = true;
                self.step_held(|held, cx, _| held.hang_up(cx));
            }
            Input::Events(taken) => {
                let stopping = self.stopping;
                self.step_held(|held, cx, config| {
                    held.events(cx, taken, stopping, config.heartbeat)
                });
            }
            Input::Outcome(id, result) => self.complete(id, result),
            Input::Watched(id, result) => self.watched(id, result),
            Input::Place(granted) => self.placed(granted),
            Input::Token(token) => {
                self.token = Some(token);
                self.token_asked = false;
            }
        }
    }

    /// The next thing to do (see the call contract).
    #[must_use = "outputs must be drained and acted on, in order"]
    pub fn poll_output(&mut self) -> Output {
        loop {
            if let Some(output) = self.out.pop_front() {
                return output;
            }
            if self.closed {
                return Output::Close;
            }
            if self.closing {
                // What the machine has to send goes out, then the close.
                if let http::Output::Send(bytes) = self.conn.poll_output() {
                    return Output::Send(bytes);
                }
                self.closed = true;
                continue;
            }
            match self.conn.poll_output() {
                http::Output::Send(bytes) => return Output::Send(bytes),
                http::Output::Request(id, request) => self.queued.push_back((id, request)),
                http::Output::Close => self.closed = true,
                // The machine has nothing more to say.
                http::Output::Timeout(deadline) => {
                    if let Some(held) = &self.held {
                        let page_max = self.config.rules.events_page_max as usize;
                        return held.wait(&self.conn, page_max);
                    }
                    let waiting = self.watching.is_some() || self.placing.is_some();
                    if !waiting && !self.token_asked && self.dispatch_next() {
                        continue;
                    }
                    let busy = waiting || !self.submitted.is_empty();
                    return Output::Wait {
                        deadline: if busy { None } else { deadline },
                        read: self.conn.wants_input(),
                        events: None,
                    };
                }
            }
        }
    }

    /// Whether a `GET /events` is held (or about to be): the adapter keeps
    /// its subscription and place while this is true.
    pub fn holding(&self) -> bool {
        self.held.is_some() || self.placing.is_some()
    }

    /// Whether reading more from the socket is useful now (see
    /// `Conn::wants_input`).
    pub fn wants_input(&self) -> bool {
        self.conn.wants_input()
    }

    /// Whether a request is partly read (see `Conn::has_partial_request`).
    pub fn has_partial_request(&self) -> bool {
        self.conn.has_partial_request()
    }

    /// Who is asking: the TCP peer, or behind a trusted proxy the address its
    /// `X-Forwarded-For` names.
    fn client_address(&self, request: &Request) -> IpAddr {
        let forwarded = request.header_values("X-Forwarded-For");
        client_address(self.peer, forwarded, &self.config.trusted_proxies)
    }

    fn cx(&mut self) -> Ctx<'_> {
        Ctx {
            conn: &mut self.conn,
            out: &mut self.out,
            now: self.now,
        }
    }

    /// Runs `step` on the held request, if any, and keeps what it becomes.
    fn step_held(&mut self, step: impl FnOnce(Held, &mut Ctx<'_>, &SessionConfig) -> Next) {
        let Some(held) = self.held.take() else {
            return;
        };
        let config = self.config.clone();
        match step(held, &mut self.cx(), &config) {
            Next::Held(held) => self.held = Some(held),
            Next::Done => {}
            Next::Cut => self.closing = true,
        }
    }

    /// Decodes the next request handed out, if one may start now, and answers
    /// it at once or hands its command to the adapter (the machine writes every
    /// answer in request order). `true`: look again.
    fn dispatch_next(&mut self) -> bool {
        let (flight, command, keyed) = match self.parked.take() {
            Some(parked) => parked,
            None => {
                let Some((id, request)) = self.queued.pop_front() else {
                    return false;
                };
                match self.decode(&request) {
                    Decoded::NeedToken => {
                        // Decoded again once the bytes are here.
                        self.queued.push_front((id, request));
                        self.token_asked = true;
                        self.out.push_back(Output::NeedToken);
                        return true;
                    }
                    Decoded::Answer(response) => {
                        let flight = self.flight(id, request);
                        self.cx().respond(flight, response);
                        return true;
                    }
                    Decoded::Command(command, keyed) => (self.flight(id, request), command, keyed),
                }
            }
        };
        if !self.may_start(&command) {
            self.parked = Some((flight, command, keyed));
            return false;
        }
        let id = flight.id;
        if let Command::Events { caller, wait, .. } = &command {
            let asked = Asked {
                caller: *caller,
                wait: *wait,
            };
            self.watching = Some((flight, asked));
            self.out.push_back(Output::Watch { id, command });
            return true;
        }
        let ordered = joins_in_order(&command);
        self.submitted.push_back(Submitted { flight, ordered });
        self.out.push_back(Output::Submit { id, command, keyed });
        true
    }

    fn flight(&self, id: ReqId, request: Request) -> InFlight {
        InFlight {
            id,
            method: request.method,
            target: request.target,
            started: self.now.mono,
        }
    }

    /// Decodes `request` with the token bytes at hand.
    fn decode(&mut self, request: &Request) -> Decoded {
        #[cfg(feature = "test-hooks")]
        if let Some(hook) = self.config.request_hook {
            hook(request);
        }
        let client = self.client_address(request);
        let mut spare = self.token.take();
        let mut short = false;
        let mut fresh_token = || {
            spare.take().unwrap_or_else(|| {
                short = true;
                Token([0; 16])
            })
        };
        let decoded = api::decode(request, &self.config.rules, client, &mut fresh_token)
            .and_then(|command| Ok((command, idempotency_key(request, &self.config.secret)?)));
        self.token = spare;
        match decoded {
            // The zero token is never used: the request waits for bytes.
            _ if short => Decoded::NeedToken,
            Ok((command, keyed)) => Decoded::Command(command, keyed),
            Err(response) => Decoded::Answer(response),
        }
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

    /// The store's outcome of a submitted command.
    fn complete(&mut self, id: ReqId, result: Result<Outcome, Gone>) {
        let Some(at) = self.submitted.iter().position(|s| s.flight.id == id) else {
            return;
        };
        let Some(Submitted { flight, .. }) = self.submitted.remove(at) else {
            return;
        };
        let outcome = result.unwrap_or_else(|Gone| self.store_dropped(&flight));
        self.cx().respond(flight, api::encode(&outcome));
    }

    fn store_dropped(&mut self, flight: &InFlight) -> Outcome {
        self.out.push_back(Output::Note(Note::StoreDropped {
            method: flight.method.clone(),
            target: flight.target.clone(),
        }));
        Outcome::Failed(Failure::StoreUnavailable)
    }

    /// The store's answer to a `GET /events`: answered at once, or held once
    /// the caller has a place (see `held`).
    fn watched(&mut self, id: ReqId, result: Result<Watched<E>, Gone>) {
        if self.held.as_ref().is_some_and(|held| held.is(id)) {
            let page =
                result.unwrap_or(Watched::Answer(Outcome::Failed(Failure::StoreUnavailable)));
            return self.step_held(|held, cx, config| held.page(cx, page, config.heartbeat));
        }
        let Some((flight, asked)) = self.watching.take_if(|(flight, _)| flight.id == id) else {
            return;
        };
        let page = match result {
            Ok(page) => page,
            Err(Gone) => Watched::Answer(self.store_dropped(&flight)),
        };
        let (viewer, events, next, more) = match page {
            Watched::Answer(outcome) => return self.cx().respond(flight, api::encode(&outcome)),
            Watched::Page {
                viewer,
                events,
                next,
                more,
            } => (viewer, events, next, more),
        };
        let now = self.now.mono;
        let mode = match asked.wait {
            EventsWait::Poll { timeout_secs } => {
                if !events.is_empty() || more || timeout_secs == 0 {
                    let mut cx = self.cx();
                    cx.delivered(events.len());
                    let json = events.iter().map(|e| e.json(viewer));
                    return cx.respond(flight, api::events_page(json, next, more));
                }
                Mode::Poll {
                    until: now + Duration::from_secs(u64::from(timeout_secs)),
                }
            }
            EventsWait::Stream | EventsWait::Page => Mode::Stream {
                ping_at: now + self.config.heartbeat,
                catching_up: more,
            },
        };
        let kind = match mode {
            Mode::Poll { .. } => HoldKind::LongPoll,
            Mode::Stream { .. } => HoldKind::Stream,
        };
        self.placing = Some(Placing {
            flight,
            page: events,
            caller: asked.caller,
            viewer,
            next,
            mode,
        });
        self.out.push_back(Output::Acquire { viewer, kind });
    }

    /// The answer to `Output::Acquire`.
    fn placed(&mut self, granted: bool) {
        let Some(placing) = self.placing.take() else {
            return;
        };
        if !granted {
            let refusal = Outcome::TooManyStreams {
                retry_after_secs: STREAMS_RETRY_AFTER_SECS,
            };
            return self.cx().respond(placing.flight, api::encode(&refusal));
        }
        let Placing {
            flight,
            page,
            caller,
            viewer,
            next,
            mode,
        } = placing;
        let held = Held::start(&mut self.cx(), flight, caller, viewer, &page, next, mode);
        self.held = Some(held);
        if self.stopping {
            self.step_held(|held, cx, _| held.hang_up(cx));
        }
    }
}

/// What decoding a request gave.
enum Decoded {
    Command(Command, Option<Keyed>),
    /// Answered at once (a refusal, an asset).
    Answer(Response),
    /// It issues a token and no random bytes are at hand.
    NeedToken,
}

/// A POST's `Idempotency-Key` (a 400 when malformed); `None` for other
/// methods.
fn idempotency_key(
    request: &Request,
    secret: &crate::server_secret::ServerSecret,
) -> Result<Option<Keyed>, Response> {
    if request.method != "POST" {
        return Ok(None);
    }
    idempotency::keyed(request, secret)
}

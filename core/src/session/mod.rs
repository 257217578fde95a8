//! The application session, sans IO: one connection's state above the HTTP
//! machine. [`Session`] wraps [`http::Conn`](crate::http::Conn), decodes the
//! requests it hands out into commands, asks the adapter to submit them to
//! the store, and holds a `GET /events` that waits (a long-poll, a stream).
//! It never reads a clock or the RNG and never touches the store: the adapter
//! feeds it what happened ([`Input`], each with [`Now`]) and does what it
//! says ([`Output`]).
//!
//! # Call contract
//!
//! 1. Create it with [`Session::new`] when the connection is accepted.
//! 2. Feed every event with [`Session::handle_input`] and the time it
//!    happened at. Then call [`Session::poll_output`] until it returns
//!    [`Output::Wait`] (or [`Output::Close`]) and do what each output says,
//!    in order. Outputs made while draining are dated by the last input's
//!    `now`.
//! 3. [`Output::Submit`] and [`Output::Watch`] go to the store; their answer
//!    comes back as [`Input::Outcome`] / [`Input::Watched`] with the same
//!    [`ReqId`]. A refusal at submission (the store's queue is full, the
//!    output budget is spent) is fed back at once as an `Outcome` (503
//!    `overloaded`). Outcomes of several submitted commands may be fed in any
//!    order; answers still leave in request order.
//! 4. [`Output::NeedToken`]: feed [`Input::Token`] with fresh random bytes
//!    before polling again (asked only by a request that issues a token).
//! 5. [`Output::Acquire`]: a `GET /events` is about to wait; feed
//!    [`Input::Place`] at once with whether the caller may hold one more
//!    (`--max-streams-per-user`). While [`Session::holding`] is true the
//!    adapter keeps the store's subscription and the place; once it is false
//!    they are dropped.
//! 6. [`Output::Wait`]: nothing more to do now. If a submitted command or a
//!    watch is at the store, await it. Otherwise wait for bytes (when `read`),
//!    the deadline (then feed [`Input::Timeout`]), shutdown
//!    ([`Input::Shutdown`]) and, when `events` is `Some(max)`, the
//!    subscription: take up to `max` waiting events and feed [`Input::Events`].
//!
//! [`Output::Answered`], [`Output::Delivered`] and [`Output::Note`] are for
//! the log and the metrics; they change nothing here.

mod flight;
mod held;
mod machine;

pub use machine::Session;

use crate::api::Published;
use crate::client_addr::Cidr;
use crate::command::Command;
use crate::config::Config;
use crate::events::{EventBody, EventId};
use crate::http::Limits;
use crate::idempotency::Keyed;
use crate::token::Token;
use crate::view::UserId;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::http::{Now, ReqId};

/// How many pipelined requests of one connection may be in flight at once
/// (`Conn::with_max_in_flight`): enough for the writer's batch to gather a
/// pipelining client's sends into one commit, few enough that one
/// connection's answers held for order stay small.
pub const PIPELINE_DEPTH: usize = 64;

/// Events taken from the inbox per step of a stream, so that a burst is
/// written in pieces rather than built whole.
pub const STREAM_BATCH: usize = 256;

/// What every session of one server shares. `Default` (for tests) has the
/// contract's limits and rules, no trusted proxy and a zero heartbeat.
#[derive(Clone, Debug, Default)]
pub struct SessionConfig {
    pub limits: Limits,
    pub rules: Config,
    /// Peers whose `X-Forwarded-For` is believed (`--trusted-proxy`).
    pub trusted_proxies: Vec<Cidr>,
    /// A stream with nothing to send for this long gets a ping.
    pub heartbeat: Duration,
    /// Keys what the store keeps of an `Idempotency-Key` (issue 28, see
    /// `crate::server_secret`); every node of one database has the same.
    pub secret: crate::server_secret::ServerSecret,
    /// Called with every request before it is decoded: a test hook (panic
    /// containment), compiled only with the `test-hooks` feature.
    #[cfg(feature = "test-hooks")]
    pub request_hook: Option<fn(&crate::http::Request)>,
}

/// An event the hub hands out, encoded once and shared by every receiver.
pub trait LiveEvent {
    fn id(&self) -> EventId;
    /// Its JSON object as `viewer` gets it.
    fn json(&self, viewer: UserId) -> &[u8];
    /// Its `text/event-stream` frame as `viewer` gets it.
    fn sse(&self, viewer: UserId) -> &[u8];
    /// Whether a stream that delivers it ends after it (`signed_out`: a
    /// token of the viewer was revoked; a stream whose token is still valid
    /// is resumed by its client, a revoked one gets 401).
    fn ends_stream(&self) -> bool {
        false
    }
}

/// What the server's sessions hold: the one cached encoding every event
/// reaches the wire by (the tests' sessions use stand-ins).
impl LiveEvent for Arc<Published> {
    fn id(&self) -> EventId {
        Published::id(self)
    }

    fn json(&self, viewer: UserId) -> &[u8] {
        &self.encoded_for(viewer).json
    }

    fn sse(&self, viewer: UserId) -> &[u8] {
        &self.encoded_for(viewer).sse
    }

    fn ends_stream(&self) -> bool {
        matches!(self.body, EventBody::SignedOut { .. })
    }
}

/// The store went away before it answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gone;

/// The store's answer to an [`Output::Watch`].
#[derive(Debug)]
pub enum Watched<E> {
    /// Answered as it is: a refusal, or a page that does not wait.
    Answer(crate::command::Outcome),
    /// A page of events, and the adapter now holds a subscription to what
    /// comes after it (events may be in both: those at or before the last
    /// one delivered are skipped).
    Page {
        viewer: UserId,
        events: Vec<E>,
        next: EventId,
        more: bool,
    },
}

/// What the adapter took from a held request's subscription.
#[derive(Debug)]
pub struct Taken<E> {
    /// In id order.
    pub events: Vec<E>,
    /// More events are waiting.
    pub more: bool,
    /// The subscriber fell too far behind and was dropped: the stream ends
    /// (the client resumes from its last event id).
    pub cut: bool,
    /// The hub closed (the server is stopping).
    pub closed: bool,
}

/// What the adapter feeds a [`Session`].
#[derive(Debug)]
pub enum Input<'a, E> {
    /// Bytes read from the socket.
    Bytes(&'a [u8]),
    /// The peer closed its sending side.
    Eof,
    /// The deadline of the last [`Output::Wait`] may have passed.
    Timeout,
    /// The store's outcome of [`Output::Submit`] `ReqId`.
    Outcome(ReqId, Result<crate::command::Outcome, Gone>),
    /// The store's answer to [`Output::Watch`] `ReqId`.
    Watched(ReqId, Result<Watched<E>, Gone>),
    /// What the held request's subscription had.
    Events(Taken<E>),
    /// The answer to [`Output::Acquire`].
    Place(bool),
    /// Fresh random bytes, asked by [`Output::NeedToken`].
    Token(Token),
    /// The server is stopping: a held long-poll is answered, a stream ends.
    Shutdown,
}

/// What a [`Session`] asks the adapter to do, drained with `poll_output`.
#[must_use = "each output is something the adapter must do"]
#[derive(Debug)]
pub enum Output {
    /// Write these bytes to the socket, in order.
    Send(Vec<u8>),
    /// Submit `command` to the store (with its idempotency key).
    Submit {
        id: ReqId,
        command: Command,
        keyed: Option<Keyed>,
    },
    /// Ask the store for a page of events (`Command::Events`), subscribing
    /// when it waits.
    Watch { id: ReqId, command: Command },
    /// Feed [`Input::Token`] before polling again.
    NeedToken,
    /// Feed [`Input::Place`] before polling again.
    Acquire { viewer: UserId, kind: HoldKind },
    /// A request was answered (its log line and metrics).
    Answered(Answered),
    /// This many events were written out (metrics).
    Delivered(usize),
    /// Something for the log.
    Note(Note),
    /// Close the socket (after writing everything sent before).
    Close,
    /// Nothing more to do now (see the call contract).
    Wait {
        deadline: Option<Instant>,
        /// Whether reading the socket is useful (a hang-up shows up as EOF).
        read: bool,
        /// A request is held: take up to this many events when its
        /// subscription has some.
        events: Option<usize>,
    },
}

/// The two kinds of held `GET /events`, counted apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldKind {
    LongPoll,
    Stream,
}

/// A request answered: what its log line and metrics need.
#[derive(Debug)]
pub struct Answered {
    pub method: String,
    pub target: String,
    pub status: u16,
    /// The body of a server-side failure (status 500 and above), else empty.
    pub failure_body: Vec<u8>,
    /// From its decoding to its answer (a stream: to its head).
    pub elapsed: Duration,
}

/// Things worth a log line.
#[derive(Debug, PartialEq, Eq)]
pub enum Note {
    /// The store went away before answering.
    StoreDropped {
        method: String,
        target: String,
    },
    StreamOpened {
        target: String,
    },
    /// A stream fell behind its bound and was cut.
    StreamCut,
    StreamEnded {
        target: String,
        last_event: EventId,
        elapsed: Duration,
    },
}

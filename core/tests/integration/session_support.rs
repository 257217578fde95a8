//! A `session::Session` driven by hand: virtual time, scripted store answers,
//! no socket, no store.
#![allow(dead_code)]

use agora_core::api;
use agora_core::events::EventId;
use agora_core::http::{ClientConn, Response};
use agora_core::session::{
    HoldKind, Input, LiveEvent, Now, Output, ReqId, Session, SessionConfig, Taken,
};
use agora_core::time::UnixMillis;
use agora_core::token::Token;
use agora_core::view::UserId;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A bearer token's 32 hex digits.
pub const TOKEN: &str = "0123456789abcdef0123456789abcdef";
/// The heartbeat of every test session.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// An event encoded the way the hub encodes one (the viewer does not matter
/// here).
#[derive(Debug)]
pub struct TestEvent {
    id: EventId,
    json: Vec<u8>,
    sse: Vec<u8>,
}

impl LiveEvent for TestEvent {
    fn id(&self) -> EventId {
        self.id
    }
    fn json(&self, _viewer: UserId) -> &[u8] {
        &self.json
    }
    fn sse(&self, _viewer: UserId) -> &[u8] {
        &self.sse
    }
}

pub fn event(id: EventId) -> TestEvent {
    let json = format!(r#"{{"id":{id}}}"#).into_bytes();
    let sse = api::sse_frame(id, "message", &json);
    TestEvent { id, json, sse }
}

pub fn taken(ids: &[EventId]) -> Taken<TestEvent> {
    Taken {
        events: ids.iter().map(|&id| event(id)).collect(),
        more: false,
        cut: false,
        closed: false,
    }
}

/// A session, its virtual clock, what it sent and what else it asked.
pub struct Harness {
    pub session: Session<TestEvent>,
    pub t0: Instant,
    pub now: Now,
    /// Every byte sent, in order.
    pub sent: Vec<u8>,
    /// Whether `Acquire` is granted.
    pub grant: bool,
    /// How many `NeedToken`s were answered.
    pub tokens: u8,
}

impl Harness {
    pub fn new() -> Harness {
        // The contract's limits and rules, no trusted proxy (`Default`; the
        // request hook exists only with `test-hooks`), and a heartbeat.
        let config = SessionConfig {
            heartbeat: HEARTBEAT,
            ..SessionConfig::default()
        };
        let t0 = Instant::now();
        let now = Now {
            mono: t0,
            wall: UnixMillis(1_795_939_565_000),
        };
        Harness {
            session: Session::new(Arc::new(config), Ipv4Addr::LOCALHOST.into(), now),
            t0,
            now,
            sent: Vec::new(),
            grant: true,
            tokens: 0,
        }
    }

    /// Moves the clock to `t0 + at`.
    pub fn at(&mut self, at: Duration) {
        self.now = Now {
            mono: self.t0 + at,
            wall: UnixMillis(1_795_939_565_000 + at.as_millis() as i64),
        };
    }

    /// Feeds `input` at the current time and drains: bytes go to `sent`,
    /// tokens and places are answered at once, and the other outputs are
    /// returned (the last is the `Wait` or `Close`).
    pub fn feed(&mut self, input: Input<'_, TestEvent>) -> Vec<Output> {
        self.session.handle_input(input, self.now);
        self.drain()
    }

    pub fn drain(&mut self) -> Vec<Output> {
        let mut outputs = Vec::new();
        loop {
            match self.session.poll_output() {
                Output::Send(bytes) => self.sent.extend_from_slice(&bytes),
                Output::NeedToken => {
                    self.tokens += 1;
                    let token = Token([self.tokens; 16]);
                    self.session.handle_input(Input::Token(token), self.now);
                }
                Output::Acquire { viewer, kind } => {
                    outputs.push(Output::Acquire { viewer, kind });
                    let grant = self.grant;
                    self.session.handle_input(Input::Place(grant), self.now);
                }
                last @ (Output::Wait { .. } | Output::Close) => {
                    outputs.push(last);
                    return outputs;
                }
                other => outputs.push(other),
            }
        }
    }

    /// Feeds request bytes.
    pub fn request(&mut self, bytes: &str) -> Vec<Output> {
        self.feed(Input::Bytes(bytes.as_bytes()))
    }

    /// The bytes sent since the last call, as text.
    pub fn take_sent(&mut self) -> String {
        String::from_utf8(std::mem::take(&mut self.sent)).unwrap()
    }

    /// Asserts that the held request is still held: nothing sent since the
    /// last look, and the session still waiting.
    pub fn assert_still_held(&mut self) {
        assert_eq!(self.take_sent(), "", "nothing is answered while it waits");
        assert!(self.session.holding(), "it still waits");
    }
}

/// A long-poll for the events after `since`.
pub fn long_poll(since: EventId, timeout: u32) -> String {
    format!(
        "GET /events?since={since}&timeout={timeout} HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    )
}

/// An event stream, resumed after `last` when given.
pub fn stream(last: Option<EventId>) -> String {
    let resume = last.map_or(String::new(), |id| format!("Last-Event-ID: {id}\r\n"));
    format!(
        "GET /events HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer {TOKEN}\r\nAccept: text/event-stream\r\n{resume}\r\n"
    )
}

/// The `Watch` among `outputs` (there must be one).
pub fn watch_id(outputs: &[Output]) -> ReqId {
    outputs
        .iter()
        .find_map(|o| match o {
            Output::Watch { id, .. } => Some(*id),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no Watch in {outputs:?}"))
}

/// The `Submit` ids among `outputs`, in order.
pub fn submit_ids(outputs: &[Output]) -> Vec<ReqId> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Submit { id, .. } => Some(*id),
            _ => None,
        })
        .collect()
}

/// The last output: the `Wait` (its deadline, read and events) or a close.
pub fn wait_of(outputs: &[Output]) -> Option<(Option<Instant>, bool, Option<usize>)> {
    match outputs.last() {
        Some(Output::Wait {
            deadline,
            read,
            events,
        }) => Some((*deadline, *read, *events)),
        _ => None,
    }
}

pub fn acquired(outputs: &[Output]) -> Option<HoldKind> {
    outputs.iter().find_map(|o| match o {
        Output::Acquire { kind, .. } => Some(*kind),
        _ => None,
    })
}

/// The complete responses in `bytes` (a stream's head is not complete).
pub fn responses(bytes: &str) -> Vec<Response> {
    let mut client = ClientConn::new();
    client.feed(bytes.as_bytes());
    let mut out = Vec::new();
    while let Ok(Some(response)) = client.poll_response() {
        out.push(response);
    }
    out
}

/// The body of the one complete response in `bytes`.
pub fn only_body(bytes: &str) -> String {
    let all = responses(bytes);
    assert_eq!(all.len(), 1, "{bytes}");
    String::from_utf8(all[0].body.clone()).unwrap()
}

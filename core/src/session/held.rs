//! A `GET /events` the store answered, while it waits. A long-poll with
//! nothing to hand out yet waits for its first events or its timeout; a
//! stream (`text/event-stream`) sends the page, then every event as it comes,
//! a ping when idle, and ends when the client hangs up, the server stops, or
//! the client fell so far behind that the hub cut it (it resumes with
//! `Last-Event-ID`). Events the page and the subscription both hold are sent
//! once: nothing at or before the last event delivered goes out again.
//!
//! Every event goes out through [`LiveEvent`]: in the server, core's
//! [`Published`](crate::api::Published), encoded once per event and viewer
//! and shared by every receiver.

use super::flight::{Ctx, InFlight};
use super::{LiveEvent, Note, Output, Taken, Watched, STREAM_BATCH};
use crate::api;
use crate::command::{Command, EventsWait};
use crate::events::EventId;
use crate::http::{Conn, Input};
use crate::token::TokenHash;
use crate::view::UserId;
use std::time::{Duration, Instant};

/// A held `GET /events`.
#[derive(Debug)]
pub(super) struct Held {
    flight: InFlight,
    viewer: UserId,
    caller: TokenHash,
    /// Every visible event up to this one was delivered (or came before the
    /// request's starting point).
    last: EventId,
    mode: Mode,
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Mode {
    /// A long-poll, answered at the first events or at `until`.
    Poll { until: Instant },
    /// A stream: its head is out. `ping_at`: when to send a ping if nothing
    /// else went out; `catching_up`: the store said more events were already
    /// there, and the next page is at the store (read before the inbox).
    Stream { ping_at: Instant, catching_up: bool },
}

/// What became of a held request after an input.
pub(super) enum Next {
    Held(Held),
    /// Answered, or its stream ended.
    Done,
    /// Its stream was cut: close the connection once its output is out.
    Cut,
}

impl Held {
    /// Starts holding `flight` (the caller has its place): a stream sends its
    /// head and the page; a stream still catching up asks for the next page.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn start<E: LiveEvent>(
        cx: &mut Ctx<'_>,
        flight: InFlight,
        caller: TokenHash,
        viewer: UserId,
        page: &[E],
        next: EventId,
        mode: Mode,
    ) -> Held {
        let mut held = Held {
            flight,
            viewer,
            caller,
            last: next,
            mode,
        };
        if let Mode::Stream { catching_up, .. } = mode {
            let target = held.flight.target.clone();
            cx.out
                .push_back(Output::Note(Note::StreamOpened { target }));
            let head = api::event_stream_head();
            // Counted among the requests, with its status, as it starts (its
            // latency: until its head).
            cx.report(&held.flight, &head);
            cx.conn
                .handle_input(Input::StreamStart(held.flight.id, head), cx.now);
            held.last = 0;
            held.send(cx, page);
            held.last = held.last.max(next);
            if catching_up {
                held.ask_next_page(cx);
            }
        }
        held
    }

    /// The subscription had something.
    pub(super) fn events<E: LiveEvent>(
        mut self,
        cx: &mut Ctx<'_>,
        taken: Taken<E>,
        stopping: bool,
        heartbeat: Duration,
    ) -> Next {
        let fresh = after(&taken.events, self.last);
        match self.mode {
            Mode::Poll { until } => {
                if fresh.is_empty()
                    && !taken.cut
                    && !taken.closed
                    && !stopping
                    && cx.now.mono < until
                {
                    return Next::Held(self);
                }
                let next = fresh.last().map_or(self.last, LiveEvent::id);
                let json = fresh.iter().map(|e| e.json(self.viewer));
                let page = api::events_page(json, next, taken.more);
                cx.delivered(fresh.len());
                cx.respond(self.flight, page);
                Next::Done
            }
            Mode::Stream { ping_at, .. } => {
                let before = self.last;
                let signed_out = fresh.iter().any(LiveEvent::ends_stream);
                self.send(cx, fresh);
                if taken.cut {
                    // A client that does not read is not kept: its place and
                    // buffers go back, and it resumes from its last event id.
                    cx.out.push_back(Output::Note(Note::StreamCut));
                    self.end(cx);
                    return Next::Cut;
                }
                if taken.closed || stopping || signed_out {
                    self.end(cx);
                    return Next::Done;
                }
                if self.last > before {
                    self.mode = Mode::Stream {
                        ping_at: cx.now.mono + heartbeat,
                        catching_up: false,
                    };
                } else {
                    self.mode = Mode::Stream {
                        ping_at,
                        catching_up: false,
                    };
                }
                Next::Held(self)
            }
        }
    }

    /// The deadline may have passed: a long-poll ends empty, an idle stream
    /// gets a ping.
    pub(super) fn timeout(mut self, cx: &mut Ctx<'_>, heartbeat: Duration) -> Next {
        match self.mode {
            Mode::Poll { until } if cx.now.mono >= until => self.hang_up(cx),
            Mode::Stream {
                ping_at,
                catching_up: false,
            } if cx.now.mono >= ping_at => {
                cx.chunk(self.flight.id, api::SSE_PING);
                self.mode = Mode::Stream {
                    ping_at: cx.now.mono + heartbeat,
                    catching_up: false,
                };
                Next::Held(self)
            }
            _ => Next::Held(self),
        }
    }

    /// The client hung up, or the server stops: a long-poll is answered with
    /// nothing (its waiter is freed), a stream ends.
    pub(super) fn hang_up(self, cx: &mut Ctx<'_>) -> Next {
        match self.mode {
            Mode::Stream { .. } => self.end(cx),
            Mode::Poll { .. } => {
                let page = api::events_page(std::iter::empty(), self.last, false);
                cx.respond(self.flight, page);
            }
        }
        Next::Done
    }

    /// A stream's catch-up page came back.
    pub(super) fn page<E: LiveEvent>(
        mut self,
        cx: &mut Ctx<'_>,
        page: Watched<E>,
        heartbeat: Duration,
    ) -> Next {
        match (self.mode, page) {
            (Mode::Stream { .. }, Watched::Page { events, more, .. }) => {
                let fresh = after(&events, self.last);
                if fresh.iter().any(LiveEvent::ends_stream) {
                    self.send(cx, &events);
                    self.end(cx);
                    return Next::Done;
                }
                self.send(cx, &events);
                self.mode = Mode::Stream {
                    ping_at: cx.now.mono + heartbeat,
                    catching_up: more,
                };
                if more {
                    self.ask_next_page(cx);
                }
                Next::Held(self)
            }
            // A refusal (the readers' queue is full), or a page that was not
            // asked for.
            _ => {
                self.end(cx);
                Next::Done
            }
        }
    }

    /// Whether `id` names this request.
    pub(super) fn is(&self, id: super::ReqId) -> bool {
        self.flight.id == id
    }

    /// What the adapter waits for meanwhile.
    pub(super) fn wait(&self, conn: &Conn, page_max: usize) -> Output {
        let read = conn.wants_input();
        match self.mode {
            Mode::Poll { until } => Output::Wait {
                deadline: Some(until),
                read,
                events: Some(page_max),
            },
            // The page at the store is awaited first.
            Mode::Stream {
                catching_up: true, ..
            } => Output::Wait {
                deadline: None,
                read: false,
                events: None,
            },
            Mode::Stream { ping_at, .. } => Output::Wait {
                deadline: Some(ping_at),
                read,
                events: Some(STREAM_BATCH),
            },
        }
    }

    fn ask_next_page(&self, cx: &mut Ctx<'_>) {
        let command = Command::Events {
            caller: self.caller,
            since: Some(self.last),
            wait: EventsWait::Page,
        };
        let id = self.flight.id;
        cx.out.push_back(Output::Watch { id, command });
    }

    /// Writes the events after `self.last` as one chunk of frames.
    fn send<E: LiveEvent>(&mut self, cx: &mut Ctx<'_>, events: &[E]) {
        let fresh = after(events, self.last);
        let Some(newest) = fresh.last() else {
            return;
        };
        self.last = newest.id();
        cx.delivered(fresh.len());
        let id = self.flight.id;
        if let [one] = fresh {
            // What a stream that keeps up gets: the shared frame goes to the
            // machine as it is, without a copy.
            return cx.chunk(id, one.sse(self.viewer));
        }
        let frames = fresh.iter().map(|e| e.sse(self.viewer));
        let mut chunk = Vec::with_capacity(frames.clone().map(<[u8]>::len).sum());
        frames.for_each(|frame| chunk.extend_from_slice(frame));
        cx.chunk(id, &chunk);
    }

    fn end(self, cx: &mut Ctx<'_>) {
        cx.out.push_back(Output::Note(Note::StreamEnded {
            elapsed: cx.now.mono.saturating_duration_since(self.flight.started),
            target: self.flight.target,
            last_event: self.last,
        }));
        cx.conn
            .handle_input(Input::StreamEnd(self.flight.id), cx.now);
    }
}

/// The events of `events` (in id order) after `last`.
fn after<E: LiveEvent>(events: &[E], last: EventId) -> &[E] {
    &events[events.partition_point(|e| e.id() <= last)..]
}

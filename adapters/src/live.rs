//! `GET /events` held by the session. The store answers it with a page of
//! events and, when the request waits, a subscription to what comes next
//! (`agora_store::Watch`). A long-poll with nothing to hand out yet waits for
//! its first events or its timeout; a stream (`text/event-stream`) sends the
//! page, then every event as it comes, a ping when idle, and ends when the
//! client hangs up, the server stops, or the client fell so far behind that
//! the hub cut it (it resumes with `Last-Event-ID`). Events the page and the
//! subscription both hold are sent once: nothing at or before the last event
//! delivered goes out again.

use crate::keyed_limit::KeyedSlot;
use crate::session::{now, InFlight, Session, Step};
use agora_core::api;
use agora_core::command::{Command, EventsWait, Failure, Outcome};
use agora_core::events::{Event, EventId};
use agora_core::http::{Input, Now};
use agora_core::token::TokenHash;
use agora_core::view::UserId;
use agora_store::{Busy, Pending, Published, StoreGone, Subscription, Watch};
use prometheus_client::metrics::gauge::Gauge;
use std::sync::Arc;
use std::time::Instant;
use tracing::{debug, warn};

/// Events taken from the inbox per step of a stream, so that a burst is
/// written in pieces rather than built whole.
const STREAM_BATCH: usize = 256;

/// The `Retry-After` of a 429 `too_many_streams`: a place frees when one of
/// the caller's streams or long-polls ends, which no one can foretell.
const STREAMS_RETRY_AFTER_SECS: u64 = 5;

/// A `GET /events` the store answered, while it waits.
pub(crate) struct Held {
    /// Counts it among the waiting long-polls or the open streams.
    _counted: Counted,
    /// Its place among the caller's (`--max-streams-per-user`).
    _place: KeyedSlot<UserId>,
    flight: InFlight,
    subscription: Subscription,
    viewer: UserId,
    caller: TokenHash,
    /// Every visible event up to this one was delivered (or came before the
    /// request's starting point).
    last: EventId,
    mode: Mode,
}

enum Mode {
    /// A long-poll, answered at the first events or at `until`.
    Poll { until: Instant },
    /// A stream: its head is out. `ping_at`: when to send a ping if nothing
    /// else went out; `catching_up`: the store said more events were
    /// already there, so the next page is read before the inbox.
    Stream {
        ping_at: Instant,
        catching_up: bool,
        page_in_flight: bool,
    },
}

/// A held request in the metrics' gauge for its kind, while it lives (so a
/// connection that fails mid-wait is counted out too).
struct Counted(Option<Gauge>);

impl Counted {
    fn new(gauge: Option<&Gauge>) -> Counted {
        if let Some(gauge) = gauge {
            gauge.inc();
        }
        Counted(gauge.cloned())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        if let Some(gauge) = &self.0 {
            gauge.dec();
        }
    }
}

impl Held {
    pub(crate) fn subscription(&self) -> &Subscription {
        &self.subscription
    }
}

/// What a request for events asked, kept while the store answers it.
pub(crate) struct Asked {
    caller: TokenHash,
    wait: EventsWait,
}

impl Session {
    /// Submits a `GET /events` to the store.
    pub(crate) fn watch(&mut self, command: Command) -> Result<Pending<Watch>, Busy> {
        if let Command::Events { caller, wait, .. } = &command {
            self.asked = Some(Asked {
                caller: *caller,
                wait: *wait,
            });
        }
        self.shared.store.watch(command)
    }

    /// Feeds the store's answer to a `GET /events`: answered at once, or held
    /// (see the module docs).
    pub fn watched(&mut self, result: Result<Watch, StoreGone>) {
        if self.held.is_some() {
            return self.caught_up(result);
        }
        let (Some(flight), Some(asked)) = (self.in_flight.take(), self.asked.take()) else {
            return;
        };
        let watch = match result {
            Ok(watch) => watch,
            Err(StoreGone) => {
                warn!(target = %flight.target, "the store dropped a command");
                let refusal = Outcome::Failed(Failure::StoreUnavailable);
                return self.respond(flight, api::encode(&refusal));
            }
        };
        let Watch {
            outcome,
            subscription,
        } = watch;
        // No subscription: a refusal, or a request that does not wait.
        let Some(subscription) = subscription else {
            return self.respond(flight, api::encode(&outcome));
        };
        let Outcome::Events {
            viewer,
            events,
            next,
            more,
        } = outcome
        else {
            return self.respond(flight, api::encode(&outcome));
        };
        let now = Instant::now();
        let mode = match asked.wait {
            EventsWait::Poll { timeout_secs } => {
                if !events.is_empty() || more || timeout_secs == 0 {
                    self.delivered(events.len());
                    let page = Outcome::Events {
                        viewer,
                        events,
                        next,
                        more,
                    };
                    return self.respond(flight, api::encode(&page));
                }
                let wait = std::time::Duration::from_secs(u64::from(timeout_secs));
                Mode::Poll { until: now + wait }
            }
            EventsWait::Stream | EventsWait::Page => Mode::Stream {
                ping_at: now + self.shared.config.heartbeat,
                catching_up: more,
                page_in_flight: false,
            },
        };
        let Some(place) = self.shared.streams.try_acquire(viewer) else {
            let refusal = Outcome::TooManyStreams {
                retry_after_secs: STREAMS_RETRY_AFTER_SECS,
            };
            return self.respond(flight, api::encode(&refusal));
        };
        if let Mode::Stream { .. } = mode {
            debug!(target = %flight.target, "event stream opened");
            let head = api::event_stream_head();
            self.conn
                .handle_input(Input::StreamStart(flight.id, head), self::now());
        }
        let metrics = self.shared.metrics.as_deref();
        let gauge = metrics.map(|m| match mode {
            Mode::Poll { .. } => &m.long_polls_waiting,
            Mode::Stream { .. } => &m.event_streams_open,
        });
        let mut held = Held {
            _counted: Counted::new(gauge),
            _place: place,
            flight,
            subscription,
            viewer,
            caller: asked.caller,
            last: next,
            mode,
        };
        if let Mode::Stream { .. } = held.mode {
            held.last = 0;
            self.send_events(&mut held, &events);
            held.last = held.last.max(next);
        }
        self.held = Some(held);
    }

    /// What a held request does now: `None` once it was answered or ended
    /// (the machine then has output, or the next request), else the step to
    /// wait with.
    pub(crate) fn step_held(&mut self) -> Option<Step> {
        let mut held = self.held.take()?;
        // Both clocks, once for the whole step: its deadlines and what it
        // hands the machine.
        let at = now();
        match held.mode {
            Mode::Poll { until } => {
                let taken = held
                    .subscription
                    .take(self.shared.rules.events_page_max as usize);
                let fresh = after(&taken.events, held.last);
                if fresh.is_empty()
                    && !taken.cut
                    && !taken.closed
                    && !self.stopping
                    && at.mono < until
                {
                    let read = self.conn.wants_input();
                    self.held = Some(held);
                    return Some(Step::Hold {
                        deadline: until,
                        read,
                    });
                }
                let next = fresh.last().map_or(held.last, |e| e.id());
                let viewer = held.viewer;
                let json = fresh.iter().map(|e| e.encoded_for(viewer).json.as_slice());
                let page = api::events_page(json, next, taken.more);
                self.delivered(fresh.len());
                self.respond(held.flight, page);
                None
            }
            Mode::Stream {
                ping_at,
                catching_up,
                page_in_flight,
            } => {
                if catching_up && !page_in_flight {
                    return self.next_page(held);
                }
                let taken = held.subscription.take(STREAM_BATCH);
                let before = held.last;
                self.send_live(&mut held, &taken.events, at);
                if taken.cut {
                    // A client that does not read is not kept: its place and
                    // buffers go back, and it resumes from its last event id.
                    debug!("an event stream fell behind its bound and was cut");
                    self.end_stream(held);
                    self.close_after_output();
                    return None;
                }
                if taken.closed || self.stopping {
                    self.end_stream(held);
                    return None;
                }
                let heartbeat = self.shared.config.heartbeat;
                let ping_at = if held.last > before {
                    at.mono + heartbeat
                } else if at.mono >= ping_at {
                    let id = held.flight.id;
                    self.conn
                        .handle_input(Input::StreamChunk(id, api::SSE_PING), at);
                    at.mono + heartbeat
                } else {
                    ping_at
                };
                held.mode = Mode::Stream {
                    ping_at,
                    catching_up: false,
                    page_in_flight: false,
                };
                let more = taken.more;
                let read = self.conn.wants_input();
                self.held = Some(held);
                // With more waiting, come back at once (after the machine's
                // output for this batch is taken).
                (!more).then_some(Step::Hold {
                    deadline: ping_at,
                    read,
                })
            }
        }
    }

    /// Asks the store for the next page of a stream that is catching up.
    fn next_page(&mut self, mut held: Held) -> Option<Step> {
        let page = Command::Events {
            caller: held.caller,
            since: Some(held.last),
            wait: EventsWait::Page,
        };
        match self.shared.store.watch(page) {
            Ok(pending) => {
                if let Mode::Stream { page_in_flight, .. } = &mut held.mode {
                    *page_in_flight = true;
                }
                self.held = Some(held);
                Some(Step::Watch(pending))
            }
            Err(Busy) => {
                warn!("the readers' queue is full: ending an event stream");
                self.end_stream(held);
                None
            }
        }
    }

    /// The server is stopping: a held long-poll is answered with what it
    /// has, a stream ends.
    pub fn stop(&mut self) {
        self.stopping = true;
    }

    /// The client hung up: a held request ends now (its waiter is freed).
    pub(crate) fn end_held(&mut self) {
        match self.held.take() {
            Some(
                held @ Held {
                    mode: Mode::Stream { .. },
                    ..
                },
            ) => self.end_stream(held),
            Some(held) => {
                let page = api::events_page(std::iter::empty(), held.last, false);
                self.respond(held.flight, page);
            }
            None => {}
        }
    }

    /// A stream's catch-up page came back.
    fn caught_up(&mut self, result: Result<Watch, StoreGone>) {
        let Some(mut held) = self.held.take() else {
            return;
        };
        match result {
            Ok(Watch {
                outcome: Outcome::Events { events, more, .. },
                ..
            }) => {
                self.send_events(&mut held, &events);
                held.mode = Mode::Stream {
                    ping_at: Instant::now() + self.shared.config.heartbeat,
                    catching_up: more,
                    page_in_flight: false,
                };
                self.held = Some(held);
            }
            _ => self.end_stream(held),
        }
    }

    /// Writes the events after `held.last` as one chunk of frames.
    fn send_events(&mut self, held: &mut Held, events: &[Event]) {
        let viewer = held.viewer;
        let mut chunk = Vec::new();
        for event in events {
            if event.id <= held.last {
                continue;
            }
            let json = api::event_json(event, viewer);
            chunk.extend_from_slice(&api::sse_frame(event.id, event.body.kind(), &json));
            held.last = event.id;
            self.delivered(1);
        }
        if !chunk.is_empty() {
            self.conn
                .handle_input(Input::StreamChunk(held.flight.id, &chunk), now());
        }
    }

    /// Writes the hub's events after `held.last`, each encoded once for every
    /// receiver, as one chunk of frames.
    fn send_live(&mut self, held: &mut Held, events: &[Arc<Published>], at: Now) {
        let viewer = held.viewer;
        let fresh = after(events, held.last);
        let Some(newest) = fresh.last() else {
            return;
        };
        held.last = newest.id();
        self.delivered(fresh.len());
        let id = held.flight.id;
        if let [one] = fresh {
            // What a stream that keeps up gets: the shared frame goes to the
            // machine as it is, without a copy.
            let frame = &one.encoded_for(viewer).sse;
            return self.conn.handle_input(Input::StreamChunk(id, frame), at);
        }
        let frames = fresh.iter().map(|e| e.encoded_for(viewer).sse.as_slice());
        let mut chunk = Vec::with_capacity(frames.clone().map(<[u8]>::len).sum());
        frames.for_each(|frame| chunk.extend_from_slice(frame));
        self.conn.handle_input(Input::StreamChunk(id, &chunk), at);
    }

    /// Counts events written out, in the metrics.
    fn delivered(&self, count: usize) {
        if let Some(metrics) = &self.shared.metrics {
            metrics.events_delivered.inc_by(count as u64);
        }
    }

    fn end_stream(&mut self, held: Held) {
        debug!(
            target = %held.flight.target,
            last_event = held.last,
            seconds = held.flight.started.elapsed().as_secs(),
            "event stream ended"
        );
        self.conn
            .handle_input(Input::StreamEnd(held.flight.id), now());
    }
}

/// The events of `events` (in id order, as the hub hands them out) after
/// `last`.
fn after(events: &[Arc<Published>], last: EventId) -> &[Arc<Published>] {
    &events[events.partition_point(|e| e.id() <= last)..]
}

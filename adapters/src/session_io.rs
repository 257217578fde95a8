//! The resources of one connection's session: [`SessionIo`] feeds the
//! sans-IO `agora_core::session::Session` with the clock's time and the RNG's
//! bytes, and does what it asks with what the connections share: the store
//! (submit, watch, the hub's subscription), the output budget (`outbound`),
//! the per-user place of a held request (`--max-streams-per-user`), the log
//! and the metrics. Every decision is the session's; the drive loop
//! (`drive`) owns the socket and asks this for its next [`Step`].

use crate::answered::{answered, loggable_uri};
use crate::clock::{fresh_token, now};
use crate::keyed_limit::KeyedSlot;
use crate::outbound;
use crate::shared::Shared;
use agora_core::api::Published;
use agora_core::command::{Command, Failure, Outcome};
use agora_core::idempotency::Keyed;
use agora_core::session::{Gone, HoldKind, Input, Note, Output, ReqId, Session, Taken, Watched};
use agora_core::view::UserId;
use agora_store::{Busy, Pending, Subscription, Watch};
use futures_lite::future;
use prometheus_client::metrics::gauge::Gauge;
use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tracing::{debug, warn};

/// An event as the session holds it: from the hub, or from a page read for
/// a held request, encoded once per viewer by core's `Published`.
type Live = Arc<Published>;

/// What the drive loop must do next. Before acting on it, write
/// [`SessionIo::take_output`] to the socket.
#[must_use = "the drive loop must do what the step says"]
pub enum Step {
    /// Wait for bytes, or until the deadline and then call
    /// [`SessionIo::timeout`].
    Wait(Option<Instant>),
    /// Await the oldest submitted command ([`SessionIo::complete`]).
    Submit,
    /// Await the store's answer to `GET /events` ([`SessionIo::watched`]).
    Watch,
    /// A long-poll or an event stream is held: wait for events on
    /// [`SessionIo::subscription`] (then [`SessionIo::take_events`]), for
    /// the deadline ([`SessionIo::timeout`]), for shutdown
    /// ([`SessionIo::stop`]) and, if `read`, for bytes (a hang-up shows up
    /// as EOF).
    Hold {
        deadline: Option<Instant>,
        read: bool,
    },
    /// Close the socket.
    Close,
}

/// The id of the next connection, for log lines.
static NEXT_CONN_ID: AtomicU64 = AtomicU64::new(1);

/// One connection's session and the resources it uses.
pub struct SessionIo {
    /// This connection's id in log lines (`conn`).
    id: u64,
    session: Session<Live>,
    shared: Arc<Shared>,
    out: Vec<u8>,
    /// Commands at the store, in request order.
    submitted: VecDeque<(ReqId, Pending)>,
    /// The `GET /events` at the store.
    watch: Option<(ReqId, Pending<Watch>)>,
    /// A catch-up's place in the output budget, from its dispatch until the
    /// store answered (see `outbound`).
    reserved: Option<outbound::Charge>,
    /// The held request's subscription, while the session holds one.
    subscription: Option<Subscription>,
    /// The held request's place among its user's, and its gauge.
    place: Option<(KeyedSlot<UserId>, Counted)>,
    /// Events to take per wake-up of the held request.
    take: usize,
}

impl SessionIo {
    /// A session for a connection from `peer` (the socket's TCP peer).
    pub fn new(shared: Arc<Shared>, peer: IpAddr) -> SessionIo {
        SessionIo {
            id: NEXT_CONN_ID.fetch_add(1, Ordering::Relaxed),
            session: Session::new(shared.session.clone(), peer, now()),
            shared,
            out: Vec::new(),
            submitted: VecDeque::new(),
            watch: None,
            reserved: None,
            subscription: None,
            place: None,
            take: 0,
        }
    }

    fn feed(&mut self, input: Input<'_, Live>) {
        self.session.handle_input(input, now());
    }

    pub fn bytes(&mut self, bytes: &[u8]) {
        self.feed(Input::Bytes(bytes));
    }

    pub fn eof(&mut self) {
        self.feed(Input::Eof);
    }

    /// The deadline passed (what the held request's subscription has is
    /// taken first, as at any wake-up).
    pub fn timeout(&mut self) {
        self.take_events();
        self.feed(Input::Timeout);
    }

    /// The server is stopping: a held long-poll is answered with what it
    /// has, a stream ends.
    pub fn stop(&mut self) {
        self.take_events();
        self.feed(Input::Shutdown);
    }

    /// Feeds what the held request's subscription has, if anything.
    pub fn take_events(&mut self) {
        let Some(subscription) = &self.subscription else {
            return;
        };
        let taken = subscription.take(self.take.max(1));
        if taken.events.is_empty() && !taken.cut && !taken.closed {
            return;
        }
        let taken = Taken {
            events: taken.events,
            more: taken.more,
            cut: taken.cut,
            closed: taken.closed,
        };
        self.feed(Input::Events(taken));
    }

    /// Whether a request is partly read (see `Conn::has_partial_request`).
    pub fn has_partial_request(&self) -> bool {
        self.session.has_partial_request()
    }

    /// Whether reading more from the socket is useful now.
    pub fn wants_input(&self) -> bool {
        self.session.wants_input()
    }

    /// The bytes to write before acting on the last [`Step`].
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// The subscription of the long-poll or stream held, for the drive loop
    /// to wait on.
    pub fn subscription(&self) -> Option<&Subscription> {
        self.subscription.as_ref()
    }

    /// Drains the session's outputs and does what they say, until the drive
    /// loop has to wait for something.
    pub fn next_step(&mut self) -> Step {
        loop {
            match self.session.poll_output() {
                Output::Send(bytes) if self.out.is_empty() => self.out = bytes,
                Output::Send(bytes) => self.out.extend_from_slice(&bytes),
                Output::Submit { id, command, keyed } => self.submit(id, command, keyed),
                Output::Watch { id, command } => self.watch(id, command),
                Output::NeedToken => self.feed(Input::Token(fresh_token())),
                Output::Acquire { viewer, kind } => {
                    let granted = self.acquire(viewer, kind);
                    self.feed(Input::Place(granted));
                }
                Output::Answered(a) => {
                    let (shared, id) = (&self.shared, self.id);
                    let body = &a.failure_body;
                    answered(shared, id, &a.method, &a.target, a.status, body, a.elapsed);
                }
                Output::Delivered(count) => {
                    if let Some(metrics) = &self.shared.metrics {
                        metrics.events_delivered.inc_by(count as u64);
                    }
                }
                Output::Note(note) => self.log(note),
                Output::Close => {
                    self.release_unheld();
                    return Step::Close;
                }
                Output::Wait {
                    deadline,
                    read,
                    events,
                } => {
                    self.release_unheld();
                    if !self.submitted.is_empty() {
                        return Step::Submit;
                    }
                    if self.watch.is_some() {
                        return Step::Watch;
                    }
                    return match events {
                        Some(take) => {
                            self.take = take;
                            Step::Hold { deadline, read }
                        }
                        None => Step::Wait(deadline),
                    };
                }
            }
        }
    }

    /// The held request's resources go once the session holds none.
    fn release_unheld(&mut self) {
        if !self.session.holding() {
            self.subscription = None;
            self.place = None;
        }
    }

    /// Submits a command to the store, unless the output budget or the
    /// store's queue refuses it (503 `overloaded`).
    fn submit(&mut self, id: ReqId, command: Command, keyed: Option<Keyed>) {
        if !self.admit(&command) {
            return self.overloaded(id);
        }
        let store = &self.shared.store;
        let submitted = match keyed {
            Some(keyed) => store.submit_keyed(command, keyed),
            None => store.submit(command),
        };
        match submitted {
            Ok(pending) => self.submitted.push_back((id, pending)),
            Err(Busy) => {
                warn!("the store's queue is full: answering 503");
                self.overloaded(id);
            }
        }
    }

    fn overloaded(&mut self, id: ReqId) {
        self.feed(Input::Outcome(id, Ok(Outcome::Failed(Failure::Overloaded))));
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
            outbound::Admission::Refuse => {
                warn!("clients are not taking their answers: answering 503");
                false
            }
        }
    }

    /// Asks the store for a page of events: a first page (admitted against
    /// the output budget) or a held stream's next one.
    fn watch(&mut self, id: ReqId, command: Command) {
        let catching_up = self.session.holding();
        if !catching_up && !self.admit(&command) {
            return self.refuse_watch(id);
        }
        match self.shared.store.watch(command) {
            Ok(pending) => self.watch = Some((id, pending)),
            Err(Busy) if catching_up => {
                warn!("the readers' queue is full: ending an event stream");
                self.refuse_watch(id);
            }
            Err(Busy) => {
                warn!("the readers' queue is full: answering 503");
                self.refuse_watch(id);
            }
        }
    }

    fn refuse_watch(&mut self, id: ReqId) {
        self.reserved = None;
        let refusal = Watched::Answer(Outcome::Failed(Failure::Overloaded));
        self.feed(Input::Watched(id, Ok(refusal)));
    }

    /// Awaits the oldest submitted command and feeds its outcome.
    pub async fn complete(&mut self) {
        if let Some((id, pending)) = self.submitted.front_mut() {
            let (id, result) = (*id, pending.await);
            self.submitted.pop_front();
            self.feed(Input::Outcome(id, result.map_err(|_| Gone)));
        }
    }

    /// Feeds the oldest submitted command's outcome if it is already there
    /// (the answers of pipelined requests committed together then go out in
    /// one write); `false` if it is not.
    pub async fn complete_now(&mut self) -> bool {
        let Some((id, pending)) = self.submitted.front_mut() else {
            return false;
        };
        let id = *id;
        match future::poll_once(pending).await {
            Some(result) => {
                self.submitted.pop_front();
                self.feed(Input::Outcome(id, result.map_err(|_| Gone)));
                true
            }
            None => false,
        }
    }

    /// Awaits the store's answer to the `GET /events` asked and feeds it.
    pub async fn watched(&mut self) {
        let Some((id, pending)) = self.watch.take() else {
            return;
        };
        let result = pending.await;
        // The page is charged as it is written: the reservation ends.
        self.reserved = None;
        let catching_up = self.session.holding();
        let watched = match result {
            Err(_) => Err(Gone),
            Ok(mut watch) => {
                if !catching_up {
                    // A first page may be refused (see `outbound`).
                    outbound::screen(&mut watch, &self.shared.unsent);
                    self.subscription = watch.subscription;
                }
                let waits = catching_up || self.subscription.is_some();
                Ok(page(watch.outcome, waits))
            }
        };
        self.feed(Input::Watched(id, watched));
    }

    /// A place for a held request among its user's, counted in the gauge of
    /// its kind.
    fn acquire(&mut self, viewer: UserId, kind: HoldKind) -> bool {
        let Some(place) = self.shared.streams.try_acquire(viewer) else {
            return false;
        };
        let gauge = self.shared.metrics.as_deref().map(|m| match kind {
            HoldKind::LongPoll => &m.long_polls_waiting,
            HoldKind::Stream => &m.event_streams_open,
        });
        self.place = Some((place, Counted::new(gauge)));
        true
    }

    fn log(&self, note: Note) {
        match note {
            Note::StoreDropped { method, target } => {
                warn!(conn = self.id, method = %method, uri = %loggable_uri(&target),
                    "the store dropped a command");
            }
            Note::StreamOpened { target } => {
                debug!(uri = %loggable_uri(&target), "event stream opened");
            }
            Note::StreamCut => debug!("an event stream fell behind its bound and was cut"),
            Note::StreamEnded {
                target,
                last_event,
                elapsed,
            } => debug!(
                uri = %loggable_uri(&target),
                last_event,
                seconds = elapsed.as_secs(),
                "event stream ended"
            ),
        }
    }
}

/// The store's answer in the session's terms: a page of events for a
/// request that waits, else the outcome as it is.
fn page(outcome: Outcome, waits: bool) -> Watched<Live> {
    match outcome {
        Outcome::Events {
            viewer,
            events,
            next,
            more,
        } if waits => Watched::Page {
            viewer,
            events,
            next,
            more,
        },
        outcome => Watched::Answer(outcome),
    }
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

//! The fan-out hub: the writer hands it each committed batch's events, and it
//! puts each event in the inbox of every subscriber that may see it (public
//! events go to every subscriber, a private chat's to its two members, a ban
//! to the banned user), waking them. Each event is encoded once per viewer
//! that sees it differently (a private chat is named after the other member)
//! and shared by every receiver.
//!
//! It also keeps a ring of recent events, so that a client catching up from
//! a recent cursor needs no database read. Every event with an id above
//! `floor` is in the ring; older ones come from the database. The ring is
//! bounded by bytes as well as by count (see `ring_charge`): 4,096 events of
//! 24 KiB of JSON each, encoded for two viewers, would otherwise hold 400 MB.
//!
//! A subscriber that does not read is cut when its inbox passes a byte
//! bound: its stream ends and the client resumes from its last event id, so
//! memory stays bounded whatever a client does.

use agora_core::api;
use agora_core::events::{Audience, Event, EventBody, EventChat, EventId};
use agora_core::json_size;
use agora_core::view::{ChatId, UserId};
use std::collections::{HashMap, VecDeque};

mod rooms;
use rooms::RoomMembers;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};

/// Recent events kept in memory for catch-up, at most.
const RING: usize = 4096;
/// The bytes those events may hold, at most (see `ring_charge`).
pub const RING_BYTES: usize = 16 * 1024 * 1024;

/// One committed event, as the hub hands it out.
#[derive(Debug)]
pub struct Published {
    event: Event,
    /// Its JSON and SSE frame, encoded on first use: slot 0 for everyone
    /// (or a private chat's first member), slot 1 for a private chat's
    /// second member.
    encoded: [OnceLock<Encoded>; 2],
}

/// An event encoded for one viewer.
#[derive(Debug)]
pub struct Encoded {
    /// The event's JSON object (an element of a long-poll's `events`).
    pub json: Vec<u8>,
    /// Its `text/event-stream` frame.
    pub sse: Vec<u8>,
}

impl Published {
    pub fn new(event: Event) -> Published {
        Published {
            event,
            encoded: [OnceLock::new(), OnceLock::new()],
        }
    }

    /// The most memory this event can hold once encoded for every viewer:
    /// what the ring charges for keeping it. Counted from the event without
    /// encoding it (`json_size` follows the encoder byte for byte).
    pub fn ring_charge(&self) -> usize {
        ring_charge(&self.event)
    }

    pub fn id(&self) -> EventId {
        self.event.id
    }

    pub fn event(&self) -> &Event {
        &self.event
    }

    /// Whether `user` may see the event; `member_of` says whether it is in
    /// a room (issue 25).
    pub fn visible_to(&self, user: UserId, member_of: impl FnOnce(ChatId) -> bool) -> bool {
        self.event.visible_to(user, member_of)
    }

    /// The event as `viewer` gets it.
    pub fn encoded_for(&self, viewer: UserId) -> &Encoded {
        let slot = match self.event.body.audience() {
            Audience::Two(_, second) if viewer == second => 1,
            _ => 0,
        };
        self.encoded[slot].get_or_init(|| {
            let json = api::event_json(&self.event, viewer);
            let sse = api::sse_frame(self.event.id, self.event.body.kind(), &json);
            Encoded { json, sse }
        })
    }
}

/// See [`Published::ring_charge`]: the event's own heap bytes, plus its
/// JSON and its SSE frame (the JSON and a short header) for each viewer
/// slot it can be encoded in (one, or a private chat's two members).
fn ring_charge(event: &Event) -> usize {
    /// `id: N\nevent: kind\ndata: ` and the blank line, generously.
    const SSE_FRAMING: usize = 64;
    let names = |chat: &EventChat| match chat {
        EventChat::Public => 0,
        EventChat::Private { members, .. } => members.iter().map(|(_, name)| name.len()).sum(),
        EventChat::Room { name, .. } => name.len(),
    };
    let own = match &event.body {
        EventBody::Message { chat, message } => {
            message.text.len() + message.author.len() + names(chat)
        }
        EventBody::Comment { chat, comment, .. } => {
            comment.text.len() + comment.author.len() + names(chat)
        }
        EventBody::Banned { .. } => 0,
        EventBody::Member {
            room_name,
            user_name,
            ..
        } => room_name.len() + user_name.len(),
    };
    let viewers = match event.body.audience() {
        // Everyone shares one encoding (a public chat is named alike for
        // all, and so is a room).
        Audience::Everyone | Audience::Room(_) | Audience::RoomAnd(..) => [Some(0), None],
        Audience::Two(a, b) => [Some(a), Some(b)],
        Audience::One(user) => [Some(user), None],
    };
    let encoded: usize = viewers
        .into_iter()
        .flatten()
        .map(|viewer| 2 * json_size::event_len(event, viewer) + SSE_FRAMING)
        .sum();
    std::mem::size_of::<Published>() + own + encoded
}

/// What a subscriber's inbox holds.
#[derive(Default)]
struct Inbox {
    queue: VecDeque<Arc<Published>>,
    /// SSE bytes of `queue`, against the hub's bound.
    bytes: usize,
    /// The bound was passed: the queue was dropped and nothing more comes.
    cut: bool,
    /// The hub closed (shutdown): nothing more comes.
    closed: bool,
    waker: Option<Waker>,
}

struct Subscriber {
    user: UserId,
    inbox: Mutex<Inbox>,
}

impl Subscriber {
    fn lock(&self) -> MutexGuard<'_, Inbox> {
        self.inbox.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What [`Subscription::take`] found.
#[derive(Debug, Default)]
pub struct Taken {
    /// In id order.
    pub events: Vec<Arc<Published>>,
    /// More events are waiting.
    pub more: bool,
    /// The subscriber fell too far behind and was dropped from the hub: end
    /// the stream (the client resumes from its last event id).
    pub cut: bool,
    /// The hub closed (the server is stopping).
    pub closed: bool,
}

/// A subscriber's place in the hub; dropping it leaves the hub.
pub struct Subscription {
    subscriber: Arc<Subscriber>,
    hub: Arc<Hub>,
    slot: usize,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("user", &self.subscriber.user)
            .field("slot", &self.slot)
            .finish()
    }
}

impl Subscription {
    pub fn user(&self) -> UserId {
        self.subscriber.user
    }

    /// Ready when an event is waiting, or the subscription was cut or the
    /// hub closed; otherwise `cx`'s waker is woken when one of those happens.
    pub fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut inbox = self.subscriber.lock();
        if !inbox.queue.is_empty() || inbox.cut || inbox.closed {
            return Poll::Ready(());
        }
        match &inbox.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => inbox.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// [`poll_ready`](Self::poll_ready) as a future.
    pub fn ready(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(|cx| self.poll_ready(cx))
    }

    /// Takes up to `max` waiting events.
    pub fn take(&self, max: usize) -> Taken {
        let mut inbox = self.subscriber.lock();
        let count = max.min(inbox.queue.len());
        let events: Vec<Arc<Published>> = inbox.queue.drain(..count).collect();
        let taken: usize = events
            .iter()
            .map(|e| e.encoded_for(self.subscriber.user).sse.len())
            .sum();
        inbox.bytes = inbox.bytes.saturating_sub(taken);
        Taken {
            events,
            more: !inbox.queue.is_empty(),
            cut: inbox.cut,
            closed: inbox.closed,
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.leave(self.slot, self.subscriber.user);
    }
}

/// See the module docs.
pub struct Hub {
    state: Mutex<HubState>,
    /// An inbox past this many bytes is cut.
    inbox_limit: usize,
}

struct HubState {
    /// The newest event published.
    head: EventId,
    /// Every event with an id above this is in `ring`.
    floor: EventId,
    /// Each with its `ring_charge`.
    ring: VecDeque<(Arc<Published>, usize)>,
    /// The sum of the ring's charges, at most `RING_BYTES` (but for one
    /// event larger than that alone).
    ring_bytes: usize,
    /// Subscribers by slot; `None` for a free slot (listed in `free`).
    slots: Vec<Option<Arc<Subscriber>>>,
    free: Vec<usize>,
    by_user: HashMap<UserId, Vec<usize>>,
    closed: bool,
    /// (issue 25) Who is in each room, for delivery and catch-up: loaded
    /// at start, then kept current from the `member` events recorded.
    rooms: RoomMembers,
}

impl Hub {
    /// A hub whose newest event is `head` (read from the database at start),
    /// cutting subscribers whose inbox passes `inbox_limit` bytes.
    pub fn new(head: EventId, inbox_limit: usize) -> Arc<Hub> {
        Arc::new(Hub {
            state: Mutex::new(HubState {
                head,
                floor: head,
                ring: VecDeque::new(),
                ring_bytes: 0,
                slots: Vec::new(),
                free: Vec::new(),
                by_user: HashMap::new(),
                closed: false,
                rooms: RoomMembers::default(),
            }),
            inbox_limit,
        })
    }

    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// (issue 25) Who is in which room (`(room, user)` pairs), read from
    /// the database when the store starts: from then on the `member` events
    /// recorded keep it current.
    pub fn load_rooms(&self, memberships: impl IntoIterator<Item = (ChatId, UserId)>) {
        self.lock().rooms.load(memberships);
    }

    /// The newest event published.
    pub fn head(&self) -> EventId {
        self.lock().head
    }

    /// How many subscriptions are open.
    pub fn subscribers(&self) -> usize {
        let state = self.lock();
        state.slots.len() - state.free.len()
    }

    /// Subscribes `user` to every event published from now on that it may
    /// see, and returns the newest event already published: everything after
    /// it reaches the subscription. After the hub closed, the subscription
    /// is closed at once.
    pub fn subscribe(self: &Arc<Self>, user: UserId) -> (Subscription, EventId) {
        let subscriber = Arc::new(Subscriber {
            user,
            inbox: Mutex::new(Inbox::default()),
        });
        let mut state = self.lock();
        subscriber.lock().closed = state.closed;
        let slot = match state.free.pop() {
            Some(slot) => {
                state.slots[slot] = Some(subscriber.clone());
                slot
            }
            None => {
                state.slots.push(Some(subscriber.clone()));
                state.slots.len() - 1
            }
        };
        state.by_user.entry(user).or_default().push(slot);
        let head = state.head;
        drop(state);
        let subscription = Subscription {
            subscriber,
            hub: self.clone(),
            slot,
        };
        (subscription, head)
    }

    fn leave(&self, slot: usize, user: UserId) {
        let mut state = self.lock();
        if state.slots.get(slot).is_some_and(Option::is_some) {
            state.slots[slot] = None;
            state.free.push(slot);
        }
        if let Some(slots) = state.by_user.get_mut(&user) {
            slots.retain(|&s| s != slot);
            if slots.is_empty() {
                state.by_user.remove(&user);
            }
        }
    }

    /// The first `limit` events after `since` that `user` may see, from
    /// memory; `None` when the ring does not reach back to `since` (read the
    /// database instead).
    pub fn recent(&self, user: UserId, since: EventId, limit: usize) -> Option<Vec<Event>> {
        let state = self.lock();
        if since < state.floor {
            return None;
        }
        let start = state.ring.partition_point(|(p, _)| p.id() <= since);
        Some(
            state
                .ring
                .range(start..)
                .map(|(p, _)| p)
                .filter(|p| p.visible_to(user, |room| state.rooms.has(room, user)))
                .take(limit)
                .map(|p| p.event.clone())
                .collect(),
        )
    }

    /// Keeps committed events (in id order) for catch-up and makes them the
    /// head: from now on a page read from the hub holds them. Cheap, so the
    /// writer does it before acknowledging their commands (a client that got
    /// its 201 finds its event in the next page); handing them to the
    /// subscribers ([`fan_out`](Self::fan_out)) can wait until after.
    pub fn record(&self, events: Vec<Event>) -> Vec<Arc<Published>> {
        if events.is_empty() {
            return Vec::new();
        }
        let published: Vec<Arc<Published>> = events
            .into_iter()
            .map(|e| Arc::new(Published::new(e)))
            .collect();
        // Counted before taking the lock: it reads every text.
        let charges: Vec<usize> = published.iter().map(|e| e.ring_charge()).collect();
        let mut state = self.lock();
        for (event, charge) in published.iter().zip(charges) {
            state.rooms.follow(&event.event.body);
            state.head = state.head.max(event.id());
            state.ring.push_back((event.clone(), charge));
            state.ring_bytes += charge;
            // Oldest first, keeping at least the newest event.
            while state.ring.len() > RING || (state.ring_bytes > RING_BYTES && state.ring.len() > 1)
            {
                let Some((oldest, charge)) = state.ring.pop_front() else {
                    break;
                };
                state.ring_bytes -= charge;
                state.floor = oldest.id();
            }
        }
        published
    }

    /// What the ring of recent events holds: how many, and their charges'
    /// sum in bytes (at most [`RING_BYTES`], but for one event larger alone).
    pub fn ring_size(&self) -> (usize, usize) {
        let state = self.lock();
        (state.ring.len(), state.ring_bytes)
    }

    /// Hands recorded events (in id order) to every subscriber that may see
    /// them. A subscriber that subscribed after they were recorded may get
    /// them from a page too: it skips what it already delivered.
    pub fn fan_out(&self, events: &[Arc<Published>]) {
        if events.is_empty() {
            return;
        }
        let mut wake = Vec::new();
        let state = self.lock();
        for published in events {
            match published.event.body.audience() {
                Audience::Everyone => {
                    for subscriber in state.slots.iter().flatten() {
                        self.deliver(subscriber, published, &mut wake);
                    }
                }
                Audience::Two(a, b) => {
                    for user in [a, b] {
                        for &slot in state.by_user.get(&user).into_iter().flatten() {
                            if let Some(subscriber) = &state.slots[slot] {
                                self.deliver(subscriber, published, &mut wake);
                            }
                        }
                    }
                }
                Audience::One(user) => {
                    for &slot in state.by_user.get(&user).into_iter().flatten() {
                        if let Some(subscriber) = &state.slots[slot] {
                            self.deliver(subscriber, published, &mut wake);
                        }
                    }
                }
                // (issue 25) Once per member with a subscription: one walk
                // over the room's members, as a public event walks every
                // subscriber.
                Audience::Room(room) | Audience::RoomAnd(room, _) => {
                    let extra = match published.event.body.audience() {
                        Audience::RoomAnd(_, user) if !state.rooms.has(room, user) => Some(user),
                        _ => None,
                    };
                    for user in state.rooms.members(room).chain(extra) {
                        for &slot in state.by_user.get(&user).into_iter().flatten() {
                            if let Some(subscriber) = &state.slots[slot] {
                                self.deliver(subscriber, published, &mut wake);
                            }
                        }
                    }
                }
            }
        }
        drop(state);
        for waker in wake {
            waker.wake();
        }
    }

    fn deliver(&self, subscriber: &Subscriber, published: &Arc<Published>, wake: &mut Vec<Waker>) {
        let size = published.encoded_for(subscriber.user).sse.len();
        let mut inbox = subscriber.lock();
        if inbox.cut || inbox.closed {
            return;
        }
        if inbox.bytes + size > self.inbox_limit {
            inbox.cut = true;
            inbox.queue.clear();
            inbox.bytes = 0;
        } else {
            inbox.bytes += size;
            inbox.queue.push_back(published.clone());
        }
        wake.extend(inbox.waker.take());
    }

    /// Closes every subscription (the server is stopping): each wakes, and
    /// new ones are closed from the start.
    pub fn close(&self) {
        let mut wake = Vec::new();
        let mut state = self.lock();
        state.closed = true;
        for subscriber in state.slots.iter().flatten() {
            let mut inbox = subscriber.lock();
            inbox.closed = true;
            wake.extend(inbox.waker.take());
        }
        drop(state);
        for waker in wake {
            waker.wake();
        }
    }
}

/// The store's answer to `GET /events`: the page (or a refusal) and, when
/// the request waits for more (a long-poll, a stream), the subscription that
/// collects every event published after the page's snapshot. Events may be
/// in both (the page can read events committed just after subscribing):
/// skip those at or before the last one delivered.
#[derive(Debug)]
pub struct Watch {
    pub outcome: agora_core::command::Outcome,
    pub subscription: Option<Subscription>,
}

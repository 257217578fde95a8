//! The fan-out hub: publication hands it each committed batch's events, it
//! keeps them in the ring of recent events (`ring`) and puts each in the
//! inbox (`inbox`) of every subscriber that may see it (public events go to
//! every subscriber, a private chat's to its two members, a room's to its
//! members, a ban to the banned user), waking them. Each event is encoded
//! once per viewer that sees it differently ([`Published`]) and shared by
//! every receiver and every page served from the ring.

use super::inbox::{Subscriber, Taken};
use super::ring::Ring;
use super::rooms::RoomMembers;
use crate::locks;
use agora_core::api::Published;
use agora_core::events::{Audience, Event, EventId};
use agora_core::view::{ChatId, UserId};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

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
        self.subscriber.poll_ready(cx)
    }

    /// [`poll_ready`](Self::poll_ready) as a future.
    pub fn ready(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(|cx| self.poll_ready(cx))
    }

    /// Takes up to `max` waiting events.
    pub fn take(&self, max: usize) -> Taken {
        self.subscriber.take(max)
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
    ring: Ring,
    /// Subscribers by slot; `None` for a free slot (listed in `free`).
    slots: Vec<Option<Arc<Subscriber>>>,
    free: Vec<usize>,
    by_user: HashMap<UserId, Vec<usize>>,
    closed: bool,
    /// (issue 25) Who is in each room, for delivery and catch-up: loaded
    /// at start, then kept current from the `member` events recorded.
    rooms: RoomMembers,
}

impl HubState {
    /// The subscribers of `user`'s subscriptions.
    fn subscriptions_of(&self, user: UserId) -> impl Iterator<Item = &Arc<Subscriber>> {
        let slots = self.by_user.get(&user).into_iter().flatten();
        slots.filter_map(|&slot| self.slots[slot].as_ref())
    }
}

impl Hub {
    /// A hub whose newest event is `head` (read from the database at start),
    /// cutting subscribers whose inbox passes `inbox_limit` bytes.
    pub fn new(head: EventId, inbox_limit: usize) -> Arc<Hub> {
        Arc::new(Hub {
            state: Mutex::new(HubState {
                head,
                ring: Ring::new(head),
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
        locks::lock(&self.state)
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
        let mut state = self.lock();
        let subscriber = Arc::new(Subscriber::new(user, state.closed));
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
    /// memory (the ring's own, their encodings shared); `None` when the
    /// ring does not reach back to `since` (read the database instead).
    pub fn recent(
        &self,
        user: UserId,
        since: EventId,
        limit: usize,
    ) -> Option<Vec<Arc<Published>>> {
        let state = self.lock();
        let after = state.ring.after(since)?;
        Some(
            after
                .filter(|p| p.visible_to(user, |room| state.rooms.has(room, user)))
                .take(limit)
                .cloned()
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
        let published: Vec<Arc<Published>> = events.into_iter().map(Published::shared).collect();
        // Counted before taking the lock: it reads every text.
        let charges: Vec<usize> = published.iter().map(|e| e.footprint()).collect();
        let mut state = self.lock();
        for (event, charge) in published.iter().zip(charges) {
            state.rooms.follow(&event.body);
            state.head = state.head.max(event.id);
            state.ring.push(event.clone(), charge);
        }
        published
    }

    /// What the ring of recent events holds: how many, and their charges'
    /// sum in bytes (at most [`RING_BYTES`](super::RING_BYTES), but for one
    /// event larger alone).
    pub fn ring_size(&self) -> (usize, usize) {
        self.lock().ring.size()
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
            let deliver = |subscriber: &Arc<Subscriber>| {
                wake.extend(subscriber.deliver(published, self.inbox_limit));
            };
            match published.body.audience() {
                Audience::Everyone => state.slots.iter().flatten().for_each(deliver),
                Audience::Two(a, b) => [a, b]
                    .into_iter()
                    .flat_map(|user| state.subscriptions_of(user))
                    .for_each(deliver),
                Audience::One(user) => state.subscriptions_of(user).for_each(deliver),
                // (issue 25) Once per member with a subscription: one walk
                // over the room's members, as a public event walks every
                // subscriber.
                Audience::Room(room) | Audience::RoomAnd(room, _) => {
                    let extra = match published.body.audience() {
                        Audience::RoomAnd(_, user) if !state.rooms.has(room, user) => Some(user),
                        _ => None,
                    };
                    state
                        .rooms
                        .members(room)
                        .chain(extra)
                        .flat_map(|user| state.subscriptions_of(user))
                        .for_each(deliver);
                }
            }
        }
        drop(state);
        wake_all(wake);
    }

    /// Closes every subscription (the server is stopping): each wakes, and
    /// new ones are closed from the start.
    pub fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        let wake: Vec<Waker> = state
            .slots
            .iter()
            .flatten()
            .filter_map(|subscriber| subscriber.close())
            .collect();
        drop(state);
        wake_all(wake);
    }
}

/// Wakes what waited, outside the hub's lock.
fn wake_all(wake: Vec<Waker>) {
    for waker in wake {
        waker.wake();
    }
}

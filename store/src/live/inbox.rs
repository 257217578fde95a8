//! A subscriber's inbox: the events the hub handed it and not yet taken,
//! bounded by their SSE bytes. Past the bound the inbox is cut: its queue
//! is dropped and nothing more comes (the client resumes from its last
//! event id), so memory stays bounded whatever a client does.

use crate::locks;
use agora_core::api::Published;
use agora_core::view::UserId;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// What [`Subscription::take`](super::Subscription::take) found.
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

/// One subscriber: whose it is, and its inbox.
pub(super) struct Subscriber {
    pub(super) user: UserId,
    inbox: Mutex<Inbox>,
}

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

impl Subscriber {
    /// `closed`: the hub already closed (the subscription ends at once).
    pub(super) fn new(user: UserId, closed: bool) -> Subscriber {
        let inbox = Inbox {
            closed,
            ..Inbox::default()
        };
        Subscriber {
            user,
            inbox: Mutex::new(inbox),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inbox> {
        locks::lock(&self.inbox)
    }

    /// Queues `published` unless the inbox would pass `limit` bytes (then
    /// it is cut); the waker to wake, if one waits.
    pub(super) fn deliver(&self, published: &Arc<Published>, limit: usize) -> Option<Waker> {
        // Encoded outside the inbox's lock (and once for every receiver).
        let size = published.encoded_for(self.user).sse.len();
        let mut inbox = self.lock();
        if inbox.cut || inbox.closed {
            return None;
        }
        if inbox.bytes + size > limit {
            inbox.cut = true;
            inbox.queue.clear();
            inbox.bytes = 0;
        } else {
            inbox.bytes += size;
            inbox.queue.push_back(published.clone());
        }
        inbox.waker.take()
    }

    /// Nothing more comes (the hub closed); the waker to wake, if one waits.
    pub(super) fn close(&self) -> Option<Waker> {
        let mut inbox = self.lock();
        inbox.closed = true;
        inbox.waker.take()
    }

    /// Ready when an event is waiting, or the inbox was cut or closed;
    /// otherwise `cx`'s waker is woken when one of those happens.
    pub(super) fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut inbox = self.lock();
        if !inbox.queue.is_empty() || inbox.cut || inbox.closed {
            return Poll::Ready(());
        }
        match &inbox.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => inbox.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Takes up to `max` waiting events.
    pub(super) fn take(&self, max: usize) -> Taken {
        let mut inbox = self.lock();
        let count = max.min(inbox.queue.len());
        let events: Vec<Arc<Published>> = inbox.queue.drain(..count).collect();
        let taken: usize = events
            .iter()
            .map(|e| e.encoded_for(self.user).sse.len())
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

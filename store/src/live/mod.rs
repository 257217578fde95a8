//! Live delivery, in one place: how a committed event reaches the clients
//! that wait for it.
//!
//! - `hub`: the [`Hub`]: subscriptions and their inboxes (`inbox`: bounded
//!   by bytes, cut past the bound), the fan-out to whoever may see an
//!   event, room membership for that (`rooms`), and the ring of recent
//!   events for catch-up without a database read (`ring`, with
//!   `ring_rewrite`: an edit, deletion or reaction rewrites the older
//!   events it makes stale).
//! - `publication`: [`Publication`], what the engine hands each committed
//!   batch to: straight to the hub when this process's writer is the only
//!   one (SQLite), or nothing when the hub is fed from the database
//!   (PostgreSQL).
//! - `feed` and `listener`: feeding a hub from a database other nodes write
//!   to, in id order under one lock, when word of a commit comes or every
//!   `POLL`. A wing plugs in only what is its own: the read of the events
//!   after a cursor ([`CommittedEvents`]) and the word of commits
//!   ([`Notices`]); PostgreSQL's are `LISTEN`/`NOTIFY` and its `events`
//!   table (`pg::feed`).
//!
//! Every event reaches the wire encoded by one function through one cached
//! type, core's [`Published`](agora_core::api::Published): the hub holds
//! them, a page served from the ring hands out the ring's own, and a page
//! read from the database carries them too (`Outcome::Events`).

mod feed;
mod hub;
mod inbox;
mod listener;
mod publication;
mod ring;
mod ring_rewrite;
mod rooms;

pub(crate) use feed::{CommittedEvents, Feed};
pub use hub::{Hub, Subscription};
pub use inbox::Taken;
pub(crate) use listener::{Listener, Notices};
pub(crate) use publication::Publication;
pub use ring::RING_BYTES;

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

#[cfg(test)]
mod feed_tests;
#[cfg(test)]
mod ring_tests;

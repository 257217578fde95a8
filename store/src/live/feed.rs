//! Feeding a node's hub from a database that other nodes write to too
//! (PostgreSQL), in id order.
//!
//! Every node's hub must hold the events of every node, in id order and
//! without gaps, so that a cursor is valid on any node. Such a hub is fed
//! only here, under one lock, by reading the committed events after its
//! head: the database commits its write transactions one at a time, so a
//! read sees a prefix of the ids, and what it returns after the head is
//! exactly what the hub lacks. Recording and handing events to the
//! subscribers happen under the same lock, so every inbox gets them in
//! order.
//!
//! Who feeds: the listener (`listener`), when word comes that some node
//! committed events; and a reader, before it pages events, so that a client
//! that was told its write is done finds its event on any node. What is
//! the database's is only [`CommittedEvents`], the read.

use super::hub::Hub;
use crate::locks;
use agora_core::events::{Event, EventId};
use agora_core::view::StoreError;
use std::sync::{Arc, Mutex};

/// Events read per query while catching up.
const CATCH_UP_ROWS: u32 = 1024;

/// Where a feed reads what was committed (PostgreSQL: `pg::feed`).
pub(crate) trait CommittedEvents {
    /// The first `limit` events committed after `after`, in id order.
    fn events_after(&mut self, after: EventId, limit: u32) -> Result<Vec<Event>, StoreError>;
}

/// See the module docs.
pub(crate) struct Feed {
    hub: Arc<Hub>,
    /// Held while catching up: one feeder at a time reads after the head.
    lock: Mutex<()>,
}

impl Feed {
    pub(crate) fn new(hub: Arc<Hub>) -> Arc<Feed> {
        Arc::new(Feed {
            hub,
            lock: Mutex::new(()),
        })
    }

    /// Records every event committed after the hub's head and hands them to
    /// the subscribers; how many it read. (PostgreSQL: outside any
    /// transaction on the connection.)
    pub(crate) fn catch_up(&self, source: &mut impl CommittedEvents) -> Result<usize, StoreError> {
        let _feeding = locks::lock(&self.lock);
        let mut fed = 0;
        loop {
            let events = source.events_after(self.hub.head(), CATCH_UP_ROWS)?;
            let read = events.len();
            let published = self.hub.record(events);
            self.hub.fan_out(&published);
            fed += read;
            if read < CATCH_UP_ROWS as usize {
                return Ok(fed);
            }
        }
    }
}

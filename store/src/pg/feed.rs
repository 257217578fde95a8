//! PostgreSQL's part of the fed hub (`crate::live`'s `Feed` and listener):
//! the read of the events committed after a cursor (the `events` table in
//! id order, [`CommittedEvents`]) and the word of commits: every node's
//! commit that recorded events sends `NOTIFY` on [`CHANNEL`], which
//! [`PgNotices`] `LISTEN`s for on the listener's own connection. The
//! ordering, the lock and the polling are live delivery's.

use super::connection::{describe, PgConn, Slot};
use super::view::events_after;
use super::CHANNEL;
use crate::live::{CommittedEvents, Notices};
use agora_core::events::{Event, EventId};
use agora_core::view::StoreError;
use postgres::fallible_iterator::FallibleIterator;
use std::time::Duration;

impl CommittedEvents for PgConn {
    fn events_after(&mut self, after: EventId, limit: u32) -> Result<Vec<Event>, StoreError> {
        events_after(self, after, i64::from(limit))
    }
}

/// `LISTEN` on the listener's connection.
pub(crate) struct PgNotices {
    slot: Slot,
    /// `LISTEN` was sent on the connection open now.
    listening: bool,
}

impl PgNotices {
    pub(crate) fn new(slot: Slot) -> PgNotices {
        PgNotices {
            slot,
            listening: false,
        }
    }
}

impl Notices for PgNotices {
    type Source = PgConn;

    fn wait(&mut self, timeout: Duration) -> Result<bool, String> {
        if self.slot.current().is_none() {
            // A new connection listens to nothing yet.
            self.listening = false;
        }
        let Some(conn) = self.slot.get() else {
            std::thread::sleep(timeout);
            return Ok(false);
        };
        let mut notified = false;
        if !self.listening {
            conn.batch(&format!("LISTEN {CHANNEL}"))
                .map_err(|e| describe(&e))?;
            self.listening = true;
            // Whatever was committed while not listening.
            notified = true;
        }
        let mut notifications = conn.client().notifications();
        let arrived = notifications.timeout_iter(timeout).next();
        if arrived.map_err(|e| describe(&e))?.is_some() {
            notified = true;
        }
        // Any others already here are covered by the same catch-up.
        let mut queued = notifications.iter();
        while queued.next().map_err(|e| describe(&e))?.is_some() {}
        Ok(notified)
    }

    fn source(&mut self) -> Option<&mut PgConn> {
        self.slot.current()
    }

    fn failed(&mut self) {
        self.listening = false;
        self.slot.failed();
    }

    fn close(&mut self) {
        self.slot.close();
    }
}

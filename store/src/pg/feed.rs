//! Feeding a node's hub from the `events` table, in id order.
//!
//! Every node's hub must hold the events of every node, in id order and
//! without gaps, so that a cursor is valid on any node. The hub is fed only
//! here, under one lock, by reading the committed events after its head:
//! since write transactions commit one at a time under the write lock, a
//! query sees a prefix of the ids, and what it returns after the head is
//! exactly what the hub lacks. Recording and handing events to the
//! subscribers happen under the same lock, so every inbox gets them in order.
//!
//! Who feeds: the listener thread, when a node's `NOTIFY` arrives (the
//! committing node's own listener included) or every [`POLL`] without one
//! (a notification sent while the listener was reconnecting is not lost for
//! long); and a reader, before it pages events, so that a client that was
//! told its write is done finds its event on any node.

use crate::hub::{Hub, Published};
use crate::pg::connection::{describe, PgConn, Slot};
use crate::pg::view::events_after;
use crate::pg::CHANNEL;
use agora_core::view::StoreError;
use postgres::fallible_iterator::FallibleIterator;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Longest the listener goes without reading the table.
pub(crate) const POLL: Duration = Duration::from_secs(1);
/// How often the listener looks at its stop flag while it waits.
const STOP_CHECK: Duration = Duration::from_millis(100);
/// Events read per query while catching up.
const CATCH_UP_ROWS: i64 = 1024;

pub(crate) struct Feed {
    hub: Arc<Hub>,
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
    /// the subscribers. Outside any transaction on `conn`.
    pub(crate) fn catch_up(&self, conn: &mut PgConn) -> Result<usize, StoreError> {
        let _feeding = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let mut fed = 0;
        loop {
            let events = events_after(conn, self.hub.head(), CATCH_UP_ROWS)?;
            let read = events.len();
            let published: Vec<Arc<Published>> = self.hub.record(events);
            self.hub.fan_out(&published);
            fed += read;
            if (read as i64) < CATCH_UP_ROWS {
                return Ok(fed);
            }
        }
    }
}

/// The listener thread: `LISTEN`s on its own connection and feeds the hub
/// whenever a node commits events. Stops when `stop` is set.
pub(crate) fn spawn_listener(
    mut slot: Slot,
    feed: Arc<Feed>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("agora-pg-listen".into())
        .spawn(move || {
            let mut listening = false;
            let mut fed_at = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                let Some(conn) = slot.get() else {
                    listening = false;
                    std::thread::sleep(STOP_CHECK);
                    continue;
                };
                // A bug must not end the thread: without it no other node's
                // event would reach this node's waiting clients until they
                // ask again.
                let step = catch_unwind(AssertUnwindSafe(|| {
                    listen_once(conn, &feed, &mut listening, &mut fed_at)
                }))
                .unwrap_or_else(|_| Err("the listener panicked".into()));
                if let Err(e) = step {
                    tracing::warn!(error = %e, "the PostgreSQL listener lost its connection; reconnecting");
                    listening = false;
                    slot.failed();
                }
            }
            slot.close();
        })
}

/// One wait of at most [`STOP_CHECK`]: (re)subscribes when needed, then
/// catches up when a notification came or [`POLL`] passed.
fn listen_once(
    conn: &mut PgConn,
    feed: &Feed,
    listening: &mut bool,
    fed_at: &mut Instant,
) -> Result<(), String> {
    let mut notified = false;
    if !*listening {
        conn.batch(&format!("LISTEN {CHANNEL}"))
            .map_err(|e| describe(&e))?;
        *listening = true;
        // Whatever was committed while not listening.
        notified = true;
    }
    {
        let mut notifications = conn.client().notifications();
        let arrived = notifications.timeout_iter(STOP_CHECK).next();
        if arrived.map_err(|e| describe(&e))?.is_some() {
            notified = true;
        }
        // Any others already here are covered by the same catch-up.
        let mut queued = notifications.iter();
        while queued.next().map_err(|e| describe(&e))?.is_some() {}
    }
    if notified || fed_at.elapsed() >= POLL {
        feed.catch_up(conn).map_err(|e| e.0)?;
        *fed_at = Instant::now();
    }
    Ok(())
}

//! The ring of recent events, so that a client catching up from a recent
//! cursor needs no database read. Every event with an id above `floor` is
//! in the ring; older ones come from the database. The ring is bounded by
//! bytes as well as by count (each event is charged its
//! [`Published::footprint`]): 4,096 events of 24 KiB of JSON each, encoded
//! for two viewers, would otherwise hold 400 MB. A page served from the ring
//! hands out the ring's own events, so their encodings are shared with the
//! fan-out and with every other page.
//!
//! (issue 26) A recorded edit, deletion or reaction rewrites the older
//! events it makes stale (`ring_rewrite`), so that a page is the same
//! whether the ring or the database serves it.

use super::ring_rewrite::{rewrites_older, rewritten};
use agora_core::api::Published;
use agora_core::events::{Event, EventId};
use std::collections::VecDeque;
use std::sync::Arc;

/// Recent events kept in memory for catch-up, at most.
const COUNT: usize = 4096;
/// The bytes those events may hold, at most (their footprints' sum).
pub const RING_BYTES: usize = 16 * 1024 * 1024;

pub(super) struct Ring {
    /// Every event with an id above this is in `events`.
    floor: EventId,
    /// In id order, each with its charge.
    events: VecDeque<(Arc<Published>, usize)>,
    /// The sum of the charges, at most `RING_BYTES` (but for one event
    /// larger than that alone).
    bytes: usize,
}

impl Ring {
    /// An empty ring after the newest event, `head`.
    pub(super) fn new(head: EventId) -> Ring {
        Ring {
            floor: head,
            events: VecDeque::new(),
            bytes: 0,
        }
    }

    /// Keeps `event` (newer than every event kept), charged `charge` (its
    /// footprint, counted by the caller outside its locks); rewrites the
    /// older events it makes stale; then drops the oldest past the bounds,
    /// keeping at least the newest.
    pub(super) fn push(&mut self, event: Arc<Published>, charge: usize) {
        self.rewrite_older(&event);
        self.events.push_back((event, charge));
        self.bytes += charge;
        while self.events.len() > COUNT || (self.bytes > RING_BYTES && self.events.len() > 1) {
            let Some((oldest, charge)) = self.events.pop_front() else {
                break;
            };
            self.bytes -= charge;
            self.floor = oldest.id;
        }
    }

    /// (issue 26) No older event keeps a text edited or deleted since, nor
    /// reactions changed since.
    fn rewrite_older(&mut self, change: &Event) {
        // Most events change nothing older: no walk over the ring for them.
        if !rewrites_older(&change.body) {
            return;
        }
        for entry in self.events.iter_mut() {
            if entry.0.id >= change.id {
                continue;
            }
            let Some(body) = rewritten(&entry.0.body, &change.body) else {
                continue;
            };
            let fresh = Published::shared(Event {
                id: entry.0.id,
                body,
            });
            let charge = fresh.footprint();
            self.bytes = self.bytes - entry.1 + charge;
            *entry = (fresh, charge);
        }
    }

    /// The events after `since`, in id order; `None` when the ring does not
    /// reach back to `since` (read the database instead).
    pub(super) fn after(&self, since: EventId) -> Option<impl Iterator<Item = &Arc<Published>>> {
        if since < self.floor {
            return None;
        }
        let start = self.events.partition_point(|(p, _)| p.id <= since);
        Some(self.events.range(start..).map(|(p, _)| p))
    }

    /// How many events, and their charges' sum in bytes.
    pub(super) fn size(&self) -> (usize, usize) {
        (self.events.len(), self.bytes)
    }
}

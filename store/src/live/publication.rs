//! [`Publication`]: how a committed batch's events reach the hub, the one
//! place the writer hands them over and all the engine knows of live
//! delivery's feeding. The wing says which way at start.

use super::hub::Hub;
use agora_core::api::Published;
use agora_core::events::Event;
use std::sync::Arc;

pub(crate) enum Publication {
    /// This process's writer is the only one (SQLite): the batch's events
    /// go straight to the hub, recorded before the replies and handed to
    /// the subscribers after them.
    Direct(Arc<Hub>),
    /// Others write too (PostgreSQL): the hub is fed only by its `Feed`, in
    /// id order from the database, when the commit's word reaches the
    /// listener (or a reader catches up); the writer hands nothing over
    /// itself.
    Fed,
}

impl Publication {
    /// Before the replies, so that a client's next page holds the events of
    /// what it was told is done.
    pub(crate) fn record(&self, events: Vec<Event>) -> Vec<Arc<Published>> {
        match self {
            Publication::Direct(hub) => hub.record(events),
            Publication::Fed => Vec::new(),
        }
    }

    /// After the replies: waking every subscriber of a public event must
    /// not hold up the 201s of the batch.
    pub(crate) fn fan_out(&self, published: &[Arc<Published>]) {
        if let Publication::Direct(hub) = self {
            hub.fan_out(published);
        }
    }
}

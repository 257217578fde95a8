//! The PostgreSQL read side: each reader thread's connection, repeatable-read
//! snapshots, and the hub caught up before a page of events.

use crate::error::ApplyError;
use crate::pg::connection::{describe, Slot};
use crate::pg::feed::Feed;
use crate::pg::view::PgView;
use crate::read_source::{guarded, ReadSource};
use agora_core::view::StoreError;
use std::sync::Arc;

pub(crate) struct PgSource {
    pub(crate) feed: Arc<Feed>,
}

fn unreachable_database() -> ApplyError {
    ApplyError::View(StoreError("PostgreSQL cannot be reached".into()))
}

impl ReadSource for PgSource {
    type Conn = Slot;
    type View<'c> = PgView<'c>;

    /// A connection that was open before this read may have been broken by
    /// a database restart since its last use, which shows only now: then
    /// the read runs again, once, on a new connection (reads change
    /// nothing, so running one twice is harmless).
    fn snapshot<T>(
        &self,
        slot: &mut Slot,
        mut read: impl FnMut(&mut PgView<'_>) -> Result<T, StoreError>,
    ) -> Result<T, ApplyError> {
        let reused = slot.is_open();
        match snapshot_once(slot, &mut read) {
            Err(_) if reused => snapshot_once(slot, &mut read),
            result => result,
        }
    }

    fn before_events(&self, slot: &mut Slot) -> Result<(), ApplyError> {
        let reused = slot.is_open();
        match self.catch_up_once(slot) {
            Err(_) if reused => self.catch_up_once(slot),
            result => result,
        }
    }
}

impl PgSource {
    fn catch_up_once(&self, slot: &mut Slot) -> Result<(), ApplyError> {
        let conn = slot.get().ok_or_else(unreachable_database)?;
        let caught_up = self.feed.catch_up(conn).map(drop).map_err(ApplyError::View);
        if caught_up.is_err() {
            slot.failed();
        }
        caught_up
    }
}

/// One read transaction; closes the connection when it fails.
fn snapshot_once<T>(
    slot: &mut Slot,
    read: &mut impl FnMut(&mut PgView<'_>) -> Result<T, StoreError>,
) -> Result<T, ApplyError> {
    let conn = slot.get().ok_or_else(unreachable_database)?;
    let begun = conn.batch("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    let result = begun
        .map_err(|e| ApplyError::View(StoreError(describe(&e))))
        .and_then(|()| {
            let value = guarded(|| read(&mut PgView::new(conn)));
            let ended = conn.batch("ROLLBACK");
            let value = value?;
            ended
                .map(|()| value)
                .map_err(|e| ApplyError::View(StoreError(describe(&e))))
        });
    if result.is_err() {
        slot.failed();
    }
    result
}

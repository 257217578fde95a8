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
    /// Other nodes write too: a memo could not know when it is stale.
    const MEMO: bool = false;

    fn snapshot<T>(
        &self,
        slot: &mut Slot,
        read: impl FnOnce(&mut PgView<'_>) -> Result<T, StoreError>,
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

    fn before_events(&self, slot: &mut Slot) -> Result<(), ApplyError> {
        let conn = slot.get().ok_or_else(unreachable_database)?;
        let caught_up = self.feed.catch_up(conn).map(drop).map_err(ApplyError::View);
        if caught_up.is_err() {
            slot.failed();
        }
        caught_up
    }
}

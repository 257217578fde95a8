//! The PostgreSQL read side: each reader thread's connection, repeatable-read
//! snapshots, and the hub caught up before a page of events.

use crate::engine::read_source::{guarded, ReadSource};
use crate::engine::status_memo::state::CommittedState;
use crate::engine::status_memo::StatusReads;
use crate::error::ApplyError;
use crate::live::Feed;
use crate::pg::connection::{describe, PgConn, Slot};
use crate::pg::view::{status, PgView};
use agora_core::token::TokenHash;
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

    fn snapshot<T>(
        &self,
        slot: &mut Slot,
        mut read: impl FnMut(&mut PgView<'_>) -> Result<T, StoreError>,
    ) -> Result<T, ApplyError> {
        on_connection(slot, |conn| snapshot_on(conn, &mut read))
    }

    fn before_events(&self, slot: &mut Slot) -> Result<(), ApplyError> {
        on_connection(slot, |conn| {
            self.feed.catch_up(conn).map(drop).map_err(ApplyError::View)
        })
    }

    const STATUS_BY_STATE: bool = true;

    fn committed_state(&self, slot: &mut Slot) -> Result<CommittedState, ApplyError> {
        on_connection(slot, |conn| guarded(|| status::committed_state(conn)))
    }

    fn status_reads(
        &self,
        slot: &mut Slot,
        caller: &TokenHash,
    ) -> Result<(StatusReads, CommittedState), ApplyError> {
        on_connection(slot, |conn| guarded(|| status::status_reads(conn, caller)))
    }
}

/// Runs `read` on the slot's connection, closing it when it fails. A
/// connection that was open before may have been broken by a database
/// restart since its last use, which shows only now: then `read` runs
/// again, once, on a new connection (reads change nothing, so running one
/// twice is harmless).
fn on_connection<T>(
    slot: &mut Slot,
    mut read: impl FnMut(&mut PgConn) -> Result<T, ApplyError>,
) -> Result<T, ApplyError> {
    let reused = slot.is_open();
    let mut once = |slot: &mut Slot| {
        let conn = slot.get().ok_or_else(unreachable_database)?;
        let result = read(conn);
        if result.is_err() {
            slot.failed();
        }
        result
    };
    match once(slot) {
        Err(_) if reused => once(slot),
        result => result,
    }
}

/// One read transaction: a repeatable-read snapshot, rolled back.
fn snapshot_on<T>(
    conn: &mut PgConn,
    read: &mut impl FnMut(&mut PgView<'_>) -> Result<T, StoreError>,
) -> Result<T, ApplyError> {
    let failed = |e: postgres::Error| ApplyError::View(StoreError(describe(&e)));
    conn.batch("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .map_err(failed)?;
    let value = guarded(|| read(&mut PgView::new(conn)));
    let ended = conn.batch("ROLLBACK").map_err(failed);
    let value = value?;
    ended.map(|()| value)
}

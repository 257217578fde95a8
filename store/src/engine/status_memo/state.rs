//! (issue 23) The `Status` memo when other processes write too
//! (PostgreSQL, any number of nodes): entries are tagged with the
//! database's committed state they were read at, not with this process's
//! writer's batch count.
//!
//! The committed state is a value the database gives in one tiny round
//! trip (`ReadSource::committed_state`; PostgreSQL: the snapshot,
//! `pg_current_snapshot()`) that is equal at two moments only if no
//! transaction committed in between, from any node. An entry is replayed
//! only when the state read *after* the request arrived equals the state its
//! reads were taken at: then every write acknowledged before the request
//! (committed before it was acknowledged) is in those reads. A write from
//! another node is thus never missed even though its NOTIFY arrives later.

use super::StatusReads;
use agora_core::token::TokenHash;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Entries kept at most; past it the memo starts over.
const MAX_ENTRIES: usize = 4096;

/// A committed state as the database wrote it (compared, never parsed).
pub(crate) type CommittedState = Arc<str>;

#[derive(Default)]
pub(crate) struct StateMemo {
    entries: Mutex<HashMap<TokenHash, (CommittedState, StatusReads)>>,
}

impl StateMemo {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TokenHash, (CommittedState, StatusReads)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The reads memoized for `caller` if they were taken at `now`, the
    /// committed state read after the request arrived.
    pub(crate) fn get(&self, caller: &TokenHash, now: &str) -> Option<StatusReads> {
        match self.lock().get(caller) {
            Some((at, reads)) if &**at == now => Some(reads.clone()),
            _ => None,
        }
    }

    /// `reads` for `caller`, taken at the committed state `at`.
    pub(crate) fn put(&self, caller: TokenHash, at: CommittedState, reads: StatusReads) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&caller) {
            entries.clear();
        }
        entries.insert(caller, (at, reads));
    }
}

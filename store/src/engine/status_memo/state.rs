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

use super::TaggedReads;
use std::sync::Arc;

/// A committed state as the database wrote it (compared, never parsed).
pub(crate) type CommittedState = Arc<str>;

/// The reads memoized for a caller are replayed if they were taken at the
/// committed state read after the request arrived.
pub(crate) type StateMemo = TaggedReads<CommittedState>;

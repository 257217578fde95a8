//! What the store tells a metrics collector (the server's Prometheus
//! metrics), without depending on one.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Events the store reports. Calls come from the callers of
/// [`Handle::submit`](crate::Handle::submit), the reader threads and the
/// writer thread: each must be cheap and must never block.
pub trait StoreObserver: Send + Sync + 'static {
    /// A job was queued for the writer.
    fn queued(&self);
    /// The writer finished a batch of `jobs` jobs (each one leaves the queue
    /// then); `commit` is how long its `COMMIT` took, the WAL's fsync
    /// included (`None` when the batch failed before it). On PostgreSQL it
    /// is the whole transaction, from `BEGIN` and the wait for the write
    /// lock every node shares to `COMMIT`: what bounds its writes.
    fn batch(&self, jobs: usize, commit: Option<Duration>);
    /// A `Status` was answered from the memo (`true`) or had to be read.
    fn status_memo(&self, hit: bool);
    /// The writer's last batch made `trips` round trips to the database
    /// (PostgreSQL; SQLite has none to count).
    fn round_trips(&self, trips: u64) {
        let _ = trips;
    }
    /// Of those round trips, `prepared` prepared a statement: once per
    /// connection and statement, and (issue 23) once for each set of parts
    /// of the batch overlay's load and flush that the connection meets.
    fn statements_prepared(&self, prepared: u64) {
        let _ = prepared;
    }
    /// The writer's last batch waited `wait` to begin: on PostgreSQL the
    /// round trip of `BEGIN` and the write lock every node shares, so
    /// mostly the other nodes' transactions (SQLite has none to tell).
    fn write_lock_wait(&self, wait: Duration) {
        let _ = wait;
    }
}

/// The store's observer, if any (none by default: nothing is counted).
#[derive(Clone, Default)]
pub struct Observer(Option<Arc<dyn StoreObserver>>);

impl Observer {
    pub fn new(observer: Arc<dyn StoreObserver>) -> Observer {
        Observer(Some(observer))
    }

    pub(crate) fn queued(&self) {
        if let Some(observer) = &self.0 {
            observer.queued();
        }
    }

    pub(crate) fn batch(&self, jobs: usize, commit: Option<Duration>) {
        if let Some(observer) = &self.0 {
            observer.batch(jobs, commit);
        }
    }

    pub(crate) fn round_trips(&self, trips: u64) {
        if let Some(observer) = &self.0 {
            observer.round_trips(trips);
        }
    }

    pub(crate) fn statements_prepared(&self, prepared: u64) {
        if let Some(observer) = &self.0 {
            observer.statements_prepared(prepared);
        }
    }

    pub(crate) fn write_lock_wait(&self, wait: Duration) {
        if let Some(observer) = &self.0 {
            observer.write_lock_wait(wait);
        }
    }

    pub(crate) fn status_memo(&self, hit: bool) {
        if let Some(observer) = &self.0 {
            observer.status_memo(hit);
        }
    }
}

impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Observer(Some)"
        } else {
            "Observer(None)"
        })
    }
}

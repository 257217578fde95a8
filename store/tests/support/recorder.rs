//! One observer for the tests that watch the store work: it records every
//! hook of `StoreObserver` (queued jobs, batches, status memo answers,
//! PostgreSQL round trips, statements prepared and write-lock waits), so that each test reads
//! the one it asserts on.

use agora_store::{Handle, Observer, StoreConfig, StoreObserver};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
pub struct Recorder {
    queued: AtomicU64,
    /// Each batch's jobs and commit time, in order.
    batches: Mutex<Vec<(usize, Option<Duration>)>>,
    /// Each `Status` answer: from the memo or not, in order.
    memo: Mutex<Vec<bool>>,
    round_trips: AtomicU64,
    prepared: AtomicU64,
    lock_waits: Mutex<Vec<Duration>>,
}

impl Recorder {
    /// A store opened on `config` with a recorder as its observer, and the
    /// recorder.
    pub fn open(mut config: StoreConfig) -> (Handle, Arc<Recorder>) {
        let recorder = Arc::new(Recorder::default());
        config.observer = Observer::new(recorder.clone());
        let handle = Handle::open(config).expect("the store opens");
        (handle, recorder)
    }

    pub fn queued(&self) -> u64 {
        self.queued.load(Ordering::Relaxed)
    }

    pub fn batches(&self) -> Vec<(usize, Option<Duration>)> {
        self.batches.lock().unwrap().clone()
    }

    /// `Status` answers so far: `true` for each from the memo.
    pub fn memo(&self) -> Vec<bool> {
        self.memo.lock().unwrap().clone()
    }

    /// `Status` answers from the memo so far.
    pub fn memo_hits(&self) -> usize {
        self.memo().iter().filter(|&&hit| hit).count()
    }

    /// PostgreSQL round trips so far, and batches so far.
    pub fn trips_and_batches(&self) -> (u64, u64) {
        let batches = self.batches.lock().unwrap().len() as u64;
        (self.round_trips.load(Ordering::Relaxed), batches)
    }

    /// Of the round trips so far, those that prepared a statement.
    pub fn prepared(&self) -> u64 {
        self.prepared.load(Ordering::Relaxed)
    }

    pub fn lock_waits(&self) -> Vec<Duration> {
        self.lock_waits.lock().unwrap().clone()
    }
}

impl StoreObserver for Recorder {
    fn queued(&self) {
        self.queued.fetch_add(1, Ordering::Relaxed);
    }
    fn batch(&self, jobs: usize, commit: Option<Duration>) {
        self.batches.lock().unwrap().push((jobs, commit));
    }
    fn status_memo(&self, hit: bool) {
        self.memo.lock().unwrap().push(hit);
    }
    fn round_trips(&self, trips: u64) {
        self.round_trips.fetch_add(trips, Ordering::Relaxed);
    }
    fn statements_prepared(&self, prepared: u64) {
        self.prepared.fetch_add(prepared, Ordering::Relaxed);
    }
    fn write_lock_wait(&self, wait: Duration) {
        self.lock_waits.lock().unwrap().push(wait);
    }
}

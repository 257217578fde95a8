//! The fed hub without a database: a stand-in [`CommittedEvents`] (a
//! table of public events, as a shared database would hold them) and
//! stand-in [`Notices`] feed a real hub, whose subscribers and ring must
//! then hold every event once, in id order, however the reads were cut
//! into pages and whoever caught up.

use super::feed::{CommittedEvents, Feed};
use super::hub::Hub;
use super::listener::{Listener, Notices};
use agora_core::events::{Event, EventBody, EventId};
use agora_core::view::StoreError;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The events committed so far (ids 1..), and every read made of them
/// (its cursor and limit).
#[derive(Clone, Default)]
struct Table {
    committed: Arc<Mutex<Vec<Event>>>,
    reads: Arc<Mutex<Vec<(EventId, u32)>>>,
}

impl Table {
    fn commit(&self, count: usize) {
        let mut committed = self.committed.lock().unwrap();
        for _ in 0..count {
            let id = committed.len() as EventId + 1;
            let body = EventBody::Banned {
                user: 1,
                until: agora_core::time::UnixMillis(0),
            };
            committed.push(Event { id, body });
        }
    }

    fn reads(&self) -> Vec<(EventId, u32)> {
        self.reads.lock().unwrap().clone()
    }
}

impl CommittedEvents for Table {
    fn events_after(&mut self, after: EventId, limit: u32) -> Result<Vec<Event>, StoreError> {
        self.reads.lock().unwrap().push((after, limit));
        let committed = self.committed.lock().unwrap();
        Ok(committed
            .iter()
            .filter(|e| e.id > after)
            .take(limit as usize)
            .cloned()
            .collect())
    }
}

/// The ids a subscription has been handed, in order.
fn taken(subscription: &super::hub::Subscription) -> Vec<EventId> {
    let taken = subscription.take(usize::MAX);
    taken.events.iter().map(|e| e.id).collect()
}

#[test]
fn a_catch_up_reads_after_the_head_page_by_page_until_a_short_page() {
    let hub = Hub::new(0, usize::MAX);
    let (subscription, _) = hub.subscribe(1);
    let feed = Feed::new(hub.clone());
    let mut table = Table::default();
    table.commit(2500);
    assert_eq!(feed.catch_up(&mut table).unwrap(), 2500);
    // Each read starts where the hub's head stands after the one before.
    assert_eq!(table.reads(), [(0, 1024), (1024, 1024), (2048, 1024)]);
    assert_eq!(hub.head(), 2500);
    assert_eq!(taken(&subscription), (1..=2500).collect::<Vec<_>>());
    // Nothing new: one read, nothing handed out twice.
    assert_eq!(feed.catch_up(&mut table).unwrap(), 0);
    assert_eq!(table.reads().last(), Some(&(2500, 1024)));
    table.commit(3);
    assert_eq!(feed.catch_up(&mut table).unwrap(), 3);
    assert_eq!(taken(&subscription), [2501, 2502, 2503]);
}

#[test]
fn a_hub_that_starts_at_the_databases_head_reads_only_what_comes_after() {
    let mut table = Table::default();
    table.commit(10);
    let hub = Hub::new(10, usize::MAX);
    let (subscription, _) = hub.subscribe(1);
    let feed = Feed::new(hub.clone());
    table.commit(2);
    assert_eq!(feed.catch_up(&mut table).unwrap(), 2);
    assert_eq!(taken(&subscription), [11, 12]);
    assert_eq!(hub.recent(1, 10, 100).map(|r| r.len()), Some(2));
}

#[test]
fn feeders_at_once_hand_every_event_out_once_in_id_order() {
    let hub = Hub::new(0, usize::MAX);
    let (subscription, _) = hub.subscribe(1);
    let feed = Feed::new(hub.clone());
    let table = Table::default();
    std::thread::scope(|s| {
        for _ in 0..4 {
            let (feed, mut table) = (feed.clone(), table.clone());
            s.spawn(move || {
                for _ in 0..50 {
                    table.commit(7);
                    feed.catch_up(&mut table).unwrap();
                }
            });
        }
    });
    assert_eq!(taken(&subscription), (1..=1400).collect::<Vec<_>>());
}

/// Notices scripted by the test: each `wait` takes the next word from
/// `script` (`None`: no word; a panic when asked), or says nothing once it
/// ran out.
struct Scripted {
    table: Table,
    script: VecDeque<Word>,
    failed: Arc<Mutex<usize>>,
    closed: Arc<AtomicBool>,
}

enum Word {
    Commit(usize),
    Silence,
    Panic,
}

impl Notices for Scripted {
    type Source = Table;

    fn wait(&mut self, timeout: Duration) -> Result<bool, String> {
        match self.script.pop_front() {
            Some(Word::Commit(count)) => {
                self.table.commit(count);
                Ok(true)
            }
            Some(Word::Panic) => panic!("a bug in the listener"),
            Some(Word::Silence) | None => {
                std::thread::sleep(timeout);
                Ok(false)
            }
        }
    }

    fn source(&mut self) -> Option<&mut Table> {
        Some(&mut self.table)
    }

    fn failed(&mut self) {
        *self.failed.lock().unwrap() += 1;
    }

    fn close(&mut self) {
        self.closed.store(true, Ordering::SeqCst);
    }
}

/// Waits (at most 10 s) until the hub's head is `head`.
fn until_head(hub: &Hub, head: EventId) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while hub.head() < head {
        assert!(
            Instant::now() < deadline,
            "the hub stayed at {}",
            hub.head()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_listener_catches_up_on_word_outlives_a_panic_and_closes_when_stopped() {
    let hub = Hub::new(0, usize::MAX);
    let (subscription, _) = hub.subscribe(1);
    let feed = Feed::new(hub.clone());
    let (failed, closed) = (Arc::default(), Arc::new(AtomicBool::new(false)));
    let notices = Scripted {
        table: Table::default(),
        script: VecDeque::from([Word::Commit(2), Word::Panic, Word::Commit(3)]),
        failed: Arc::clone(&failed),
        closed: closed.clone(),
    };
    let listener = Listener::spawn("test-listen", notices, feed).unwrap();
    until_head(&hub, 5);
    listener.stop().unwrap();
    assert_eq!(taken(&subscription), [1, 2, 3, 4, 5]);
    assert_eq!(*failed.lock().unwrap(), 1, "the panic counts as a failure");
    assert!(closed.load(Ordering::SeqCst));
}

#[test]
fn without_word_the_listener_still_catches_up_every_poll() {
    let hub = Hub::new(0, usize::MAX);
    let feed = Feed::new(hub.clone());
    let table = Table::default();
    // Committed, but the word was lost.
    table.commit(4);
    let notices = Scripted {
        table,
        script: VecDeque::from([Word::Silence]),
        failed: Arc::default(),
        closed: Arc::default(),
    };
    let listener = Listener::spawn("test-listen", notices, feed).unwrap();
    until_head(&hub, 4);
    listener.stop().unwrap();
}

//! The writer thread through `Handle`, with a stand-in for the rules that can
//! be told to block, fail, panic or break the commit.

use crate::support;

use agora_core::command::{Command, Failure, Outcome};
use agora_core::time::UnixMillis;
use agora_core::view::StoreError;
use agora_store::{Busy, Handle, Pending, StoreConfig, WaitError};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{append, config, integrity, is_sent, outcome, send, stored_texts};

const UNAVAILABLE: Outcome = Outcome::Failed(Failure::StoreUnavailable);

/// Opens a store whose apply function understands a few special texts:
/// `gate` (appends, then blocks until the test releases it, so that later
/// submissions queue up into one batch; a gate applied again, when a command
/// of its batch failed, does not block again), `fail` (appends, then returns a store
/// error), `panic`, `poison` (a deferred foreign-key violation: the batch's
/// COMMIT fails), `fill` / `unfill` (cap the database at its current size, or
/// lift the cap: a full disk), and anything else is appended.
struct Fixture {
    handle: Handle,
    entered: mpsc::Receiver<()>,
    release: mpsc::Sender<()>,
    /// How many times a command was applied.
    applied: Arc<AtomicUsize>,
    /// Gates submitted by `hold`: a gate applied again does not block again.
    holds: Arc<AtomicUsize>,
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

fn fixture(adjust: impl FnOnce(&mut StoreConfig)) -> Fixture {
    let (dir, path) = support::temp_database();
    let mut store_config = config(&path);
    adjust(&mut store_config);
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let holds = Arc::new(AtomicUsize::new(0));
    let (held, mut blocked) = (holds.clone(), 0);
    let applied = Arc::new(AtomicUsize::new(0));
    let counter = applied.clone();
    let handle = Handle::open_with(store_config, move |command, view, now| {
        counter.fetch_add(1, Ordering::SeqCst);
        let text = match command {
            Command::Send { text, .. } => text.as_str(),
            _ => "",
        };
        let conn = view.connection();
        let sql_error = |e: rusqlite::Error| StoreError(e.to_string());
        match text {
            "gate" => {
                let outcome = append(command, view, now)?;
                if blocked < held.load(Ordering::SeqCst) {
                    blocked += 1;
                    entered_tx.send(()).unwrap();
                    release_rx.recv_timeout(Duration::from_secs(10)).unwrap();
                }
                Ok(outcome)
            }
            "fail" => {
                append(command, view, now)?;
                Err(StoreError("told to fail".into()))
            }
            "panic" => panic!("told to panic"),
            "poison" => {
                conn.execute_batch(
                    "PRAGMA defer_foreign_keys = ON;
                     INSERT INTO messages (chat_id, author, pub_date, text)
                     VALUES (424242, 424242, 0, 'orphan');",
                )
                .map_err(sql_error)?;
                Ok(Outcome::CommentAdded { comment_id: 0 })
            }
            "fill" => {
                let pages: i64 = conn
                    .query_row("PRAGMA page_count", [], |r| r.get(0))
                    .map_err(sql_error)?;
                conn.pragma_update(None, "max_page_count", pages)
                    .map_err(sql_error)?;
                Ok(Outcome::CommentAdded { comment_id: pages })
            }
            "unfill" => {
                conn.pragma_update(None, "max_page_count", 1_073_741_823)
                    .map_err(sql_error)?;
                Ok(Outcome::CommentAdded { comment_id: 0 })
            }
            _ => append(command, view, now),
        }
    })
    .unwrap();
    Fixture {
        handle,
        entered,
        release,
        applied,
        holds,
        _dir: dir,
        path,
    }
}

impl Fixture {
    /// Submits `gate` and waits until the writer is blocked inside it: what
    /// is submitted next queues up and becomes the next batch.
    fn hold(&self) -> Pending {
        self.holds.fetch_add(1, Ordering::SeqCst);
        let gate = self.handle.submit(support::send("gate")).unwrap();
        self.entered
            .recv_timeout(Duration::from_secs(10))
            .expect("gate entered");
        gate
    }

    /// Holds the writer inside `gate` while `texts` queue up, then lets it go:
    /// the queued commands join the gate's batch (they arrived while it ran)
    /// and share its commit. Returns the gate's outcome and theirs.
    fn batch(&self, texts: &[&str]) -> (Outcome, Vec<Outcome>) {
        let gate = self.hold();
        let pendings: Vec<_> = texts
            .iter()
            .map(|t| self.handle.submit(send(t)).unwrap())
            .collect();
        self.release.send(()).unwrap();
        (outcome(gate), pendings.into_iter().map(outcome).collect())
    }
}

#[test]
fn a_failing_command_rolls_back_alone() {
    let f = fixture(|_| {});
    let (gate, outcomes) = f.batch(&["one", "fail", "two", "panic", "three"]);
    assert!(is_sent(&gate));
    assert!(is_sent(&outcomes[0]), "{outcomes:?}");
    assert_eq!(outcomes[1], UNAVAILABLE);
    assert!(is_sent(&outcomes[2]));
    assert_eq!(outcomes[3], UNAVAILABLE);
    assert!(is_sent(&outcomes[4]));
    // One batch, one clock reading; ids follow submission order.
    let sent: Vec<(i64, UnixMillis)> = [&outcomes[0], &outcomes[2], &outcomes[4]]
        .iter()
        .map(|o| match o {
            Outcome::MessageSent {
                message_id,
                pub_date,
            } => (*message_id, *pub_date),
            _ => unreachable!(),
        })
        .collect();
    assert!(sent[0].0 < sent[1].0 && sent[1].0 < sent[2].0);
    assert!(sent.iter().all(|s| s.1 == sent[0].1));
    // What queued while the gate ran joined its batch: one commit, one clock.
    match gate {
        Outcome::MessageSent { pub_date, .. } => assert_eq!(pub_date, sent[0].1),
        other => panic!("{other:?}"),
    }
    f.handle.shutdown();
    assert_eq!(stored_texts(&f.path), ["gate", "one", "two", "three"]);
}

/// (issue 27) The search vocabulary, every word with the number of
/// messages holding it, as stored.
fn vocabulary(path: &std::path::Path) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT term, messages FROM message_search_terms ORDER BY term")
        .unwrap();
    let rows = stmt
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<Vec<(String, i64)>, _>>()
        .unwrap();
    rows
}

/// (issue 27) The writer counts a batch's search words in memory and
/// writes them at its commit: each word once with all its messages, and
/// nothing of a command rolled back (here first the whole batch, then
/// `fail` alone, to its savepoint).
#[test]
fn a_batch_counts_its_search_words_at_commit_without_those_rolled_back() {
    let f = fixture(|_| {});
    let (gate, outcomes) = f.batch(&["red fox", "Red hen", "fail", "blue FOX", "red"]);
    assert!(is_sent(&gate));
    assert_eq!(outcomes[2], UNAVAILABLE);
    assert!(outcomes.iter().filter(|o| is_sent(o)).count() == 4);
    assert!(is_sent(&outcome(
        f.handle.submit(send("red again")).unwrap()
    )));
    f.handle.shutdown();
    let want: Vec<(String, i64)> = [
        ("again", 1),
        ("blue", 1),
        ("fox", 2),
        ("gate", 1),
        ("hen", 1),
        ("red", 4),
    ]
    .map(|(term, messages)| (term.to_string(), messages))
    .to_vec();
    assert_eq!(vocabulary(&f.path), want);
}

#[test]
fn a_failed_commit_fails_the_whole_batch_and_the_writer_goes_on() {
    let f = fixture(|_| {});
    let (gate, outcomes) = f.batch(&["before", "poison", "after"]);
    // "gate", "before" and "after" were applied, but their batch never
    // committed: no success may be reported for them.
    assert_eq!(gate, UNAVAILABLE);
    assert_eq!(outcomes, [UNAVAILABLE, UNAVAILABLE, UNAVAILABLE]);
    assert!(is_sent(&outcome(f.handle.submit(send("later")).unwrap())));
    f.handle.shutdown();
    assert_eq!(stored_texts(&f.path), ["later"]);
    assert_eq!(integrity(&f.path), "ok");
}

#[test]
fn a_full_disk_fails_writes_until_space_is_freed() {
    let f = fixture(|_| {});
    let big = "x".repeat(256 * 1024);
    assert!(is_sent(&outcome(f.handle.submit(send("small")).unwrap())));
    assert!(matches!(
        outcome(f.handle.submit(send("fill")).unwrap()),
        Outcome::CommentAdded { .. }
    ));
    for _ in 0..3 {
        assert_eq!(outcome(f.handle.submit(send(&big)).unwrap()), UNAVAILABLE);
    }
    outcome(f.handle.submit(send("unfill")).unwrap());
    assert!(is_sent(&outcome(f.handle.submit(send(&big)).unwrap())));
    f.handle.shutdown();
    assert_eq!(stored_texts(&f.path).len(), 2);
    assert_eq!(integrity(&f.path), "ok");
}

#[test]
fn a_full_queue_answers_busy() {
    let f = fixture(|c| c.queue_capacity = 3);
    let gate = f.hold();
    let queued: Vec<_> = (0..3)
        .map(|i| f.handle.submit(send(&format!("q{i}"))).unwrap())
        .collect();
    assert_eq!(f.handle.submit(send("one too many")).err(), Some(Busy));
    f.release.send(()).unwrap();
    outcome(gate);
    for pending in queued {
        assert!(is_sent(&outcome(pending)));
    }
    assert!(is_sent(&outcome(
        f.handle.submit(send("room again")).unwrap()
    )));
    f.handle.shutdown();
    assert_eq!(
        stored_texts(&f.path),
        ["gate", "q0", "q1", "q2", "room again"]
    );
}

#[test]
fn shutdown_commits_what_is_queued_then_refuses() {
    let f = fixture(|c| c.batch_max = 16);
    let pendings: Vec<_> = (0..300)
        .map(|i| f.handle.submit(send(&format!("m{i}"))).unwrap())
        .collect();
    let clone = f.handle.clone();
    f.handle.shutdown();
    // Closed: the WAL is checkpointed and removed when the last connection goes.
    assert!(!f.path.with_extension("db-wal").exists());
    for pending in pendings {
        assert!(is_sent(&outcome(pending)));
    }
    clone.shutdown();
    let late = clone.submit(send("late")).unwrap();
    assert!(matches!(
        late.wait_timeout(Duration::from_secs(5)),
        Err(WaitError::Gone(_))
    ));
    let texts = stored_texts(&f.path);
    assert_eq!(texts.len(), 300);
    assert_eq!(texts[299], "m299");
    assert_eq!(integrity(&f.path), "ok");
}

#[test]
fn dropping_every_handle_closes_the_store() {
    let (_dir, path) = support::temp_database();
    let handle = Handle::open_with(config(&path), append).unwrap();
    let clone = handle.clone();
    let pending = clone.submit(send("bye")).unwrap();
    drop(handle);
    assert!(path.with_extension("db-wal").exists(), "still open");
    drop(clone);
    assert!(is_sent(&outcome(pending)));
    assert!(!path.with_extension("db-wal").exists(), "closed");
    assert_eq!(stored_texts(&path), ["bye"]);
}

/// A batch is applied once; only a batch with a failing command is applied a
/// second time (rolled back, then with a savepoint per command).
#[test]
fn only_a_batch_with_a_failure_is_applied_twice() {
    let f = fixture(|_| {});
    let (gate, outcomes) = f.batch(&["a", "b", "c"]);
    assert!(is_sent(&gate) && outcomes.iter().all(is_sent));
    assert_eq!(f.applied.load(Ordering::SeqCst), 4);
    let (gate, outcomes) = f.batch(&["d", "fail", "e"]);
    assert!(is_sent(&gate) && is_sent(&outcomes[0]) && is_sent(&outcomes[2]));
    assert_eq!(outcomes[1], UNAVAILABLE);
    // First pass: gate, d, fail (then rolled back); second pass: all four.
    assert_eq!(f.applied.load(Ordering::SeqCst), 4 + 3 + 4);
    f.handle.shutdown();
    assert_eq!(
        stored_texts(&f.path),
        ["gate", "a", "b", "c", "gate", "d", "e"]
    );
}

#[test]
fn concurrent_submitters_all_get_their_own_outcome() {
    let (_dir, path) = support::temp_database();
    let handle = Handle::open_with(config(&path), append).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    std::thread::scope(|s| {
        for t in 0..8 {
            let (handle, seen) = (handle.clone(), seen.clone());
            s.spawn(move || {
                for i in 0..50 {
                    let text = format!("t{t}-{i}");
                    match outcome(handle.submit(send(&text)).unwrap()) {
                        Outcome::MessageSent { message_id, .. } => {
                            seen.lock().unwrap().push((message_id, text))
                        }
                        other => panic!("{other:?}"),
                    }
                }
            });
        }
    });
    handle.shutdown();
    let mut seen = Arc::try_unwrap(seen).unwrap().into_inner().unwrap();
    seen.sort();
    let texts: Vec<_> = seen.into_iter().map(|(_, t)| t).collect();
    assert_eq!(
        texts,
        stored_texts(&path),
        "each reply names its own message"
    );
}

#[test]
fn opening_an_impossible_path_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let result = Handle::open(config(&dir.path().join("no/such/dir/agora.db")));
    assert!(result.is_err());
}

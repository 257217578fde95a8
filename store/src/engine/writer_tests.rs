//! The engine's writer over a scripted wing: what it asks of a wing, in
//! which order, and what it answers, whatever the backend. The wings
//! themselves are tested on real databases (`store/tests`).

use super::batch::{Applied, CommandSteps};
use super::job::{Job, Request, UNAVAILABLE};
use super::status_memo::DataVersion;
use super::wing::{Commit, Wing};
use super::writer::Writer;
use crate::clock::Clock;
use crate::error::ApplyError;
use crate::live::{Hub, Publication};
use crate::observe::Observer;
use crate::pending::{Pending, WaitError};
use agora_core::command::{ChatRef, Command, Outcome};
use agora_core::events::{Event, EventBody};
use agora_core::time::UnixMillis;
use agora_core::token::TokenHash;
use std::collections::VecDeque;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A wing that writes nothing: it logs each step, fails the commands whose
/// text is "fail", records one event per applied command (its id, the
/// count so far), ends its commits as scripted (then `Committed`), and
/// queues the jobs of `arrivals` as if they came while it begins or
/// applies. `JOINS`: its `Wing::JOINS_AFTER_APPLY`.
struct Scripted<const JOINS: bool> {
    log: Arc<Mutex<Vec<String>>>,
    commits: VecDeque<Commit>,
    retryable: bool,
    applied: i64,
    arrivals: Option<Arrivals>,
}

/// Jobs the wing queues itself, at its first `begin` and its first apply
/// (then it drops its sender, so that the writer's queue can close).
struct Arrivals {
    sender: SyncSender<Request>,
    at_begin: Vec<Request>,
    at_apply: Vec<Request>,
}

impl<const JOINS: bool> Scripted<JOINS> {
    fn note(&self, step: impl Into<String>) {
        self.log.lock().unwrap().push(step.into());
    }

    /// Queues the jobs due at `begin` (or else at an apply).
    fn arrive(&mut self, at_begin: bool) {
        let Some(arrivals) = &mut self.arrivals else {
            return;
        };
        let due = if at_begin {
            &mut arrivals.at_begin
        } else {
            &mut arrivals.at_apply
        };
        for request in due.drain(..) {
            arrivals.sender.try_send(request).ok().unwrap();
        }
        if !at_begin {
            self.arrivals = None;
        }
    }
}

fn text(job: &Job) -> &str {
    match job {
        Job::Command(Command::Send { text, .. }) => text,
        _ => "",
    }
}

const DONE: Outcome = Outcome::Health { available: true };

impl<const JOINS: bool> CommandSteps for Scripted<JOINS> {
    fn apply(&mut self, job: &Job, _now: UnixMillis, events: &mut Vec<Event>) -> Applied {
        self.note(format!("apply {}", text(job)));
        self.arrive(false);
        if text(job) == "fail" {
            return Err(ApplyError::Panicked);
        }
        self.applied += 1;
        events.push(Event {
            id: self.applied,
            body: EventBody::Banned {
                user: 1,
                until: UnixMillis(0),
            },
        });
        Ok(DONE)
    }

    fn savepoint(&mut self) -> Result<(), String> {
        self.note("savepoint");
        Ok(())
    }

    fn release_savepoint(&mut self) -> Result<(), String> {
        self.note("release");
        Ok(())
    }

    fn rollback_to_savepoint(&mut self) -> Result<(), String> {
        self.note("rollback to savepoint");
        Ok(())
    }
}

impl<const JOINS: bool> Wing for Scripted<JOINS> {
    const TIMES_WHOLE_TRANSACTION: bool = false;
    const JOINS_AFTER_APPLY: bool = JOINS;

    fn begin(&mut self) -> Result<(), String> {
        self.note("begin");
        self.arrive(true);
        Ok(())
    }

    fn rollback(&mut self) -> Result<(), String> {
        self.note("rollback");
        Ok(())
    }

    fn abandon(&mut self) {
        self.note("abandon");
    }

    fn commit(&mut self, notify: bool) -> Commit {
        self.note(format!("commit notify={notify}"));
        self.commits.pop_front().unwrap_or(Commit::Committed)
    }

    fn retryable(&self) -> bool {
        self.retryable
    }

    fn close(self) -> bool {
        self.note("close");
        true
    }
}

fn send(text: &str) -> Command {
    Command::Send {
        caller: TokenHash([7; 32]),
        to: ChatRef::Public,
        text: text.into(),
    }
}

/// What one run of the writer did: the wing's steps, each command's
/// outcome, and the hub it published to.
struct Run {
    log: Vec<String>,
    outcomes: Vec<Outcome>,
    hub: Arc<Hub>,
}

/// Queues `texts` as one batch, then runs the writer over a scripted wing
/// until the queue is drained.
fn run(texts: &[&str], commits: Vec<Commit>, retryable: bool) -> Run {
    run_on::<true>(texts, &[], &[], commits, retryable)
}

/// A request for a send of `text`, and its outcome to come.
fn request(text: &str) -> (Request, Pending) {
    let (reply, pending) = Pending::channel();
    let job = Job::Command(send(text));
    (Request { job, reply }, pending)
}

/// As `run`, over a wing whose `JOINS_AFTER_APPLY` is `JOINS`, with
/// `at_begin` and `at_apply` arriving while it begins and applies. The
/// outcomes are those of `texts`, then `at_begin`, then `at_apply`.
fn run_on<const JOINS: bool>(
    texts: &[&str],
    at_begin: &[&str],
    at_apply: &[&str],
    commits: Vec<Commit>,
    retryable: bool,
) -> Run {
    let log = Arc::new(Mutex::new(Vec::new()));
    let hub = Hub::new(0, 1 << 20);
    let (sender, queue) = sync_channel(texts.len() + at_begin.len() + at_apply.len());
    let mut pendings: Vec<Pending> = texts
        .iter()
        .map(|text| {
            let (request, pending) = request(text);
            sender.try_send(request).ok().unwrap();
            pending
        })
        .collect();
    let mut later = |texts: &[&str]| -> Vec<Request> {
        texts
            .iter()
            .map(|text| {
                let (request, pending) = request(text);
                pendings.push(pending);
                request
            })
            .collect()
    };
    let (at_begin, at_apply) = (later(at_begin), later(at_apply));
    let arrivals = (!at_begin.is_empty() || !at_apply.is_empty()).then(|| Arrivals {
        sender: sender.clone(),
        at_begin,
        at_apply,
    });
    drop(sender);
    let writer = Writer {
        wing: Scripted::<JOINS> {
            log: log.clone(),
            commits: commits.into(),
            retryable,
            applied: 0,
            arrivals,
        },
        queue,
        batch_max: 64,
        clock: Clock::new(|| UnixMillis(1)),
        version: Arc::new(DataVersion::default()),
        publication: Publication::Direct(hub.clone()),
        observer: Observer::default(),
    };
    std::thread::spawn(move || writer.run()).join().unwrap();
    let outcomes = pendings
        .iter()
        .map(
            |pending| match pending.wait_timeout(Duration::from_secs(5)) {
                Ok(outcome) => outcome,
                Err(WaitError::Gone(_) | WaitError::TimedOut(_)) => panic!("no outcome"),
            },
        )
        .collect();
    let log = log.lock().unwrap().clone();
    Run { log, outcomes, hub }
}

/// The wing's log when "a", "b" and "c" are applied in one transaction.
const ABC_IN_ONE_TRANSACTION: [&str; 6] = [
    "begin",
    "apply a",
    "apply b",
    "apply c",
    "commit notify=true",
    "close",
];

#[test]
fn a_batch_is_one_transaction_answered_after_its_commit() {
    let run = run(&["a", "b", "c"], vec![], false);
    assert_eq!(run.log, ABC_IN_ONE_TRANSACTION);
    assert_eq!(run.outcomes, [DONE, DONE, DONE]);
    assert_eq!(run.hub.head(), 3, "the committed events were published");
}

#[test]
fn a_failing_command_rolls_back_alone_in_a_savepoint_run() {
    let run = run(&["a", "fail", "c"], vec![], false);
    assert_eq!(
        run.log,
        [
            "begin",
            "apply a",
            "apply fail",
            "rollback",
            "begin",
            "savepoint",
            "apply a",
            "release",
            "savepoint",
            "apply fail",
            "rollback to savepoint",
            "savepoint",
            "apply c",
            "release",
            "commit notify=true",
            "close"
        ]
    );
    assert_eq!(run.outcomes, [DONE, UNAVAILABLE, DONE]);
    // The events of the rolled-back run are dropped: only those of the
    // second run's two applied commands (ids 2 and 3 of the wing's count)
    // are published.
    assert_eq!(run.hub.head(), 3);
    assert_eq!(run.hub.recent(1, 0, 10).map(|e| e.len()), Some(2));
}

#[test]
fn a_batch_not_committed_runs_again_only_on_a_retryable_wing() {
    let not = || vec![Commit::NotCommitted("lost".into())];
    let again = run(&["a"], not(), true);
    assert_eq!(
        again.log,
        [
            "begin",
            "apply a",
            "commit notify=true",
            "begin",
            "apply a",
            "commit notify=true",
            "close"
        ]
    );
    assert_eq!(again.outcomes, [DONE]);
    assert_eq!(again.hub.head(), 2, "only the committed run's event");
    assert_eq!(again.hub.recent(1, 0, 10).map(|e| e.len()), Some(1));

    let once = run(&["a"], not(), false);
    assert_eq!(
        once.log,
        ["begin", "apply a", "commit notify=true", "close"]
    );
    assert_eq!(once.outcomes, [UNAVAILABLE]);
    assert_eq!(once.hub.head(), 0, "nothing published");
}

#[test]
fn a_commit_of_unknown_fate_is_answered_unavailable_and_never_run_again() {
    let run = run(&["a", "b"], vec![Commit::Unknown("gone".into())], true);
    assert_eq!(
        run.log,
        ["begin", "apply a", "apply b", "commit notify=true", "close"]
    );
    assert_eq!(run.outcomes, [UNAVAILABLE, UNAVAILABLE]);
    assert_eq!(run.hub.head(), 0);
}

#[test]
fn jobs_that_came_during_begin_join_before_the_apply_and_later_ones_as_the_wing_says() {
    // Joining after the apply step (SQLite): one transaction for all.
    let joins = run_on::<true>(&["a"], &["b"], &["c"], vec![], false);
    assert_eq!(joins.log, ABC_IN_ONE_TRANSACTION);
    assert_eq!(joins.outcomes, [DONE, DONE, DONE]);

    // Not after it (PostgreSQL's overlay: one load per apply step): what
    // came while `begin` waited for the lock joins before the apply; what
    // came during it starts the next batch.
    let next = run_on::<false>(&["a"], &["b"], &["c"], vec![], false);
    assert_eq!(
        next.log,
        [
            "begin",
            "apply a",
            "apply b",
            "commit notify=true",
            "begin",
            "apply c",
            "commit notify=true",
            "close"
        ]
    );
    assert_eq!(next.outcomes, [DONE, DONE, DONE]);
}

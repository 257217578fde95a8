//! The random command sequences of `model_vs_sqlite`, replayed on the whole
//! PostgreSQL store (writer, readers, hub) through a `Handle`, give the same
//! outcomes as the in-memory model, including across close-and-reopen (a
//! node's restart). The clock is the reference's, read through the store's
//! injectable clock.

use crate::support;

use agora_core::command::{Command, Outcome};
use agora_core::view::View;
use agora_store::{Handle, StoreConfig};
use agora_tests::pg::PgDatabase;
use proptest_state_machine::{prop_state_machine, StateMachineTest};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::reference::{chat_config, runs, Reference, Step, T0};
use support::{fresh_pg, pg_config};

struct Postgres {
    /// `None` when the PostgreSQL tests are skipped (AGORA_SKIP_PG=1).
    node: Option<(PgDatabase, Handle)>,
    now: Arc<AtomicI64>,
}

fn open(database: &PgDatabase, now: &Arc<AtomicI64>) -> Handle {
    let mut config = StoreConfig {
        clock: support::clock_reading(now),
        ..pg_config(database)
    };
    config.rules = chat_config();
    Handle::open(config).expect("the store opens on PostgreSQL")
}

fn outcome(handle: &Handle, command: Command) -> Outcome {
    let wait = Duration::from_secs(10);
    if let Command::Events { .. } = command {
        let watch = handle.watch(command).unwrap().wait_timeout(wait);
        return watch.expect("an events page").outcome;
    }
    handle
        .submit(command)
        .unwrap()
        .wait_timeout(wait)
        .expect("an outcome")
}

/// Waits until this node's hub holds every event the model has. On
/// PostgreSQL a commit reaches the hub through NOTIFY after the writer
/// answered, and a page is the hub's: read before, it ends at the hub's head
/// with the rows as they were when the hub recorded them (a later `reaction`
/// or `edited` event brings the change), where the model already has them
/// changed. A client sees the same by reading on.
fn caught_up(handle: &Handle, reference: &Reference) {
    let head = reference
        .model
        .clone()
        .event_head()
        .expect("the model's head");
    let deadline = Instant::now() + Duration::from_secs(10);
    while handle.hub().head() < head && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
}

struct ModelVsPostgres;

impl StateMachineTest for ModelVsPostgres {
    type SystemUnderTest = Postgres;
    type Reference = Reference;

    fn init_test(_: &Reference) -> Postgres {
        // The public chat is created at the first start's clock reading: the
        // model's creation time.
        let now = Arc::new(AtomicI64::new(T0));
        let node = fresh_pg().map(|database| {
            let handle = open(&database, &now);
            (database, handle)
        });
        Postgres { node, now }
    }

    fn apply(mut sut: Postgres, reference: &Reference, step: Step) -> Postgres {
        let Some((database, handle)) = sut.node.as_mut() else {
            return sut;
        };
        match step {
            Step::AdvanceMs(_) => {}
            Step::Reopen => {
                handle.shutdown();
                *handle = open(database, &sut.now);
            }
            Step::Run(command) => {
                sut.now.store(reference.now.0, Ordering::Relaxed);
                if let Command::Events { .. } = command {
                    caught_up(handle, reference);
                }
                reference.assert_answered(&command, Ok(outcome(handle, command.clone())));
            }
        }
        sut
    }
}

prop_state_machine! {
    // Fewer than on SQLite: each case is a database of its own, and each
    // command a round trip through the store's threads.
    #![proptest_config(runs(24, 500))]

    #[test]
    fn model_and_postgres_agree(sequential 1..150 => ModelVsPostgres);
}

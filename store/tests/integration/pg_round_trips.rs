//! The PostgreSQL writer's round trips, counted through the store's
//! observer: a batch makes at most four (`BEGIN` with the write lock, the
//! load of the rows its commands name, the flush of their changes,
//! `COMMIT`) whatever its size, not one per read and per write; besides,
//! a statement's first use on a connection prepares it (one round trip,
//! counted apart: the load and the flush are made of the parts a batch
//! uses, `pg::composed`, so a connection prepares a few shapes of each).

use crate::support;

use agora_core::command::{ChatRef, ChatType, Command, Outcome};
use agora_core::config::Config;
use agora_core::token::TokenHash;
use agora_store::Handle;
use agora_tests::pg::PgDatabase;
use std::sync::Arc;
use support::{fresh_pg, pg_config, private_send, public_send, register_all, Recorder};

/// A store on `database` whose round trips are counted, with `rules`
/// changed as given, users alice and bob, and alice's first message sent.
fn open_counted(
    database: &PgDatabase,
    rules: impl FnOnce(&mut Config),
) -> (Handle, Arc<Recorder>, TokenHash, TokenHash) {
    let mut config = pg_config(database);
    rules(&mut config.rules);
    let (handle, trips) = Recorder::open(config);
    let [alice, bob] = register_all(&handle, ["alice", "bob"]);
    assert!(support::is_sent(&support::run(
        &handle,
        public_send(alice, "first")
    )));
    (handle, trips, alice, bob)
}

#[test]
fn each_command_s_batch_makes_four_round_trips() {
    let Some(database) = fresh_pg() else { return };
    let (handle, trips, alice, bob) = open_counted(&database, |rules| {
        rules.reporter_min_age_ms = 0;
    });
    // One at a time: a batch each. The commands a writer sees most, each
    // answered from the batch's one load.
    let commands = [
        public_send(bob, "public"),
        private_send(bob, "Alice", "a new private chat"),
        private_send(alice, "bob", "in it"),
        Command::Comment {
            caller: bob,
            message_id: 1,
            text: "a comment".into(),
        },
        Command::Report {
            caller: alice,
            target: "BOB".into(),
            chat_type: ChatType::Private,
        },
        // The page is read by a reader; the writer moves the position.
        Command::Connect {
            caller: bob,
            chat: ChatRef::Public,
            messages_number: 10,
        },
    ];
    for command in commands {
        let (before, prepared) = (trips.trips_and_batches(), trips.prepared());
        let outcome = support::run(&handle, command.clone());
        assert!(
            !matches!(outcome, Outcome::Failed(_)),
            "{command:?}: {outcome:?}"
        );
        let (round_trips, batches) = (
            trips.trips_and_batches().0 - before.0,
            trips.trips_and_batches().1 - before.1,
        );
        let prepared = trips.prepared() - prepared;
        assert_eq!(batches, 1, "{command:?}");
        assert!(
            round_trips - prepared <= 4,
            "{command:?}: {round_trips} round trips in its batch, {prepared} preparing"
        );
    }
    // A shape met before prepares nothing: four round trips in all.
    let before = trips.trips_and_batches().0;
    assert!(support::is_sent(&support::run(
        &handle,
        public_send(bob, "public again")
    )));
    let round_trips = trips.trips_and_batches().0 - before;
    assert!(round_trips <= 4, "a send again: {round_trips} round trips");
    // `/read` counts the unread left after its move: a read of the
    // messages table the load does not bring, one round trip more.
    let (before, prepared) = (trips.trips_and_batches(), trips.prepared());
    let read = Command::Read {
        caller: alice,
        chat: ChatRef::Public,
        up_to: 2,
    };
    assert!(matches!(
        support::run(&handle, read),
        Outcome::ReadMoved { .. }
    ));
    let round_trips = trips.trips_and_batches().0 - before.0 - (trips.prepared() - prepared);
    assert!(
        round_trips <= 5,
        "/read: {round_trips} round trips in its batch, less those preparing"
    );
    handle.shutdown();
}

#[test]
fn a_batch_of_many_commands_makes_four_round_trips() {
    let Some(database) = fresh_pg() else { return };
    let (handle, trips, alice, bob) = open_counted(&database, |rules| {
        rules.quota = 1_000_000;
        rules.comment_quota = 1_000_000;
    });
    let (before, prepared) = (trips.trips_and_batches(), trips.prepared());
    // Submitted at once: they share batches, whose number depends on
    // timing; each costs four round trips whatever it holds.
    let pendings: Vec<_> = (0..96)
        .map(|i| {
            let command = match i % 3 {
                0 => public_send(alice, &format!("m{i}")),
                1 => private_send(bob, "Alice", &format!("p{i}")),
                _ => Command::Comment {
                    caller: bob,
                    message_id: 1,
                    text: format!("c{i}"),
                },
            };
            handle.submit(command).unwrap()
        })
        .collect();
    for pending in pendings {
        let outcome = support::outcome(pending);
        assert!(!matches!(outcome, Outcome::Failed(_)), "{outcome:?}");
    }
    let (round_trips, batches) = (
        trips.trips_and_batches().0 - before.0,
        trips.trips_and_batches().1 - before.1,
    );
    let prepared = trips.prepared() - prepared;
    handle.shutdown();
    assert!(
        round_trips - prepared <= 4 * batches,
        "{round_trips} round trips ({prepared} preparing) for {batches} batches of 96 commands"
    );
    // At most a load and a flush of a shape not met before, per batch.
    assert!(
        prepared <= 2 * batches,
        "{prepared} statements prepared for {batches} batches"
    );
}

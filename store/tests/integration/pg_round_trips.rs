//! The PostgreSQL writer's round trips, counted through the store's
//! observer: a batch makes at most four (`BEGIN` with the write lock, the
//! load of the rows its commands name, the flush of their changes,
//! `COMMIT`) whatever its size, not one per read and per write.

use crate::support;

use agora_core::command::{ChatRef, ChatType, Command, Outcome};
use agora_core::config::Config;
use agora_core::token::TokenHash;
use agora_store::Handle;
use agora_tests::pg::PgDatabase;
use std::sync::Arc;
use support::{fresh_pg, pg_config, private_send, public_send, register_all, Recorder};

/// A store on `database` whose round trips are counted, with `rules`
/// changed as given, users alice and bob, and alice's first message sent
/// (so that the writer's statements are prepared: a round trip each, once
/// per connection).
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
        let before = trips.trips_and_batches();
        let outcome = support::run(&handle, command.clone());
        assert!(
            !matches!(outcome, Outcome::Failed(_)),
            "{command:?}: {outcome:?}"
        );
        let (round_trips, batches) = (
            trips.trips_and_batches().0 - before.0,
            trips.trips_and_batches().1 - before.1,
        );
        assert_eq!(batches, 1, "{command:?}");
        assert!(
            round_trips <= 4,
            "{command:?}: {round_trips} round trips in its batch"
        );
    }
    // `/read` counts the unread left after its move: a read of the
    // messages table the load does not bring, one round trip more.
    let before = trips.trips_and_batches();
    let read = Command::Read {
        caller: alice,
        chat: ChatRef::Public,
        up_to: 2,
    };
    assert!(matches!(
        support::run(&handle, read),
        Outcome::ReadMoved { .. }
    ));
    let round_trips = trips.trips_and_batches().0 - before.0;
    // (The count's statement is prepared on first use: one more.)
    assert!(
        round_trips <= 6,
        "/read: {round_trips} round trips in its batch"
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
    let before = trips.trips_and_batches();
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
    handle.shutdown();
    assert!(
        round_trips <= 4 * batches,
        "{round_trips} round trips for {batches} batches of 96 commands"
    );
}

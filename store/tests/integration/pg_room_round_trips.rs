//! (issue 25) Rooms on PostgreSQL cost what the public chat costs: the
//! batch's one load brings the room a command names, with the caller's
//! membership and invitation, so that sending to a room, commenting in it,
//! reading it and joining it is a batch of at most four round trips
//! (`BEGIN` with the write lock, the load, the flush, `COMMIT`), counted
//! through the store's observer as `pg_round_trips` counts them.

use crate::support;

use agora_core::command::{ChatRef, Command, Outcome};
use agora_store::{Handle, Observer, StoreObserver};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::{fresh_pg, pg_config, register_all};

#[derive(Default)]
struct Trips(AtomicU64);

impl StoreObserver for Trips {
    fn queued(&self) {}
    fn batch(&self, _jobs: usize, _commit: Option<Duration>) {}
    fn status_memo(&self, _hit: bool) {}
    fn round_trips(&self, trips: u64) {
        self.0.fetch_add(trips, Ordering::Relaxed);
    }
}

/// The round trips of `command`'s batch (alone), after asserting it was
/// not refused.
fn trips_of(handle: &Handle, trips: &Trips, command: Command) -> (u64, Outcome) {
    let before = trips.0.load(Ordering::Relaxed);
    let outcome = support::run(handle, command.clone());
    assert!(
        !matches!(outcome, Outcome::Failed(_)),
        "{command:?}: {outcome:?}"
    );
    (trips.0.load(Ordering::Relaxed) - before, outcome)
}

fn send(caller: agora_core::token::TokenHash, room: &str, text: &str) -> Command {
    Command::Send {
        caller,
        to: ChatRef::Room(room.into()),
        text: text.into(),
    }
}

#[test]
fn room_commands_are_answered_from_the_batch_s_one_load() {
    let Some(database) = fresh_pg() else { return };
    let trips = Arc::new(Trips::default());
    let mut config = pg_config(&database);
    config.observer = Observer::new(trips.clone());
    let handle = Handle::open(config).expect("the store opens on PostgreSQL");
    let [alice, bob, carol] = register_all(&handle, ["alice", "bob", "carol"]);
    let create = |room: &str, public: bool| Command::CreateRoom {
        caller: alice,
        room: room.into(),
        public,
        topic: "a topic".into(),
    };
    // Creating writes through (a new chat's id), as does leaving (a
    // membership deleted): counted, not bounded.
    let (created, _) = trips_of(&handle, &trips, create("#ops", true));
    trips_of(&handle, &trips, create("#inner", false));
    // Prepare the writer's statements (a round trip each, once per
    // connection) with a first send to the room.
    trips_of(&handle, &trips, send(alice, "#ops", "first"));

    let joined = Command::Join {
        caller: bob,
        room: "#OPS".into(),
    };
    let (join, _) = trips_of(&handle, &trips, joined.clone());
    let (again, _) = trips_of(&handle, &trips, joined);
    let (sent, outcome) = trips_of(&handle, &trips, send(bob, "#Ops", "hello"));
    let Outcome::MessageSent { message_id, .. } = outcome else {
        panic!("{outcome:?}")
    };
    let (commented, _) = trips_of(
        &handle,
        &trips,
        Command::Comment {
            caller: alice,
            message_id,
            text: "+1".into(),
        },
    );
    let (connected, _) = trips_of(
        &handle,
        &trips,
        Command::Connect {
            caller: alice,
            chat: ChatRef::Room("#ops".into()),
            messages_number: 10,
        },
    );
    // A member of no room is refused from the same load.
    let before = trips.0.load(Ordering::Relaxed);
    let refused = support::run(&handle, send(carol, "#ops", "let me in"));
    assert!(matches!(refused, Outcome::Failed(_)), "{refused:?}");
    let refusal = trips.0.load(Ordering::Relaxed) - before;
    let (invite, _) = trips_of(
        &handle,
        &trips,
        Command::Invite {
            caller: alice,
            room: "#inner".into(),
            user_name: "carol".into(),
        },
    );
    let (private_join, _) = trips_of(
        &handle,
        &trips,
        Command::Join {
            caller: carol,
            room: "#inner".into(),
        },
    );
    let (leave, _) = trips_of(
        &handle,
        &trips,
        Command::Leave {
            caller: bob,
            room: "#ops".into(),
        },
    );
    handle.shutdown();
    eprintln!(
        "round trips: create {created}, join {join}, join again {again}, send {sent}, \
         comment {commented}, connect {connected}, refused send {refusal}, invite {invite}, \
         join invited {private_join}, leave {leave}"
    );
    for (what, trips) in [
        ("join", join),
        ("join again", again),
        ("send", sent),
        ("comment", commented),
        ("connect's move", connected),
        ("a refused send", refusal),
        ("join when invited", private_join),
        ("invite", invite),
    ] {
        assert!(trips <= 4, "{what}: {trips} round trips in its batch");
    }
}

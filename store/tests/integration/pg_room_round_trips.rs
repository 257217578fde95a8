//! (issue 25) Rooms on PostgreSQL cost what the public chat costs: the
//! batch's one load brings the room a command names, with the caller's
//! membership and invitation, so that sending to a room, commenting in it,
//! reading it and joining it is a batch of at most four round trips
//! (`BEGIN` with the write lock, the load, the flush, `COMMIT`), counted
//! through the store's observer as `pg_round_trips` counts them.

use crate::support;

use agora_core::command::{ChatRef, Command, Outcome};
use agora_store::Handle;
use support::{fresh_pg, pg_config, register_all, Recorder};

/// The round trips of `command`'s batch (alone), less those that prepared
/// a statement (a statement's first use on a connection, see
/// `pg_round_trips`), after asserting it was not refused.
fn trips_of(handle: &Handle, trips: &Recorder, command: Command) -> (u64, Outcome) {
    let (before, prepared) = (trips.trips_and_batches().0, trips.prepared());
    let outcome = support::run(handle, command.clone());
    assert!(
        !matches!(outcome, Outcome::Failed(_)),
        "{command:?}: {outcome:?}"
    );
    let prepared = trips.prepared() - prepared;
    (trips.trips_and_batches().0 - before - prepared, outcome)
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
    let (handle, trips) = Recorder::open(pg_config(&database));
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
    // A first send to the room.
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
    let (before, prepared) = (trips.trips_and_batches().0, trips.prepared());
    let refused = support::run(&handle, send(carol, "#ops", "let me in"));
    assert!(matches!(refused, Outcome::Failed(_)), "{refused:?}");
    let refusal = trips.trips_and_batches().0 - before - (trips.prepared() - prepared);
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

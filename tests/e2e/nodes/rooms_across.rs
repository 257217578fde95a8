//! Rooms across nodes (issue 25), beyond [`super::rooms`]: a room's history
//! (`GET /messages`) reads alike on every node; what one node does to a
//! membership (leave, invite) holds on the others at once, as no node
//! keeps a membership another node changed.

use super::{Nodes, NO_QUOTA};
use crate::steps::{create_room, events_since, head, ids, invite, join, leave, send_room, tokens};
use serde_json::json;

#[test]
fn a_room_s_history_and_a_leave_hold_on_every_node() {
    let Some(nodes) = Nodes::start(&NO_QUOTA) else {
        return;
    };
    let (mut n0, mut n1, mut n2) = (nodes.client(0), nodes.client(1), nodes.client(2));
    let [alice, bob, carol] = tokens(&mut n0, ["alice", "bob", "carol"]);
    n0.post(
        "/rooms",
        Some(&alice),
        json!({"room": "#Ops", "topic": "on call"}),
    )
    .expect(201);
    // bob joins on node 0, in any case.
    let joined = n0
        .post("/join", Some(&bob), json!({"room": "#ops"}))
        .expect(200);
    assert_eq!(joined["room"], "#Ops");

    // alice sends on node 1; bob's long-poll on node 2 gets it.
    let since = head(&mut n2, &bob);
    let carol_since = head(&mut n2, &carol);
    let mut waiter = nodes.client(2);
    let token = bob.clone();
    let poll = std::thread::spawn(move || events_since(&mut waiter, &token, since, 5));
    std::thread::sleep(std::time::Duration::from_millis(250));
    let id = send_room(&mut n1, &alice, "#OPS", "paged");
    let events = poll.join().expect("long-poll thread");
    let message = events
        .iter()
        .find(|e| e["type"] == "message")
        .unwrap_or_else(|| panic!("no message event: {events:?}"));
    assert_eq!(message["chat_type"], "room");
    assert_eq!(message["chat"], "#Ops");
    assert_eq!(message["message"]["id"], id);

    // Its history reads the same on every node; carol, not a member, gets
    // neither the event nor the history.
    for c in [&mut n0, &mut n1, &mut n2] {
        let page = c.get("/messages?chat=%23ops", Some(&bob)).expect(200);
        assert_eq!(page["chat"], "#Ops");
        let ids = ids(&page["messages"]);
        assert_eq!(ids, [id]);
        c.get("/messages?chat=%23ops", Some(&carol))
            .expect_error(403, "not_a_member");
    }
    let seen = events_since(&mut n2, &carol, carol_since, 0);
    assert!(
        seen.iter().all(|e| e["chat"] != "#Ops"),
        "carol saw the room: {seen:?}"
    );

    // bob leaves on node 2: a send on node 0 no longer reaches him, on any
    // node, and node 1 refuses him the room at once.
    leave(&mut n2, &bob, "#ops");
    let since = head(&mut n1, &bob);
    send_room(&mut n0, &alice, "#ops", "after bob left");
    n1.post(
        "/send",
        Some(&bob),
        json!({"message": "still here?", "send_to": "#ops"}),
    )
    .expect_error(403, "not_a_member");
    for c in [&mut n0, &mut n1, &mut n2] {
        let seen = events_since(c, &bob, since, 0);
        assert!(
            seen.iter().all(|e| e["type"] != "message"),
            "bob got a message after leaving: {seen:?}"
        );
    }
}

#[test]
fn a_private_room_invitation_on_one_node_opens_it_on_another() {
    let Some(nodes) = Nodes::start(&NO_QUOTA) else {
        return;
    };
    let (mut n0, mut n1, mut n2) = (nodes.client(0), nodes.client(1), nodes.client(2));
    let [alice, bob] = tokens(&mut n0, ["alice", "bob"]);
    create_room(&mut n0, &alice, "#secret", "private");
    // To bob, on every node, it does not exist until he is invited.
    for c in [&mut n0, &mut n1, &mut n2] {
        c.post("/join", Some(&bob), json!({"room": "#secret"}))
            .expect_error(404, "room_not_found");
        c.get("/messages?chat=%23secret", Some(&bob))
            .expect_error(404, "room_not_found");
    }
    invite(&mut n1, &alice, "#secret", "bob");
    join(&mut n2, &bob, "#secret");
    let id = send_room(&mut n0, &alice, "#secret", "welcome");
    let page = n1.get("/messages?chat=%23secret", Some(&bob)).expect(200);
    assert_eq!(page["messages"][0]["id"], id);
}

//! (issue 25) A room across nodes: joined on one node, a message sent on
//! another reaches a member's long-poll on a third (each node's hub learns
//! the membership from the `member` event), and nobody outside the room.

use super::{head, Nodes, NO_QUOTA};
use crate::steps::{create_room, invite, join, tokens};
use serde_json::json;
use std::time::Duration;

#[test]
fn join_on_one_node_send_on_another_delivered_on_a_third() {
    let Some(nodes) = Nodes::start(&NO_QUOTA) else {
        return;
    };
    let mut c0 = nodes.client(0);
    let [alice, bob, carol] = tokens(&mut c0, ["alice", "bob", "carol"]);
    create_room(&mut c0, &alice, "#ops", "private");
    invite(&mut c0, &alice, "#ops", "bob");
    join(&mut c0, &bob, "#OPS");

    // bob and carol wait on node 2; alice sends on node 1.
    let waits: Vec<_> = [bob.clone(), carol.clone()]
        .into_iter()
        .map(|token| {
            let mut waiter = nodes.client(2);
            let since = head(&mut waiter, &token);
            std::thread::spawn(move || {
                let target = format!("/events?since={since}&timeout=3");
                waiter.get(&target, Some(&token)).expect(200)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let sent = nodes
        .client(1)
        .post(
            "/send",
            Some(&alice),
            json!({"message": "deploy", "send_to": "#ops"}),
        )
        .expect(201);
    let mut answers = waits.into_iter().map(|w| w.join().expect("long-poll"));
    let to_bob = answers.next().unwrap();
    assert_eq!(to_bob["events"][0]["chat"], "#ops", "{to_bob}");
    assert_eq!(
        to_bob["events"][0]["message"]["id"], sent["message_id"],
        "{to_bob}"
    );
    let to_carol = answers.next().unwrap();
    assert_eq!(to_carol["events"], json!([]), "{to_carol}");
}

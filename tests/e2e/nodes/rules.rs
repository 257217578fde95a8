//! The chat rules are exact across nodes: one user's public quota, and the
//! ban that distinct reporters on different nodes trigger once.

use super::{all_events, try_send, Nodes, RUNTIMES};
use crate::harness::Client;
use crate::steps::{send_public, tokens};
use serde_json::{json, Value};
use std::sync::{Arc, Barrier};

const QUOTA: usize = 20;

#[test]
fn the_public_quota_holds_across_nodes() {
    let quota = QUOTA.to_string();
    let Some(nodes) = Nodes::start(&["--quota", &quota]) else {
        return;
    };
    let mut c = nodes.client(0);
    let [alice, reader] = tokens(&mut c, ["alice", "reader"]);

    // One after another, round-robin: the first QUOTA are accepted, every
    // later one is refused, whichever node it reaches.
    let mut clients: Vec<Client> = (0..RUNTIMES.len()).map(|n| nodes.client(n)).collect();
    let mut accepted = Vec::new();
    for i in 0..3 * QUOTA {
        let node = i % clients.len();
        let reply = try_send(&mut clients[node], &alice, &format!("alice {i}"))
            .unwrap_or_else(|| panic!("node {node} answers send {i}"));
        if i < QUOTA {
            accepted.push(reply.expect(201)["message_id"].as_i64().unwrap());
        } else {
            reply.expect_error(429, "quota_exceeded");
            assert!(reply.header("retry-after").is_some(), "send {i}");
        }
    }
    assert_public_chat(&nodes, &reader, &[("alice", &accepted)]);

    // At once: one thread per node, each trying the whole quota at the same
    // moment as the others.
    let bob = c.token("bob");
    let start = Arc::new(Barrier::new(RUNTIMES.len()));
    let threads: Vec<_> = (0..RUNTIMES.len())
        .map(|node| {
            let (addr, bob, start) = (nodes.addr(node), bob.clone(), start.clone());
            std::thread::spawn(move || {
                let mut c = Client::connect(addr);
                start.wait();
                (0..QUOTA)
                    .map(|i| {
                        try_send(&mut c, &bob, &format!("bob {node}.{i}"))
                            .unwrap_or_else(|| panic!("node {node} answers send {i}"))
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut bobs = Vec::new();
    let mut refused = 0;
    for thread in threads {
        for reply in thread.join().expect("sender thread") {
            match reply.status {
                201 => bobs.push(reply.json()["message_id"].as_i64().unwrap()),
                _ => {
                    reply.expect_error(429, "quota_exceeded");
                    refused += 1;
                }
            }
        }
    }
    assert_eq!(bobs.len(), QUOTA, "exactly the quota accepted at once");
    assert_eq!(refused, 2 * QUOTA);
    bobs.sort_unstable();
    assert_public_chat(&nodes, &reader, &[("alice", &accepted), ("bob", &bobs)]);
}

/// Asserts on every node that the public chat holds exactly the messages
/// `by_author` lists (authors, and their accepted ids in order), through
/// `/connect` (whose history and unread lists make up the whole chat while
/// it is under 100 messages) and `/status`.
fn assert_public_chat(nodes: &Nodes, reader: &str, by_author: &[(&str, &[i64])]) {
    let mut expected: Vec<(i64, &str)> = by_author
        .iter()
        .flat_map(|(author, ids)| ids.iter().map(move |&id| (id, *author)))
        .collect();
    expected.sort_unstable();
    for node in 0..RUNTIMES.len() {
        let mut c = nodes.client(node);
        let chat = c
            .post("/connect", Some(reader), json!({"messages_number": 100}))
            .expect(200);
        let listed: Vec<(i64, &str)> = ["messages", "unread_messages"]
            .iter()
            .flat_map(|list| chat[list].as_array().unwrap())
            .map(|m| (m["id"].as_i64().unwrap(), m["author"].as_str().unwrap()))
            .collect();
        assert_eq!(listed, expected, "the public chat on node {node}");
        let status = c.get("/status", Some(reader)).expect(200);
        assert_eq!(status["chats"][0]["name"], "public_chat");
        assert_eq!(
            status["chats"][0]["messages_number"],
            expected.len(),
            "node {node}: {status}"
        );
    }
}

#[test]
fn distinct_reporters_on_three_nodes_ban_once() {
    let Some(nodes) = Nodes::start(&["--ban-threshold", "3"]) else {
        return;
    };
    let mut c = nodes.client(0);
    // Several rounds: each a new target and three new reporters at once.
    for round in 0..3 {
        let target = c.token(&format!("target{round}"));
        send_public(&mut c, &target, "before the reports");
        let reporters: Vec<String> = (0..RUNTIMES.len())
            .map(|r| c.token(&format!("reporter{round}.{r}")))
            .collect();
        let start = Arc::new(Barrier::new(RUNTIMES.len()));
        let threads: Vec<_> = reporters
            .into_iter()
            .enumerate()
            .map(|(node, reporter)| {
                let (addr, start) = (nodes.addr(node), start.clone());
                let target = format!("target{round}");
                std::thread::spawn(move || {
                    let mut c = Client::connect(addr);
                    start.wait();
                    c.post(
                        "/report",
                        Some(&reporter),
                        json!({"report_on": target, "chat_type": "public"}),
                    )
                    .expect(201)
                })
            })
            .collect();
        let replies: Vec<Value> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let bans: Vec<&Value> = replies
            .iter()
            .filter(|r| !r["banned_until"].is_null())
            .collect();
        assert_eq!(bans.len(), 1, "round {round}: one report bans: {replies:?}");
        let banned_until = &bans[0]["banned_until"];

        let late = c.token(&format!("late{round}"));
        let reply = nodes.client(1).post(
            "/report",
            Some(&late),
            json!({"report_on": format!("target{round}")}),
        );
        assert_eq!(reply.expect(200)["info"], "user is already banned");

        for node in 0..RUNTIMES.len() {
            let banned: Vec<Value> = all_events(nodes.addr(node), &target)
                .into_iter()
                .filter(|e| e["type"] == "banned")
                .collect();
            assert_eq!(banned.len(), 1, "round {round}, node {node}: {banned:?}");
            assert_eq!(&banned[0]["banned_until"], banned_until);
            let reply = nodes.client(node).post(
                "/send",
                Some(&target),
                json!({"message": "after the ban"}),
            );
            reply.expect_error(403, "banned");
            assert!(reply.header("retry-after").is_some());
        }
    }
}

#[test]
fn new_users_per_address_hold_across_nodes() {
    const RATE: usize = 10;
    let rate = RATE.to_string();
    let Some(nodes) = Nodes::start(&["--register-rate", &rate]) else {
        return;
    };
    // At once: each node is asked for RATE users from the same address;
    // RATE are created in all, whichever nodes they reached.
    let start = Arc::new(Barrier::new(RUNTIMES.len()));
    let threads: Vec<_> = (0..RUNTIMES.len())
        .map(|node| {
            let (addr, start) = (nodes.addr(node), start.clone());
            std::thread::spawn(move || {
                let mut c = Client::connect(addr);
                start.wait();
                (0..RATE)
                    .map(|i| {
                        let name = format!("n{node}u{i}");
                        c.post("/get-token", None, json!({ "user_name": name }))
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let replies: Vec<_> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let created = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(created, RATE, "created across nodes");
    for reply in replies.iter().filter(|r| r.status != 200) {
        reply.expect_error(429, "register_rate_exceeded");
        assert!(reply.header("retry-after").is_some());
    }
}

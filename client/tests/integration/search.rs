//! `agora search QUERY [--in CHAT]` (issue 27) against a real server.

use crate::support::{Client, Server};

#[test]
fn search_finds_what_the_user_can_see_newest_first() {
    let server = Server::start(&[]);
    let client = Client::with_users(&server, &["alice", "bob", "carol"]);
    client.ok_as("alice", &["send", "We", "deployed", "the", "Café"]);
    client.ok_as("alice", &["send", "--to", "bob", "deploy", "at", "noon"]);
    client.ok_as("carol", &["send", "--to", "alice", "deploy", "secrets"]);

    // Case, accents and the last word as a prefix; bob does not see carol's.
    let found = client.run_as("bob", &["search", "CAFE", "deplo"]);
    found.assert_out(0, "alice: We deployed the Café");
    let found = client.run_as("bob", &["search", "deplo"]);
    assert_eq!(found.code, 0, "{found:?}");
    let lines: Vec<&str> = found.stdout.lines().collect();
    assert_eq!(lines[0], "in the private chat with alice:", "{found:?}");
    assert!(lines[1].ends_with("alice: deploy at noon"), "{found:?}");
    assert_eq!(lines[2], "in the public chat:", "{found:?}");
    assert!(
        lines[3].ends_with("alice: We deployed the Café"),
        "{found:?}"
    );
    assert!(!found.stdout.contains("secrets"), "{found:?}");

    // --in narrows to one chat; --json prints the server's answer.
    // (Given after the words, it is still --in, not two more words.)
    let only = client.run_as("bob", &["search", "deplo", "--in", "public_chat"]);
    only.assert_out(0, "alice: We deployed the Café");
    assert!(!only.stdout.contains("noon"), "{only:?}");
    let before = client.run_as("bob", &["search", "--in", "alice", "deplo"]);
    before.assert_out(0, "alice: deploy at noon");
    assert!(!before.stdout.contains("Café"), "{before:?}");
    let json = client.run_as("alice", &["--json", "search", "secrets"]);
    assert_eq!(json.code, 0, "{json:?}");
    let body: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(body["results"][0]["chat"], "carol");
    // A room: its results under the room's name as created; --in '#room'
    // narrows to it; an outsider is refused.
    let created = client.run_as("alice", &["room", "create", "Ops"]);
    assert_eq!(created.code, 0, "{created:?}");
    client.ok_as("alice", &["send", "--to", "#ops", "deploy", "the", "room"]);
    let outside = client.run_as("bob", &["search", "deplo", "--in", "#ops"]);
    outside.assert_err(1, "not_a_member");
    let joined = client.run_as("bob", &["room", "join", "#ops"]);
    assert_eq!(joined.code, 0, "{joined:?}");
    let room = client.run_as("bob", &["search", "deplo", "--in", "#OPS"]);
    assert_eq!(room.code, 0, "{room:?}");
    let lines: Vec<&str> = room.stdout.lines().collect();
    assert_eq!(lines[0], "in the room #Ops:", "{room:?}");
    assert!(lines[1].ends_with("alice: deploy the room"), "{room:?}");
    assert_eq!(lines.len(), 2, "{room:?}");
    client.expect_runs(&[
        ("bob", &["search", "nothing"], 0, "no messages match"),
        ("bob", &["search", "!!"], 1, "invalid_query"),
    ]);
}

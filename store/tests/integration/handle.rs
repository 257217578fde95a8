//! `Handle` with the real chat rules: what a client sees survives a restart.

use crate::support;

use agora_core::command::{ChatRef, Command, Outcome};
use agora_store::Handle;
use support::{config, private_send, public_send, register_all, run};

#[test]
fn sends_survive_a_restart_and_ids_keep_increasing() {
    let (_dir, path) = support::temp_database();

    let handle = Handle::open(config(&path)).unwrap();
    let [alice, bob] = register_all(&handle, ["alice", "bob"]);
    let first = match run(&handle, public_send(alice, "hello")) {
        Outcome::MessageSent { message_id, .. } => message_id,
        other => panic!("{other:?}"),
    };
    let private = private_send(bob, "ALICE", "psst");
    assert!(matches!(run(&handle, private), Outcome::MessageSent { .. }));
    handle.shutdown();

    let handle = Handle::open(config(&path)).unwrap();
    let second = match run(&handle, public_send(bob, "again")) {
        Outcome::MessageSent { message_id, .. } => message_id,
        other => panic!("{other:?}"),
    };
    assert!(
        second > first + 1,
        "{second} after {first} and a private one"
    );
    let connect = Command::Connect {
        caller: alice,
        chat: ChatRef::Public,
        messages_number: 20,
    };
    match run(&handle, connect) {
        Outcome::Connected {
            chat,
            messages,
            unread_messages,
            ..
        } => {
            assert_eq!(chat, "public_chat");
            let all: Vec<_> = messages.iter().chain(&unread_messages).collect();
            let texts: Vec<_> = all.iter().map(|m| m.text.as_str()).collect();
            assert_eq!(texts, ["hello", "again"]);
            assert_eq!(all[0].author, "alice");
            assert!(all[0].pub_date <= all[1].pub_date);
        }
        other => panic!("{other:?}"),
    }
    match run(&handle, Command::Status { caller: alice }) {
        Outcome::Status(report) => {
            assert_eq!(report.connected_as, "alice");
            assert_eq!(report.chats.len(), 2);
            assert_eq!(report.chats[0].messages_number, 2);
            assert_eq!(report.chats[1].unread, 1);
        }
        other => panic!("{other:?}"),
    }
    // The name is still taken, without regard to case.
    let again = Command::GetToken {
        user_name: "Alice".into(),
        token: agora_core::token::Token([9; 16]),
        client: std::net::Ipv4Addr::LOCALHOST.into(),
    };
    assert!(matches!(run(&handle, again), Outcome::Failed(_)));
}

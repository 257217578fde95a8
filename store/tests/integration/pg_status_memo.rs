//! (issue 23) `Status` on PostgreSQL is memoized per token and checked
//! against the database's committed state: an answer never misses a write
//! that was committed before the request, whichever node (or client that is
//! no node at all) wrote it, and with nothing committed the memo answers.

use crate::support;

use agora_core::command::{Command, Outcome, StatusReport};
use agora_core::token::TokenHash;
use agora_core::view::ChatKind;
use agora_store::Handle;
use agora_tests::pg::PgDatabase;
use std::sync::Arc;
use support::{fresh_pg, pg_config, public_send, register, register_all, Recorder};

/// A node on `database`, and what its observer heard.
fn node(database: &PgDatabase) -> (Handle, Arc<Recorder>) {
    let mut config = pg_config(database);
    config.rules.quota = u32::MAX;
    Recorder::open(config)
}

fn status(node: &Handle, caller: TokenHash) -> StatusReport {
    match support::run(node, Command::Status { caller }) {
        Outcome::Status(report) => report,
        other => panic!("status: {other:?}"),
    }
}

/// The public chat's (message count, unread) in a status.
fn public(report: &StatusReport) -> (u64, u64) {
    let chat = report
        .chats
        .iter()
        .find(|c| c.kind == ChatKind::Public)
        .expect("the public chat");
    (chat.messages_number, chat.unread)
}

/// Node `a` answers `ann`'s status again and again (from its memo while
/// nothing commits); node `b` sends a message and has it acknowledged; the
/// next status on `a` counts it, every time, although `a` hears of it (the
/// feed's NOTIFY) only after `b`'s COMMIT.
#[test]
fn a_status_counts_every_message_another_node_acknowledged() {
    let Some(database) = fresh_pg() else { return };
    let (a, heard) = node(&database);
    let (b, _) = node(&database);
    let [ann, bob] = register_all(&b, ["ann", "bob"]);
    for sent in 0..30 {
        // Twice: the second may come from the memo.
        assert_eq!(public(&status(&a, ann)), (sent, sent));
        assert_eq!(public(&status(&a, ann)), (sent, sent));
        let outcome = support::run(&b, public_send(bob, &format!("m{sent}")));
        assert!(support::is_sent(&outcome), "{outcome:?}");
        assert_eq!(
            public(&status(&a, ann)),
            (sent + 1, sent + 1),
            "node a's status after node b acknowledged message {sent}"
        );
    }
    assert!(
        heard.memo_hits() > 0,
        "the memo answered some of them (else this tests no memo)"
    );
}

/// Any committed transaction counts, not only a node's: a report written
/// straight into the database shows in the next status.
#[test]
fn a_status_shows_a_write_committed_outside_agora() {
    let Some(database) = fresh_pg() else { return };
    let (a, heard) = node(&database);
    let ann = register(&a, "ann");
    register(&a, "bob");
    assert_eq!(status(&a, ann).cautions, 0);
    // Any commit in the cluster moves the snapshot the memo checks, and the
    // other tests' databases share this cluster: ask again until an answer
    // comes from the memo.
    for _ in 0..500 {
        assert_eq!(status(&a, ann).cautions, 0);
        if heard.memo_hits() > 0 {
            break;
        }
    }
    assert!(heard.memo_hits() > 0, "a status came from the memo");
    let mut admin = postgres::Client::connect(database.url(), postgres::NoTls).unwrap();
    admin
        .execute(
            "INSERT INTO reports (target, reporter, created)
             SELECT a.id, b.id, 0 FROM users a, users b
             WHERE a.name = 'ann' AND b.name = 'bob'",
            &[],
        )
        .unwrap();
    assert_eq!(status(&a, ann).cautions, 1, "the report committed outside");
}

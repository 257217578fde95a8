//! (issue 23) The rows a send and a comment insert are checked against no
//! foreign key on PostgreSQL (each check was a locking lookup of the parent
//! row, at the end of the flush, with the write lock every node shares
//! held; none could fail: see the migration in `pg::schema`), while the
//! REFERENCES off the send path stay.

use crate::support;

use agora_core::command::{Command, Outcome};
use support::{fresh_pg, pg_config, public_send, register_all};

/// The tables of `names` holding foreign keys, each with their number.
fn references(url: &str, names: &[&str]) -> Vec<String> {
    let list = names
        .iter()
        .map(|name| format!("'{name}'"))
        .collect::<Vec<_>>()
        .join(", ");
    support::pg_column(
        url,
        &format!(
            "SELECT conrelid::regclass::text || ' ' || count(*) FROM pg_constraint
             WHERE contype = 'f' AND conrelid::regclass::text IN ({list})
             GROUP BY conrelid ORDER BY 1"
        ),
    )
}

#[test]
fn sends_and_comments_insert_rows_no_foreign_key_checks() {
    let Some(database) = fresh_pg() else { return };
    let handle = agora_store::Handle::open(pg_config(&database)).expect("the store opens");
    let [alice, bob] = register_all(&handle, ["alice", "bob"]);
    let Outcome::MessageSent { message_id, .. } =
        support::run(&handle, public_send(alice, "hello there"))
    else {
        panic!("not sent")
    };
    let commented = support::run(
        &handle,
        Command::Comment {
            caller: bob,
            message_id,
            text: "hi".into(),
        },
    );
    assert!(!matches!(commented, Outcome::Failed(_)), "{commented:?}");
    handle.shutdown();
    let url = database.url();
    assert_eq!(
        references(url, &["messages", "comments", "message_search", "events"]),
        Vec::<String>::new()
    );
    assert_eq!(
        references(url, &["chats", "members", "reports", "reactions"]),
        ["chats 2", "members 2", "reactions 2", "reports 2"]
    );
}

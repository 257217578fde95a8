//! (test) The two backends' schemas cannot drift apart unseen.
//!
//! Each backend's migrations are its history, written once in its own
//! dialect and never run again once applied (PostgreSQL's started later
//! and folds several of SQLite's into its first): they are not generated
//! from one template. What the pair really risks is a column or an index
//! added to one backend and not the other. So this test migrates a fresh
//! SQLite database and a fresh PostgreSQL database with the store's own
//! migrations and compares their final schemas: the same tables, the same
//! columns per table with the same type class and nullability, the same
//! primary keys, the same indexes by columns (and by name where made by
//! `CREATE INDEX`). Every difference found must be one of [`BY_DESIGN`],
//! and every one listed there must still be found. (Foreign keys and
//! defaults are not compared.)

mod catalog;

use crate::pg::connection::PgConn;
use crate::sqlite::open::open_connection;
use crate::SyncMode;
use agora_core::time::UnixMillis;
use agora_tests::pg::{skipped, PgDatabase};
use std::collections::BTreeSet;

/// Tables whose presence alone is compared: search, which each backend
/// builds from its own machinery (issue 27, `sqlite/search.rs` and
/// `pg/search.rs`). `message_search` is an FTS5 virtual table of words on
/// SQLite (its shadow tables are FTS5's own and not listed) and a table of
/// `tsvector`s by chat and message with a GIN index on PostgreSQL;
/// `message_search_terms` counts the messages of each word on SQLite and of
/// each `<chat id>:<word>` lexeme on PostgreSQL.
const PRESENCE_ONLY: [&str; 2] = ["message_search", "message_search_terms"];

/// The differences the two schemas have on purpose, each with why.
const BY_DESIGN: [&str; 6] = [
    // A JSON string may carry U+0000, which a PostgreSQL `text` cannot
    // hold: message and comment texts are UTF-8 in a `bytea` there
    // (`pg::schema`).
    "column comments.text: text on sqlite, bytes on postgresql",
    "column messages.text: text on sqlite, bytes on postgresql",
    // Failed logins are pruned oldest first: by SQLite's rowid, by an
    // identity column on PostgreSQL, which has no rowid.
    "column login_failures.id: only on postgresql",
    "table login_failures: primary key () on sqlite, (id) on postgresql",
    // Expired idempotency keys are pruned oldest first: SQLite reads its
    // first rowids (no index to write with every keyed request),
    // PostgreSQL this index.
    "index idempotency_keys(created_at) named idempotency_keys_created: only on postgresql",
    // `GET /users` pages names in byte order of their key: SQLite's unique
    // index on `name_key` (BINARY) is in that order, PostgreSQL's follows
    // the database's collation, so it has this one in `COLLATE "C"`.
    "index users(name_key) named users_by_name_key_bytes: only on postgresql",
];

#[test]
fn sqlite_and_postgresql_schemas_differ_only_by_design() {
    let Some(database) = PgDatabase::fresh() else {
        skipped("the schemas of SQLite and PostgreSQL compared");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = open_connection(&dir.path().join("agora.db"), SyncMode::Full, UnixMillis(0));
    let sqlite = catalog::sqlite_schema(&sqlite.unwrap(), &PRESENCE_ONLY);
    let mut pg = PgConn::connect(&database.url().parse().unwrap(), "agora test").unwrap();
    crate::pg::schema::migrate(&mut pg, UnixMillis(0)).unwrap();
    let pg = catalog::pg_schema(&mut pg, &PRESENCE_ONLY);

    // The comparison sees what it must: every table with its columns.
    for table in ["users", "chats", "members", "messages", "events", "devices"] {
        assert!(sqlite.get(table).is_some_and(|t| t.is_some()), "{table}");
    }
    let found = catalog::differences(&sqlite, &pg);
    let expected: BTreeSet<String> = BY_DESIGN.iter().map(|d| d.to_string()).collect();
    let unlisted: Vec<&String> = found.difference(&expected).collect();
    let gone: Vec<&String> = expected.difference(&found).collect();
    assert!(
        unlisted.is_empty() && gone.is_empty(),
        "the schemas differ where BY_DESIGN does not say so: {unlisted:#?}\n\
         listed in BY_DESIGN but no longer found: {gone:#?}"
    );
}

/// The comparison itself, without PostgreSQL: two SQLite schemas (the
/// second in PostgreSQL's place) that differ by a column, a NOT NULL and
/// an index are found to differ by exactly those.
#[test]
fn a_column_nullability_or_index_on_one_side_is_a_difference() {
    let a = rusqlite::Connection::open_in_memory().unwrap();
    let b = rusqlite::Connection::open_in_memory().unwrap();
    a.execute_batch(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT NOT NULL, u TEXT UNIQUE);
         CREATE INDEX t_by_x ON t(x);",
    )
    .unwrap();
    b.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT, u TEXT UNIQUE, y BLOB);")
        .unwrap();
    let found = catalog::differences(
        &catalog::sqlite_schema(&a, &[]),
        &catalog::sqlite_schema(&b, &[]),
    );
    let expected = [
        "column t.x: NOT NULL only on sqlite",
        "column t.y: only on postgresql",
        "index t(x) named t_by_x: only on sqlite",
    ];
    assert_eq!(found, BTreeSet::from(expected.map(String::from)));
}

//! The shared statements checked on both engines: SQLite numbers their
//! parameters as PostgreSQL does, both prepare them with as many, and a
//! repeated parameter is bound once on each.

use super::{ALL, CHATS_OF, INVITE, NEW_DEVICE, NEW_MEMBER, NEW_USER, UNINVITE};
use crate::pg::connection::PgConn;
use crate::sqlite::open::open_connection;
use crate::SyncMode;
use agora_core::time::UnixMillis;
use agora_core::view::PUBLIC_CHAT;
use agora_tests::pg::{skipped, PgDatabase};
use postgres::types::ToSql;
use rusqlite::Connection;

/// A migrated SQLite database in a fresh folder (kept alive by the
/// `TempDir`).
fn sqlite_database() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn = open_connection(&dir.path().join("agora.db"), SyncMode::Full, UnixMillis(0));
    (dir, conn.unwrap())
}

/// A migrated PostgreSQL database, or `None` (said skipped) without one.
fn pg_database(test: &str) -> Option<(PgDatabase, PgConn)> {
    let Some(database) = PgDatabase::fresh() else {
        skipped(test);
        return None;
    };
    let mut conn = PgConn::connect(&database.url().parse().unwrap(), "agora test").unwrap();
    crate::pg::schema::migrate(&mut conn, UnixMillis(0)).unwrap();
    Some((database, conn))
}

/// User ann, made by [`NEW_USER`] on SQLite: its id.
fn sqlite_user(conn: &Connection) -> i64 {
    let values = rusqlite::params!["ann", "ann", &[1u8; 32][..], 5, "::1"];
    conn.query_row(NEW_USER, values, |r| r.get(0)).unwrap()
}

/// User ann, made by [`NEW_USER`] on PostgreSQL: its id.
fn pg_user(pg: &mut PgConn) -> i64 {
    let values: [&(dyn ToSql + Sync); 5] = [&"ann", &"ann", &&[1u8; 32][..], &5i64, &"::1"];
    pg.query_one(NEW_USER, &values).unwrap().get(0)
}

/// How many parameters SQLite finds in `sql`, each checked to be `$i` at
/// index `i`: what makes rusqlite's bind by index bind `$i`.
fn sqlite_parameters(conn: &Connection, sql: &str) -> usize {
    let stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let count = stmt.parameter_count();
    for index in 1..=count {
        let expected = format!("${index}");
        assert_eq!(
            stmt.parameter_name(index),
            Some(expected.as_str()),
            "parameter {index} of {sql}"
        );
    }
    count
}

#[test]
fn sqlite_indexes_dollar_parameters_by_first_appearance() {
    let conn = Connection::open_in_memory().unwrap();
    // A repeated name is one parameter, bound once.
    let repeated: (i64, i64, i64) = conn
        .query_row("SELECT $1, $2, $1", [10, 20], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(repeated, (10, 20, 10));
    // The digits do not count: `$2` named first is index 1. So the shared
    // statements name theirs in order (checked below).
    let swapped: (i64, i64) = conn
        .query_row("SELECT $2, $1", [10, 20], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(swapped, (10, 20));
}

#[test]
fn every_shared_statement_names_its_sqlite_parameters_in_order() {
    let (_dir, conn) = sqlite_database();
    for sql in ALL {
        assert!(sqlite_parameters(&conn, sql) > 0, "{sql}");
    }
}

#[test]
fn every_shared_statement_prepares_on_postgresql_with_as_many_parameters() {
    let Some((_database, mut pg)) = pg_database("statements prepare on PostgreSQL") else {
        return;
    };
    let (_dir, sqlite) = sqlite_database();
    for sql in ALL {
        let prepared = pg
            .client()
            .prepare(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert_eq!(
            prepared.params().len(),
            sqlite_parameters(&sqlite, sql),
            "{sql}"
        );
    }
}

const HASH: [u8; 32] = [7; 32];

#[test]
fn a_device_is_created_and_last_used_at_its_one_time_on_sqlite() {
    let (_dir, conn) = sqlite_database();
    let user = sqlite_user(&conn);
    let device: i64 = conn
        .query_row(
            NEW_DEVICE,
            rusqlite::params![user, &HASH[..], "phone", 42],
            |r| r.get(0),
        )
        .unwrap();
    let times: (i64, i64, i64) = conn
        .query_row(
            "SELECT user_id, created, last_used FROM devices WHERE id = ?1",
            [device],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(times, (user, 42, 42));
}

#[test]
fn a_device_is_created_and_last_used_at_its_one_time_on_postgresql() {
    let Some((_database, mut pg)) = pg_database("a device's one time on PostgreSQL") else {
        return;
    };
    let user = pg_user(&mut pg);
    let device: i64 = pg
        .query_one(NEW_DEVICE, &[&user, &&HASH[..], &"phone", &42i64])
        .unwrap()
        .get(0);
    let row = pg
        .query_one(
            "SELECT user_id, created, last_used FROM devices WHERE id = $1",
            &[&device],
        )
        .unwrap();
    let times: (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(times, (user, 42, 42));
}

// `View::join` and `set_invited` read "already there" from a row count of
// 0 (the rules never offer either twice, so the model tests cannot see it):
// `ON CONFLICT DO NOTHING` must skip the second row on both engines, not
// fail, and not touch the row that is there.

#[test]
fn a_second_membership_or_invitation_changes_nothing_on_sqlite() {
    let (_dir, conn) = sqlite_database();
    let user = sqlite_user(&conn);
    let run = |sql: &str, values: &[i64]| -> usize {
        let values = rusqlite::params_from_iter(values);
        conn.execute(sql, values)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    let members = [
        run(NEW_MEMBER, &[user, PUBLIC_CHAT, 3]),
        run(NEW_MEMBER, &[user, PUBLIC_CHAT, 9]),
    ];
    let invites = [
        run(INVITE, &[PUBLIC_CHAT, user]),
        run(INVITE, &[PUBLIC_CHAT, user]),
    ];
    assert_eq!((members, invites), ([1, 0], [1, 0]));
    let position: i64 = conn
        .query_row(
            "SELECT position FROM members WHERE user_id = ?1",
            [user],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(position, 3);
    assert_eq!(run(UNINVITE, &[PUBLIC_CHAT, user]), 1);
}

/// The rows `sql` changed on PostgreSQL.
fn pg_run(pg: &mut PgConn, sql: &'static str, values: &[&(dyn ToSql + Sync)]) -> u64 {
    pg.execute(sql, values)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[test]
fn a_second_membership_or_invitation_changes_nothing_on_postgresql() {
    let Some((_database, mut pg)) = pg_database("a second membership on PostgreSQL") else {
        return;
    };
    let user = pg_user(&mut pg);
    let members = [
        pg_run(&mut pg, NEW_MEMBER, &[&user, &PUBLIC_CHAT, &3i64]),
        pg_run(&mut pg, NEW_MEMBER, &[&user, &PUBLIC_CHAT, &9i64]),
    ];
    let invites = [
        pg_run(&mut pg, INVITE, &[&PUBLIC_CHAT, &user]),
        pg_run(&mut pg, INVITE, &[&PUBLIC_CHAT, &user]),
    ];
    assert_eq!((members, invites), ([1, 0], [1, 0]));
    let position: i64 = pg
        .query_one("SELECT position FROM members WHERE user_id = $1", &[&user])
        .unwrap()
        .get(0);
    assert_eq!(position, 3);
    assert_eq!(pg_run(&mut pg, UNINVITE, &[&PUBLIC_CHAT, &user]), 1);
}

#[test]
fn sqlite_reads_the_chats_of_a_user_in_order_without_a_sort() {
    let (_dir, conn) = sqlite_database();
    let mut stmt = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {CHATS_OF}"))
        .unwrap();
    let plan: Vec<String> = stmt
        .query_map([1], |r| r.get(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        plan.iter().any(|step| step.contains("m USING PRIMARY KEY")),
        "{plan:?}"
    );
    assert!(
        !plan.iter().any(|step| step.contains("TEMP B-TREE")),
        "{plan:?}"
    );
}

//! What the `PgView` unit tests share: a fresh migrated database with a
//! transaction open, and users registered in it (in any view: the tests
//! that run one case on both wings, `crate::membership`'s, register theirs
//! here too).

use crate::pg::connection::PgConn;
use crate::pg::schema::migrate;
use crate::pg::url::PostgresUrl;
use crate::pg::view::PgView;
use agora_core::time::UnixMillis;
use agora_core::token::TokenHash;
use agora_core::view::{ChatId, NewRoom, NewUser, UserId, View};
use agora_tests::pg::{skipped, PgDatabase};

pub(crate) const T0: UnixMillis = UnixMillis(1_795_939_565_000);

/// A fresh database (dropped with the first of the pair), migrated at
/// `T0`, and a connection to it outside any transaction; `None` (the test
/// `test` said skipped) when no PostgreSQL is configured.
pub(super) fn fresh_database(test: &str) -> Option<(PgDatabase, PgConn)> {
    let Some(database) = PgDatabase::fresh() else {
        skipped(test);
        return None;
    };
    let url: PostgresUrl = database.url().parse().unwrap();
    let mut conn = PgConn::connect(&url, "agora test").unwrap();
    migrate(&mut conn, T0).unwrap();
    Some((database, conn))
}

/// [`fresh_database`], with the connection inside `BEGIN`.
pub(crate) fn fresh_transaction(test: &str) -> Option<(PgDatabase, PgConn)> {
    let (database, mut conn) = fresh_database(test)?;
    conn.batch("BEGIN").unwrap();
    Some((database, conn))
}

/// Registers user `name` with the token hash `[byte; 32]` at `T0`.
pub(crate) fn add_user(view: &mut impl View, name: &str, byte: u8) -> UserId {
    let new = NewUser {
        name,
        hash: &TokenHash([byte; 32]),
        origin: "127.0.0.1",
        now: T0,
    };
    view.create_user(new).unwrap()
}

/// Creates the public room `name` at `T0`.
pub(super) fn add_room(view: &mut PgView<'_>, name: &str) -> ChatId {
    let room = NewRoom {
        name,
        public: true,
        topic: "",
        now: T0,
    };
    view.create_room(room).unwrap()
}

//! A database file opened straight, without the store's threads, for the
//! tests of `SqlView` and the schema: the file, a view in a transaction, and
//! users made on it.

use agora_core::time::UnixMillis;
use agora_core::view::UserId;
use agora_store::{open_database, SqlView, StoreConfig};
use rusqlite::Connection;

/// The time these tests make their rows at.
pub const T0: UnixMillis = UnixMillis(1_795_939_565_000);

/// A migrated database `agora.db` in a fresh folder, and a connection to it;
/// the folder goes when the `TempDir` is dropped, so keep it alive.
pub fn view_database() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn = reopen(&dir);
    (dir, conn)
}

/// The database in `dir` opened again, migrated to this build's schema: what
/// a restart does to a file an older build left.
pub fn reopen(dir: &tempfile::TempDir) -> Connection {
    open_database(&StoreConfig::sqlite(dir.path().join("agora.db"))).expect("open")
}

/// Runs `f` on a view inside a transaction that is committed afterwards.
pub fn with_view<R>(conn: &mut Connection, f: impl FnOnce(&mut SqlView<'_>) -> R) -> R {
    let tx = conn.transaction().unwrap();
    let result = f(&mut SqlView::new(&tx));
    tx.commit().unwrap();
    result
}

/// A user `name` registered from 127.0.0.1 at `T0` with the token hash
/// `[n; 32]`.
pub fn new_user(v: &mut SqlView<'_>, name: &str, n: u8) -> UserId {
    super::add_user(v, name, n, T0).unwrap()
}

/// Users `names[0]`, `names[1]`, ... made as [`new_user`] makes them, with
/// the token hashes `[1; 32]`, `[2; 32]`, ... in order.
pub fn new_users<const N: usize>(v: &mut SqlView<'_>, names: [&str; N]) -> [UserId; N] {
    std::array::from_fn(|i| new_user(v, names[i], i as u8 + 1))
}

/// The one value `sql` selects (its first column of its first row).
pub fn sql_value<T: rusqlite::types::FromSql>(conn: &Connection, sql: &str) -> T {
    conn.query_row(sql, [], |row| row.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

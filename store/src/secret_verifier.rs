//! The server secret's verifier (issue 28, `agora_core::server_secret`):
//! the one-row table `server_secret` holds what the first node that opened
//! the database wrote; every later start compares its own. A node with
//! another secret would fail every replay of a kept answer and answer
//! `idempotency_key_reused` to honest retries: it refuses to start instead.
//!
//! The first start writes the row (a concurrent first start of another
//! node on PostgreSQL: one insert wins, the other reads it and compares).

use crate::error::OpenError;
use crate::pg::connection::{describe, PgConn};
use rusqlite::{params, Connection, OptionalExtension};

/// Writes `verifier` if the database has none yet, then checks that the
/// database's is `verifier`.
pub(crate) fn check_sqlite(conn: &Connection, verifier: &[u8; 32]) -> Result<(), OpenError> {
    let fail = |e: rusqlite::Error| OpenError::Verifier(e.to_string());
    conn.execute(
        "INSERT OR IGNORE INTO server_secret (id, verifier) VALUES (1, ?1)",
        params![&verifier[..]],
    )
    .map_err(fail)?;
    let kept: Option<Vec<u8>> = conn
        .query_row(
            "SELECT verifier FROM server_secret WHERE id = 1",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(fail)?;
    compare(kept, verifier)
}

/// The same on PostgreSQL.
pub(crate) fn check_postgres(conn: &mut PgConn, verifier: &[u8; 32]) -> Result<(), OpenError> {
    let fail = |e: postgres::Error| OpenError::Verifier(describe(&e));
    conn.execute(
        "INSERT INTO server_secret (id, verifier) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        &[&&verifier[..]],
    )
    .map_err(fail)?;
    let kept = conn
        .query_opt("SELECT verifier FROM server_secret WHERE id = 1", &[])
        .map_err(fail)?
        .map(|row| row.get::<_, Vec<u8>>(0));
    compare(kept, verifier)
}

fn compare(kept: Option<Vec<u8>>, verifier: &[u8; 32]) -> Result<(), OpenError> {
    match kept {
        Some(kept) if kept == verifier => Ok(()),
        Some(_) => Err(OpenError::OtherSecret),
        None => Err(OpenError::Verifier(
            "the verifier row was not written".into(),
        )),
    }
}

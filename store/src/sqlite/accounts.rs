//! Accounts and devices (issue 28) over SQLite: [`Accounts`] for
//! [`SqlView`], on the tables of the accounts migration.

use super::view::{store_error, SqlView};
use crate::statements;
use crate::user_rows::user_where;
use agora_core::accounts::{Accounts, Device, DeviceId, LoginFailure, NewDevice};
use agora_core::time::UnixMillis;
use agora_core::token::TokenHash;
use agora_core::view::{Recent, UserId, ViewResult};
use rusqlite::{params, OptionalExtension, Row};

/// A user by one of its device tokens, with the columns `user_from_row`
/// reads.
pub(super) const USER_BY_DEVICE: &str =
    user_where!("id = (SELECT user_id FROM devices WHERE token_hash = ?1)");

const DEVICE_COLUMNS: &str = "SELECT id, user_id, label, created, last_used FROM devices";

/// Failed logins older than the window pruned per failure recorded.
const PRUNE_PER_FAILURE: u32 = 16;

fn device_from_row(row: &Row<'_>) -> rusqlite::Result<Device> {
    Ok(Device {
        id: row.get(0)?,
        user: row.get(1)?,
        label: row.get(2)?,
        created: UnixMillis(row.get(3)?),
        last_used: UnixMillis(row.get(4)?),
    })
}

impl SqlView<'_> {
    /// The times `sql` selects with `recent`'s key, since and limit as its
    /// parameters 1, 2 and 3.
    pub(super) fn times(&self, sql: &str, recent: Recent<'_>) -> ViewResult<Vec<UnixMillis>> {
        let Recent { key, since, limit } = recent;
        self.conn
            .prepare_cached(sql)
            .and_then(|mut stmt| {
                stmt.query_map(params![key, since.0, limit], |r| Ok(UnixMillis(r.get(0)?)))?
                    .collect()
            })
            .map_err(store_error)
    }
}

impl Accounts for SqlView<'_> {
    fn device_by_token(&mut self, hash: &TokenHash) -> ViewResult<Option<Device>> {
        let sql = format!("{DEVICE_COLUMNS} WHERE token_hash = ?1");
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut stmt| stmt.query_row([&hash.0[..]], device_from_row).optional())
            .map_err(store_error)
    }

    fn devices_of(&mut self, user: UserId) -> ViewResult<Vec<Device>> {
        let sql = format!("{DEVICE_COLUMNS} WHERE user_id = ?1 ORDER BY id");
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut stmt| stmt.query_map([user], device_from_row)?.collect())
            .map_err(store_error)
    }

    fn add_device(&mut self, new: NewDevice<'_>) -> ViewResult<DeviceId> {
        let NewDevice { hash, now, .. } = new;
        self.conn
            .prepare_cached(statements::NEW_DEVICE)
            .and_then(|mut stmt| {
                let values = params![new.user, &hash.0[..], new.label, now.0];
                stmt.query_row(values, |row| row.get(0))
            })
            .map_err(store_error)
    }

    fn revoke_device(&mut self, id: DeviceId) -> ViewResult<Option<TokenHash>> {
        let hash: Option<Vec<u8>> = self
            .conn
            .prepare_cached("DELETE FROM devices WHERE id = ?1 RETURNING token_hash")
            .and_then(|mut stmt| stmt.query_row([id], |r| r.get(0)).optional())
            .map_err(store_error)?;
        // The writer's row cache finds users by token: it must not find this
        // one again (revocations are rare; forgetting all is simplest).
        if let Some(rows) = self.rows.as_mut() {
            rows.clear();
        }
        Ok(hash.and_then(|h| h.try_into().ok().map(TokenHash)))
    }

    fn touch_device(&mut self, id: DeviceId, now: UnixMillis) -> ViewResult<()> {
        self.conn
            .prepare_cached("UPDATE devices SET last_used = ?2 WHERE id = ?1")
            .and_then(|mut stmt| stmt.execute(params![id, now.0]))
            .map(drop)
            .map_err(store_error)
    }

    fn password_of(&mut self, user: UserId) -> ViewResult<Option<String>> {
        self.conn
            .prepare_cached("SELECT phc FROM passwords WHERE user_id = ?1")
            .and_then(|mut stmt| stmt.query_row([user], |r| r.get(0)).optional())
            .map_err(store_error)
    }

    fn set_password(&mut self, user: UserId, phc: &str) -> ViewResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO passwords (user_id, phc) VALUES (?1, ?2)
                 ON CONFLICT (user_id) DO UPDATE SET phc = excluded.phc",
            )
            .and_then(|mut stmt| stmt.execute(params![user, phc]))
            .map(drop)
            .map_err(store_error)
    }

    fn login_failures_of_name(&mut self, recent: Recent<'_>) -> ViewResult<Vec<UnixMillis>> {
        self.times(
            "SELECT at FROM login_failures WHERE name_key = ?1 AND at >= ?2
             ORDER BY at DESC LIMIT CAST(?3 AS INTEGER)",
            recent,
        )
    }

    fn login_failures_from(&mut self, recent: Recent<'_>) -> ViewResult<Vec<UnixMillis>> {
        self.times(
            "SELECT at FROM login_failures WHERE origin = ?1 AND at >= ?2
             ORDER BY at DESC LIMIT CAST(?3 AS INTEGER)",
            recent,
        )
    }

    fn record_login_failure(&mut self, failure: LoginFailure<'_>) -> ViewResult<()> {
        // Rows come in time order: the oldest are the first rowids.
        let expired = failure.expired_before();
        self.conn
            .prepare_cached(
                "DELETE FROM login_failures WHERE rowid IN
                   (SELECT rowid FROM login_failures WHERE at < ?1
                    ORDER BY rowid LIMIT CAST(?2 AS INTEGER))",
            )
            .and_then(|mut stmt| stmt.execute(params![expired.0, PRUNE_PER_FAILURE]))
            .and_then(|_| {
                self.conn
                    .prepare_cached(
                        "INSERT INTO login_failures (name_key, origin, at) VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![failure.name_key, failure.origin, failure.now.0])
            })
            .map(drop)
            .map_err(store_error)
    }

    fn clear_login_failures_of_name(&mut self, name_key: &str) -> ViewResult<()> {
        self.conn
            .prepare_cached("DELETE FROM login_failures WHERE name_key = ?1")
            .and_then(|mut stmt| stmt.execute(params![name_key]))
            .map(drop)
            .map_err(store_error)
    }
}

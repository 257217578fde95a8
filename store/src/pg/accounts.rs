//! Accounts and devices (issue 28) over PostgreSQL: [`Accounts`] for
//! [`PgView`], on the tables of the accounts migration. No node keeps a
//! device between transactions, so a revoked token finds no user on any
//! node once the revoking transaction committed.

use super::view::{store_error, PgView};
use crate::statements;
use crate::user_rows::user_where;
use agora_core::accounts::{Accounts, Device, DeviceId, LoginFailure, NewDevice};
use agora_core::time::UnixMillis;
use agora_core::token::TokenHash;
use agora_core::view::{Recent, UserId, ViewResult};
use postgres::Row;

/// A user by one of its device tokens, with the columns `user_from_row`
/// reads.
pub(super) const USER_BY_DEVICE: &str =
    user_where!("id = (SELECT user_id FROM devices WHERE token_hash = $1)");

/// Failed logins older than the window pruned per failure recorded.
const PRUNE_PER_FAILURE: i64 = 16;

fn device_from_row(row: &Row) -> Device {
    Device {
        id: row.get(0),
        user: row.get(1),
        label: row.get(2),
        created: UnixMillis(row.get(3)),
        last_used: UnixMillis(row.get(4)),
    }
}

impl PgView<'_> {
    /// The times `sql` selects with `recent`'s key, since and limit as its
    /// parameters 1, 2 and 3.
    pub(super) fn times(
        &mut self,
        sql: &'static str,
        recent: Recent<'_>,
    ) -> ViewResult<Vec<UnixMillis>> {
        let Recent { key, since, limit } = recent;
        self.conn
            .query(sql, &[&key, &since.0, &i64::from(limit)])
            .map(|rows| rows.iter().map(|r| UnixMillis(r.get(0))).collect())
            .map_err(store_error)
    }
}

impl Accounts for PgView<'_> {
    fn device_by_token(&mut self, hash: &TokenHash) -> ViewResult<Option<Device>> {
        self.conn
            .query_opt(
                "SELECT id, user_id, label, created, last_used FROM devices
                 WHERE token_hash = $1",
                &[&&hash.0[..]],
            )
            .map(|row| row.as_ref().map(device_from_row))
            .map_err(store_error)
    }

    fn devices_of(&mut self, user: UserId) -> ViewResult<Vec<Device>> {
        self.conn
            .query(
                "SELECT id, user_id, label, created, last_used FROM devices
                 WHERE user_id = $1 ORDER BY id",
                &[&user],
            )
            .map(|rows| rows.iter().map(device_from_row).collect())
            .map_err(store_error)
    }

    fn add_device(&mut self, new: NewDevice<'_>) -> ViewResult<DeviceId> {
        let NewDevice { hash, now, .. } = new;
        self.conn
            .query_one(
                statements::NEW_DEVICE,
                &[&new.user, &&hash.0[..], &new.label, &now.0],
            )
            .map(|row| row.get(0))
            .map_err(store_error)
    }

    fn revoke_device(&mut self, id: DeviceId) -> ViewResult<Option<TokenHash>> {
        let row = self
            .conn
            .query_opt(
                "DELETE FROM devices WHERE id = $1 RETURNING token_hash",
                &[&id],
            )
            .map_err(store_error)?;
        Ok(row.and_then(|r| r.get::<_, Vec<u8>>(0).try_into().ok().map(TokenHash)))
    }

    fn touch_device(&mut self, id: DeviceId, now: UnixMillis) -> ViewResult<()> {
        self.conn
            .execute(
                "UPDATE devices SET last_used = $2 WHERE id = $1",
                &[&id, &now.0],
            )
            .map(drop)
            .map_err(store_error)
    }

    fn password_of(&mut self, user: UserId) -> ViewResult<Option<String>> {
        self.value("SELECT phc FROM passwords WHERE user_id = $1", &[&user])
    }

    fn set_password(&mut self, user: UserId, phc: &str) -> ViewResult<()> {
        self.conn
            .execute(
                "INSERT INTO passwords (user_id, phc) VALUES ($1, $2)
                 ON CONFLICT (user_id) DO UPDATE SET phc = excluded.phc",
                &[&user, &phc],
            )
            .map(drop)
            .map_err(store_error)
    }

    fn login_failures_of_name(&mut self, recent: Recent<'_>) -> ViewResult<Vec<UnixMillis>> {
        self.times(
            "SELECT at FROM login_failures WHERE name_key = $1 AND at >= $2
             ORDER BY at DESC LIMIT $3",
            recent,
        )
    }

    fn login_failures_from(&mut self, recent: Recent<'_>) -> ViewResult<Vec<UnixMillis>> {
        self.times(
            "SELECT at FROM login_failures WHERE origin = $1 AND at >= $2
             ORDER BY at DESC LIMIT $3",
            recent,
        )
    }

    fn record_login_failure(&mut self, failure: LoginFailure<'_>) -> ViewResult<()> {
        let LoginFailure {
            name_key,
            origin,
            now,
        } = failure;
        self.conn
            .execute(
                "WITH old AS (DELETE FROM login_failures WHERE id IN
                   (SELECT id FROM login_failures WHERE at < $4 ORDER BY id LIMIT $5))
                 INSERT INTO login_failures (name_key, origin, at) VALUES ($1, $2, $3)",
                &[
                    &name_key,
                    &origin,
                    &now.0,
                    &failure.expired_before().0,
                    &PRUNE_PER_FAILURE,
                ],
            )
            .map(drop)
            .map_err(store_error)
    }
    fn clear_login_failures_of_name(&mut self, name_key: &str) -> ViewResult<()> {
        self.conn
            .execute(
                "DELETE FROM login_failures WHERE name_key = $1",
                &[&name_key],
            )
            .map(drop)
            .map_err(store_error)
    }
}

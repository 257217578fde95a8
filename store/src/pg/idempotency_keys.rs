//! The PostgreSQL table of idempotency keys
//! (`agora_core::idempotency::KeyLog`), inside the batch's transaction: the
//! write lock every batch holds orders them across nodes.

use crate::pg::connection::describe;
use crate::pg::view::PgView;
use crate::statements;
use agora_core::idempotency::{KeptKey, KeyLog, KeyLookup, StoredAnswer};
use agora_core::time::UnixMillis;
use agora_core::view::{StoreError, ViewResult};

fn store_error(e: postgres::Error) -> StoreError {
    StoreError(describe(&e))
}

impl KeyLog for PgView<'_> {
    fn find_key(&mut self, lookup: KeyLookup<'_>) -> ViewResult<Option<([u8; 32], StoredAnswer)>> {
        let row = self
            .connection()
            .query_opt(
                statements::FIND_KEY,
                &[&lookup.scope, &lookup.key, &lookup.since.0],
            )
            .map_err(store_error)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let status: i32 = row.get(1);
        let status = u16::try_from(status)
            .map_err(|_| StoreError(format!("stored status {status} out of range")))?;
        let headers: String = row.get(2);
        StoredAnswer::from_columns(row.get(0), status, &headers, row.get(3)).map(Some)
    }

    fn keep_key(&mut self, kept: KeptKey<'_>) -> ViewResult<()> {
        // An expired key not yet pruned is replaced.
        self.connection()
            .execute(
                "INSERT INTO idempotency_keys
                 (scope, key, fingerprint, status, headers, body, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (scope, key) DO UPDATE SET
                 fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status,
                 headers = EXCLUDED.headers, body = EXCLUDED.body,
                 created_at = EXCLUDED.created_at",
                &[
                    &kept.scope,
                    &kept.key,
                    &&kept.fingerprint[..],
                    &i32::from(kept.answer.status),
                    &kept.answer.headers_text(),
                    &kept.answer.body,
                    &kept.now.0,
                ],
            )
            .map(drop)
            .map_err(store_error)
    }

    fn prune_keys(&mut self, before: UnixMillis, at_most: u32) -> ViewResult<()> {
        self.connection()
            .execute(
                "DELETE FROM idempotency_keys WHERE (scope, key) IN
                 (SELECT scope, key FROM idempotency_keys WHERE created_at < $1
                  ORDER BY created_at LIMIT $2)",
                &[&before.0, &i64::from(at_most)],
            )
            .map(drop)
            .map_err(store_error)
    }
}

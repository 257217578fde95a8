//! The PostgreSQL table of idempotency keys
//! (`agora_core::idempotency::KeyLog`), inside the batch's transaction: the
//! write lock every batch holds orders them across nodes.

use crate::pg::connection::describe;
use crate::pg::view::PgView;
use agora_core::idempotency::{KeyLog, StoredAnswer};
use agora_core::time::UnixMillis;
use agora_core::view::{StoreError, ViewResult};

fn store_error(e: postgres::Error) -> StoreError {
    StoreError(describe(&e))
}

impl KeyLog for PgView<'_> {
    fn find_key(
        &mut self,
        scope: &str,
        key: &str,
        since: UnixMillis,
    ) -> ViewResult<Option<([u8; 32], StoredAnswer)>> {
        let row = self
            .connection()
            .query_opt(
                "SELECT fingerprint, status, headers, body FROM idempotency_keys
                 WHERE scope = $1 AND key = $2 AND created_at >= $3",
                &[&scope, &key, &since.0],
            )
            .map_err(store_error)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let fingerprint: Vec<u8> = row.get(0);
        let fingerprint = fingerprint
            .try_into()
            .map_err(|_| StoreError("a stored idempotency fingerprint is not 32 bytes".into()))?;
        let status: i32 = row.get(1);
        let status = u16::try_from(status)
            .map_err(|_| StoreError(format!("stored status {status} out of range")))?;
        let headers: String = row.get(2);
        let answer = StoredAnswer {
            status,
            headers: StoredAnswer::parse_headers(&headers),
            body: row.get(3),
        };
        Ok(Some((fingerprint, answer)))
    }

    fn keep_key(
        &mut self,
        scope: &str,
        key: &str,
        fingerprint: &[u8; 32],
        answer: &StoredAnswer,
        now: UnixMillis,
    ) -> ViewResult<()> {
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
                    &scope,
                    &key,
                    &&fingerprint[..],
                    &i32::from(answer.status),
                    &answer.headers_text(),
                    &answer.body,
                    &now.0,
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

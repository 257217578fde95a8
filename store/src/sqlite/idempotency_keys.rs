//! The SQLite table of idempotency keys (`agora_core::idempotency::KeyLog`),
//! read and written inside the writer's transaction like every other row.

use super::view::SqlView;
use crate::statements;
use agora_core::idempotency::{KeptKey, KeyLog, KeyLookup, StoredAnswer};
use agora_core::time::UnixMillis;
use agora_core::view::{StoreError, ViewResult};
use rusqlite::{params, OptionalExtension};

fn store_error(e: rusqlite::Error) -> StoreError {
    StoreError(e.to_string())
}

impl KeyLog for SqlView<'_> {
    fn find_key(&mut self, lookup: KeyLookup<'_>) -> ViewResult<Option<([u8; 32], StoredAnswer)>> {
        let row = self
            .connection()
            .prepare_cached(statements::FIND_KEY)
            .and_then(|mut statement| {
                statement
                    .query_row(params![lookup.scope, lookup.key, lookup.since.0], |row| {
                        Ok((
                            row.get::<_, Vec<u8>>(0)?,
                            row.get::<_, u16>(1)?,
                            row.get::<_, String>(2)?,
                            row.get::<_, Vec<u8>>(3)?,
                        ))
                    })
                    .optional()
            })
            .map_err(store_error)?;
        row.map(|(fingerprint, status, headers, body)| {
            StoredAnswer::from_columns(fingerprint, status, &headers, body)
        })
        .transpose()
    }

    fn keep_key(&mut self, kept: KeptKey<'_>) -> ViewResult<()> {
        // An expired key not yet pruned is replaced.
        self.connection()
            .prepare_cached(
                "INSERT OR REPLACE INTO idempotency_keys
                 (scope, key, fingerprint, status, headers, body, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    kept.scope,
                    kept.key,
                    &kept.fingerprint[..],
                    kept.answer.status,
                    kept.answer.headers_text(),
                    kept.answer.body,
                    kept.now.0
                ])
            })
            .map(drop)
            .map_err(store_error)
    }

    fn prune_keys(&mut self, before: UnixMillis, at_most: u32) -> ViewResult<()> {
        self.connection()
            .prepare_cached(
                // The first rowids are the oldest rows (an expired key
                // replaced gets a new rowid): a look at the table's first
                // leaf, no index.
                "DELETE FROM idempotency_keys WHERE rowid IN
                 (SELECT rowid FROM idempotency_keys
                  ORDER BY rowid LIMIT CAST(?2 AS INTEGER))
                 AND created_at < ?1",
            )
            .and_then(|mut statement| statement.execute(params![before.0, at_most]))
            .map(drop)
            .map_err(store_error)
    }
}

//! A PostgreSQL database of its own for a store test, and the store's
//! config on it: what every PostgreSQL test starts with; and a store on
//! one whose `COMMIT`s can be made to fail.

use agora_core::token::TokenHash;
use agora_store::{CommitFaults, Handle, PostgresUrl, StoreConfig};
use agora_tests::pg::{skipped, this_test, PgDatabase};
use std::sync::Arc;

/// A fresh database on the test cluster; `None` (after the loud SKIPPED line
/// naming the running test) when the PostgreSQL tests are skipped, so a test
/// starts with `let Some(database) = fresh_pg() else { return };`.
pub fn fresh_pg() -> Option<PgDatabase> {
    let database = PgDatabase::fresh();
    if database.is_none() {
        skipped(&this_test());
    }
    database
}

/// The store's defaults on `database`.
pub fn pg_config(database: &PgDatabase) -> StoreConfig {
    StoreConfig::postgres(pg_url(database))
}

/// `database`'s URL as the store takes it.
pub fn pg_url(database: &PgDatabase) -> PostgresUrl {
    database
        .url()
        .parse()
        .expect("the test cluster's URL parses")
}

/// A store on a fresh database whose `COMMIT`s a test can make fail (see
/// [`CommitFaults`]), with "ann" registered: what the lost-commit tests
/// start with. The store is closed before the database goes (fields drop
/// in order).
pub struct LosingCommits {
    pub handle: Handle,
    pub faults: Arc<CommitFaults>,
    pub ann: TokenHash,
    pub database: PgDatabase,
}

/// `None` when the PostgreSQL tests are skipped (see [`fresh_pg`]).
pub fn losing_commits() -> Option<LosingCommits> {
    let database = fresh_pg()?;
    let config = pg_config(&database);
    let faults = config.commit_faults.clone();
    let handle = Handle::open(config).expect("the store opens");
    let ann = super::register(&handle, "ann");
    Some(LosingCommits {
        handle,
        faults,
        ann,
        database,
    })
}

//! A PostgreSQL database of its own for a store test, and the store's
//! config on it: what every PostgreSQL test starts with.

use agora_store::{PostgresUrl, StoreConfig};
use agora_tests::pg::{skipped, this_test, PgDatabase};

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

//! PostgreSQL for the tests: the cluster `$AGORA_TEST_PG` names, and
//! throwaway databases on it for the server's `--db postgres://...`.
//!
//! `tests/pg/cluster.sh start DIR` starts a throwaway cluster and prints the
//! URL to put in `AGORA_TEST_PG` (`.ci/run` does exactly that). A database
//! named by `--db URL` must already exist: the server creates its tables
//! (migrations) but not the database, so the tests create one per server with
//! [`PgDatabase`].

use postgres::error::SqlState;
use postgres::{Client, Config, NoTls};
use std::io::Write;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How to give the tests a cluster, said in every failure for the lack of one.
const HOW_TO_START: &str = "start a throwaway cluster with \
     `tests/pg/cluster.sh start DIR` (it prints its URL; `tests/pg/cluster.sh stop DIR` \
     removes it) and `export AGORA_TEST_PG=<that URL>`; or, on your own machine only, \
     set AGORA_SKIP_PG=1 to skip the PostgreSQL tests";

/// Connecting to the cluster and every statement on it are bounded by this.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The cluster's superuser URL, `$AGORA_TEST_PG`. Without it: `None` when
/// `AGORA_SKIP_PG=1` opts out (the caller then says so with [`skipped`] and
/// returns), else a panic saying how to start a cluster. In CI (`CI` set)
/// the opt-out is refused: there the PostgreSQL tests always run.
pub fn cluster_url() -> Option<String> {
    if let Some(url) = std::env::var("AGORA_TEST_PG")
        .ok()
        .filter(|u| !u.is_empty())
    {
        return Some(url);
    }
    let opted_out = std::env::var("AGORA_SKIP_PG").is_ok_and(|v| v == "1");
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    match (opted_out, in_ci) {
        (true, false) => None,
        (true, true) => panic!(
            "AGORA_SKIP_PG=1 is not honoured in CI (CI is set): the PostgreSQL \
             tests must run; {HOW_TO_START}"
        ),
        (false, _) => panic!("AGORA_TEST_PG is not set: {HOW_TO_START}"),
    }
}

/// The running test's name, for [`skipped`]: libtest names each test's
/// thread after it, so a scenario need not spell its own path again.
pub fn this_test() -> String {
    match std::thread::current().name() {
        Some(name) if name != "main" => name.to_string(),
        _ => "this test".to_string(),
    }
}

/// The loud line a test that skips itself under `AGORA_SKIP_PG=1` prints,
/// straight to stderr: the test runner's capture (which hides what a passing
/// test prints with `eprintln!`) would swallow it.
pub fn skipped(test: &str) {
    let line = format!("SKIPPED (AGORA_SKIP_PG=1): {test} needs PostgreSQL (AGORA_TEST_PG)\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// A database of its own on the test cluster, dropped (with whatever
/// connections it still has) when this value is dropped.
pub struct PgDatabase {
    url: String,
    name: String,
    admin: String,
}

impl PgDatabase {
    /// A new empty database, its name unique across test threads and
    /// processes. `None` when the PostgreSQL tests are skipped
    /// ([`cluster_url`]).
    pub fn fresh() -> Option<PgDatabase> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let name = format!(
            "agora_t_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        PgDatabase::create(name, false)
    }

    /// The database that stands for `key`, created when missing: every call
    /// with the same key gives the same database (a restart that reopens "the
    /// same database file"). Dropping any of these values drops the database,
    /// so keep one per key. `None` when the PostgreSQL tests are skipped.
    pub fn named(key: &str) -> Option<PgDatabase> {
        PgDatabase::create(format!("agora_n_{:016x}", fnv1a(key.as_bytes())), true)
    }

    /// The URL for `agora-server --db`.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn create(name: String, reuse: bool) -> Option<PgDatabase> {
        let admin = cluster_url()?;
        let created = connect(&admin).batch_execute(&format!("CREATE DATABASE \"{name}\""));
        match created {
            Ok(()) => {}
            Err(e) if reuse && e.code() == Some(&SqlState::DUPLICATE_DATABASE) => {}
            Err(e) => panic!("CREATE DATABASE {name} on AGORA_TEST_PG ({admin}): {e}"),
        }
        Some(PgDatabase {
            url: with_database(&admin, &name),
            name,
            admin,
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Best effort: a leftover database on a throwaway cluster harms nothing.
        if let Ok(mut admin) = try_connect(&self.admin) {
            let drop = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
            let _ = admin.batch_execute(&drop);
        }
    }
}

fn try_connect(url: &str) -> Result<Client, postgres::Error> {
    let timeout = ADMIN_TIMEOUT.as_millis();
    Config::from_str(url)?
        .connect_timeout(ADMIN_TIMEOUT)
        .options(&format!("-c statement_timeout={timeout}"))
        .connect(NoTls)
}

fn connect(url: &str) -> Client {
    try_connect(url)
        .unwrap_or_else(|e| panic!("cannot connect to AGORA_TEST_PG ({url}): {e}; {HOW_TO_START}"))
}

/// `url` with its database (the path) replaced by `name`, its query kept.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_at(url.find('?').unwrap_or(url.len()));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..]
        .find('/')
        .map_or(base.len(), |i| authority + i);
    format!("{}/{name}{query}", &base[..path])
}

/// 64-bit FNV-1a: a database name from a key, the same in every build (std's
/// hasher may change between Rust releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_is_replaced_and_the_rest_kept() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:5433/postgres",
                "postgres://postgres@127.0.0.1:5433/t1",
            ),
            (
                "postgresql://u:p@h/db?sslmode=require",
                "postgresql://u:p@h/t1?sslmode=require",
            ),
            ("postgres://u@h:1", "postgres://u@h:1/t1"),
            (
                "postgres://u@h:1?sslmode=disable",
                "postgres://u@h:1/t1?sslmode=disable",
            ),
        ];
        for (url, want) in cases {
            assert_eq!(with_database(url, "t1"), want, "{url}");
        }
    }

    fn exists(name: &str) -> bool {
        let mut admin = connect(&cluster_url().unwrap());
        let rows = admin
            .query("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
            .unwrap();
        !rows.is_empty()
    }

    #[test]
    fn databases_are_created_usable_and_dropped() {
        let Some(one) = PgDatabase::fresh() else {
            return skipped("databases_are_created_usable_and_dropped");
        };
        let two = PgDatabase::fresh().unwrap();
        assert_ne!(one.name, two.name);
        let mut client = connect(one.url());
        client.batch_execute("CREATE TABLE t (x int)").unwrap();
        let name = one.name.clone();
        drop(one);
        assert!(!exists(&name), "{name} is dropped, open connection and all");
        drop(client);

        let key = format!("/tmp/{}/agora.db", two.name);
        let named = PgDatabase::named(&key).unwrap();
        connect(named.url())
            .batch_execute("CREATE TABLE kept (x int)")
            .unwrap();
        let again = PgDatabase::named(&key).unwrap();
        assert_eq!(again.url(), named.url());
        let tables = connect(again.url())
            .query("SELECT 1 FROM pg_tables WHERE tablename = 'kept'", &[])
            .unwrap();
        assert_eq!(tables.len(), 1, "the same database, reopened");
        let named_name = named.name.clone();
        std::mem::forget(again); // one owner per key: `named` drops it
        drop(named);
        assert!(!exists(&named_name), "{named_name} is dropped");
    }

    #[test]
    fn names_from_keys_are_stable_and_distinct() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(fnv1a(b"/tmp/a/agora.db"), fnv1a(b"/tmp/b/agora.db"));
    }
}

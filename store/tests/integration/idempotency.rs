//! Idempotency keys in the store: a keyed command is applied once, its
//! answer kept in the same transaction, on SQLite and PostgreSQL; on
//! PostgreSQL also when the 503 of a lost `COMMIT` hid the commit, and
//! across nodes.

use crate::support;

use agora_core::api::encode;
use agora_core::command::{Command, Failure, Outcome};
use agora_core::idempotency::Keyed;
use agora_core::token::TokenHash;
use agora_store::Handle;
use agora_tests::pg::PgDatabase;
use std::sync::atomic::Ordering;
use support::{fresh_pg, losing_commits, pg_config, public_send, register, sql_value};

fn keyed(key: &str, fingerprint: u8) -> Keyed {
    Keyed {
        key: key.to_owned(),
        fingerprint: [fingerprint; 32],
        seal: agora_core::server_secret::ServerSecret::default().seal_key(key),
    }
}

fn run_keyed(handle: &Handle, command: Command, keyed: Keyed) -> Outcome {
    support::outcome(
        handle
            .submit_keyed(command, keyed)
            .expect("the queue has room"),
    )
}

/// The status and body a client would read.
fn answer(outcome: &Outcome) -> (u16, String) {
    let response = encode(outcome);
    (
        response.status,
        String::from_utf8(response.body).expect("UTF-8 body"),
    )
}

fn public_texts_pg(database: &PgDatabase) -> Vec<String> {
    support::pg_column(database.url(), support::PG_MESSAGE_TEXTS)
}

/// A send repeated with its key gets the first answer and adds nothing; the
/// key with another request is refused; another user's same key is theirs.
fn repeated_send_is_applied_once(handle: &Handle) -> (TokenHash, (u16, String)) {
    let ann = register(handle, "ann");
    let bob = register(handle, "bob");
    let first = run_keyed(handle, public_send(ann, "once"), keyed("k-1", 1));
    assert!(support::is_sent(&first), "{first:?}");
    let again = run_keyed(handle, public_send(ann, "once"), keyed("k-1", 1));
    assert!(matches!(again, Outcome::Replayed(_)), "{again:?}");
    assert_eq!(answer(&again), answer(&first));
    let reused = run_keyed(handle, public_send(ann, "other"), keyed("k-1", 2));
    assert_eq!(reused, Outcome::Failed(Failure::IdempotencyKeyReused));
    let bobs = run_keyed(handle, public_send(bob, "bob's"), keyed("k-1", 1));
    assert!(support::is_sent(&bobs), "{bobs:?}");
    (ann, answer(&first))
}

#[test]
fn sqlite_keyed_send_is_applied_once_and_survives_a_restart() {
    let (_dir, path) = support::temp_database();
    let handle = Handle::open(support::config(&path)).unwrap();
    let (ann, first) = repeated_send_is_applied_once(&handle);
    handle.shutdown();
    drop(handle);
    assert_eq!(support::stored_texts(&path), ["once", "bob's"]);

    let handle = Handle::open(support::config(&path)).unwrap();
    let again = run_keyed(&handle, public_send(ann, "once"), keyed("k-1", 1));
    assert_eq!(answer(&again), first);
    handle.shutdown();
    drop(handle);
    assert_eq!(support::stored_texts(&path), ["once", "bob's"]);
}

#[test]
fn postgres_keyed_send_is_applied_once() {
    let Some(database) = fresh_pg() else { return };
    let handle = Handle::open(pg_config(&database)).unwrap();
    repeated_send_is_applied_once(&handle);
    assert_eq!(public_texts_pg(&database), ["once", "bob's"]);
}

/// The lost `COMMIT` whose fate cannot be learnt is answered 503 though
/// it committed; retried with the same key, the send is not applied again
/// and gets the answer it had.
#[test]
fn postgres_retry_after_a_503_that_hid_a_commit_is_applied_once() {
    let Some(pg) = losing_commits() else { return };
    pg.faults
        .lost_after_commit_unknown
        .store(1, Ordering::SeqCst);
    let hidden = run_keyed(&pg.handle, public_send(pg.ann, "hidden"), keyed("retry", 1));
    assert_eq!(hidden, Outcome::Failed(Failure::StoreUnavailable));
    assert_eq!(
        pg.faults.lost_after_commit_unknown.load(Ordering::SeqCst),
        0
    );
    assert_eq!(
        public_texts_pg(&pg.database),
        ["hidden"],
        "the 503 hid a commit"
    );

    let retried = run_keyed(&pg.handle, public_send(pg.ann, "hidden"), keyed("retry", 1));
    assert!(matches!(retried, Outcome::Replayed(_)), "{retried:?}");
    assert_eq!(answer(&retried).0, 201);
    assert_eq!(public_texts_pg(&pg.database), ["hidden"]);
}

/// A 503 is not kept: after a `COMMIT` lost before it reached the server
/// (and a retry on a new connection that fails too), the same key applies
/// the request.
#[test]
fn postgres_a_503_is_not_kept() {
    let Some(pg) = losing_commits() else { return };
    // Both runs of the batch lose their COMMIT before the server.
    pg.faults.lost_before_commit.store(2, Ordering::SeqCst);
    let refused = run_keyed(&pg.handle, public_send(pg.ann, "later"), keyed("k", 1));
    assert_eq!(refused, Outcome::Failed(Failure::StoreUnavailable));
    assert!(public_texts_pg(&pg.database).is_empty());
    let applied = run_keyed(&pg.handle, public_send(pg.ann, "later"), keyed("k", 1));
    assert!(support::is_sent(&applied), "{applied:?}");
    assert_eq!(public_texts_pg(&pg.database), ["later"]);
}

/// A key used on one node is answered from its kept answer on another.
#[test]
fn postgres_a_key_used_on_one_node_is_replayed_on_another() {
    let Some(database) = fresh_pg() else { return };
    let one = Handle::open(pg_config(&database)).unwrap();
    let two = Handle::open(pg_config(&database)).unwrap();
    let ann = register(&one, "ann");
    let first = run_keyed(&one, public_send(ann, "across"), keyed("node", 1));
    assert!(support::is_sent(&first), "{first:?}");
    let again = run_keyed(&two, public_send(ann, "across"), keyed("node", 1));
    assert_eq!(answer(&again), answer(&first));
    assert_eq!(public_texts_pg(&database), ["across"]);
}

/// A store on a fresh SQLite file, with the tests' rules (see
/// `support::config`) changed by `adjust` and a clock the test moves by hand
/// from 2027-01-15; "ann" registered.
struct HandClocked {
    dir: tempfile::TempDir,
    path: std::path::PathBuf,
    rules: agora_core::config::Config,
    now: std::sync::Arc<std::sync::atomic::AtomicI64>,
    handle: Handle,
    ann: TokenHash,
}

fn hand_clocked(adjust: impl FnOnce(&mut agora_core::config::Config)) -> HandClocked {
    let (dir, path) = support::temp_database();
    let mut config = support::config(&path);
    adjust(&mut config.rules);
    let now = support::hand_clock(&mut config, 1_800_000_000_000);
    let rules = config.rules.clone();
    let handle = Handle::open(config).unwrap();
    let ann = register(&handle, "ann");
    HandClocked {
        dir,
        path,
        rules,
        now,
        handle,
        ann,
    }
}

/// A key older than 24 hours is not answered: the request is applied
/// again, and the expired row is pruned.
#[test]
fn sqlite_a_key_older_than_a_day_is_forgotten() {
    use agora_core::idempotency::KEEP_MS;
    let HandClocked {
        dir: _dir,
        path,
        now,
        handle,
        ann,
        ..
    } = hand_clocked(|rules| rules.quota = u32::MAX);
    let first = run_keyed(&handle, public_send(ann, "day one"), keyed("daily", 1));
    assert!(support::is_sent(&first), "{first:?}");
    now.fetch_add(KEEP_MS - 1, Ordering::SeqCst);
    let within = run_keyed(&handle, public_send(ann, "day one"), keyed("daily", 1));
    assert!(matches!(within, Outcome::Replayed(_)), "{within:?}");
    now.fetch_add(2, Ordering::SeqCst);
    // Another key's request prunes the expired one.
    let other = run_keyed(&handle, public_send(ann, "day two"), keyed("other", 2));
    assert!(support::is_sent(&other), "{other:?}");
    let kept = || {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let mut keys = conn.prepare("SELECT key FROM idempotency_keys").unwrap();
        let keys: Vec<String> = keys
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        keys
    };
    assert_eq!(kept(), ["other"]);
    // And the expired key applies its request again.
    let after = run_keyed(&handle, public_send(ann, "day one"), keyed("daily", 1));
    assert!(support::is_sent(&after), "{after:?}");
    assert_ne!(answer(&after), answer(&first));
    handle.shutdown();
    drop(handle);
    assert_eq!(
        support::stored_texts(&path),
        ["day one", "day two", "day one"]
    );
}

/// A `/connect` page over the kept size is not kept: a repeat of its key
/// gets a fresh page, and the key still refuses another request.
#[test]
fn sqlite_a_connect_page_too_large_to_keep_is_read_again() {
    use agora_core::command::ChatRef;
    use agora_core::idempotency::KEEP_MAX_BODY;

    let (_dir, path) = support::temp_database();
    let handle = Handle::open(support::unlimited_config(&path)).unwrap();
    let ann = register(&handle, "ann");
    let long = "x".repeat(4000);
    for _ in 0..20 {
        assert!(support::is_sent(&support::run(
            &handle,
            public_send(ann, &long)
        )));
    }
    let connect = || Command::Connect {
        caller: ann,
        chat: ChatRef::Public,
        messages_number: 20,
    };
    let first = run_keyed(&handle, connect(), keyed("page", 1));
    assert!(
        answer(&first).1.len() > KEEP_MAX_BODY,
        "{}",
        answer(&first).0
    );
    let again = run_keyed(&handle, connect(), keyed("page", 1));
    assert!(matches!(again, Outcome::Connected { .. }), "{again:?}");
    let reused = run_keyed(&handle, public_send(ann, "other"), keyed("page", 2));
    assert_eq!(reused, Outcome::Failed(Failure::IdempotencyKeyReused));
    handle.shutdown();
}

/// A refusal that asks for a retry (a 429 with `Retry-After`) is not kept:
/// the same key after the wait applies the request.
#[test]
fn sqlite_a_quota_refusal_is_not_kept() {
    let HandClocked {
        dir: _dir,
        path,
        rules,
        now,
        handle,
        ann,
    } = hand_clocked(|rules| rules.quota = 1);
    let window = rules.quota_window_ms as i64;
    let first = run_keyed(&handle, public_send(ann, "first"), keyed("q-1", 1));
    assert!(support::is_sent(&first), "{first:?}");
    let refused = run_keyed(&handle, public_send(ann, "second"), keyed("q-2", 2));
    assert!(
        matches!(refused, Outcome::QuotaExceeded { .. }),
        "{refused:?}"
    );
    now.fetch_add(window, Ordering::SeqCst);
    let later = run_keyed(&handle, public_send(ann, "second"), keyed("q-2", 2));
    assert!(support::is_sent(&later), "{later:?}");
    handle.shutdown();
    drop(handle);
    assert_eq!(support::stored_texts(&path), ["first", "second"]);
}

#[test]
fn sqlite_a_refusal_that_time_lifts_is_not_kept() {
    use agora_core::command::ChatType;
    let HandClocked {
        dir: _dir,
        now,
        handle,
        ann,
        ..
    } = hand_clocked(|rules| rules.reporter_min_age_ms = 3_600_000);
    register(&handle, "bob");
    let sent = support::outcome(handle.submit(public_send(ann, "hello")).unwrap());
    assert!(support::is_sent(&sent), "{sent:?}");
    let report = Command::Report {
        caller: ann,
        target: "bob".to_owned(),
        chat_type: ChatType::Public,
    };
    let young = run_keyed(&handle, report.clone(), keyed("r-1", 1));
    assert_eq!(
        young,
        Outcome::Failed(Failure::ReporterNotTrusted),
        "a reporter of a minute is not trusted yet"
    );
    // An hour later the same request, retried with its key, is a report.
    now.fetch_add(3_600_001, Ordering::SeqCst);
    let older = run_keyed(&handle, report, keyed("r-1", 1));
    assert!(
        matches!(older, Outcome::ReportAccepted { cautions: 1, .. }),
        "{older:?}"
    );
    handle.shutdown();
}

/// (issue 28) The migration that brings the server secret forgets every
/// kept key: they held `/get-token` and `/login` tokens in the clear and
/// unkeyed hashes of bodies with passwords.
#[test]
fn sqlite_the_secret_migration_forgets_the_kept_keys() {
    use agora_store::{open_database, schema};
    let (_dir, path) = support::temp_database();
    let config = support::config(&path);
    let conn = open_database(&config).unwrap();
    // As the build before it left the database: one kept answer, no
    // server_secret table, the version before.
    conn.execute_batch(
        "INSERT INTO idempotency_keys (scope, key, fingerprint, status, headers, body, created_at)
         VALUES ('address:127.0.0.1', 'k', zeroblob(32), 200, '',
                 CAST('{\"token\":\"0123456789abcdef0123456789abcdef\"}' AS BLOB), 0);
         DROP TABLE server_secret;",
    )
    .unwrap();
    // The secret's migration is the 13th (later ones run again after it).
    const SECRET_MIGRATION: i64 = 13;
    const { assert!(schema::SCHEMA_VERSION >= SECRET_MIGRATION) };
    conn.pragma_update(None, "user_version", SECRET_MIGRATION - 1)
        .unwrap();
    drop(conn);
    let conn = open_database(&config).unwrap();
    let kept: i64 = sql_value(&conn, "SELECT count(*) FROM idempotency_keys");
    assert_eq!(kept, 0);
    let tables: i64 = sql_value(
        &conn,
        "SELECT count(*) FROM sqlite_master WHERE name = 'server_secret'",
    );
    assert_eq!(tables, 1);
}

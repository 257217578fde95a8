//! `copy_sqlite_to_postgres` (`agora-server migrate`): a SQLite database
//! filled through the store's own rules, copied into PostgreSQL, answers every
//! read there exactly as on SQLite, and new writes there get ids above the
//! copied ones; a non-empty target, a missing source, a source of another
//! schema version and a value that cannot be copied are refused, the last
//! leaving the target as empty as it was.

use crate::support;

use agora_core::command::{ChatRef, ChatType, Command, EventsWait, Outcome};
use agora_core::time::UnixMillis;
use agora_core::token::TokenHash;
use agora_store::{
    copy_sqlite_to_postgres, Backend, Clock, CopyError, Handle, OpenError, StoreConfig,
};
use agora_tests::pg::{skipped, PgDatabase};
use std::path::Path;
use std::time::Duration;
use support::{fresh_pg, pg_url, register};

/// One fixed time for both stores: `/status` answers quota windows and bans
/// relative to now.
const NOW: i64 = 1_700_000_000_000;

fn config(path: &Path, postgres: Option<&PgDatabase>) -> StoreConfig {
    let mut config = support::config(path);
    if let Some(db) = postgres {
        config.backend = Backend::Postgres { url: pg_url(db) };
    }
    config.clock = Clock::new(|| UnixMillis(NOW));
    config.rules.ban_threshold = 2;
    config
}

fn run(handle: &Handle, command: Command) -> Outcome {
    let wait = Duration::from_secs(10);
    if let Command::Events { .. } = command {
        return handle
            .watch(command)
            .unwrap()
            .wait_timeout(wait)
            .expect("an events page")
            .outcome;
    }
    handle
        .submit(command)
        .unwrap()
        .wait_timeout(wait)
        .expect("an outcome")
}

fn send(handle: &Handle, caller: TokenHash, to: ChatRef, text: &str) -> i64 {
    match run(
        handle,
        Command::Send {
            caller,
            to,
            text: text.into(),
        },
    ) {
        Outcome::MessageSent { message_id, .. } => message_id,
        other => panic!("send {text:?}: {other:?}"),
    }
}

fn comment(handle: &Handle, caller: TokenHash, message_id: i64, text: &str) -> i64 {
    let command = Command::Comment {
        caller,
        message_id,
        text: text.into(),
    };
    match run(handle, command) {
        Outcome::CommentAdded { comment_id } => comment_id,
        other => panic!("comment {text:?}: {other:?}"),
    }
}

fn report(handle: &Handle, caller: TokenHash, target: &str) {
    let command = Command::Report {
        caller,
        target: target.into(),
        chat_type: ChatType::Public,
    };
    match run(handle, command) {
        Outcome::ReportAccepted { .. } => {}
        other => panic!("report on {target}: {other:?}"),
    }
}

/// The tables [`fill`] puts rows in.
const FILLED: [&str; 7] = [
    "users", "chats", "members", "messages", "comments", "reports", "events",
];

const NAMES: [&str; 4] = ["ann", "Bob", "cat", "dan"];

/// A history with every kind of row: users, public and private messages
/// (one text with U+0000 and non-ASCII), comments, reports, a ban, read
/// positions, and the events all of these made. Returns the callers and
/// the message ids.
fn fill(handle: &Handle) -> (Vec<TokenHash>, Vec<i64>) {
    let users: Vec<TokenHash> = NAMES.iter().map(|name| register(handle, name)).collect();
    let [ann, bob, cat, dan] = users[..] else {
        unreachable!()
    };
    let private = |name: &str| ChatRef::Private(name.into());
    let messages = vec![
        send(handle, ann, ChatRef::Public, "hello, all"),
        send(handle, bob, ChatRef::Public, "zéro\u{0}octet"),
        send(handle, ann, private("bob"), "just you, Bob"),
        send(handle, bob, private("ann"), "and you"),
        send(handle, cat, private("ann"), "hi ann, cat here"),
        send(handle, dan, ChatRef::Public, "spam"),
        send(handle, ann, ChatRef::Public, "third public"),
    ];
    comment(handle, bob, messages[0], "first comment");
    comment(handle, cat, messages[0], "second comment");
    comment(handle, ann, messages[0], "third comment");
    comment(handle, ann, messages[2], "a private comment");
    // Two reports ban dan; one cautions cat.
    report(handle, ann, "dan");
    report(handle, bob, "dan");
    report(handle, dan, "cat");
    // Read positions: ann has read the public chat, bob one private message.
    run(
        handle,
        Command::Connect {
            caller: ann,
            chat: ChatRef::Public,
            messages_number: 10,
        },
    );
    let read = Command::Read {
        caller: bob,
        chat: private("ann"),
        up_to: messages[2],
    };
    assert!(matches!(run(handle, read), Outcome::ReadMoved { .. }));
    (users, messages)
}

/// Every read each user can make, in one order (a `Connect` moves the
/// caller's read position, so what comes after depends on it too).
fn reads(handle: &Handle, users: &[TokenHash], messages: &[i64]) -> Vec<Outcome> {
    let mut answers = Vec::new();
    for &caller in users {
        answers.push(run(handle, Command::Status { caller }));
        for since in [0, 3, 9] {
            let wait = EventsWait::Page;
            answers.push(run(
                handle,
                Command::Events {
                    caller,
                    since: Some(since),
                    wait,
                },
            ));
        }
        answers.push(run(
            handle,
            Command::Events {
                caller,
                since: None,
                wait: EventsWait::Page,
            },
        ));
        for &message_id in messages {
            for before in [None, Some(3)] {
                let limit = 2;
                answers.push(run(
                    handle,
                    Command::Comments {
                        caller,
                        message_id,
                        before,
                        limit,
                    },
                ));
            }
        }
        let mut chats = vec![ChatRef::Public];
        chats.extend(NAMES.iter().map(|name| ChatRef::Private(name.to_string())));
        for chat in chats {
            for messages_number in [2, 10] {
                let chat = chat.clone();
                answers.push(run(
                    handle,
                    Command::Connect {
                        caller,
                        chat,
                        messages_number,
                    },
                ));
            }
        }
    }
    answers
}

#[test]
fn a_migrated_database_answers_every_read_as_sqlite_did() {
    let Some(database) = fresh_pg() else { return };
    let (_dir, path) = support::temp_database();
    let sqlite = Handle::open(config(&path, None)).unwrap();
    let (users, messages) = fill(&sqlite);
    sqlite.shutdown();
    drop(sqlite);

    let copied = copy_sqlite_to_postgres(&path, &pg_url(&database)).expect("the copy");
    // Every table's rows, as SQLite itself counts them.
    let source = rusqlite::Connection::open(&path).unwrap();
    for table in &copied.tables {
        let sql = format!("SELECT count(*) FROM {}", table.name);
        let rows: i64 = source.query_row(&sql, [], |row| row.get(0)).unwrap();
        assert_eq!(table.rows, rows, "{}", table.name);
        let filled = FILLED.contains(&table.name);
        assert!(rows > 0 || !filled, "the history has {} rows", table.name);
    }
    drop(source);
    let rows = |name: &str| copied.tables.iter().find(|t| t.name == name).unwrap().rows;
    assert_eq!(rows("users"), 4);
    assert_eq!(rows("messages"), 7);
    let max_event = copied
        .tables
        .iter()
        .find(|t| t.name == "events")
        .unwrap()
        .max_id;
    assert!(max_event.is_some_and(|id| id > 10), "{copied:?}");

    // Both sides from the same state: SQLite reopened after the copy.
    let sqlite = Handle::open(config(&path, None)).unwrap();
    let postgres = Handle::open(config(&path, Some(&database))).unwrap();
    let on_sqlite = reads(&sqlite, &users, &messages);
    let on_postgres = reads(&postgres, &users, &messages);
    // The reads answer something worth comparing.
    let has = |f: fn(&Outcome) -> bool| on_sqlite.iter().any(f);
    assert!(has(
        |o| matches!(o, Outcome::Status(s) if s.chats.len() > 1)
    ));
    assert!(has(
        |o| matches!(o, Outcome::Status(s) if s.banned_until.is_some())
    ));
    assert!(has(
        |o| matches!(o, Outcome::Events { events, .. } if events.len() > 5)
    ));
    assert!(has(
        |o| matches!(o, Outcome::Comments { comments, more: true, .. } if !comments.is_empty())
    ));
    assert!(has(
        |o| matches!(o, Outcome::Connected { unread_messages, .. } if !unread_messages.is_empty())
    ));
    assert_eq!(on_sqlite.len(), on_postgres.len());
    for (i, (s, p)) in on_sqlite.iter().zip(&on_postgres).enumerate() {
        assert_eq!(s, p, "read {i} differs");
    }
    // The ban was copied: dan may not send.
    let refused = run(
        &postgres,
        Command::Send {
            caller: users[3],
            to: ChatRef::Public,
            text: "x".into(),
        },
    );
    assert!(matches!(refused, Outcome::Banned { .. }), "{refused:?}");

    // New rows get ids above the copied ones, on every sequence.
    let last_message = *messages.iter().max().unwrap();
    let new_message = send(&postgres, users[1], ChatRef::Public, "after the move");
    assert!(
        new_message > last_message,
        "{new_message} after {last_message}"
    );
    let new_comment = comment(&postgres, users[0], new_message, "new");
    assert!(new_comment > rows("comments"));
    let eve = register(&postgres, "eve");
    send(
        &postgres,
        eve,
        ChatRef::Private("cat".into()),
        "a new private chat",
    );
    let events = run(
        &postgres,
        Command::Events {
            caller: eve,
            since: max_event,
            wait: EventsWait::Page,
        },
    );
    let Outcome::Events { events, .. } = events else {
        panic!("{events:?}")
    };
    assert!(
        !events.is_empty() && events.iter().all(|e| Some(e.id) > max_event),
        "{events:?}"
    );
    sqlite.shutdown();
    postgres.shutdown();
}

/// A SQLite database with one user and one message.
fn small_source(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("small.db");
    let handle = Handle::open(config(&path, None)).unwrap();
    let ann = register(&handle, "ann");
    send(&handle, ann, ChatRef::Public, "hello");
    handle.shutdown();
    path
}

fn users_in(database: &PgDatabase) -> i64 {
    let mut client = postgres::Client::connect(database.url(), postgres::NoTls).unwrap();
    client
        .query_one("SELECT count(*) FROM users", &[])
        .unwrap()
        .get(0)
}

fn tables_in(database: &PgDatabase) -> i64 {
    let mut client = postgres::Client::connect(database.url(), postgres::NoTls).unwrap();
    let sql = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'";
    client.query_one(sql, &[]).unwrap().get(0)
}

#[test]
fn a_target_with_rows_is_refused_and_left_alone() {
    let Some(database) = fresh_pg() else { return };
    let dir = tempfile::tempdir().unwrap();
    let source = small_source(dir.path());
    // A target where a node has registered one user: no messages, no events
    // but the user's.
    let node = Handle::open(config(dir.path(), Some(&database))).unwrap();
    register(&node, "zed");
    node.shutdown();
    let refused = copy_sqlite_to_postgres(&source, &pg_url(&database));
    assert!(
        matches!(
            refused,
            Err(CopyError::TargetNotEmpty { table: "users", .. })
        ),
        "{refused:?}"
    );
    assert_eq!(users_in(&database), 1, "the target is as it was");
    // A second copy into a target the first one filled is refused too.
    let Some(second) = PgDatabase::fresh() else {
        return;
    };
    copy_sqlite_to_postgres(&source, &pg_url(&second)).expect("the first copy");
    let again = copy_sqlite_to_postgres(&source, &pg_url(&second));
    assert!(
        matches!(again, Err(CopyError::TargetNotEmpty { .. })),
        "{again:?}"
    );
    assert_eq!(users_in(&second), 1);
}

#[test]
fn a_missing_running_or_outdated_source_is_refused() {
    let Some(database) = fresh_pg() else { return };
    let dir = tempfile::tempdir().unwrap();
    let missing = copy_sqlite_to_postgres(&dir.path().join("none.db"), &pg_url(&database));
    assert!(
        matches!(missing, Err(CopyError::NoSource { .. })),
        "{missing:?}"
    );
    assert!(!dir.path().join("none.db").exists(), "no file is created");
    let source = small_source(dir.path());
    // A server still runs on it.
    let running = Handle::open(config(&source, None)).unwrap();
    register(&running, "bob");
    let in_use = copy_sqlite_to_postgres(&source, &pg_url(&database));
    assert!(
        matches!(in_use, Err(CopyError::SourceInUse { .. })),
        "{in_use:?}"
    );
    running.shutdown();
    drop(running);
    let conn = rusqlite::Connection::open(&source).unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    drop(conn);
    let outdated = copy_sqlite_to_postgres(&source, &pg_url(&database));
    assert!(
        matches!(outdated, Err(CopyError::SourceVersion { found: 1, .. })),
        "{outdated:?}"
    );
    assert_eq!(tables_in(&database), 0, "a refused source touches nothing");
}

/// A value that cannot be copied (here a message text that is not UTF-8)
/// fails the copy after the users were copied: the one transaction leaves
/// the target without them.
#[test]
fn a_failed_copy_leaves_the_target_empty() {
    let Some(database) = fresh_pg() else { return };
    let dir = tempfile::tempdir().unwrap();
    let source = small_source(dir.path());
    let conn = rusqlite::Connection::open(&source).unwrap();
    conn.execute("UPDATE messages SET text = CAST(x'ff00' AS TEXT)", [])
        .unwrap();
    drop(conn);
    let failed = copy_sqlite_to_postgres(&source, &pg_url(&database));
    assert!(
        matches!(failed, Err(CopyError::BadValue { .. })),
        "{failed:?}"
    );
    assert_eq!(users_in(&database), 0);
    // The target is still a good empty one: a later copy goes in.
    // (From a folder whose name a `file:` URI would misread.)
    let other = tempfile::tempdir().unwrap();
    let odd = other.path().join("a ?b#c %41 é");
    std::fs::create_dir(&odd).unwrap();
    let source = small_source(&odd);
    let copied = copy_sqlite_to_postgres(&source, &pg_url(&database));
    assert!(copied.is_ok(), "{copied:?}");
    assert_eq!(users_in(&database), 1);
    // The source is left as it was: no `-wal` or `-shm` beside it.
    let beside: Vec<_> = std::fs::read_dir(&odd)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside, ["small.db"]);
}

/// (issue 28) The server secret's verifier goes with the copy: a node with
/// the source's secret serves the target, one with another is refused. A
/// target on which a node with the same secret started (empty but for its
/// verifier) is copied into; one started with another secret is refused.
#[test]
fn the_secret_verifier_is_copied_and_checked() {
    let (Some(empty), Some(started_same), Some(started_other)) = (
        PgDatabase::fresh(),
        PgDatabase::fresh(),
        PgDatabase::fresh(),
    ) else {
        return skipped("the_secret_verifier_is_copied_and_checked");
    };
    let dir = tempfile::tempdir().unwrap();
    let (ours, theirs) = ([7u8; 32], [8u8; 32]);
    let with = |database: Option<&PgDatabase>, verifier: [u8; 32]| StoreConfig {
        secret_verifier: Some(verifier),
        ..config(&dir.path().join("small.db"), database)
    };
    let source = {
        let handle = Handle::open(with(None, ours)).unwrap();
        register(&handle, "ann");
        handle.shutdown();
        dir.path().join("small.db")
    };
    copy_sqlite_to_postgres(&source, &pg_url(&empty)).expect("copied");
    let refused = Handle::open(with(Some(&empty), theirs)).map(|_| ());
    assert!(
        matches!(refused, Err(OpenError::OtherSecret)),
        "{refused:?}"
    );
    Handle::open(with(Some(&empty), ours))
        .expect("the source's secret serves")
        .shutdown();

    for (target, verifier) in [(&started_same, ours), (&started_other, theirs)] {
        Handle::open(with(Some(target), verifier))
            .expect("a node starts on the empty target")
            .shutdown();
    }
    copy_sqlite_to_postgres(&source, &pg_url(&started_same)).expect("the same secret");
    assert_eq!(users_in(&started_same), 1);
    let refused = copy_sqlite_to_postgres(&source, &pg_url(&started_other));
    assert!(
        matches!(refused, Err(CopyError::OtherSecret { .. })),
        "{refused:?}"
    );
    assert_eq!(users_in(&started_other), 0);
}

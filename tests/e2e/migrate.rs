//! `agora-server migrate`: a team moves from one node on SQLite to PostgreSQL
//! and keeps its history. A real server on SQLite gets users and history over
//! HTTP and is stopped; `agora-server migrate` copies its database; then a
//! server on the PostgreSQL database answers every history read for the same
//! tokens exactly as the SQLite one does, and new writes get ids above the
//! old ones. A second migrate into the now non-empty database is refused.

use crate::harness::{server_binary, Client, Runtime, Server, IO_TIMEOUT};
use crate::steps::{comment, output_within, temp_db};
use agora_tests::pg::{skipped, PgDatabase};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const NAMES: [&str; 4] = ["alice", "bob", "carol", "dan"];

/// Users, public and private messages, comments, edits, reactions,
/// deletions, reports (a caution and a ban), read positions: made through
/// HTTP. Returns the tokens and the id of
/// the message with comments.
fn fill(c: &mut Client) -> (Vec<String>, Value) {
    let tokens: Vec<String> = NAMES.iter().map(|name| c.token(name)).collect();
    let [alice, bob, carol, dan] = [&tokens[0], &tokens[1], &tokens[2], &tokens[3]];
    let send = |c: &mut Client, token: &str, body: Value| {
        c.post("/send", Some(token), body).expect(201)["message_id"].clone()
    };
    let m1 = send(c, alice, json!({"message": "m1"}));
    send(c, bob, json!({"message": "zéro\u{0}octet"}));
    let p1 = send(c, alice, json!({"message": "p1", "send_to": "bob"}));
    send(c, carol, json!({"message": "p2", "send_to": "alice"}));
    send(c, dan, json!({"message": "spam"}));
    for (token, text) in [(bob, "first!"), (carol, "second"), (alice, "third")] {
        comment(c, token, m1.clone(), text).expect(201);
    }
    comment(c, bob, p1.clone(), "psst").expect(201);
    // (issue 26) An edit with a mention, reactions, a deleted message and
    // a deleted comment.
    let edit = json!({"message_id": m1, "message": "m1 @bob"});
    c.post("/edit", Some(alice), edit).expect(200);
    for (token, emoji) in [(bob, "👍"), (carol, "👍"), (carol, "🎉")] {
        let body = json!({"message_id": m1, "emoji": emoji});
        c.post("/react", Some(token), body).expect(200);
    }
    let regret = send(c, carol, json!({"message": "regret"}));
    c.post("/delete", Some(carol), json!({"message_id": regret}))
        .expect(200);
    c.post("/delete", Some(bob), json!({"comment_id": 1}))
        .expect(200);
    for (reporter, target) in [(alice, "dan"), (bob, "dan"), (carol, "dan"), (dan, "bob")] {
        c.post(
            "/report",
            Some(reporter),
            json!({"report_on": target, "chat_type": "public"}),
        );
    }
    c.post("/connect", Some(bob), json!({})).expect(200); // bob has read m1..
    send(c, alice, json!({"message": "m3"}));
    (tokens, m1)
}

/// Every history read of every user, in one order (a `/connect` moves the
/// caller's read position, so what follows depends on it).
fn reads(server: &Server, tokens: &[String], m1: &Value) -> Vec<Value> {
    let mut c = server.client();
    let mut answers = Vec::new();
    for token in tokens {
        let token = Some(token.as_str());
        answers.push(c.get("/status", token).expect(200));
        answers.push(c.get("/events?since=0&timeout=0", token).expect(200));
        answers.push(c.get("/events?since=5&timeout=0", token).expect(200));
        for query in ["", "&limit=1", "&limit=1&before=3"] {
            let path = format!("/comments?message_id={m1}{query}");
            answers.push(c.get(&path, token).expect(200));
        }
        answers.push(
            c.post("/connect", token, json!({"messages_number": 2}))
                .expect(200),
        );
        for name in NAMES {
            let reply = c.post("/connect", token, json!({"chat_with": name}));
            answers.push(json!({"status": reply.status, "body": reply.json()}));
        }
    }
    answers
}

/// `agora-server migrate --from db --to url`, bounded in time.
pub(crate) fn migrate(db: &Path, url: &str) -> Output {
    let child = Command::new(server_binary())
        .args(["migrate", "--from"])
        .arg(db)
        .args(["--to", url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn agora-server migrate");
    output_within(child, IO_TIMEOUT * 3, "agora-server migrate")
}

/// The log of a node on `url` with the tests' PostgreSQL secret file, which
/// is expected to refuse to start.
fn migrated_node_exit(url: &str) -> String {
    let mut command = Command::new(server_binary());
    command
        .args(["--host", "127.0.0.1", "--port", "0", "--db", url])
        .env("AGORA_SECRET_FILE", agora_tests::pg_secret_file())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let child = command.spawn().expect("spawn agora-server");
    let out = output_within(child, IO_TIMEOUT * 3, "agora-server refusing to start");
    assert_eq!(out.status.code(), Some(1));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `url` with a password in it (the test cluster trusts every local user,
/// so it is not checked): it must never be printed.
fn with_password(url: &str) -> String {
    url.replacen("postgres://postgres@", "postgres://postgres:hunter2@", 1)
}

#[test]
fn a_sqlite_history_moves_to_postgres() {
    let Some(database) = PgDatabase::fresh() else {
        return skipped("migrate::a_sqlite_history_moves_to_postgres");
    };
    let (_dir, db) = temp_db();
    let server = Server::start_on(Runtime::Tokio, &db, &[]);
    let (tokens, m1) = fill(&mut server.client());
    server.stop();

    let url = with_password(database.url());
    assert!(url.contains("hunter2"), "the test cluster's URL: {url}");
    let copied = migrate(&db, &url);
    let stdout = String::from_utf8_lossy(&copied.stdout);
    let stderr = String::from_utf8_lossy(&copied.stderr);
    assert!(copied.status.success(), "{stdout}\n{stderr}");
    for table in [
        "users", "chats", "members", "messages", "comments", "reports", "events",
    ] {
        assert!(stdout.contains(table), "{table} in: {stdout}");
    }
    assert!(
        !format!("{stdout}{stderr}").contains("hunter2"),
        "{stdout}\n{stderr}"
    );

    // (issue 28) The copy holds the SQLite node's secret verifier: a node
    // with another secret file is refused; the SQLite node's file serves.
    let refused = migrated_node_exit(database.url());
    assert!(
        refused.contains("this database was written with another secret file"),
        "{refused}"
    );
    let secret = db.with_extension("db.secret");
    assert!(secret.is_file(), "the SQLite node's secret file");
    let secret_arg = ["--secret-file", secret.to_str().unwrap()];

    // The same history on both: SQLite (started again) and PostgreSQL.
    let sqlite = Server::start_on(Runtime::Tokio, &db, &[]);
    let postgres = Server::start_on_url(Runtime::Blocking, database.url(), &secret_arg);
    let before = reads(&sqlite, &tokens, &m1);
    let after = reads(&postgres, &tokens, &m1);
    assert_eq!(before.len(), after.len());
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        assert_eq!(b, a, "read {i}");
    }
    // What was compared is the history: alice's events, the three comments
    // on m1, dan's ban.
    let comments = &before[3];
    assert_eq!(
        comments["comments"].as_array().unwrap().len(),
        3,
        "{comments}"
    );
    assert!(
        before[1]["events"].as_array().unwrap().len() >= 8,
        "{}",
        before[1]
    );
    let dan_status = &before[3 * (before.len() / tokens.len())];
    assert!(!dan_status["banned_until"].is_null(), "{dan_status}");

    // New writes continue after the old ids.
    let mut c = postgres.client();
    let last_event = before[1]["next"].as_i64().unwrap();
    let new_id = c
        .post(
            "/send",
            Some(&tokens[0]),
            json!({"message": "after the move"}),
        )
        .expect(201)["message_id"]
        .as_i64()
        .unwrap();
    let old_ids: Vec<i64> = before[1]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["message"]["id"].as_i64())
        .collect();
    assert!(
        old_ids.iter().all(|&id| id < new_id),
        "{new_id} after {old_ids:?}"
    );
    let eve = c.token("eve");
    let events = c
        .get(&format!("/events?since={last_event}&timeout=5"), Some(&eve))
        .expect(200);
    assert_eq!(events["events"][0]["message"]["id"], new_id, "{events}");
    assert!(events["events"][0]["id"].as_i64().unwrap() > last_event);
    drop(c);
    sqlite.stop();
    postgres.stop();

    // The target now holds rows: a second migrate is refused, exit code 3.
    let again = migrate(&db, &url);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("not empty"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

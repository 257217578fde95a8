//! The server secret (issue 28): a keyed `/get-token` or `/login` is
//! answered again with the same token (after a restart; on PostgreSQL also
//! by another node) while no database file (SQLite, WAL included) and no
//! row (PostgreSQL) holds the token; a keyed `/login` or `/password` leaves
//! neither the password nor an unkeyed SHA-256 of its body in the database;
//! a node started with another secret file refuses to start.

use crate::harness::{db_arg, on_postgres_now, server_binary, Client, Reply, Runtime, Server};
use crate::steps::{pg_tables, temp_db, wait_for_exit};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

per_runtime!(
    kept_tokens_and_passwords_are_not_in_the_database,
    another_secret_file_is_refused
);

const PASSWORD: &str = "a distinctive passphrase 4e1d";
const NEW_PASSWORD: &str = "another distinctive passphrase b07c";

/// A POST of `body` (its exact bytes) with an `Idempotency-Key`.
fn keyed_post(c: &mut Client, path: &str, token: Option<&str>, key: &str, body: &str) -> Reply {
    let mut head = format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    head.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\nIdempotency-Key: {key}\r\n\r\n",
        body.len()
    ));
    c.send_raw(&[head.as_bytes(), body.as_bytes()].concat());
    c.read_reply().expect("a response")
}

/// What the database must not hold of a request: a plain SHA-256 of its
/// body, and of method, target and body length-prefixed (the fingerprint
/// this build no longer keeps).
fn unkeyed_hashes(path: &str, body: &str) -> Vec<[u8; 32]> {
    let mut fingerprint = Sha256::new();
    for part in [b"POST".as_slice(), path.as_bytes(), body.as_bytes()] {
        fingerprint.update((part.len() as u64).to_be_bytes());
        fingerprint.update(part);
    }
    vec![
        Sha256::digest(body.as_bytes()).into(),
        fingerprint.finalize().into(),
    ]
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The requests whose traces are looked for, and the tokens they answered.
struct Traces {
    /// Byte strings none of which may be in the database.
    forbidden: Vec<(String, Vec<u8>)>,
}

impl Traces {
    fn clear(&mut self, what: &str, bytes: &[u8]) {
        self.forbidden.push((what.to_owned(), bytes.to_vec()));
    }

    fn body(&mut self, path: &str, body: &str) {
        for hash in unkeyed_hashes(path, body) {
            self.clear(&format!("a SHA-256 of {path}'s body"), &hash);
        }
    }
}

fn kept_tokens_and_passwords_are_not_in_the_database(rt: Runtime) {
    let (dir, db) = temp_db();
    let mut traces = Traces {
        forbidden: Vec::new(),
    };
    let server = Server::start_on(rt, &db, &[]);
    let mut c = server.client();
    let register = json!({"user_name": "alice"}).to_string();
    let registered = keyed_post(&mut c, "/get-token", None, "reg-1", &register);
    let token = registered.expect(200)["token"].as_str().unwrap().to_owned();
    traces.clear("the /get-token token", token.as_bytes());
    let set = json!({ "password": PASSWORD }).to_string();
    keyed_post(&mut c, "/password", Some(&token), "pw-1", &set).expect(200);
    traces.clear("the password", PASSWORD.as_bytes());
    traces.body("/password", &set);
    let change = json!({ "password": NEW_PASSWORD, "old_password": PASSWORD }).to_string();
    keyed_post(&mut c, "/password", Some(&token), "pw-2", &change).expect(200);
    traces.clear("the new password", NEW_PASSWORD.as_bytes());
    traces.body("/password", &change);
    let login =
        json!({ "user_name": "alice", "password": NEW_PASSWORD, "device": "laptop" }).to_string();
    let logged_in = keyed_post(&mut c, "/login", None, "login-1", &login);
    let device = logged_in.expect(200)["token"].as_str().unwrap().to_owned();
    traces.clear("the /login token", device.as_bytes());
    traces.body("/login", &login);
    drop(c);
    server.stop();

    // After a restart, the same keys from the same address: the same tokens,
    // given again, and still only one device more.
    let server = Server::start_on(rt, &db, &[]);
    let replays = |server: &Server| {
        let mut c = server.client();
        let again = keyed_post(&mut c, "/get-token", None, "reg-1", &register);
        assert_eq!(again.expect(200)["token"], token.as_str());
        assert_eq!(again.header("idempotency-replayed"), Some("true"));
        let again = keyed_post(&mut c, "/login", None, "login-1", &login);
        assert_eq!(again.expect(200)["token"], device.as_str());
        assert_eq!(again.header("idempotency-replayed"), Some("true"));
        let sessions = c.get("/sessions", Some(&token)).expect(200);
        assert_eq!(sessions["sessions"].as_array().unwrap().len(), 2);
    };
    replays(&server);
    if on_postgres_now() {
        // And by another node on the same database.
        let other = Server::start_on(rt, &db, &[]);
        replays(&other);
        let hits = pg_rows_holding(&db_arg(&db).into_string().unwrap(), &traces);
        assert!(hits.is_empty(), "in PostgreSQL: {hits:?}");
        // The scan does see what is stored: the kept keys.
        let url = db_arg(&db).into_string().unwrap();
        assert_eq!(pg_count(&url, "SELECT count(*) FROM idempotency_keys"), 4);
        other.stop();
        server.stop();
    } else {
        // While it runs (the WAL holds the newest pages) and after the stop.
        let hits = files_holding(dir.path(), &traces);
        assert!(hits.is_empty(), "in the files, running: {hits:?}");
        server.stop();
        let hits = files_holding(dir.path(), &traces);
        assert!(hits.is_empty(), "in the database files: {hits:?}");
    }
}

/// Which of the forbidden byte strings each file of `dir` holds (as bytes,
/// or as their hex).
fn files_holding(dir: &Path, traces: &Traces) -> Vec<String> {
    let mut hits = Vec::new();
    let mut scanned = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        scanned += bytes.len();
        for (what, forbidden) in &traces.forbidden {
            for form in [forbidden.clone(), hex(forbidden).into_bytes()] {
                if bytes.windows(form.len()).any(|w| w == form.as_slice()) {
                    hits.push(format!("{what} in {}", path.display()));
                }
            }
        }
    }
    assert!(scanned > 0, "no files scanned in {}", dir.display());
    hits
}

fn pg_client(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).expect("connect to the test database")
}

fn pg_count(url: &str, sql: &str) -> i64 {
    pg_client(url).query_one(sql, &[]).unwrap().get(0)
}

/// Which of the forbidden byte strings a row of any table holds, in its
/// text form (bytea shows as hex there).
fn pg_rows_holding(url: &str, traces: &Traces) -> Vec<String> {
    let mut client = pg_client(url);
    let tables = pg_tables(&mut client);
    assert!(tables.iter().any(|t| t == "idempotency_keys"), "{tables:?}");
    let mut hits = Vec::new();
    for table in tables {
        let rows = client
            .query(&format!("SELECT t::text FROM \"{table}\" t"), &[])
            .unwrap();
        for row in rows {
            let text: String = row.get(0);
            for (what, forbidden) in &traces.forbidden {
                let forms = [
                    String::from_utf8_lossy(forbidden).into_owned(),
                    hex(forbidden),
                ];
                if forms.iter().any(|form| text.contains(form.as_str())) {
                    hits.push(format!("{what} in {table}"));
                }
            }
        }
    }
    hits
}

/// `agora-server` on `db` with `args`, expected to exit; its status and
/// log.
fn run_to_exit(db: &Path, args: &[&str]) -> (ExitStatus, String) {
    let mut command = Command::new(server_binary());
    command
        .args(["--host", "127.0.0.1", "--port", "0", "--db"])
        .arg(db_arg(db))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if on_postgres_now() {
        command.env("AGORA_SECRET_FILE", agora_tests::pg_secret_file());
    }
    wait_for_exit(command.spawn().expect("spawn agora-server"), args)
}

fn another_secret_file_is_refused(rt: Runtime) {
    let (dir, db) = temp_db();
    let server = Server::start_on(rt, &db, &[]);
    server.client().token("alice");
    server.stop();
    if !on_postgres_now() {
        // The default: beside the database, owner-only.
        use std::os::unix::fs::PermissionsExt;
        let made = dir.path().join("agora.db.secret");
        let mode = std::fs::metadata(&made).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A new file (made now, then removed: it would be wrong on every
    // later start too), and one of another node.
    let other = dir.path().join("other.secret");
    let arg = other.to_str().unwrap();
    let refused = |(status, log): (ExitStatus, String)| {
        assert_eq!(status.code(), Some(1), "{log}");
        assert!(
            log.contains("this database was written with another secret file") && log.contains(arg),
            "{log}"
        );
    };
    refused(run_to_exit(&db, &["--secret-file", arg]));
    assert!(
        !other.exists(),
        "the file made for the refused start is gone"
    );
    std::fs::write(&other, format!("{}\n", "5a".repeat(32))).unwrap();
    refused(run_to_exit(&db, &["--secret-file", arg]));
    assert!(other.exists(), "a file given by the operator stays");

    // A file agora did not write.
    std::fs::write(&other, "not a secret\n").unwrap();
    let (status, log) = run_to_exit(&db, &["--secret-file", arg]);
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(log.contains("is not one agora-server wrote"), "{log}");

    // The right one still serves.
    let server = Server::start_on(rt, &db, &[]);
    server.client().token("bob");
    server.stop();
}

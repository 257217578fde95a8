//! Accounts and devices (issue 28): passwords, `/login` on a new device,
//! throttling per name and per client address, `/sessions`, `/logout`, a
//! revoked token refused at once and its open stream and long-poll ended,
//! and no password in the clear in any database file.

use crate::harness::{request_bytes, Client, Reply, Runtime, Server};
use crate::sse::SseStream;
use crate::steps::{entry, insert_fields, temp_db};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

per_runtime!(
    passwords_and_login,
    unknown_name_and_wrong_password_alike,
    login_throttled_per_name,
    login_throttled_per_address,
    a_login_forgets_the_names_failures,
    sessions_and_logout,
    revoked_token_stream_and_long_poll_end,
    login_retried_with_its_key_per_address,
);

per_runtime_sqlite!(password_is_in_no_database_file);

const PASSWORD: &str = "correct horse battery";

fn set_password(c: &mut Client, token: &str, password: &str, old: Option<&str>) -> Reply {
    let mut body = json!({ "password": password });
    if let Some(old) = old {
        body["old_password"] = json!(old);
    }
    c.post("/password", Some(token), body)
}

fn login(c: &mut Client, name: &str, password: &str) -> Reply {
    login_from(c, name, password, None)
}

/// `/login`, with an `X-Forwarded-For` when given (the server trusts
/// 127.0.0.1 as a proxy in the scenarios that use it).
fn login_from(c: &mut Client, name: &str, password: &str, address: Option<&str>) -> Reply {
    let body = json!({ "user_name": name, "password": password, "device": "test" });
    let mut bytes = request_bytes("POST", "/login", None, Some(&body));
    if let Some(address) = address {
        insert_fields(&mut bytes, &format!("X-Forwarded-For: {address}\r\n"));
    }
    c.send_raw(&bytes);
    c.read_reply().expect("a response")
}

/// A user with a password, and its `/get-token` token.
fn user_with_password(c: &mut Client, name: &str) -> String {
    let token = c.token(name);
    set_password(c, &token, PASSWORD, None).expect(200);
    token
}

fn device_token(reply: &Reply) -> String {
    reply.expect(200)["token"].as_str().unwrap().to_owned()
}

fn passwords_and_login(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let token = c.token("alice");
    // 8 to 256 characters.
    set_password(&mut c, &token, "seven77", None).expect_error(400, "invalid_password");
    let long = "x".repeat(257);
    set_password(&mut c, &token, &long, None).expect_error(400, "invalid_password");
    c.post("/password", Some(&token), json!({}))
        .expect_error(400, "missing_field");
    c.post("/password", None, json!({ "password": PASSWORD }))
        .expect_error(401, "unauthorized");
    // No password yet: none can sign in.
    login(&mut c, "alice", PASSWORD).expect_error(401, "login_failed");
    let set = set_password(&mut c, &token, PASSWORD, None).expect(200);
    assert_eq!(set["info"], "password set");

    // A new device: a new token, for the user as registered (any case).
    let reply = login(&mut c, "ALICE", PASSWORD);
    let body = reply.expect(200);
    assert_eq!(body["user_name"], "alice");
    assert!(body["device_id"].is_string(), "{body}");
    let laptop = body["token"].as_str().unwrap().to_owned();
    assert_eq!(laptop.len(), 32);
    assert_ne!(laptop, token);
    let status = c.get("/status", Some(&laptop)).expect(200);
    assert_eq!(status["connected_as"], "alice");
    // Both tokens stay valid.
    c.get("/status", Some(&token)).expect(200);

    // Changing it needs the old one.
    let new = "a new password";
    set_password(&mut c, &laptop, new, None).expect_error(403, "wrong_password");
    set_password(&mut c, &laptop, new, Some("not the old one")).expect_error(403, "wrong_password");
    set_password(&mut c, &laptop, new, Some(PASSWORD)).expect(200);
    login(&mut c, "alice", PASSWORD).expect_error(401, "login_failed");
    device_token(&login(&mut c, "alice", new));
}

fn unknown_name_and_wrong_password_alike(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    user_with_password(&mut c, "alice");
    let timed = |c: &mut Client, name: &str| {
        let started = Instant::now();
        let reply = login(c, name, "wrong password");
        (reply, started.elapsed())
    };
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..3 {
        let (a, ta) = timed(&mut c, "alice");
        let (b, tb) = timed(&mut c, "nobody");
        assert_eq!((a.status, &a.body), (b.status, &b.body), "the same answer");
        a.expect_error(401, "login_failed");
        wrong.push(ta);
        unknown.push(tb);
    }
    wrong.sort();
    unknown.sort();
    // An unknown name is hashed against a dummy: it costs a hash too, not
    // the ~1 ms of a lookup (a generous bound: the same order of magnitude).
    assert!(
        unknown[1] * 4 >= wrong[1],
        "unknown name {unknown:?} vs wrong password {wrong:?}"
    );
}

/// `Retry-After` (whole seconds), agreeing with the body's `retry_after`.
fn retry_after(reply: &Reply) -> u64 {
    let header: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert_eq!(reply.json()["retry_after"], header);
    header
}

fn login_throttled_per_name(rt: Runtime) {
    let server = Server::start(rt, &["--trusted-proxy", "127.0.0.1/32"]);
    let mut c = server.client();
    user_with_password(&mut c, "alice");
    user_with_password(&mut c, "bob");
    // Ten failures for one name, from ten addresses.
    for i in 0..10 {
        let from = format!("198.51.100.{i}");
        login_from(&mut c, "alice", "wrong password", Some(&from))
            .expect_error(401, "login_failed");
    }
    // Then 429, whatever the password and the address.
    for (password, from) in [(PASSWORD, "203.0.113.7"), ("wrong password", "203.0.113.8")] {
        let refused = login_from(&mut c, "alice", password, Some(from));
        refused.expect_error(429, "login_throttled");
        let wait = retry_after(&refused);
        assert!((880..=900).contains(&wait), "15 minutes: {wait}");
    }
    // Other names are not locked.
    device_token(&login_from(&mut c, "bob", PASSWORD, Some("198.51.100.1")));
    // Counted per name without regard to case, and for unknown names too.
    login(&mut c, "Alice", PASSWORD).expect_error(429, "login_throttled");
    for _ in 0..10 {
        login(&mut c, "ghost", "wrong password").expect_error(401, "login_failed");
    }
    login(&mut c, "ghost", "wrong password").expect_error(429, "login_throttled");
}

/// A successful `/login` forgets its name's failures: 9, a success, then 10
/// more before `login_throttled`.
fn a_login_forgets_the_names_failures(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    user_with_password(&mut c, "alice");
    for _ in 0..9 {
        login(&mut c, "alice", "wrong password").expect_error(401, "login_failed");
    }
    device_token(&login(&mut c, "alice", PASSWORD));
    for i in 0..10 {
        let reply = login(&mut c, "alice", "wrong password");
        assert_eq!(reply.status, 401, "failure {i} after the success");
    }
    login(&mut c, "alice", PASSWORD).expect_error(429, "login_throttled");
}

fn login_throttled_per_address(rt: Runtime) {
    let server = Server::start(rt, &["--trusted-proxy", "127.0.0.1/32"]);
    let mut c = server.client();
    user_with_password(&mut c, "alice");
    let attacker = Some("198.51.100.66");
    // 30 failures from one address, on names none of which reaches 10.
    for i in 0..30 {
        let name = format!("victim{}", i % 4);
        login_from(&mut c, &name, "guess", attacker).expect_error(401, "login_failed");
    }
    // That address is throttled on every name, a right password too...
    let refused = login_from(&mut c, "alice", PASSWORD, attacker);
    refused.expect_error(429, "login_throttled");
    assert!(retry_after(&refused) > 0);
    // ... and did not lock the name for anyone else.
    device_token(&login_from(&mut c, "alice", PASSWORD, Some("203.0.113.5")));
}

fn sessions_and_logout(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let first = user_with_password(&mut c, "alice");
    let bob = c.token("bob");
    let phone = device_token(&login(&mut c, "alice", PASSWORD));

    let sessions = c.get("/sessions", Some(&phone)).expect(200)["sessions"].clone();
    let sessions = sessions.as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["device"], "test");
    for s in &sessions {
        assert!(
            s["created"].is_string() && s["last_used"].is_string(),
            "{s}"
        );
    }
    let first_id = sessions.iter().find(|s| s["current"] == false).unwrap()["device_id"].clone();
    // Bob's sessions are his alone.
    let bobs = c.get("/sessions", Some(&bob)).expect(200);
    assert_eq!(bobs["sessions"].as_array().unwrap().len(), 1);

    // Another user's device, an unknown one: 404.
    let bob_device = bobs["sessions"][0]["device_id"].clone();
    c.post("/logout", Some(&phone), json!({ "device_id": bob_device }))
        .expect_error(404, "device_not_found");
    c.post("/logout", Some(&phone), json!({ "device_id": "9999" }))
        .expect_error(404, "device_not_found");
    c.get("/status", Some(&bob)).expect(200);

    // Sign out the first device from the phone: refused at once.
    c.post("/logout", Some(&phone), json!({ "device_id": first_id }))
        .expect(200);
    c.get("/status", Some(&first))
        .expect_error(401, "unauthorized");
    c.post("/send", Some(&first), json!({ "message": "hi" }))
        .expect_error(401, "unauthorized");
    let left = c.get("/sessions", Some(&phone)).expect(200);
    assert_eq!(left["sessions"].as_array().unwrap().len(), 1);

    // Sign out oneself.
    c.post("/logout", Some(&phone), json!({})).expect(200);
    c.get("/status", Some(&phone))
        .expect_error(401, "unauthorized");
    c.get("/sessions", Some(&phone))
        .expect_error(401, "unauthorized");
    // The account lives on: sign in again.
    device_token(&login(&mut c, "alice", PASSWORD));
}

fn revoked_token_stream_and_long_poll_end(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let first = user_with_password(&mut c, "alice");
    let laptop = device_token(&login(&mut c, "alice", PASSWORD));
    let head = c.get("/events", Some(&laptop)).expect(200)["next"]
        .as_i64()
        .unwrap();

    let mut stream = SseStream::open(server.addr, &laptop, None, None);
    assert_eq!(stream.status, 200);
    // A long-poll of the same token, held.
    let mut poll = Client::connect(server.addr);
    poll.send_raw(&request_bytes(
        "GET",
        &format!("/events?since={head}&timeout=60"),
        Some(&laptop),
        None,
    ));
    std::thread::sleep(Duration::from_millis(300));

    let sessions = c.get("/sessions", Some(&first)).expect(200);
    let session = entry(&sessions["sessions"], "device", "test").expect("the laptop's session");
    let laptop_id = &session["device_id"];
    c.post("/logout", Some(&first), json!({ "device_id": laptop_id }))
        .expect(200);

    // The long-poll is answered at once (not after its 60 s)...
    let started = Instant::now();
    let answered = poll.read_reply().expect("the long-poll is answered");
    assert!(started.elapsed() < Duration::from_secs(5));
    let events = answered.expect(200)["events"].clone();
    assert_eq!(events[0]["type"], "signed_out", "{events}");
    // ... and the stream ends.
    let (_, kind, _) = stream.next_event(Duration::from_secs(5)).expect("an event");
    assert_eq!(kind, "signed_out");
    assert!(
        stream.ends_within(Duration::from_secs(5)),
        "the stream ends"
    );
    // Reconnecting with the revoked token: 401.
    let again = SseStream::open(server.addr, &laptop, None, Some(head));
    assert_eq!(again.status, 401);
    // The other device's token works on.
    c.get("/events", Some(&first)).expect(200);
}

fn password_is_in_no_database_file(rt: Runtime) {
    let (dir, db) = temp_db();
    let server = Server::start_on(rt, &db, &[]);
    let mut c = server.client();
    let secret = "a quite distinctive passphrase 7f3a";
    let token = c.token("alice");
    set_password(&mut c, &token, secret, None).expect(200);
    let again = "another distinctive passphrase 9c1b";
    set_password(&mut c, &token, again, Some(secret)).expect(200);
    login(&mut c, "alice", again).expect(200);
    login(&mut c, "alice", secret).expect_error(401, "login_failed");
    // While running (the WAL holds the latest pages) and after the stop.
    let scan = |when: &str| {
        let mut seen_hash = false;
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            for clear in [secret, again] {
                assert!(
                    !bytes.windows(clear.len()).any(|w| w == clear.as_bytes()),
                    "{when}: {clear:?} in {}",
                    path.display()
                );
            }
            seen_hash |= bytes.windows(10).any(|w| w == b"$argon2id$");
        }
        // The scan does see what was stored: the hash.
        assert!(seen_hash, "{when}: no Argon2id hash in the files");
    };
    scan("running");
    server.stop();
    scan("stopped");
}

/// `/login` with an `Idempotency-Key` from `address` (behind the trusted
/// proxy 127.0.0.1).
fn keyed_login(c: &mut Client, key: &str, address: &str) -> Reply {
    let body = json!({ "user_name": "alice", "password": PASSWORD, "device": "retry" });
    let mut bytes = request_bytes("POST", "/login", None, Some(&body));
    let fields = format!("Idempotency-Key: {key}\r\nX-Forwarded-For: {address}\r\n");
    insert_fields(&mut bytes, &fields);
    c.send_raw(&bytes);
    c.read_reply().expect("a response")
}

fn login_retried_with_its_key_per_address(rt: Runtime) {
    let server = Server::start(rt, &["--trusted-proxy", "127.0.0.1/32"]);
    let mut c = server.client();
    let first = user_with_password(&mut c, "alice");
    let devices = |c: &mut Client| {
        let sessions = c.get("/sessions", Some(&first)).expect(200);
        sessions["sessions"].as_array().unwrap().len()
    };
    // A retry with the same key from the same address: the first answer
    // again, one device made.
    let once = keyed_login(&mut c, "k1", "198.51.100.1");
    let again = keyed_login(&mut c, "k1", "198.51.100.1");
    assert_eq!(once.expect(200), again.expect(200));
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
    assert_eq!(devices(&mut c), 2);
    // Keys are per client address: another address's key is its own.
    let other = keyed_login(&mut c, "k1", "198.51.100.2");
    assert_ne!(other.expect(200)["token"], once.json()["token"]);
    assert_eq!(devices(&mut c), 3);
}

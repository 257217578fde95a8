//! `Idempotency-Key` on POSTs (API.md, "Retries and abuse"): a request
//! repeating a key gets the first answer again and changes nothing, also
//! after a restart; the key with another request is refused 422; keys are
//! per user; a 503 is not kept.

use crate::harness::{request_bytes, Client, Reply, Runtime, Server};
use crate::steps::{send_public, server_with_users, temp_db};
use crate::store_faults::set_file_size_limit;
use agora_tests::pg::{self, PgDatabase};
use serde_json::{json, Value};

per_runtime!(
    idempotent_send_is_answered_once,
    idempotent_key_reused_for_another_request_is_422,
    idempotent_key_survives_a_restart,
    idempotent_keys_are_per_user,
    idempotent_get_token_issues_one_token,
    idempotent_get_token_keys_are_per_client_address,
    idempotent_malformed_key_is_400,
);
per_runtime_sqlite!(idempotent_503_is_not_kept);

/// A key used on one PostgreSQL node is answered from its kept answer on
/// another (two nodes, two runtimes, one database).
#[test]
fn idempotent_key_is_replayed_on_another_node() {
    let Some(db) = PgDatabase::fresh() else {
        return pg::skipped("idempotent_key_is_replayed_on_another_node");
    };
    let one = Server::start_on_url(Runtime::Tokio, db.url(), &[]);
    let two = Server::start_on_url(Runtime::Blocking, db.url(), &[]);
    let mut c1 = one.client();
    let mut c2 = two.client();
    let ann = c1.token("ann");
    let body = json!({"message": "one node"});
    let first = post_keyed(&mut c1, "/send", Some(&ann), "nodes", &body);
    first.expect(201);
    let again = post_keyed(&mut c2, "/send", Some(&ann), "nodes", &body);
    assert_replayed(&first, &again);
    assert_eq!(public_texts(&mut c2, &ann), ["one node"]);
}

/// POSTs `body` to `path` with `Idempotency-Key: key`.
fn post_keyed(c: &mut Client, path: &str, token: Option<&str>, key: &str, body: &Value) -> Reply {
    c.send_raw(&with_headers(
        request_bytes("POST", path, token, Some(body)),
        &[("Idempotency-Key", key)],
    ));
    c.read_reply().expect("a response")
}

/// `request` with `headers` added after its request line.
fn with_headers(request: Vec<u8>, headers: &[(&str, &str)]) -> Vec<u8> {
    let line_end = request
        .windows(2)
        .position(|w| w == b"\r\n")
        .expect("a request line")
        + 2;
    let mut bytes = request[..line_end].to_vec();
    for (name, value) in headers {
        bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    bytes.extend_from_slice(&request[line_end..]);
    bytes
}

/// The public chat's message texts, as `reader` sees them (read, then
/// unread).
fn public_texts(c: &mut Client, reader: &str) -> Vec<String> {
    let page = c
        .post("/connect", Some(reader), json!({"messages_number": 100}))
        .expect(200);
    ["messages", "unread_messages"]
        .iter()
        .flat_map(|list| page[list].as_array().expect("a list of messages").clone())
        .map(|m| m["message_text"].as_str().expect("message_text").to_owned())
        .collect()
}

fn assert_replayed(first: &Reply, again: &Reply) {
    assert_eq!(again.status, first.status);
    assert_eq!(
        String::from_utf8_lossy(&again.body),
        String::from_utf8_lossy(&first.body)
    );
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
    assert_eq!(first.header("idempotency-replayed"), None);
}

fn idempotent_send_is_answered_once(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let ann = c.token("ann");
    let body = json!({"message": "only once"});
    let first = post_keyed(&mut c, "/send", Some(&ann), "send-1", &body);
    first.expect(201);
    // On another connection too: the key is the user's, not the socket's.
    let mut other = server.client();
    let again = post_keyed(&mut other, "/send", Some(&ann), "send-1", &body);
    assert_replayed(&first, &again);
    assert_eq!(public_texts(&mut c, &ann), ["only once"]);
    // A read-only POST goes through it too.
    let connect = json!({"messages_number": 5});
    let page = post_keyed(&mut c, "/connect", Some(&ann), "connect-1", &connect);
    page.expect(200);
    send_public(&mut c, &ann, "later");
    let replayed = post_keyed(&mut c, "/connect", Some(&ann), "connect-1", &connect);
    assert_replayed(&page, &replayed);
}

fn idempotent_key_reused_for_another_request_is_422(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let ann = c.token("ann");
    post_keyed(&mut c, "/send", Some(&ann), "k", &json!({"message": "a"})).expect(201);
    post_keyed(&mut c, "/send", Some(&ann), "k", &json!({"message": "b"}))
        .expect_error(422, "idempotency_key_reused");
    post_keyed(&mut c, "/connect", Some(&ann), "k", &json!({}))
        .expect_error(422, "idempotency_key_reused");
    assert_eq!(public_texts(&mut c, &ann), ["a"]);
}

fn idempotent_key_survives_a_restart(rt: Runtime) {
    let (_dir, db) = temp_db();
    let server = Server::start_on(rt, &db, &[]);
    let mut c = server.client();
    let ann = c.token("ann");
    let body = json!({"message": "before the restart"});
    let first = post_keyed(&mut c, "/send", Some(&ann), "restart", &body);
    first.expect(201);
    drop(c);
    server.stop();

    let server = Server::start_on(rt, &db, &[]);
    let mut c = server.client();
    let again = post_keyed(&mut c, "/send", Some(&ann), "restart", &body);
    assert_replayed(&first, &again);
    assert_eq!(public_texts(&mut c, &ann), ["before the restart"]);
}

fn idempotent_keys_are_per_user(rt: Runtime) {
    let (_server, mut c, [ann, bob]) = server_with_users(rt, ["ann", "bob"]);
    let body = json!({"message": "same words"});
    let anns = post_keyed(&mut c, "/send", Some(&ann), "shared", &body);
    anns.expect(201);
    let bobs = post_keyed(&mut c, "/send", Some(&bob), "shared", &body).expect(201);
    assert_ne!(anns.json()["message_id"], bobs["message_id"]);
    // Each user's key still stands for that user's request.
    let again = post_keyed(&mut c, "/send", Some(&ann), "shared", &body);
    assert_replayed(&anns, &again);
    assert_eq!(public_texts(&mut c, &ann), ["same words", "same words"]);
}

fn idempotent_get_token_issues_one_token(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let body = json!({"user_name": "carol"});
    let first = post_keyed(&mut c, "/get-token", None, "register", &body);
    let token = first.expect(200)["token"].as_str().unwrap().to_owned();
    let again = post_keyed(&mut c, "/get-token", None, "register", &body);
    assert_replayed(&first, &again);
    c.get("/status", Some(&token)).expect(200);
    // Without the key it is a second registration of the name.
    c.post("/get-token", None, body)
        .expect_error(409, "token_already_issued");
}

/// Behind a trusted proxy, two client addresses may use the same key on
/// `/get-token`; one address reusing its key for another name is refused.
fn idempotent_get_token_keys_are_per_client_address(rt: Runtime) {
    let server = Server::start(rt, &["--trusted-proxy", "127.0.0.1/32"]);
    let mut c = server.client();
    let register = |c: &mut Client, from: &str, name: &str| {
        let body = json!({ "user_name": name });
        let request = with_headers(
            request_bytes("POST", "/get-token", None, Some(&body)),
            &[("Idempotency-Key", "signup"), ("X-Forwarded-For", from)],
        );
        c.send_raw(&request);
        c.read_reply().expect("a response")
    };
    register(&mut c, "10.0.0.1", "erin").expect(200);
    register(&mut c, "10.0.0.2", "frank").expect(200);
    register(&mut c, "10.0.0.1", "grace").expect_error(422, "idempotency_key_reused");
    let again = register(&mut c, "10.0.0.2", "frank");
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
}

fn idempotent_malformed_key_is_400(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let ann = c.token("ann");
    let too_long = "k".repeat(65);
    for key in ["", "has space", "dot.ted", too_long.as_str()] {
        post_keyed(&mut c, "/send", Some(&ann), key, &json!({"message": "x"}))
            .expect_error(400, "invalid_idempotency_key");
    }
    let twice = with_headers(
        request_bytes("POST", "/send", Some(&ann), Some(&json!({"message": "x"}))),
        &[("Idempotency-Key", "a"), ("Idempotency-Key", "a")],
    );
    c.send_raw(&twice);
    c.read_reply()
        .expect("a response")
        .expect_error(400, "invalid_idempotency_key");
    post_keyed(
        &mut c,
        "/send",
        Some(&ann),
        &"k".repeat(64),
        &json!({"message": "y"}),
    )
    .expect(201);
    assert_eq!(public_texts(&mut c, &ann), ["y"]);
}

/// While the database cannot be written the keyed send is answered 503;
/// the same key afterwards applies it, once.
fn idempotent_503_is_not_kept(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let ann = c.token("ann");
    let body = json!({"message": "after the fault"});
    let old = set_file_size_limit(server.pid(), 0);
    post_keyed(&mut c, "/send", Some(&ann), "retry", &body).expect_error(503, "store_unavailable");
    set_file_size_limit(server.pid(), old.rlim_cur);
    let applied = post_keyed(&mut c, "/send", Some(&ann), "retry", &body);
    applied.expect(201);
    assert_eq!(applied.header("idempotency-replayed"), None);
    let again = post_keyed(&mut c, "/send", Some(&ann), "retry", &body);
    assert_replayed(&applied, &again);
    assert_eq!(public_texts(&mut c, &ann), ["after the fault"]);
}

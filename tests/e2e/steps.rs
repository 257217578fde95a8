//! Steps that many scenarios take, given one home so that each scenario reads
//! as what it checks: a scenario's opening (a server, a client, users'
//! tokens), a database path of its own, a few users' tokens, a message sent,
//! the texts of a chat, a report, a curl run; a room made, joined, left or
//! invited into; a chat connected to and read up to a message; the event
//! cursor and a page of events; a chat's `/status` entry and a list's entry
//! by a field; the ids of a list; a paged target; a server run that must
//! exit by itself; PostgreSQL's tables. Each step asserts what every caller
//! asserted before (a `201` for a send, curl's success).

use crate::harness::{Client, Reply, Runtime, Server, IO_TIMEOUT};
use serde_json::{json, Value};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// A fresh temporary folder and the database path `agora.db` in it; the
/// folder (and with it the database) goes when the `TempDir` is dropped.
pub fn temp_db() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("agora.db");
    (dir, db)
}

/// A token for each name, in order (`POST /get-token`, `200`).
pub fn tokens<const N: usize>(c: &mut Client, names: [&str; N]) -> [String; N] {
    names.map(|name| c.token(name))
}

/// A scenario's usual opening: a server on `rt` started with `flags`, a
/// client of it and a token for each of `names`, in order.
pub fn server_with_flags_and_users<const N: usize>(
    rt: Runtime,
    flags: &[&str],
    names: [&str; N],
) -> (Server, Client, [String; N]) {
    let server = Server::start(rt, flags);
    let (c, tokens) = users(&server, names);
    (server, c, tokens)
}

/// [`server_with_flags_and_users`] with the server's defaults: the most
/// usual opening.
pub fn server_with_users<const N: usize>(
    rt: Runtime,
    names: [&str; N],
) -> (Server, Client, [String; N]) {
    server_with_flags_and_users(rt, &[], names)
}

/// A client of `server` and a token for each of `names`, in order.
pub fn users<const N: usize>(server: &Server, names: [&str; N]) -> (Client, [String; N]) {
    let mut c = server.client();
    let tokens = tokens(&mut c, names);
    (c, tokens)
}

/// `POST /send` with `body`, which must be acknowledged (`201`): the message's id.
pub fn sent_id(c: &mut Client, token: &str, body: Value) -> i64 {
    c.post("/send", Some(token), body).expect(201)["message_id"]
        .as_i64()
        .expect("a message id")
}

/// A public message `text` sent by `token` (`201`): its id.
pub fn send_public(c: &mut Client, token: &str, text: &str) -> i64 {
    sent_id(c, token, json!({ "message": text }))
}

/// Each of `texts` sent by `token` to the public chat in order (each `201`):
/// their ids.
pub fn send_public_all<T: AsRef<str>>(
    c: &mut Client,
    token: &str,
    texts: impl IntoIterator<Item = T>,
) -> Vec<i64> {
    texts
        .into_iter()
        .map(|text| send_public(c, token, text.as_ref()))
        .collect()
}

/// The texts of a list of messages, in order.
pub fn texts(messages: &Value) -> Vec<String> {
    messages
        .as_array()
        .expect("a list of messages")
        .iter()
        .map(|m| m["message_text"].as_str().expect("message_text").to_owned())
        .collect()
}

/// The texts of a `/connect` answer: its read messages, then its unread ones.
pub fn chat_texts(chat: &Value) -> Vec<String> {
    let mut all = texts(&chat["messages"]);
    all.extend(texts(&chat["unread_messages"]));
    all
}

/// `POST /report` by `token` on user `on` in the chat of type `chat_type`.
pub fn report(c: &mut Client, token: &str, on: &str, chat_type: &str) -> Reply {
    c.post(
        "/report",
        Some(token),
        json!({"report_on": on, "chat_type": chat_type}),
    )
}

/// Runs curl, bounded to 10 s, with `-w write_out` and then `args`; panics with
/// curl's own error unless it succeeded.
pub fn curl(write_out: &str, args: &[&str]) -> Output {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "-w", write_out])
        .args(args)
        .output()
        .expect("run curl");
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A message `text` from `token` sent to `to`: a user (a private message), or
/// the public chat by its name (`201`): its id.
pub fn send_to(c: &mut Client, token: &str, to: &str, text: &str) -> i64 {
    sent_id(c, token, json!({ "message": text, "send_to": to }))
}

/// `POST /comment` by `token` on message `message_id`.
pub fn comment(c: &mut Client, token: &str, message_id: impl Into<Value>, text: &str) -> Reply {
    c.post(
        "/comment",
        Some(token),
        json!({"message_id": message_id.into(), "comment": text}),
    )
}

/// A room message `text` sent by `token` to `room` (`201`): its id.
pub fn send_room(c: &mut Client, token: &str, room: &str, text: &str) -> i64 {
    sent_id(c, token, json!({"message": text, "send_to": room}))
}

/// `POST /rooms`: `token` creates `room` with `visibility` (`201`).
pub fn create_room(c: &mut Client, token: &str, room: &str, visibility: &str) {
    c.post(
        "/rooms",
        Some(token),
        json!({"room": room, "visibility": visibility}),
    )
    .expect(201);
}

/// `POST /invite`: `token` invites `user` into `room` (`201`).
pub fn invite(c: &mut Client, token: &str, room: &str, user: &str) {
    c.post(
        "/invite",
        Some(token),
        json!({"room": room, "user_name": user}),
    )
    .expect(201);
}

/// `POST /join`: `token` joins `room` (`200`).
pub fn join(c: &mut Client, token: &str, room: &str) {
    c.post("/join", Some(token), json!({"room": room}))
        .expect(200);
}

/// `POST /leave`: `token` leaves `room` (`200`).
pub fn leave(c: &mut Client, token: &str, room: &str) {
    c.post("/leave", Some(token), json!({"room": room}))
        .expect(200);
}

/// The message ids of a page of `GET /search` results, in order.
pub fn result_ids(page: &Value) -> Vec<i64> {
    page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["message"]["id"].as_i64().expect("an id"))
        .collect()
}

/// The event cursor's head for `token` (`GET /events`, `200`).
pub fn head(c: &mut Client, token: &str) -> i64 {
    c.get("/events", Some(token)).expect(200)["next"]
        .as_i64()
        .expect("a cursor")
}

/// The events after `since` that `token` gets from one page of
/// `GET /events`, waiting up to `timeout` seconds for the first (`200`).
pub fn events_since(c: &mut Client, token: &str, since: i64, timeout: u64) -> Vec<Value> {
    let page = c
        .get(
            &format!("/events?since={since}&timeout={timeout}"),
            Some(token),
        )
        .expect(200);
    page["events"].as_array().expect("events").clone()
}

/// Waits (bounded by [`IO_TIMEOUT`]) for `child`, an `agora-server` run with
/// its stderr piped that is expected to exit by itself; its status and
/// stderr. One that starts serving instead is killed and the test fails,
/// naming it by `args`.
pub fn wait_for_exit(mut child: Child, args: &[&str]) -> (ExitStatus, String) {
    let mut stderr = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if started.elapsed() > IO_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            let log = reader.join().unwrap_or_default();
            panic!("agora-server {args:?} did not exit; it logged:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    (status, reader.join().expect("stderr reader"))
}

/// The names of the tables of a PostgreSQL database's `public` schema.
pub fn pg_tables(pg: &mut postgres::Client) -> Vec<String> {
    pg.query(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
        &[],
    )
    .unwrap()
    .iter()
    .map(|row| row.get(0))
    .collect()
}

/// `fields` (header lines, each ending in CRLF) put into the raw request
/// `bytes` right after its request line.
pub fn insert_fields(bytes: &mut Vec<u8>, fields: &str) {
    let at = bytes.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    bytes.splice(at..at, fields.bytes());
}

/// The entry `GET /status` (`200`) lists for the chat named `name` of
/// `token`'s, if any.
pub fn status_chat(c: &mut Client, token: &str, name: &str) -> Option<Value> {
    let status = c.get("/status", Some(token)).expect(200);
    entry(&status["chats"], "name", name)
}

/// The first object of a list (chats, rooms, sessions) whose `field` is
/// `value`, if any.
pub fn entry(list: &Value, field: &str, value: impl Into<Value>) -> Option<Value> {
    let value = value.into();
    list.as_array()
        .expect("a list")
        .iter()
        .find(|item| item[field] == value)
        .cloned()
}

/// The ids of a list of objects (messages, comments), in order.
pub fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|item| item["id"].as_i64().expect("an id"))
        .collect()
}

/// The string `field` of each object of a list, in order.
pub fn field_strings(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|item| item[field].as_str().expect(field).to_owned())
        .collect()
}

/// `target` (which has a query already) with `&limit=` and `&before=` for
/// those given: one page of a history paged back.
pub fn paged(target: &str, limit: Option<u32>, before: Option<i64>) -> String {
    let mut target = target.to_owned();
    if let Some(limit) = limit {
        target.push_str(&format!("&limit={limit}"));
    }
    if let Some(before) = before {
        target.push_str(&format!("&before={before}"));
    }
    target
}

/// Waits for `child` to exit within `within`, then its output; kills it and
/// fails the test with "`what` did not finish" when it does not.
pub fn output_within(mut child: Child, within: Duration, what: &str) -> Output {
    let started = Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        if started.elapsed() > within {
            let _ = child.kill();
            panic!("{what} did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("its output")
}

/// `POST /connect` by `token` to the chat `chat` with the `messages` newest
/// read messages (`200`): the page.
pub fn connect_to(c: &mut Client, token: &str, chat: &str, messages: u32) -> Value {
    let body = json!({"chat_with": chat, "messages_number": messages});
    c.post("/connect", Some(token), body).expect(200)
}

/// `POST /read`: `token` has read `chat` up to message `up_to` (`200`): the
/// answer (the unread count left).
pub fn read_up_to(c: &mut Client, token: &str, chat: &str, up_to: i64) -> Value {
    let body = json!({"chat_with": chat, "up_to": up_to});
    c.post("/read", Some(token), body).expect(200)
}

/// A message text of 4,096 characters, most of them four-byte emoji,
/// starting with `tag`: big in bytes for its count of characters.
pub fn long_text(tag: &str) -> String {
    let mut text = format!("{tag} ");
    text.extend(std::iter::repeat_n('😀', 4096 - text.chars().count()));
    text
}

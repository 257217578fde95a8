//! Issue 25's `GET /messages` and `GET /users`, through decode -> rules over
//! the model -> encode: the query, the page, its budget, and what it leaves
//! alone.

use crate::rules_support;

use agora_core::api;
use agora_core::command::{ChatRef, Command};
use agora_core::config::Config;
use agora_core::token::Token;
use rules_support::{assert_error, body, ids, request, seed_config, Server};
use serde_json::Value;

fn decode(target: &str) -> Command {
    let token = "0123456789abcdef0123456789abcdef";
    let r = request("GET", target, Some(token), "");
    api::decode(&r, &Config::default(), [127, 0, 0, 1].into(), &mut || {
        Token([7; 16])
    })
    .expect("decoded")
}

#[test]
fn the_queries_decode_with_their_defaults() {
    let caller = Token::from_hex(b"0123456789abcdef0123456789abcdef")
        .unwrap()
        .hash();
    assert_eq!(
        decode("/messages?chat=PUBLIC_chat"),
        Command::Messages {
            caller,
            chat: ChatRef::Public,
            before: None,
            limit: 50,
        }
    );
    assert_eq!(
        decode("/messages?chat=Bob&before=1.7e1&limit=100"),
        Command::Messages {
            caller,
            chat: ChatRef::Private("Bob".into()),
            before: Some(17),
            limit: 100,
        }
    );
    assert_eq!(
        decode("/users"),
        Command::Users {
            caller,
            prefix: String::new(),
            after: None,
            limit: 50,
        }
    );
    assert_eq!(
        decode("/users?q=Al%20x&after=AL.b&limit=3"),
        Command::Users {
            caller,
            prefix: "Al x".into(),
            after: Some("AL.b".into()),
            limit: 3,
        }
    );
}

fn get(s: &mut Server, token: &str, target: &str) -> Value {
    let r = s.call("GET", target, Some(token), "");
    assert_eq!(
        r.status,
        200,
        "{target}: {}",
        String::from_utf8_lossy(&r.body)
    );
    body(&r)
}

fn sent(s: &mut Server, token: &str, to: Option<&str>, text: &str) -> i64 {
    let r = s.send(token, to, text);
    assert_eq!(r.status, 201);
    body(&r)["message_id"].as_i64().unwrap()
}

#[test]
fn history_pages_back_by_id_and_moves_no_read_position() {
    let mut s = Server::seeded(|c| c.quota = 100);
    let [alice, bob] = s.register_all(["alice", "bob"]);
    let all: Vec<i64> = (0..9)
        .map(|i| sent(&mut s, &alice, None, &i.to_string()))
        .collect();
    // Page by page back from the newest; exactly `limit` left is no more.
    for (limit, before, expected, more) in [
        (4, None, &all[5..], true),
        (4, Some(all[5]), &all[1..5], true),
        (4, Some(all[1]), &all[..1], false),
        (5, Some(all[5]), &all[..5], false),
    ] {
        let before = before.map_or(String::new(), |id| format!("&before={id}"));
        let target = format!("/messages?chat=public_chat&limit={limit}{before}");
        let page = get(&mut s, &bob, &target);
        assert_eq!(ids(&page["messages"]), expected, "{target}");
        assert_eq!(page["more"], more, "{target}");
    }

    // bob read nothing: all nine are still unread.
    let connect = body(&s.connect(&bob, None, Some(1)));
    assert_eq!(ids(&connect["unread_messages"]), all);
}

#[test]
fn history_stops_at_its_byte_budget_keeping_the_newest() {
    let mut s = Server::with_config(Config {
        quota: 100,
        messages_page_budget: 1000,
        ..seed_config()
    });
    let [alice] = s.register_all(["alice"]);
    let text = "x".repeat(300);
    let all: Vec<i64> = (0..5).map(|_| sent(&mut s, &alice, None, &text)).collect();
    let page = get(&mut s, &alice, "/messages?chat=public_chat");
    let got = ids(&page["messages"]);
    assert!(got.len() < 5 && !got.is_empty(), "{got:?}");
    assert_eq!(got, all[5 - got.len()..]);
    assert_eq!(page["more"], true);
    assert!(page["messages"].to_string().len() <= 1000);
}

#[test]
fn history_names_only_the_callers_chats() {
    let mut s = Server::new();
    let [alice, bob, carol] = s.register_all(["alice", "Bob", "carol"]);
    let private = sent(&mut s, &alice, Some("bob"), "psst");
    let page = get(&mut s, &alice, "/messages?chat=BOB");
    assert_eq!(page["chat"], "Bob");
    assert_eq!(ids(&page["messages"]), [private]);
    let page = get(&mut s, &carol, "/messages?chat=bob");
    assert_eq!(ids(&page["messages"]), Vec::<i64>::new());
    let r = s.call("GET", "/messages?chat=dave", Some(&carol), "");
    assert_error(&r, 404, "user_not_found", None);
    let r = s.call("GET", "/messages?chat=Carol", Some(&carol), "");
    assert_error(&r, 400, "self_target", Some("chat"));
    let r = s.call("GET", "/messages?chat=bob", Some(&"0".repeat(32)), "");
    assert_eq!(r.status, 401);
    let _ = bob;
}

fn names(page: &Value) -> Vec<&str> {
    page["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_name"].as_str().unwrap())
        .collect()
}

#[test]
fn users_are_listed_by_name_key_after_after() {
    let mut s = Server::new();
    let [me, ..] = s.register_all(["bob", "Al_d", "al9", "AL-c", "alex", "ann"]);
    let page = get(&mut s, &me, "/users?q=aL");
    assert_eq!(names(&page), ["AL-c", "al9", "Al_d", "alex"]);
    assert_eq!(page["more"], false);
    let page = get(&mut s, &me, "/users?limit=2&after=AL9");
    assert_eq!(names(&page), ["Al_d", "alex"]);
    assert_eq!(page["more"], true);
    let page = get(&mut s, &me, "/users?q=a&after=alex");
    assert_eq!(names(&page), ["ann"]);
    assert_eq!(page["more"], false);
    for q in ["b%20", "%C3%A9", &"a".repeat(33)] {
        let page = get(&mut s, &me, &format!("/users?q={q}"));
        assert_eq!(names(&page), Vec::<&str>::new(), "{q}");
    }
}

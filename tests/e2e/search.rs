//! `GET /search` (issue 27): words matched whole, without regard to case or
//! accents, the last also as a prefix; newest first, paged with `before`;
//! only what the caller can see; `chat=` narrows to one chat; bad queries
//! are 400. The last scenario makes the same data on SQLite and on
//! PostgreSQL (sent over HTTP, and copied by `agora-server migrate`) and
//! compares every answer.

use crate::harness::{Client, Runtime, Server};
use crate::steps::{
    result_ids, send_public, send_to, server_with_flags_and_users, server_with_users, temp_db,
};
use agora_tests::pg::{skipped, PgDatabase};
use serde_json::Value;

per_runtime!(
    search_matches_words_without_case_or_accents_and_the_last_as_a_prefix,
    search_finds_only_what_the_caller_can_see,
    search_pages_newest_first_with_before,
    search_refuses_bad_queries,
    search_never_finds_deleted_and_finds_edited_by_their_new_words,
);

/// `q` percent-encoded (spaces, accents and all).
fn encoded(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn search(c: &mut Client, token: &str, query: &str) -> Value {
    c.get(&format!("/search?q={query}"), Some(token))
        .expect(200)
}

fn found(c: &mut Client, token: &str, q: &str) -> Vec<i64> {
    result_ids(&search(c, token, &encoded(q)))
}

fn search_matches_words_without_case_or_accents_and_the_last_as_a_prefix(rt: Runtime) {
    let (_server, mut c, [alice, bob]) = server_with_users(rt, ["alice", "bob"]);
    let cafe = send_public(&mut c, &alice, "We deployed the Café at noon");
    let cafeteria = send_public(&mut c, &bob, "Cafeteria menu: soup");
    let deploy_now = send_public(&mut c, &alice, "DEPLOY now, please");
    let naive = send_public(&mut c, &bob, "a naïve ÉLAN");
    let redeploy = send_public(&mut c, &alice, "redeploy later");

    // Whole words, any case, any accent, either way round.
    assert_eq!(found(&mut c, &bob, "cafe at"), [cafe]);
    assert_eq!(found(&mut c, &bob, "CAFÉ the"), [cafe]);
    assert_eq!(found(&mut c, &bob, "naive elan"), [naive]);
    assert_eq!(found(&mut c, &bob, "NAÏVE Élan"), [naive]);
    // The last word is also a prefix; the others are not.
    assert_eq!(found(&mut c, &bob, "cafe"), [cafeteria, cafe]);
    assert_eq!(found(&mut c, &bob, "deplo"), [deploy_now, cafe]);
    assert_eq!(found(&mut c, &bob, "now deplo"), [deploy_now]);
    assert_eq!(found(&mut c, &bob, "deploy no"), [deploy_now]);
    assert_eq!(found(&mut c, &bob, "deplo now"), Vec::<i64>::new());
    assert_eq!(found(&mut c, &bob, "caf noon"), Vec::<i64>::new());
    // A word inside another is not a word.
    assert_eq!(found(&mut c, &bob, "ploy"), Vec::<i64>::new());
    assert_eq!(found(&mut c, &bob, "redeploy"), [redeploy]);
    // Punctuation separates words in the text and in the query alike.
    assert_eq!(found(&mut c, &bob, "menu: soup!"), [cafeteria]);
    assert_eq!(found(&mut c, &bob, "now,"), [deploy_now]);

    // A result is the chat and the message as `/connect` shows it.
    let page = search(&mut c, &bob, "noon");
    assert_eq!(page["more"], false);
    let result = &page["results"][0];
    assert_eq!(result["chat_type"], "public");
    assert_eq!(result["chat"], "public_chat");
    let history = c
        .post("/connect", Some(&bob), serde_json::json!({}))
        .expect(200);
    let shown = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .chain(history["unread_messages"].as_array().unwrap())
        .find(|m| m["id"] == cafe)
        .expect("the message in the history")
        .clone();
    assert_eq!(result["message"], shown);
}

fn search_finds_only_what_the_caller_can_see(rt: Runtime) {
    let (_server, mut c, [alice, bob, carol, dan]) =
        server_with_users(rt, ["alice", "bob", "carol", "dan"]);
    let public = send_public(&mut c, &alice, "launch party tonight");
    // A word frequent in other people's private chats, nowhere else for alice.
    let mut secrets = Vec::new();
    for i in 0..30 {
        secrets.push(send_to(&mut c, &bob, "carol", &format!("launch code {i}")));
    }
    let to_alice = send_to(&mut c, &dan, "alice", "launch from dan");
    let dan_bob = send_to(&mut c, &dan, "bob", "launch dan bob");

    assert_eq!(found(&mut c, &alice, "launch"), [to_alice, public]);
    assert_eq!(found(&mut c, &alice, "code"), Vec::<i64>::new());
    let page = search(&mut c, &alice, "launch");
    assert_eq!(page["results"][0]["chat_type"], "private");
    assert_eq!(page["results"][0]["chat"], "dan");
    assert_eq!(page["results"][1]["chat_type"], "public");

    // carol sees her chat with bob and the public chat.
    let mut expected: Vec<i64> = secrets.iter().rev().take(20).copied().collect();
    assert_eq!(found(&mut c, &carol, "launch"), expected);
    let page = search(&mut c, &carol, "launch");
    assert_eq!(page["more"], true);
    assert_eq!(page["results"][0]["chat"], "bob");

    // `chat=` narrows to one chat: a user name is the private chat with them.
    let only = |c: &mut Client, token: &str, chat: &str| {
        result_ids(
            &c.get(
                &format!("/search?q=launch&chat={chat}&limit=100"),
                Some(token),
            )
            .expect(200),
        )
    };
    expected = secrets.iter().rev().copied().collect();
    assert_eq!(only(&mut c, &carol, "bob"), expected);
    assert_eq!(only(&mut c, &carol, "BOB"), expected);
    assert_eq!(only(&mut c, &carol, "public_chat"), [public]);
    assert_eq!(only(&mut c, &bob, "dan"), [dan_bob]);
    // No chat with that user yet: nothing; no such user: 404; oneself: 400.
    assert_eq!(only(&mut c, &alice, "carol"), Vec::<i64>::new());
    c.get("/search?q=launch&chat=nobody", Some(&alice))
        .expect_error(404, "user_not_found");
    c.get("/search?q=launch&chat=alice", Some(&alice))
        .expect_error(400, "self_target");
}

fn search_pages_newest_first_with_before(rt: Runtime) {
    let (_server, mut c, [alice, bob]) =
        server_with_flags_and_users(rt, &["--quota", "100"], ["alice", "bob"]);
    let mut all = Vec::new();
    for i in 0..25 {
        let text = format!("standup note {i}");
        all.push(if i % 3 == 0 {
            send_to(&mut c, &alice, "bob", &text)
        } else {
            send_public(&mut c, &alice, &text)
        });
        send_public(&mut c, &bob, &format!("unrelated {i}"));
    }
    all.reverse();

    // The default page is 20, then the rest.
    let first = search(&mut c, &bob, "standup");
    assert_eq!(result_ids(&first), all[..20]);
    assert_eq!(first["more"], true);
    let last = all[19];
    let second = search(&mut c, &bob, &format!("standup&before={last}"));
    assert_eq!(result_ids(&second), all[20..]);
    assert_eq!(second["more"], false);

    // Any limit pages through every match once, newest first.
    for limit in [1, 7, 25, 100] {
        let mut seen: Vec<i64> = Vec::new();
        let mut before: Option<i64> = None;
        loop {
            let mut target = format!("/search?q=note&limit={limit}");
            if let Some(before) = before {
                target.push_str(&format!("&before={before}"));
            }
            let page = c.get(&target, Some(&bob)).expect(200);
            let page_ids = result_ids(&page);
            assert!(page_ids.len() <= limit, "{limit}: {page_ids:?}");
            seen.extend(&page_ids);
            if page["more"] == false {
                break;
            }
            before = page_ids.last().copied();
        }
        assert_eq!(seen, all, "limit {limit}");
    }
    // `before` the oldest match: nothing.
    let oldest = all[24];
    let page = search(&mut c, &bob, &format!("standup&before={oldest}"));
    assert_eq!(result_ids(&page), Vec::<i64>::new());
    assert_eq!(page["more"], false);
}

fn search_refuses_bad_queries(rt: Runtime) {
    let (_server, mut c, [alice]) = server_with_users(rt, ["alice"]);
    send_public(&mut c, &alice, "hello");
    let long = "a".repeat(257);
    let longest = "a".repeat(256);
    for (target, code, field) in [
        ("/search", "invalid_query", "q"),
        ("/search?q=", "invalid_query", "q"),
        ("/search?q=%20%21%3F-", "invalid_query", "q"),
        (&format!("/search?q={long}"), "invalid_query", "q"),
        ("/search?q=hello&q=hello", "invalid_query", "q"),
        ("/search?q=hello&page=2", "invalid_query", "page"),
        ("/search?q=hello&limit=0", "invalid_limit", "limit"),
        ("/search?q=hello&limit=101", "invalid_limit", "limit"),
        ("/search?q=hello&limit=ten", "invalid_field", "limit"),
        ("/search?q=hello&before=0", "invalid_field", "before"),
        ("/search?q=hello&before=x", "invalid_field", "before"),
        ("/search?q=hello&chat=no%20one", "invalid_user_name", "chat"),
    ] {
        let refused = c.get(target, Some(&alice)).expect_error(400, code);
        assert_eq!(refused["field"], field, "{target}");
    }
    // 256 characters is a query; integral numbers may be written as floats.
    assert_eq!(
        result_ids(&search(&mut c, &alice, &longest)),
        Vec::<i64>::new()
    );
    let page = c
        .get("/search?q=hello&limit=1.0e1&before=1e3", Some(&alice))
        .expect(200);
    assert_eq!(page["results"][0]["message"]["message_text"], "hello");
    c.get("/search?q=hello", None)
        .expect_error(401, "unauthorized");
    let wrong = c.post("/search?q=hello", Some(&alice), serde_json::json!({}));
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("allow"), Some("GET"));
}

fn search_never_finds_deleted_and_finds_edited_by_their_new_words(rt: Runtime) {
    let (_server, mut c, [alice, bob]) = server_with_users(rt, ["alice", "bob"]);
    let public = send_public(&mut c, &alice, "the rollout is on Tuesday");
    let private = send_to(&mut c, &alice, "bob", "rollout password swordfish");
    let other = send_public(&mut c, &bob, "rollout checklist");
    assert_eq!(found(&mut c, &bob, "rollout"), [other, private, public]);

    let edit = |c: &mut Client, token: &str, id: i64, text: &str| {
        let body = serde_json::json!({"message_id": id, "message": text});
        c.post("/edit", Some(token), body).expect(200);
    };
    edit(&mut c, &alice, public, "the launch is on Wednesday");
    assert_eq!(found(&mut c, &bob, "rollout"), [other, private]);
    assert_eq!(found(&mut c, &bob, "tuesday"), Vec::<i64>::new());
    assert_eq!(found(&mut c, &bob, "launch wednes"), [public]);
    let page = search(&mut c, &bob, "wednesday");
    assert_eq!(
        page["results"][0]["message"]["message_text"],
        "the launch is on Wednesday"
    );

    let body = serde_json::json!({"message_id": private});
    c.post("/delete", Some(&alice), body).expect(200);
    for q in ["rollout", "password", "swordfish", "sword"] {
        let found = found(&mut c, &bob, q);
        assert!(!found.contains(&private), "{q}: {found:?}");
        let found_by_author = result_ids(&search(&mut c, &alice, &encoded(q)));
        assert!(
            !found_by_author.contains(&private),
            "{q}: {found_by_author:?}"
        );
    }
    assert_eq!(found(&mut c, &bob, "rollout"), [other]);
    // An edit that takes every word away: nothing to find it by.
    edit(&mut c, &bob, other, "🚀🚀🚀");
    assert_eq!(found(&mut c, &bob, "rollout"), Vec::<i64>::new());
    assert_eq!(found(&mut c, &bob, "checklist"), Vec::<i64>::new());
}

/// Messages with words common and rare, accents, prefixes, in public and
/// private chats and a private room (`#Lab`: ana and ben in it, cleo only
/// invited); sent in one order so that ids agree between servers.
fn fill(c: &mut Client) -> Vec<String> {
    let names = ["ana", "ben", "cleo", "dev"];
    let tokens: Vec<String> = names.iter().map(|name| c.token(name)).collect();
    let room = serde_json::json!({"room": "#Lab", "visibility": "private"});
    c.post("/rooms", Some(&tokens[0]), room).expect(201);
    for invited in ["ben", "cleo"] {
        let body = serde_json::json!({"room": "#lab", "user_name": invited});
        c.post("/invite", Some(&tokens[0]), body).expect(201);
    }
    let body = serde_json::json!({"room": "#lab"});
    c.post("/join", Some(&tokens[1]), body).expect(200);
    let texts = [
        "Déjà vu at the café",
        "the deploy is done",
        "DEPLOYED to prod, café closed",
        "naïve question about the deploy",
        "Привет, мир: deploy",
        "ﬁne-tuned ＡＢＣ model",
        "x_y 3.14 and e-mail@example.com",
    ];
    for (i, text) in texts.iter().cycle().take(60).enumerate() {
        let from = &tokens[i % names.len()];
        let body = match i % 3 {
            _ if i % 5 == 4 => {
                serde_json::json!({"message": format!("{text} {i}"), "send_to": "#lab"})
            }
            0 => serde_json::json!({"message": format!("{text} {i}")}),
            _ => {
                let to = names[(i + 1 + i / 3) % names.len()];
                serde_json::json!({"message": format!("{text} {i}"), "send_to": to})
            }
        };
        // Sending to oneself, or to #lab by a non-member, is refused alike
        // on both; only 201s count.
        c.post("/send", Some(from), body);
    }
    tokens
}

/// Every user's answers to a list of queries, with the times left out
/// (each server stamps its own).
fn answers(server: &Server, tokens: &[String]) -> Vec<Value> {
    let mut c = server.client();
    let mut all = Vec::new();
    let queries = [
        "cafe",
        "CAFÉ",
        "deplo",
        "deploy",
        "the deploy",
        "deja vu",
        "привет",
        "МИР",
        "fine",
        "abc",
        "tuned",
        "x",
        "14",
        "example",
        "com",
        "mail",
        "e",
        "prod cafe",
        "nothing",
        "d",
    ];
    for token in tokens {
        for q in queries {
            for extra in [
                "",
                "&limit=3",
                "&before=30",
                "&chat=public_chat",
                "&chat=ben",
                "&chat=%23LAB",
            ] {
                let target = format!("/search?q={}{extra}", encoded(q));
                let reply = c.get(&target, Some(token));
                let mut body = reply.json();
                if let Some(results) = body["results"].as_array_mut() {
                    for result in results {
                        result["message"]["pub_date"] = Value::Null;
                    }
                }
                all.push(serde_json::json!({"q": target, "status": reply.status, "body": body}));
            }
        }
    }
    all
}

#[test]
fn search_answers_alike_on_sqlite_and_postgresql() {
    let Some(sent) = PgDatabase::fresh() else {
        return skipped("search::search_answers_alike_on_sqlite_and_postgresql");
    };
    let Some(copied) = PgDatabase::fresh() else {
        return skipped("search::search_answers_alike_on_sqlite_and_postgresql");
    };
    let (_dir, db) = temp_db();
    let sqlite = Server::start_on(Runtime::Tokio, &db, &[]);
    let tokens = fill(&mut sqlite.client());
    let on_sqlite = answers(&sqlite, &tokens);
    sqlite.stop();
    let found: usize = on_sqlite
        .iter()
        .map(|a| a["body"]["results"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(found > 500, "the queries find something: {found}");
    let in_room = on_sqlite
        .iter()
        .filter_map(|a| a["body"]["results"].as_array())
        .flatten()
        .filter(|r| r["chat_type"] == "room" && r["chat"] == "#Lab")
        .count();
    assert!(in_room > 20, "the room's messages are found: {in_room}");

    // The same requests on PostgreSQL (new tokens, the same ids and texts).
    let postgres = Server::start_on_url(Runtime::Smol, sent.url(), &[]);
    let pg_tokens = fill(&mut postgres.client());
    let on_postgres = answers(&postgres, &pg_tokens);
    for (i, (s, p)) in on_sqlite.iter().zip(&on_postgres).enumerate() {
        assert_eq!(s, p, "answer {i}");
    }
    assert_eq!(on_sqlite.len(), on_postgres.len());
    postgres.stop();

    // The SQLite file copied by `agora-server migrate`: indexed on the way.
    let copy = crate::migrate::migrate(&db, copied.url());
    assert!(copy.status.success(), "{copy:?}");
    // Its nodes serve with the SQLite node's secret file (issue 28).
    let secret = db.with_extension("db.secret");
    let migrated = Server::start_on_url(
        Runtime::Blocking,
        copied.url(),
        &["--secret-file", secret.to_str().unwrap()],
    );
    let on_migrated = answers(&migrated, &tokens);
    for (i, (s, m)) in on_sqlite.iter().zip(&on_migrated).enumerate() {
        assert_eq!(s, m, "answer {i} after migrate");
    }
}

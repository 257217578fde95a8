//! Search on PostgreSQL (issue 27) through the store: every way a chat is
//! searched (the vocabulary says the chat lacks a word; a window of its
//! newest rows holds the page; the window ends short and the GIN index
//! gives the rest; the GIN index alone) finds exactly what
//! `SearchQuery::matches` says, page after page; and the per-chat
//! vocabulary, `message_search_terms`, always equals a count of the index's
//! rows: after sends, edits and deletes (a deleted text's words leave it),
//! and when the migration that makes it runs on a database without it.

use crate::support;

use agora_core::command::{ChatRef, Command, Outcome, Target};
use agora_core::search::SearchQuery;
use agora_core::token::TokenHash;
use agora_core::view::MessageId;
use agora_store::Handle;
use agora_tests::pg::PgDatabase;
use std::time::Duration;
use support::{expected, fresh_pg, pg_config, register, register_all};

fn open(database: &PgDatabase) -> Handle {
    let mut config = pg_config(database);
    config.rules.register_rate = 0;
    config.rules.quota = u32::MAX;
    Handle::open(config).expect("the store opens on PostgreSQL")
}

fn run(handle: &Handle, command: Command) -> Outcome {
    handle
        .submit(command)
        .unwrap()
        .wait_timeout(Duration::from_secs(30))
        .unwrap()
}

/// Sends `texts` to `to`, many in flight at a time (as clients do: the
/// store batches them); their ids, in order.
fn send_all(handle: &Handle, caller: TokenHash, to: &ChatRef, texts: &[String]) -> Vec<MessageId> {
    let mut ids = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(100) {
        let pending: Vec<_> = chunk
            .iter()
            .map(|text| {
                let command = Command::Send {
                    caller,
                    to: to.clone(),
                    text: text.clone(),
                };
                handle.submit(command).unwrap()
            })
            .collect();
        for pending in pending {
            match pending.wait_timeout(Duration::from_secs(30)).unwrap() {
                Outcome::MessageSent { message_id, .. } => ids.push(message_id),
                other => panic!("send: {other:?}"),
            }
        }
    }
    ids
}

/// Every id `caller`'s search for `q` finds, page after page of 20.
fn found(handle: &Handle, caller: TokenHash, q: &str) -> Vec<MessageId> {
    let query = SearchQuery::parse(q).unwrap();
    let mut all = Vec::new();
    let mut before = None;
    loop {
        let command = Command::Search {
            caller,
            query: Box::new(query.clone()),
            chat: None,
            before,
            limit: 20,
        };
        let Outcome::SearchResults { results, more } = run(handle, command) else {
            panic!("search {q}");
        };
        all.extend(results.iter().map(|hit| hit.message.id));
        match (more, all.last()) {
            (true, Some(&last)) => before = Some(last),
            _ => return all,
        }
    }
}

/// Rows of the vocabulary that differ from a count of the index's lexemes
/// (either way): none when it is in step.
const VOCABULARY_OFF: &str = "SELECT count(*) FROM (
     (SELECT lexeme, messages FROM message_search_terms
      EXCEPT SELECT l, count(*) FROM message_search, unnest(tsvector_to_array(lexemes)) AS l
             GROUP BY l)
     UNION ALL
     (SELECT l, count(*) FROM message_search, unnest(tsvector_to_array(lexemes)) AS l GROUP BY l
      EXCEPT SELECT lexeme, messages FROM message_search_terms)) AS off";

fn vocabulary_off(database: &PgDatabase) -> i64 {
    support::pg_column::<i64>(database.url(), VOCABULARY_OFF)[0]
}

/// How many messages the vocabulary says hold `lexeme` (`<chat>:<word>`);
/// `None`: it has no row for it.
fn vocabulary(database: &PgDatabase, lexeme: &str) -> Option<i64> {
    support::pg_column::<i64>(
        database.url(),
        &format!("SELECT messages FROM message_search_terms WHERE lexeme = '{lexeme}'"),
    )
    .first()
    .copied()
}

/// The public chat's 3,000 texts: `often` in two of three (the newest rows
/// hold a page), `alpha beta` together in one of twenty (two words, still
/// in the window), `early` in the oldest 150 only (the window the counts
/// ask for ends short: the GIN index gives the rest), `lonely` in three
/// (the GIN index alone), and words that `deplo` starts, long and short
/// lists.
fn public_texts() -> Vec<String> {
    (0..3_000)
        .map(|i| {
            let mut words = vec![format!("filler{}", i % 97)];
            if i % 3 != 0 {
                words.push("often".into());
            }
            if i % 4 == 0 {
                words.push("alpha".into());
            }
            if i % 5 == 0 {
                words.push("beta".into());
            }
            if i < 150 {
                words.push("early".into());
            }
            if [7, 1_500, 2_990].contains(&i) {
                words.push("lonely".into());
            }
            if i % 50 == 0 {
                words.push("deployed".into());
            }
            if i % 700 == 0 {
                words.push(format!("deploy{}", i / 700));
            }
            words.join(" ")
        })
        .collect()
}

const QUERIES: &[&str] = &[
    "often",
    "oft",
    "alpha beta",
    "beta alp",
    "early",
    "earl",
    "lonely",
    "early lonely",
    "deplo",
    "deployed",
    "deploy3",
    "often lonely",
    "filler5",
    "secret",
    "nowhere",
    "alpha nowhere",
    "tiny",
    "private",
    "alpha priv",
    "deployab",
];

#[test]
fn pg_search_finds_by_every_path_and_its_vocabulary_follows_every_change() {
    let Some(database) = fresh_pg() else { return };
    let handle = open(&database);
    let [alice, bob, carol] = register_all(&handle, ["alice", "bob", "carol"]);
    let texts = public_texts();
    let ids = send_all(&handle, alice, &ChatRef::Public, &texts);
    let mut sent: Vec<(MessageId, String)> = ids.into_iter().zip(texts).collect();
    // alice's own private chat: a few messages, some words in both chats,
    // some in one (which of them hold a word is asked first, in one read).
    let private: Vec<String> = [
        "often private",
        "alpha beta privately",
        "tiny",
        "deployable",
    ]
    .map(String::from)
    .to_vec();
    let private_ids = send_all(&handle, alice, &ChatRef::Private("bob".into()), &private);
    sent.extend(private_ids.into_iter().zip(private));
    // A word common in a chat alice is not in: bob finds it, alice not.
    let secrets: Vec<String> = (0..300).map(|i| format!("secret often {i}")).collect();
    let secret_ids = send_all(&handle, bob, &ChatRef::Private("carol".into()), &secrets);

    for q in QUERIES {
        assert_eq!(found(&handle, alice, q), expected(&sent, q), "alice: {q}");
    }
    let secret: Vec<(MessageId, String)> = secret_ids.into_iter().zip(secrets).collect();
    let bobs = [&sent[..], &secret[..]].concat();
    let carols = [&sent[..3_000], &secret[..]].concat();
    for q in ["secret", "often", "private", "tiny"] {
        assert_eq!(found(&handle, bob, q), expected(&bobs, q), "bob: {q}");
        assert_eq!(found(&handle, carol, q), expected(&carols, q), "carol: {q}");
    }
    // dave is in four chats: which of the three after the first hold
    // every word is asked of the store first, in one read.
    let dave = register(&handle, "dave");
    let mut daves = sent[..3_000].to_vec();
    for other in ["alice", "bob", "carol"] {
        let texts: Vec<String> = ["often with", "tiny deployable", "early lonely"]
            .map(|t| format!("{t} {other}"))
            .to_vec();
        let ids = send_all(&handle, dave, &ChatRef::Private(other.into()), &texts);
        let chat: Vec<(MessageId, String)> = ids.into_iter().zip(texts).collect();
        if other == "alice" {
            sent.extend(chat.iter().cloned());
        }
        daves.extend(chat);
    }
    for q in QUERIES.iter().chain(&["bob", "with often"]) {
        assert_eq!(found(&handle, dave, q), expected(&daves, q), "dave: {q}");
    }
    // A hit comes with its message as a page shows it: text, author,
    // newest comments (read for all the hits at once).
    let commented = sent[2_999].0;
    let outcome = run(
        &handle,
        Command::Comment {
            caller: bob,
            message_id: commented,
            text: "a comment".into(),
        },
    );
    assert!(
        matches!(outcome, Outcome::CommentAdded { .. }),
        "{outcome:?}"
    );
    let command = Command::Search {
        caller: alice,
        query: Box::new(SearchQuery::parse("often").unwrap()),
        chat: Some(ChatRef::Public),
        before: None,
        limit: 5,
    };
    let Outcome::SearchResults { results, .. } = run(&handle, command) else {
        panic!("search often");
    };
    let hit = results.iter().find(|h| h.message.id == commented).unwrap();
    assert_eq!(hit.message.text, sent[2_999].1);
    assert_eq!(hit.message.author, "alice");
    assert_eq!(hit.message.comments_total, 1);
    let comments: Vec<(&str, &str)> = hit
        .message
        .comments
        .iter()
        .map(|c| (c.author.as_str(), c.text.as_str()))
        .collect();
    assert_eq!(comments, [("bob", "a comment")]);
    assert_eq!(vocabulary_off(&database), 0, "after the sends");
    assert_eq!(vocabulary(&database, "1:lonely"), Some(3));

    // An edit and a delete: the vocabulary follows, a word whose last
    // message goes leaves it, and the searches still agree.
    let (edited, _) = sent[2_990].clone(); // `lonely`, and the last `deployed`'s neighbour
    let (deleted, _) = sent[1_500].clone(); // `lonely deployed`
    let new_text = "rewritten early words".to_string();
    let outcome = run(
        &handle,
        Command::Edit {
            caller: alice,
            target: Target::Message(edited),
            text: new_text.clone(),
        },
    );
    assert!(matches!(outcome, Outcome::Edited { .. }), "{outcome:?}");
    let outcome = run(
        &handle,
        Command::Delete {
            caller: alice,
            target: Target::Message(deleted),
        },
    );
    assert!(matches!(outcome, Outcome::Deleted), "{outcome:?}");
    sent[2_990].1 = new_text;
    sent[1_500].1 = String::new();
    assert_eq!(vocabulary_off(&database), 0, "after an edit and a delete");
    assert_eq!(vocabulary(&database, "1:lonely"), Some(1));
    assert_eq!(vocabulary(&database, "1:rewritten"), Some(1));
    let lonely = sent[7].0;
    run(
        &handle,
        Command::Delete {
            caller: alice,
            target: Target::Message(lonely),
        },
    );
    sent[7].1 = String::new();
    assert_eq!(
        vocabulary(&database, "1:lonely"),
        None,
        "its last message gone"
    );
    for q in QUERIES.iter().chain(&["rewritten", "lonely", "rewr"]) {
        assert_eq!(found(&handle, alice, q), expected(&sent, q), "after: {q}");
    }
    handle.shutdown();

    // A database from before the vocabulary: the migration counts it from
    // the index, and the searches give the same answers. (The vocabulary's
    // migration is the last but one: issue 23's dropped REFERENCES came
    // after it, and run again.)
    let version = support::pg_column::<i64>(database.url(), "SELECT version FROM agora_schema")[0];
    let mut admin = postgres::Client::connect(database.url(), postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!(
            "DROP TABLE message_search_terms; UPDATE agora_schema SET version = {};",
            version - 2
        ))
        .unwrap();
    let handle = open(&database);
    assert_eq!(vocabulary_off(&database), 0, "after the migration");
    assert_eq!(vocabulary(&database, "1:rewritten"), Some(1));
    for q in QUERIES {
        assert_eq!(
            found(&handle, alice, q),
            expected(&sent, q),
            "migrated: {q}"
        );
    }
    handle.shutdown();
}

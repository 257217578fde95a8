//! Search on SQLite (issue 27) through `SqlView`, over a real database
//! file: every way the last word, a prefix, is asked of FTS5 (a prefix
//! index, an OR of the words it starts, a merge of their lists) finds
//! exactly what `SearchQuery::matches` says, and the index's vocabulary
//! follows edits, deletes and the migration that makes it.

use crate::support::{add_user, expected};
use agora_core::search::SearchQuery;
use agora_core::time::UnixMillis;
use agora_core::view::{ChatId, MessageId, UserId, View, PUBLIC_CHAT};
use agora_store::{open_database, SqlView, StoreConfig};
use rusqlite::Connection;

const T0: UnixMillis = UnixMillis(1_795_939_565_000);

fn open(dir: &tempfile::TempDir) -> Connection {
    open_database(&StoreConfig::sqlite(dir.path().join("agora.db"))).expect("open")
}

fn with_view<R>(conn: &mut Connection, f: impl FnOnce(&mut SqlView<'_>) -> R) -> R {
    let tx = conn.transaction().unwrap();
    let result = f(&mut SqlView::new(&tx));
    tx.commit().unwrap();
    result
}

fn user(conn: &mut Connection) -> UserId {
    with_view(conn, |v| add_user(v, "alice", 1, T0).unwrap())
}

/// Sends `texts` to the public chat; their ids, in order.
fn send(conn: &mut Connection, author: UserId, texts: &[String]) -> Vec<(MessageId, String)> {
    with_view(conn, |v| {
        texts
            .iter()
            .map(|text| {
                let id = v.append_message(PUBLIC_CHAT, author, text, T0).unwrap();
                (id, text.clone())
            })
            .collect()
    })
}

/// Every id `q` finds in `chat`, page after page (newest first).
fn found(conn: &mut Connection, chat: ChatId, q: &str) -> Vec<MessageId> {
    let query = SearchQuery::parse(q).unwrap();
    let mut all = Vec::new();
    let mut before = None;
    loop {
        let page = with_view(conn, |v| v.search_chat(chat, &query, before, 100).unwrap());
        let Some(&last) = page.last() else {
            return all;
        };
        all.extend(page);
        before = Some(last);
    }
}

fn vocabulary(conn: &Connection, term: &str) -> Option<i64> {
    conn.query_row(
        "SELECT messages FROM message_search_terms WHERE term = ?1",
        [term],
        |row| row.get(0),
    )
    .ok()
}

/// Few words with long lists: the prefix becomes an OR of them.
#[test]
fn search_finds_every_word_a_long_prefix_starts_when_it_has_few() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = open(&dir);
    let alice = user(&mut conn);
    let texts: Vec<String> = (0..3_002)
        .map(|i| match i % 2 {
            _ if i == 1_000 => "the deployer".to_string(),
            _ if i == 2_000 => "nothing to see".to_string(),
            0 => format!("we deployed it {i}"),
            _ => format!("deployment done {i}"),
        })
        .collect();
    let sent = send(&mut conn, alice, &texts);
    for q in [
        "deplo",
        "DEPLOYE",
        "deployment",
        "done deplo",
        "deployer",
        "deploys",
    ] {
        let want = expected(&sent, q);
        assert_eq!(found(&mut conn, PUBLIC_CHAT, q), want, "{q}");
    }
    assert_eq!(expected(&sent, "deplo").len(), 3_001);
    assert!(found(&mut conn, PUBLIC_CHAT, "deploys").is_empty());
    // Another chat's range holds none of them.
    assert!(found(&mut conn, PUBLIC_CHAT + 1, "deplo").is_empty());
}

/// More words than are expanded, and words with short lists: FTS5 merges
/// their lists, and still finds them all.
#[test]
fn search_falls_back_to_a_merge_when_a_long_prefix_starts_many_words() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = open(&dir);
    let alice = user(&mut conn);
    let letters = |n: usize| {
        let a = b'a' + (n / 26) as u8;
        let b = b'a' + (n % 26) as u8;
        format!("{}{}", a as char, b as char)
    };
    // 100 words starting with `deploy` (more than are ever expanded), each
    // in a message or two.
    let texts: Vec<String> = (0..150)
        .map(|i| format!("deploy{} and more", letters(i % 100)))
        .chain(["unrelated words".to_string()])
        .collect();
    let sent = send(&mut conn, alice, &texts);
    for q in ["deploy", "deployb", "deploycv", "more deploya", "deployz"] {
        let want = expected(&sent, q);
        assert_eq!(found(&mut conn, PUBLIC_CHAT, q), want, "{q}");
    }
    assert_eq!(expected(&sent, "deploy").len(), 150);
    assert!(expected(&sent, "deployz").is_empty());
}

#[test]
fn search_vocabulary_follows_edits_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = open(&dir);
    let alice = user(&mut conn);
    let texts = ["zebracorn stripes", "zebracorn again"].map(String::from);
    let ids: Vec<MessageId> = send(&mut conn, alice, &texts)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(found(&mut conn, PUBLIC_CHAT, "zebrac"), [ids[1], ids[0]]);
    assert_eq!(vocabulary(&conn, "zebracorn"), Some(2));

    with_view(&mut conn, |v| {
        v.edit_message(ids[0], "Unicornzebra", &[], T0).unwrap()
    });
    assert_eq!(found(&mut conn, PUBLIC_CHAT, "zebrac"), [ids[1]]);
    assert_eq!(found(&mut conn, PUBLIC_CHAT, "unicornz"), [ids[0]]);
    assert!(found(&mut conn, PUBLIC_CHAT, "stripes").is_empty());
    assert_eq!(vocabulary(&conn, "zebracorn"), Some(1));
    assert_eq!(vocabulary(&conn, "stripes"), None, "an old word leaves");

    with_view(&mut conn, |v| v.delete_message(ids[0], None).unwrap());
    with_view(&mut conn, |v| v.delete_message(ids[1], None).unwrap());
    assert!(found(&mut conn, PUBLIC_CHAT, "unicornz").is_empty());
    assert!(found(&mut conn, PUBLIC_CHAT, "zebrac").is_empty());
    let left: i64 = conn
        .query_row("SELECT count(*) FROM message_search_terms", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(left, 0, "a deleted text leaves the vocabulary too");
}

/// The migration that made the vocabulary (see `sqlite::schema`).
const VOCABULARY_VERSION: i64 = 11;

#[test]
fn search_vocabulary_is_counted_for_a_database_made_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = open(&dir);
    let alice = user(&mut conn);
    let texts: Vec<String> = (0..2_500)
        .map(|i| format!("deployment number {i}"))
        .chain(["deployed once".to_string()])
        .collect();
    let sent = send(&mut conn, alice, &texts);
    let deleted = sent[0].0;
    with_view(&mut conn, |v| v.delete_message(deleted, None).unwrap());
    // Back to the schema before the vocabulary, as an older build left it,
    // the later migrations taken back too (newest first).
    conn.execute_batch(
        "-- (issue 23) reader rows written by the store: its triggers back,
         -- as stubs (the migration drops them again).
         CREATE TRIGGER events_readers AFTER INSERT ON events BEGIN SELECT 1; END;
         CREATE TRIGGER events_readers_signed_out AFTER INSERT ON events BEGIN SELECT 1; END;
         -- (issue 27) the vocabulary.
         DROP TABLE message_search_terms;",
    )
    .unwrap();
    conn.pragma_update(None, "user_version", VOCABULARY_VERSION - 1)
        .unwrap();
    drop(conn);
    let mut conn = open(&dir);
    assert_eq!(vocabulary(&conn, "deployment"), Some(2_499));
    assert_eq!(vocabulary(&conn, "deployed"), Some(1));
    assert_eq!(
        vocabulary(&conn, "0"),
        None,
        "the deleted text is not counted"
    );
    let want: Vec<MessageId> = expected(&sent[1..], "deploy");
    assert_eq!(found(&mut conn, PUBLIC_CHAT, "deploy"), want);
    assert_eq!(want.len(), 2_500);
}

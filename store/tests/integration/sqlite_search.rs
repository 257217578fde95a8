//! Search on SQLite (issue 27) through `SqlView`, over a real database
//! file: every way the last word, a prefix, is asked of FTS5 (a prefix
//! index, an OR of the words it starts, a merge of their lists) finds
//! exactly what `SearchQuery::matches` says, and the index's vocabulary
//! follows edits, deletes and the migration that makes it.

use crate::support;
use agora_core::search::SearchQuery;
use agora_core::view::{ChatId, MessageId, UserId, View, PUBLIC_CHAT};
use rusqlite::Connection;
use support::{expected, new_user, reopen, sql_value, view_database, with_view, T0};

/// A migrated database with one user, alice: its folder (keep it alive), a
/// connection to it, and alice.
fn alices_database() -> (tempfile::TempDir, Connection, UserId) {
    let (dir, mut conn) = view_database();
    let alice = with_view(&mut conn, |v| new_user(v, "alice", 1));
    (dir, conn, alice)
}

/// Sends `texts` to the public chat; their ids, in order.
fn send(conn: &mut Connection, author: UserId, texts: &[String]) -> Vec<(MessageId, String)> {
    with_view(conn, |v| {
        texts
            .iter()
            .map(|text| {
                let id = v
                    .append_message(
                        PUBLIC_CHAT,
                        agora_core::view::NewText::new(author, text, T0),
                    )
                    .unwrap();
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
        let page = with_view(conn, |v| {
            v.search_chat(agora_core::view::SearchPage {
                chat,
                query: &query,
                before,
                limit: 100,
            })
            .unwrap()
        });
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
    let (_dir, mut conn, alice) = alices_database();
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
    let (_dir, mut conn, alice) = alices_database();
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
    let (_dir, mut conn, alice) = alices_database();
    let texts = ["zebracorn stripes", "zebracorn again"].map(String::from);
    let ids: Vec<MessageId> = send(&mut conn, alice, &texts)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(found(&mut conn, PUBLIC_CHAT, "zebrac"), [ids[1], ids[0]]);
    assert_eq!(vocabulary(&conn, "zebracorn"), Some(2));

    with_view(&mut conn, |v| {
        v.edit_message(
            ids[0],
            agora_core::view::MessageEdit {
                text: "Unicornzebra",
                mentions: &[],
                now: T0,
            },
        )
        .unwrap()
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
    let left: i64 = sql_value(&conn, "SELECT count(*) FROM message_search_terms");
    assert_eq!(left, 0, "a deleted text leaves the vocabulary too");
}

/// The migration that made the vocabulary (see `sqlite::schema`).
const VOCABULARY_VERSION: i64 = 11;

#[test]
fn search_vocabulary_is_counted_for_a_database_made_before_it() {
    let (dir, mut conn, alice) = alices_database();
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
    let mut conn = reopen(&dir);
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

/// Every byte of the index's pages (`message_search_data`) and its page
/// keys (`message_search_idx`).
fn index_bytes(conn: &Connection) -> Vec<u8> {
    let mut bytes = Vec::new();
    for sql in [
        "SELECT block FROM message_search_data WHERE block IS NOT NULL",
        "SELECT term FROM message_search_idx WHERE term IS NOT NULL",
    ] {
        let mut stmt = conn.prepare(sql).unwrap();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            bytes.extend(row.get::<_, Vec<u8>>(0).unwrap());
        }
    }
    bytes
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// API.md: a deleted text leaves every table and index. Not found is not
/// enough: the deleted message's words leave the index's pages in the
/// deletion's transaction (a tombstone would leave them there until a
/// merge), and so do the words an edit replaced.
#[test]
fn search_index_pages_keep_no_word_of_a_deleted_or_edited_text() {
    let (_dir, mut conn, alice) = alices_database();
    // Others around them in the same segments. No other word starts with
    // `q` or `x`, so the words are stored whole (FTS5 stores a word as what
    // it adds to the one before it).
    let texts: Vec<String> = (0..200)
        .map(|i| format!("alpha beta{} gamma", i % 7))
        .chain([
            "alpha qqsecretword".to_string(),
            "xxoldwording gamma".to_string(),
        ])
        .chain((0..200).map(|i| format!("alpha delta{}", i % 5)))
        .collect();
    let sent = send(&mut conn, alice, &texts);
    let (secret, edited) = (sent[200].0, sent[201].0);
    assert!(holds(&index_bytes(&conn), "qqsecretword"));
    assert!(holds(&index_bytes(&conn), "xxoldwording"));

    with_view(&mut conn, |v| v.delete_message(secret, None).unwrap());
    with_view(&mut conn, |v| {
        v.edit_message(
            edited,
            agora_core::view::MessageEdit {
                text: "newer gamma",
                mentions: &[],
                now: T0,
            },
        )
        .unwrap()
    });
    let bytes = index_bytes(&conn);
    assert!(
        !holds(&bytes, "secretword"),
        "a deleted word stays in the index"
    );
    // Nor its prefix index entries (`qq`, `qqs`, `qqse`).
    assert!(!holds(&bytes, "qqs"), "a deleted word's prefix stays");
    assert!(!holds(&bytes, "oldwording"), "an edited-out word stays");
    assert!(found(&mut conn, PUBLIC_CHAT, "qqsecretword").is_empty());
    assert_eq!(found(&mut conn, PUBLIC_CHAT, "newer gam"), [edited]);
    assert_eq!(found(&mut conn, PUBLIC_CHAT, "alpha").len(), 400);
    let ok: String = conn
        .query_row(
            "INSERT INTO message_search (message_search, rank) VALUES ('integrity-check', 1)
             RETURNING 'ok'",
            [],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| e.to_string());
    assert_eq!(ok, "ok");
}

/// The migration that made the index again without row sizes or
/// tombstones (see `sqlite::schema`, `sqlite::search`).
const REBUILT_INDEX_VERSION: i64 = 14;

/// A database whose index was made before that migration (with
/// `contentless_delete` and `unicode61`) is rebuilt on open, and
/// every search finds what it found before: what the messages say now.
#[test]
fn search_index_made_before_the_rebuild_finds_the_same_after_it() {
    let (dir, mut conn, alice) = alices_database();
    let texts: Vec<String> = (0..1_500)
        .map(|i| {
            format!(
                "Déploiement {} du café {}",
                i % 13,
                ["matin", "soir"][i % 2]
            )
        })
        .chain(["deployment once".to_string(), "gone soon".to_string()])
        .collect();
    let mut sent = send(&mut conn, alice, &texts);
    let (gone, _) = sent.pop().unwrap();
    with_view(&mut conn, |v| v.delete_message(gone, None).unwrap());
    let queries = [
        "deploiement",
        "cafe SOIR",
        "déplo",
        "deploy",
        "3 du",
        "gone",
        "matin caf",
    ];
    let answers = |conn: &mut Connection| -> Vec<Vec<MessageId>> {
        queries
            .iter()
            .map(|q| found(conn, PUBLIC_CHAT, q))
            .collect()
    };
    let want: Vec<Vec<MessageId>> = queries.iter().map(|q| expected(&sent, q)).collect();
    assert_eq!(answers(&mut conn), want);

    // Back to the index as the schema before the rebuild made it, filled
    // from the messages as its migration did.
    conn.execute_batch(
        "DROP TABLE message_search;
         CREATE VIRTUAL TABLE message_search USING fts5(
             words, content = '', contentless_delete = 1,
             tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4');
         INSERT INTO message_search (message_search, rank) VALUES ('secure-delete', 1);",
    )
    .unwrap();
    {
        let mut insert = conn
            .prepare("INSERT INTO message_search (rowid, words) VALUES (?1, ?2)")
            .unwrap();
        for (id, text) in &sent {
            let words = agora_core::search::index_terms(text).join(" ");
            insert
                .execute(rusqlite::params![(PUBLIC_CHAT << 36) | id, words])
                .unwrap();
        }
    }
    conn.pragma_update(None, "user_version", REBUILT_INDEX_VERSION - 1)
        .unwrap();
    assert_eq!(answers(&mut conn), want, "the old index answers");
    drop(conn);

    let mut conn = reopen(&dir);
    let table: String = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'message_search'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(table.contains("columnsize = 0"), "{table}");
    assert!(!table.contains("contentless_delete"), "{table}");
    assert_eq!(answers(&mut conn), want, "the rebuilt index answers");
    assert_eq!(want[2].len(), 1_501);
    // And it deletes by the words it was filled with.
    let first = sent[0].0;
    with_view(&mut conn, |v| v.delete_message(first, None).unwrap());
    assert_eq!(found(&mut conn, PUBLIC_CHAT, "déplo").len(), 1_500);
}

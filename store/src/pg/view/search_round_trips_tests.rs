//! (issue 27) What a PostgreSQL search costs in round trips and planning:
//! the first chat's counts come with its first window (one round trip, not
//! two), and a reader plans the search's statements once (generic plans),
//! not at every search. The answers themselves are checked against
//! `SearchQuery::matches` by the integration test `pg_search`.

use super::test_fixture::{add_user, fresh_database, T0};
use crate::pg::connection::{PgConn, READER_ROLE};
use crate::pg::url::PostgresUrl;
use crate::pg::view::PgView;
use agora_core::search::SearchQuery;
use agora_core::view::{MessageId, NewText, SearchPage, View, PUBLIC_CHAT};
use agora_tests::pg::PgDatabase;

/// A fresh database with 1,000 public messages by alice, all holding
/// `often`, the eleventh oldest also `rare` (outside the newest 256 rows a
/// search tests first, and rare enough that the GIN index, not a longer
/// window, finds it), and a private chat of alice's holding `rare` too;
/// a reader's connection to it, outside any transaction. `None` without
/// PostgreSQL.
fn reader_on_messages(test: &str) -> Option<(PgDatabase, PgConn, MessageId)> {
    let (database, mut writer) = fresh_database(test)?;
    let mut view = PgView::new(&mut writer);
    let alice = add_user(&mut view, "alice", 1);
    let bob = add_user(&mut view, "bob", 2);
    let pair = view.create_private_chat(alice, bob, T0).unwrap();
    let mut rare = 0;
    for i in 0..1_000 {
        let text = if i == 10 {
            "often rare".to_string()
        } else {
            format!("often filler{i}")
        };
        let id = view
            .append_message(PUBLIC_CHAT, NewText::new(alice, &text, T0))
            .unwrap();
        if i == 10 {
            rare = id;
        }
    }
    view.append_message(pair, NewText::new(alice, "rare in private", T0))
        .unwrap();
    let url: PostgresUrl = database.url().parse().unwrap();
    let reader = PgConn::connect(&url, READER_ROLE).unwrap();
    Some((database, reader, rare))
}

/// The ids the public chat's search for `q` finds, and the round trips it
/// made (its statements already prepared by an earlier search).
fn search_public(conn: &mut PgConn, q: &str) -> (Vec<MessageId>, u64) {
    let query = SearchQuery::parse(q).unwrap();
    let before = conn.round_trips();
    let found = PgView::new(conn)
        .search_chat(SearchPage {
            chat: PUBLIC_CHAT,
            query: &query,
            before: None,
            limit: 21,
        })
        .unwrap();
    (found, conn.round_trips() - before)
}

#[test]
fn pg_search_reads_the_first_chat_s_counts_with_its_window() {
    let test = "pg_search_reads_the_first_chat_s_counts_with_its_window";
    let Some((_database, mut conn, rare)) = reader_on_messages(test) else {
        return;
    };
    // Every statement prepared once (a rare word takes every path but the
    // second window).
    search_public(&mut conn, "rare");
    // A common word: the newest rows hold the page, nothing else is read.
    let (found, trips) = search_public(&mut conn, "often");
    assert_eq!(found.len(), 21);
    assert_eq!(trips, 1, "often");
    // A word the chat lacks: the window and the counts saying so, together.
    let (found, trips) = search_public(&mut conn, "nowhere");
    assert_eq!(found, Vec::<MessageId>::new());
    assert_eq!(trips, 1, "nowhere");
    // A rare word: the window and the counts, then the GIN index.
    let (found, trips) = search_public(&mut conn, "rare");
    assert_eq!(found, [rare]);
    assert_eq!(trips, 2, "rare");
}

#[test]
fn pg_reader_plans_the_search_statements_once() {
    let test = "pg_reader_plans_the_search_statements_once";
    let Some((_database, mut conn, _)) = reader_on_messages(test) else {
        return;
    };
    // More searches than the five custom plans PostgreSQL makes by default
    // before it may settle on a generic one; every path, the counts of
    // many chats included.
    for q in ["rare", "often", "nowhere", "rar", "often filler1"] {
        let query = SearchQuery::parse(q).unwrap();
        for _ in 0..3 {
            let mut view = PgView::new(&mut conn);
            view.search_chat(SearchPage {
                chat: PUBLIC_CHAT,
                query: &query,
                before: None,
                limit: 21,
            })
            .unwrap();
            view.search_candidates(&[PUBLIC_CHAT, 2, 3], &query)
                .unwrap();
        }
    }
    let plans: Vec<(String, i64, i64)> = conn
        .client()
        .query(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements
             WHERE statement LIKE '%message_search%'
               AND statement NOT LIKE '%pg_prepared_statements%' ORDER BY statement",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect();
    // The window, the window with the counts, the counts, the GIN index.
    assert_eq!(plans.len(), 4, "{plans:#?}");
    for (statement, generic, custom) in &plans {
        assert_eq!(*custom, 0, "planned per run: {statement}");
        assert!(*generic > 0, "never run: {statement}");
    }
}

//! (issue 27) `PgView`'s own message insert (the path of a batch rerun with
//! a savepoint per command, without the overlay) counts the message's words
//! into the per-chat vocabulary in the same statement, as the flush does
//! (checked through the whole store by the integration test `pg_search`),
//! and a search over it finds them.

use super::test_fixture::{add_user, fresh_transaction, T0};
use crate::pg::view::PgView;
use agora_core::search::SearchQuery;
use agora_core::view::{View, PUBLIC_CHAT};

#[test]
fn pg_view_counts_a_message_s_words_per_chat() {
    let Some((_database, mut conn)) =
        fresh_transaction("pg_view_counts_a_message_s_words_per_chat")
    else {
        return;
    };
    let mut view = PgView::new(&mut conn);
    let alice = add_user(&mut view, "alice", 1);
    let bob = add_user(&mut view, "bob", 2);
    let pair = view.create_private_chat(alice, bob, T0).unwrap();
    let first = view
        .append_message(
            PUBLIC_CHAT,
            agora_core::view::NewText::new(alice, "Deploy the deployer", T0),
        )
        .unwrap();
    let second = view
        .append_message(
            PUBLIC_CHAT,
            agora_core::view::NewText::new(alice, "deploy again", T0),
        )
        .unwrap();
    view.append_message(
        pair,
        agora_core::view::NewText::new(alice, "deploy in private", T0),
    )
    .unwrap();
    view.append_message(
        PUBLIC_CHAT,
        agora_core::view::NewText::new(alice, "...", T0),
    )
    .unwrap();
    let query = SearchQuery::parse("deplo").unwrap();
    assert_eq!(
        view.search_chat(agora_core::view::SearchPage {
            chat: PUBLIC_CHAT,
            query: &query,
            before: None,
            limit: 10
        })
        .unwrap(),
        [second, first]
    );
    let counts: Vec<(String, i64)> = conn
        .client()
        .query(
            "SELECT lexeme, messages FROM message_search_terms ORDER BY lexeme",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let expected = [
        (format!("{PUBLIC_CHAT}:again"), 1),
        (format!("{PUBLIC_CHAT}:deploy"), 2),
        (format!("{PUBLIC_CHAT}:deployer"), 1),
        (format!("{PUBLIC_CHAT}:the"), 1),
        (format!("{pair}:deploy"), 1),
        (format!("{pair}:in"), 1),
        (format!("{pair}:private"), 1),
    ];
    let mut expected: Vec<(String, i64)> = expected.to_vec();
    expected.sort();
    assert_eq!(counts, expected);
}

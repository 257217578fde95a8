//! The membership rules on both wings, the cases the rules themselves
//! never offer (so the model tests cannot see them): a join of a member
//! only moves its read position, and a leave of a non-member changes no
//! count. SQLite's view runs with its row cache, which must agree.

use crate::pg::test_fixture::{add_user, fresh_transaction, T0};
use crate::pg::PgView;
use crate::sqlite::open::open_connection;
use crate::sqlite::row_cache::RowCache;
use crate::sqlite::view::SqlView;
use crate::SyncMode;
use agora_core::view::{ChatId, UserId, View};

/// The member count of `chat` as `user`'s chat list shows it, if listed.
fn members(view: &mut impl View, user: UserId, chat: ChatId) -> Option<u64> {
    let chats = view.chats_of(user).unwrap();
    chats.iter().find(|c| c.id == chat).map(|c| c.users_number)
}

/// Runs the cases on one view: a private chat, a second join, two leaves.
fn joins_and_leaves(view: &mut impl View) {
    let ann = add_user(view, "ann", 1);
    let bob = add_user(view, "bob", 2);
    let chat = view.create_private_chat(bob, ann, T0).unwrap();
    assert_eq!(view.private_chat(ann, bob).unwrap(), Some(chat));
    assert_eq!(members(view, ann, chat), Some(2));
    assert_eq!(view.read_position(chat, ann).unwrap(), Some(0));

    // Joining again: the position moves, the count stays.
    view.join(chat, ann, 7).unwrap();
    assert_eq!(view.read_position(chat, ann).unwrap(), Some(7));
    assert_eq!(members(view, bob, chat), Some(2));

    // Leaving: the member and one count go; leaving again changes nothing.
    view.leave(chat, ann).unwrap();
    assert_eq!(view.read_position(chat, ann).unwrap(), None);
    assert_eq!(members(view, ann, chat), None);
    assert_eq!(members(view, bob, chat), Some(1));
    view.leave(chat, ann).unwrap();
    assert_eq!(members(view, bob, chat), Some(1));

    // Joining back counts again, at the position given.
    view.join(chat, ann, 3).unwrap();
    assert_eq!(view.read_position(chat, ann).unwrap(), Some(3));
    assert_eq!(members(view, bob, chat), Some(2));
}

#[test]
fn a_second_join_moves_the_position_and_a_second_leave_counts_nothing_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agora.db");
    let mut conn = open_connection(&path, SyncMode::Full, T0).unwrap();
    let tx = conn.transaction().unwrap();
    let mut rows = RowCache::new();
    joins_and_leaves(&mut SqlView::with_cache(&tx, &mut rows));
}

#[test]
fn a_second_join_moves_the_position_and_a_second_leave_counts_nothing_on_postgresql() {
    let Some((_database, mut conn)) = fresh_transaction("joins and leaves on PostgreSQL") else {
        return;
    };
    joins_and_leaves(&mut PgView::new(&mut conn));
}

//! A user's row as both wings read it: the columns of `users` that
//! `user_where!` selects, in the order each wing's `user_from_row` reads
//! them. The condition after `WHERE` (its placeholders) is each wing's own.

/// A user's columns from `users`, completed by a condition in the wing's
/// dialect.
macro_rules! user_where {
    ($condition:literal) => {
        concat!(
            "SELECT id, name, banned_until, window_start, window_count,
                    comment_window_start, comment_window_count, created, sent_message
             FROM users WHERE ",
            $condition
        )
    };
}
pub(crate) use user_where;

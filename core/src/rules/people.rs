//! `GET /users`: the directory a client picks a user from (to start a
//! private chat, to invite). A read.

use super::{caller, checked, Answer};
use crate::api::MAX_USER_NAME;
use crate::command::Outcome;
use crate::records::name_key;
use crate::token::TokenHash;
use crate::view::{PeoplePage, View};

/// The users whose name starts with `prefix` without regard to ASCII case,
/// in name-key order (the name lowercased, compared byte by byte), after
/// `after` in that order, at most `limit`; `more` says whether others
/// follow. A prefix no user name can start with finds nobody.
pub(super) fn users(
    view: &mut impl View,
    caller_hash: &TokenHash,
    prefix: &str,
    after: Option<&str>,
    limit: u32,
) -> Answer {
    checked!(caller(view, caller_hash)?);
    if !is_name_prefix(prefix) {
        return Ok(Outcome::Users {
            users: Vec::new(),
            more: false,
        });
    }
    let after = after.map(name_key);
    let mut users = view.users_by_prefix(PeoplePage {
        prefix: &name_key(prefix),
        after: after.as_deref(),
        limit: limit.saturating_add(1),
    })?;
    let more = users.len() > limit as usize;
    users.truncate(limit as usize);
    Ok(Outcome::Users { users, more })
}

/// Whether some valid user name may start with `prefix` (the empty one
/// included; `public_chat` is no user's name, but `public` may start one).
fn is_name_prefix(prefix: &str) -> bool {
    prefix.len() <= MAX_USER_NAME
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

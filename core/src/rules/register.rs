//! `POST /get-token`: registration.

use crate::command::{Failure, Outcome};
use crate::time::UnixMillis;
use crate::token::Token;
use crate::view::{StoreError, View, PUBLIC_CHAT};

/// Creates the user (the view keeps only the token's SHA-256 hash) and makes it
/// a member of the public chat, caught up to its latest message. A name taken
/// without regard to ASCII case is refused with 409; so is (astronomically
/// unlikely) token bytes some user already has, so that no view ever holds two
/// users with one hash.
pub(super) fn get_token(
    view: &mut impl View,
    user_name: &str,
    token: &Token,
    now: UnixMillis,
) -> Result<Outcome, StoreError> {
    let hash = token.hash();
    if view.user_by_name(user_name)?.is_some() || view.user_by_token(&hash)?.is_some() {
        return Ok(Outcome::Failed(Failure::TokenAlreadyIssued));
    }
    let id = view.create_user(user_name, &hash, now)?;
    let latest = view.latest_message(PUBLIC_CHAT)?;
    view.join(PUBLIC_CHAT, id, latest)?;
    Ok(Outcome::TokenIssued {
        token: *token,
        user_name: user_name.to_owned(),
    })
}

//! `POST /unban`: a moderator lifts a ban.

use super::{caller, checked, Answer};
use crate::command::{Failure, Outcome};
use crate::config::Config;
use crate::token::TokenHash;
use crate::view::View;

/// Lifts `user_name`'s ban and drops its standing reports (its cautions
/// restart at zero). Checks, in order: the caller (401), the caller a
/// moderator (403 `not_a_moderator`), the user (404). Unbanning a user who
/// is not banned is not an error: the answer says `was_banned: false`. No
/// event is sent: a ban ends as it would at its time (`GET /status` shows
/// `banned_until: null`, and sending works at once).
pub(super) fn unban(
    view: &mut impl View,
    caller_hash: &TokenHash,
    user_name: &str,
    now: crate::time::UnixMillis,
    config: &Config,
) -> Answer {
    let me = checked!(caller(view, caller_hash)?);
    if !config.is_moderator(&me.name) {
        return Ok(Outcome::Failed(Failure::NotAModerator));
    }
    let Some(mut user) = view.user_by_name(user_name)? else {
        return Ok(Outcome::Failed(Failure::UserNotFound));
    };
    let was_banned = user.banned_until.is_some_and(|until| now < until);
    if user.banned_until.is_some() {
        user.banned_until = None;
        view.save_user(&user)?;
    }
    view.clear_reports(user.id)?;
    Ok(Outcome::Unbanned {
        user_name: user.name,
        was_banned,
    })
}

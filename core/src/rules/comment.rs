//! `POST /comment`.

use super::{caller, check_not_banned, step};
use crate::command::{Failure, Outcome};
use crate::time::UnixMillis;
use crate::token::TokenHash;
use crate::view::{MessageId, StoreError, View};

/// Adds a comment to a message of a chat the caller is a member of. The ban
/// is checked first, so a banned user learns nothing about which messages
/// exist; a message of a chat the caller is not in is 404 like a missing one.
pub(super) fn comment(
    view: &mut impl View,
    caller_hash: &TokenHash,
    message_id: MessageId,
    text: &str,
    now: UnixMillis,
) -> Result<Outcome, StoreError> {
    let me = step!(caller(view, caller_hash)?);
    step!(check_not_banned(&me, now));
    let visible = match view.chat_of_message(message_id)? {
        Some(chat) => view.read_position(chat, me.id)?.is_some(),
        None => false,
    };
    if !visible {
        return Ok(Outcome::Failed(Failure::MessageNotFound));
    }
    let comment_id = view.append_comment(message_id, me.id, text, now)?;
    Ok(Outcome::CommentAdded { comment_id })
}

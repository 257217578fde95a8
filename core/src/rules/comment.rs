//! `POST /comment` and `GET /comments`.

use super::budget::keep_newest_within;
use super::{caller, checked, quota, room, unbanned_caller, Answer, Checked};
use crate::command::{Failure, Outcome};
use crate::config::Config;
use crate::events::EventBody;
use crate::json_size::comment_len;
use crate::time::UnixMillis;
use crate::token::TokenHash;
use crate::view::{
    ChatId, CommentId, CommentPage, MessageId, StoreError, StoredComment, User, View, PUBLIC_CHAT,
};

/// Adds a comment to a message of a chat the caller is a member of. The ban
/// is checked first, so a banned user learns nothing about which messages
/// exist; a message of a chat the caller is not in is 404 like a missing one.
/// Then the comment quota (429).
pub(super) fn comment(
    view: &mut impl View,
    caller_hash: &TokenHash,
    message_id: MessageId,
    text: &str,
    now: UnixMillis,
    config: &Config,
) -> Answer {
    let mut me = checked!(unbanned_caller(view, caller_hash, now)?);
    let chat = checked!(visible(view, &me, message_id)?);
    checked!(quota::take_comment(&mut me, now, config));
    view.save_user(&me)?;
    let comment_id =
        view.append_comment(message_id, crate::view::NewText::new(me.id, text, now))?;
    let chat = super::edit::event_chat(view, chat)?;
    view.append_event(EventBody::Comment {
        chat,
        message_id,
        comment: StoredComment {
            id: comment_id,
            author: me.name,
            created: now,
            text: text.to_owned(),
            ..StoredComment::default()
        },
    })?;
    Ok(Outcome::CommentAdded { comment_id })
}

/// A page of a message's comments: the newest `limit` older than `before`,
/// oldest first, within `comments_page_budget` bytes (at least one);
/// `more` says whether older ones remain. 404 exactly as for `comment`.
pub(super) fn comments(
    view: &mut impl View,
    caller_hash: &TokenHash,
    message_id: MessageId,
    before: Option<CommentId>,
    limit: u32,
    config: &Config,
) -> Answer {
    let me = checked!(caller(view, caller_hash)?);
    checked!(visible(view, &me, message_id)?);
    let mut comments = view.comments_before(CommentPage {
        message: message_id,
        before,
        limit: limit.saturating_add(1),
    })?;
    let mut more = comments.len() > limit as usize;
    if more {
        comments.remove(0);
    }
    more |= keep_newest_within(&mut comments, config.comments_page_budget, comment_len);
    Ok(Outcome::Comments {
        message_id,
        comments,
        more,
    })
}

/// The message's chat, or 404 `message_not_found` unless the message exists
/// in a chat `me` is in; (issue 25) a message of a room `me` may see but is
/// not in: 403 `not_a_member` (see `room::outsider_refusal`).
fn visible(
    view: &mut impl View,
    me: &User,
    message_id: MessageId,
) -> Result<Checked<ChatId>, StoreError> {
    let Some(chat) = view.chat_of_message(message_id)? else {
        return Ok(Err(Outcome::Failed(Failure::MessageNotFound)));
    };
    if view.read_position(chat, me.id)?.is_some() {
        return Ok(Ok(chat));
    }
    // Only a room's message can be 403: the public chat has every user,
    // and a private chat (its members known without a read of rooms) is
    // 404 to anyone else.
    let refusal = if chat != PUBLIC_CHAT && view.private_members(chat)?.is_none() {
        room::outsider_refusal(view, me, chat)?
    } else {
        None
    };
    Ok(Err(Outcome::Failed(
        refusal.unwrap_or(Failure::MessageNotFound),
    )))
}

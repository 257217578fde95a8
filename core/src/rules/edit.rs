//! (issue 26) `POST /edit` and `POST /delete`: a message or comment changed
//! in place. Neither keeps the old text anywhere: an edit overwrites it, a
//! deletion erases it (the store leaves no copy in any table or index).

use super::{caller, checked, mentions, quota, unbanned_caller, Answer, Checked};
use crate::command::{Failure, Outcome, Target};
use crate::config::Config;
use crate::events::{Change, EventBody, EventChat};
use crate::time::UnixMillis;
use crate::token::TokenHash;
use crate::view::{ChatId, StoreError, User, View, Written, PUBLIC_CHAT};

/// Replaces the caller's own text. Checks, in order: the caller (401), the
/// ban (403 `banned`, before anything about the target is revealed), the
/// target visible (404), its author (403 `not_author`), not deleted (409
/// `deleted`), the activity quota shared with comments (429). An edited
/// message's mentions are worked out again from the new text.
pub(super) fn edit(
    view: &mut impl View,
    caller_hash: &TokenHash,
    target: Target,
    text: &str,
    now: UnixMillis,
    config: &Config,
) -> Answer {
    let mut me = checked!(unbanned_caller(view, caller_hash, now)?);
    let written = checked!(visible(view, &me, target)?);
    if written.author != me.id {
        return Ok(Outcome::Failed(Failure::NotAuthor));
    }
    if written.deleted {
        return Ok(Outcome::Failed(Failure::Deleted));
    }
    checked!(quota::take_comment(&mut me, now, config));
    view.save_user(&me)?;
    match target {
        Target::Message(id) => {
            let mentioned = mentions::resolve(view, written.chat, text)?;
            let ids: Vec<_> = mentioned.iter().map(|(id, _)| *id).collect();
            let edit = crate::view::MessageEdit {
                text,
                mentions: &ids,
                now,
            };
            view.edit_message(id, edit)?;
        }
        Target::Comment(id) => view.edit_comment(id, text, now)?,
    }
    announce(view, target, &written, Change::Edited)?;
    Ok(Outcome::Edited { edited: now })
}

/// Erases a message's or comment's text. Its author may, and so may a
/// moderator (`--moderator`), whose deletion of another's text says so
/// (`deleted_by`). Allowed while banned (taking something back is never
/// what a ban stops); deleting what is deleted already is 200 and changes
/// nothing. Checks: the caller (401), visible (404), allowed (403
/// `not_author`).
pub(super) fn delete(
    view: &mut impl View,
    caller_hash: &TokenHash,
    target: Target,
    config: &Config,
) -> Answer {
    let me = checked!(caller(view, caller_hash)?);
    // A moderator deletes any message or comment (contract v3), in chats it
    // is not a member of too; anyone else only what it can see.
    let written = if config.is_moderator(&me.name) {
        checked!(existing(view, target)?)
    } else {
        checked!(visible(view, &me, target)?)
    };
    let by_moderator = written.author != me.id;
    if by_moderator && !config.is_moderator(&me.name) {
        return Ok(Outcome::Failed(Failure::NotAuthor));
    }
    if written.deleted {
        return Ok(Outcome::Deleted);
    }
    let by = by_moderator.then_some(me.id);
    match target {
        Target::Message(id) => view.delete_message(id, by)?,
        Target::Comment(id) => view.delete_comment(id, by)?,
    }
    announce(view, target, &written, Change::Deleted)?;
    Ok(Outcome::Deleted)
}

/// The target wherever it is, or 404 (`message_not_found` /
/// `comment_not_found`) when there is none.
fn existing(view: &mut impl View, target: Target) -> Result<Checked<Written>, StoreError> {
    let (written, missing) = match target {
        Target::Message(id) => (view.message_written(id)?, Failure::MessageNotFound),
        Target::Comment(id) => (view.comment_written(id)?, Failure::CommentNotFound),
    };
    Ok(written.ok_or(Outcome::Failed(missing)))
}

/// The target, or 404 (`message_not_found` / `comment_not_found`) unless it
/// is in a chat `me` is a member of; (issue 25) a room's outsider gets 403
/// `not_a_member` where it may see the room. `/react` checks its message so.
pub(super) fn visible(
    view: &mut impl View,
    me: &User,
    target: Target,
) -> Result<Checked<Written>, StoreError> {
    let missing = match target {
        Target::Message(_) => Failure::MessageNotFound,
        Target::Comment(_) => Failure::CommentNotFound,
    };
    let written = match existing(view, target)? {
        Ok(written) => written,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if view.read_position(written.chat, me.id)?.is_some() {
        return Ok(Ok(written));
    }
    // A room's outsider: 403 `not_a_member` where it may see the room; a
    // private room it may not see answers as for no such message or comment.
    let refusal = match super::room::outsider_refusal(view, me, written.chat)? {
        Some(Failure::NotAMember) => Failure::NotAMember,
        _ => missing,
    };
    Ok(Err(Outcome::Failed(refusal)))
}

/// Records the `edited` or `deleted` event with the object as it is now.
fn announce(
    view: &mut impl View,
    target: Target,
    written: &Written,
    change: Change,
) -> Result<(), StoreError> {
    let chat = event_chat(view, written.chat)?;
    let body = match target {
        Target::Message(id) => {
            let message = view
                .message(id, 0)?
                .ok_or_else(|| StoreError(format!("{change:?}: message {id} is gone")))?;
            EventBody::MessageChanged {
                chat,
                change,
                message,
            }
        }
        Target::Comment(id) => {
            let comment = view
                .comment(id)?
                .ok_or_else(|| StoreError(format!("{change:?}: comment {id} is gone")))?;
            EventBody::CommentChanged {
                chat,
                change,
                message_id: written.message,
                comment,
            }
        }
    };
    view.append_event(body)?;
    Ok(())
}

/// Who sees events about a message of `chat`.
pub(super) fn event_chat(view: &mut impl View, chat: ChatId) -> Result<EventChat, StoreError> {
    Ok(match chat {
        PUBLIC_CHAT => EventChat::Public,
        id => match view.private_members(id)? {
            Some(members) => EventChat::Private { id, members },
            None => match view.room_of(id)? {
                Some(room) => super::room::event_chat(&room),
                None => return Err(StoreError(format!("no members of chat {id}"))),
            },
        },
    })
}

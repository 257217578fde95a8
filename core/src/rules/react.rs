//! (issue 26) `POST /react`.

use super::edit::{event_chat, visible};
use super::{checked, quota, unbanned_caller, Answer};
use crate::command::{Failure, Outcome, Target};
use crate::config::Config;
use crate::events::EventBody;
use crate::reactions::MAX_KINDS;
use crate::time::UnixMillis;
use crate::token::TokenHash;
use crate::view::{MessageId, View};

/// Adds or takes back the caller's reaction. Checks, in order: the caller
/// (401), the ban (403), the message visible (404 `message_not_found`), not
/// deleted (409 `deleted`). Adding a reaction one made already, or removing
/// one not made, changes nothing (200, no event, no quota). A new emoji on
/// a message with `MAX_KINDS` is 409 `too_many_reactions`; adding counts
/// against the activity quota (429), removing does not.
pub(super) fn react(
    view: &mut impl View,
    caller_hash: &TokenHash,
    message_id: MessageId,
    emoji: &str,
    remove: bool,
    now: UnixMillis,
    config: &Config,
) -> Answer {
    let mut me = checked!(unbanned_caller(view, caller_hash, now)?);
    let written = checked!(visible(view, &me, Target::Message(message_id))?);
    if written.deleted {
        return Ok(Outcome::Failed(Failure::Deleted));
    }
    let reaction = crate::view::UserReaction {
        message: message_id,
        emoji,
        user: me.id,
    };
    let reacted = view.has_reacted(reaction)?;
    if reacted != remove {
        // Nothing to change.
        let reactions = view.reactions(message_id)?;
        return Ok(Outcome::Reacted {
            message_id,
            reactions,
        });
    }
    if remove {
        view.remove_reaction(reaction)?;
    } else {
        let reactions = view.reactions(message_id)?;
        if reactions.len() >= MAX_KINDS && !reactions.iter().any(|r| r.emoji == emoji) {
            return Ok(Outcome::Failed(Failure::TooManyReactions));
        }
        checked!(quota::take_comment(&mut me, now, config));
        view.save_user(&me)?;
        view.add_reaction(reaction, now)?;
    }
    let reactions = view.reactions(message_id)?;
    let chat = event_chat(view, written.chat)?;
    view.append_event(EventBody::Reaction {
        chat,
        message_id,
        reactions: reactions.clone(),
    })?;
    Ok(Outcome::Reacted {
        message_id,
        reactions,
    })
}

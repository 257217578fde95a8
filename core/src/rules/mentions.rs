//! (issue 26) Mentions: the users a message's `@name`s name who can see it.

use crate::reactions::mentioned_names;
use crate::view::{ChatId, MessageId, StoreError, UserId, View};

/// The users `text` mentions that are members of `chat` (who can see the
/// message, by the chat's own membership, whatever kind of chat it is), in
/// the order the text first names them, with their names as registered.
pub(super) fn resolve(
    view: &mut impl View,
    chat: ChatId,
    text: &str,
) -> Result<Vec<(UserId, String)>, StoreError> {
    let mut found: Vec<(UserId, String)> = Vec::new();
    for candidates in mentioned_names(text) {
        for name in candidates {
            let Some(user) = view.user_by_name(&name)? else {
                continue;
            };
            if found.iter().any(|(id, _)| *id == user.id) {
                break;
            }
            if view.read_position(chat, user.id)?.is_some() {
                found.push((user.id, user.name));
            }
            break;
        }
    }
    Ok(found)
}

/// Records the mentions of a message just appended; its names for the
/// message object.
pub(super) fn record_new(
    view: &mut impl View,
    chat: ChatId,
    message: MessageId,
    text: &str,
) -> Result<Vec<String>, StoreError> {
    let mentioned = resolve(view, chat, text)?;
    if mentioned.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<UserId> = mentioned.iter().map(|(id, _)| *id).collect();
    view.set_mentions(message, &ids)?;
    Ok(mentioned.into_iter().map(|(_, name)| name).collect())
}

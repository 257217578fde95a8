//! `POST /connect`: history and unread messages of one chat.

use super::{caller, chat_partner, step};
use crate::command::{ChatRef, Outcome};
use crate::config::Config;
use crate::token::TokenHash;
use crate::view::{StoreError, View, PUBLIC_CHAT};

/// `messages`: the last `messages_number` messages at or before the caller's
/// read position; `unread_messages`: the first `unread_max` after it, with
/// `unread_truncated` saying whether more remain. The position then moves to
/// the last unread message returned. A private chat that does not exist yet
/// gives empty lists and is not created. `chat` is `public_chat` or the other
/// user's name as registered.
pub(super) fn connect(
    view: &mut impl View,
    caller_hash: &TokenHash,
    chat: &ChatRef,
    messages_number: u32,
    config: &Config,
) -> Result<Outcome, StoreError> {
    let me = step!(caller(view, caller_hash)?);
    let partner = step!(chat_partner(view, &me, chat, "chat_with")?);
    let (name, chat_id) = match &partner {
        None => ("public_chat".to_owned(), Some(PUBLIC_CHAT)),
        Some(other) => (other.name.clone(), view.private_chat(me.id, other.id)?),
    };
    // Every user is in the public chat and both users in their private chat,
    // so a missing position only happens for a chat that does not exist.
    let position = match chat_id {
        Some(id) => view.read_position(id, me.id)?.map(|p| (id, p)),
        None => None,
    };
    let Some((chat_id, position)) = position else {
        return Ok(Outcome::Connected {
            chat: name,
            messages: Vec::new(),
            unread_messages: Vec::new(),
            unread_truncated: false,
        });
    };
    let messages = view.messages_up_to(chat_id, position, messages_number)?;
    let unread_max = config.unread_max as usize;
    let mut unread_messages =
        view.messages_after(chat_id, position, config.unread_max.saturating_add(1))?;
    let unread_truncated = unread_messages.len() > unread_max;
    unread_messages.truncate(unread_max);
    if let Some(last) = unread_messages.last() {
        view.set_read_position(chat_id, me.id, last.id)?;
    }
    Ok(Outcome::Connected {
        chat: name,
        messages,
        unread_messages,
        unread_truncated,
    })
}

//! `POST /connect`: history and unread messages of one chat.
//!
//! It reads a page and then moves the caller's read position. The two parts
//! are separate functions so that a store can read the page off its writer
//! (over a read-only snapshot) and hand only the move to the writer:
//! [`advance`] moves a position forward and never back, so a move computed
//! from an older snapshot skips nothing that arrived meanwhile.

use super::budget::{keep_newest_within, keep_oldest_within};
use super::{caller, target, Answer};
use crate::command::{ChatRef, Outcome};
use crate::config::Config;
use crate::json_size::{comment_len, message_len};
use crate::token::TokenHash;
use crate::view::{ChatId, MessageId, MessagePage, StoreError, StoredMessage, UserId, View};

/// A read position to move forward once a page was handed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Advance {
    pub chat: ChatId,
    pub user: UserId,
    /// The last message handed out.
    pub up_to: MessageId,
}

/// `POST /connect` whole: the page, then the move.
pub(super) fn connect(
    view: &mut impl View,
    caller_hash: &TokenHash,
    chat: &ChatRef,
    messages_number: u32,
    config: &Config,
) -> Answer {
    let (outcome, advance_to) = page(view, caller_hash, chat, messages_number, config)?;
    if let Some(to) = advance_to {
        advance(view, &to)?;
    }
    Ok(outcome)
}

/// The page of `/connect`, read only. `messages`: the last `messages_number`
/// messages at or before the caller's read position; `unread_messages`: the
/// first `unread_max` after it; each page also stops at its byte budget
/// (`history_truncated`, `unread_truncated`), and each message carries its
/// newest `comments_per_message` comments within `embedded_comments_budget`.
/// The [`Advance`] says where the read position goes: the last unread message
/// returned. A private chat that does not exist yet gives empty lists and is
/// not created. `chat` is `public_chat` or the other user's name as
/// registered.
pub fn page(
    view: &mut impl View,
    caller_hash: &TokenHash,
    chat: &ChatRef,
    messages_number: u32,
    config: &Config,
) -> Result<(Outcome, Option<Advance>), StoreError> {
    let me = match caller(view, caller_hash)? {
        Ok(me) => me,
        Err(refused) => return Ok((refused, None)),
    };
    let target = match target(view, &me, chat, "chat_with")? {
        Ok(target) => target,
        Err(refused) => return Ok((refused, None)),
    };
    let (name, chat_id) = target.name_and_id(view, &me)?;
    // Every user is in the public chat and both users in their private chat,
    // so a missing position only happens for a chat that does not exist.
    let position = match chat_id {
        Some(id) => view.read_position(id, me.id)?.map(|p| (id, p)),
        None => None,
    };
    let Some((chat_id, position)) = position else {
        let empty = Outcome::Connected {
            chat: name,
            messages: Vec::new(),
            history_truncated: false,
            unread_messages: Vec::new(),
            unread_truncated: false,
        };
        return Ok((empty, None));
    };
    let comments = config.comments_per_message;
    let mut messages = view.messages_up_to(MessagePage {
        chat: chat_id,
        position,
        limit: messages_number,
        comments,
    })?;
    trim_comments(&mut messages, config);
    let history_truncated = keep_newest_within(&mut messages, config.history_budget, message_len);

    let unread_max = config.unread_max as usize;
    let mut unread_messages = view.messages_after(MessagePage {
        chat: chat_id,
        position,
        limit: config.unread_max.saturating_add(1),
        comments,
    })?;
    let mut unread_truncated = unread_messages.len() > unread_max;
    unread_messages.truncate(unread_max);
    trim_comments(&mut unread_messages, config);
    unread_truncated |= keep_oldest_within(&mut unread_messages, config.unread_budget, message_len);

    let advance_to = unread_messages.last().map(|last| Advance {
        chat: chat_id,
        user: me.id,
        up_to: last.id,
    });
    let outcome = Outcome::Connected {
        chat: name,
        messages,
        history_truncated,
        unread_messages,
        unread_truncated,
    };
    Ok((outcome, advance_to))
}

/// Moves a member's read position forward to `to.up_to`; never back, and
/// nothing for a chat the user is not in.
pub fn advance(view: &mut impl View, to: &Advance) -> Result<(), StoreError> {
    match view.read_position(to.chat, to.user)? {
        Some(position) if position < to.up_to => {
            let member = crate::view::ChatUser {
                chat: to.chat,
                user: to.user,
            };
            view.set_read_position(member, to.up_to)
        }
        _ => Ok(()),
    }
}

/// Each message keeps the newest of its comments that fit
/// `embedded_comments_budget` (`comments_total` still counts them all).
pub(super) fn trim_comments(messages: &mut [StoredMessage], config: &Config) {
    for message in messages {
        keep_newest_within(
            &mut message.comments,
            config.embedded_comments_budget,
            comment_len,
        );
    }
}

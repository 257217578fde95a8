//! `GET /messages`: a page of one chat's history (the public chat, a
//! private chat, a room), for scrolling back past what `/connect` shows. A
//! read: it never moves a read position.

use super::budget::keep_newest_within;
use super::connect::trim_comments;
use super::{caller, checked, target, Answer};
use crate::command::{ChatRef, Outcome};
use crate::config::Config;
use crate::json_size::message_len;
use crate::token::TokenHash;
use crate::view::{MessageId, MessagePage, View};

/// The newest `limit` messages of the chat `chat` names with an id below
/// `before` (every message when `None`), oldest first, within
/// `messages_page_budget` bytes (at least one), each with its comments as
/// `/connect` gives them; `more` says whether older ones remain. A private
/// chat that does not exist yet is an empty page, and is not created.
pub(super) fn messages(
    view: &mut impl View,
    caller_hash: &TokenHash,
    chat: &ChatRef,
    before: Option<MessageId>,
    limit: u32,
    config: &Config,
) -> Answer {
    let me = checked!(caller(view, caller_hash)?);
    // A room: members only (403 `not_a_member`; 404 `room_not_found` for a
    // private room the caller may not see).
    let (name, chat_id) = checked!(target(view, &me, chat, "chat")?).name_and_id(view, &me)?;
    // Only a member reads a chat (every user is in the public chat, both
    // users in their private chat, a room's members in it).
    let chat_id = match chat_id {
        Some(id) if view.read_position(id, me.id)?.is_some() => id,
        _ => {
            return Ok(Outcome::History {
                chat: name,
                messages: Vec::new(),
                more: false,
            })
        }
    };
    // Ids are positive, so `before` (at least 1) leaves a valid position.
    let up_to = before.map_or(MessageId::MAX, |before| before.saturating_sub(1));
    let mut messages = view.messages_up_to(MessagePage {
        chat: chat_id,
        position: up_to,
        limit: limit.saturating_add(1),
        comments: config.comments_per_message,
    })?;
    let mut more = messages.len() > limit as usize;
    if more {
        messages.remove(0);
    }
    trim_comments(&mut messages, config);
    more |= keep_newest_within(&mut messages, config.messages_page_budget, message_len);
    Ok(Outcome::History {
        chat: name,
        messages,
        more,
    })
}

//! `GET /search` (issue 27): the newest messages the caller can see whose
//! text matches a query.
//!
//! Visibility without scanning what the caller cannot see: the stores keep
//! each chat's part of the index apart (SQLite: the FTS5 rowid starts with
//! the chat id, so a chat is one rowid range; PostgreSQL: every lexeme is
//! prefixed with its chat id), and the search asks them one chat at a time,
//! only for the chats [`visible_chats`] lists. A word that fills other
//! people's private chats is never read for this caller; the cost is one
//! index probe per visible chat. Chats are asked newest first, and once a
//! page is full a chat whose newest message is older than the page's
//! oldest result is not asked at all, so a common word costs a few probes
//! whatever the number of chats. When the first chat leaves the page open
//! and three or more could still add to it, the store is asked once which
//! of them hold every word ([`View::search_candidates`]: PostgreSQL knows
//! from its per-chat vocabulary) and only those are asked.

use super::budget::keep_oldest_within;
use super::{caller, checked, other_user, Answer};
use crate::command::{ChatRef, Outcome};
use crate::config::Config;
use crate::json_size::{message_len, str_len};
use crate::search::{chat_names, SearchHit, SearchQuery};
use crate::token::TokenHash;
use crate::view::{ChatId, ChatKind, ChatSummary, MessageId, StoreError, User, View, PUBLIC_CHAT};
use std::cmp::Reverse;

/// A chat the caller may search, and the newest message id it may find
/// there.
pub struct VisibleChat {
    pub id: crate::view::ChatId,
    pub kind: ChatKind,
    /// Messages with a greater id are not searched (0: none at all).
    pub newest: MessageId,
}

/// The chats `user` can see: every chat it is a member of (the public
/// chat, its private chats, and whatever else membership comes to mean,
/// such as rooms), up to the newest message of each. The one place search
/// learns visibility from.
pub fn visible_chats(view: &mut impl View, user: &User) -> Result<Vec<VisibleChat>, StoreError> {
    Ok(view
        .chats_of(user.id)?
        .into_iter()
        .map(
            |ChatSummary {
                 id,
                 kind,
                 last_message,
                 ..
             }| VisibleChat {
                id,
                kind,
                newest: last_message,
            },
        )
        .collect())
}

/// The fewest chats left to ask (after the first) for which the search
/// first asks the store which of them hold every word: for one or two,
/// asking them costs no more than that read.
const NARROW_FROM: usize = 3;

pub(super) fn search(
    view: &mut impl View,
    caller_hash: &TokenHash,
    query: &SearchQuery,
    chat: Option<&ChatRef>,
    before: Option<MessageId>,
    limit: u32,
    config: &Config,
) -> Answer {
    let me = checked!(caller(view, caller_hash)?);
    let mut chats = visible_chats(view, &me)?;
    if let Some(chat) = chat {
        let only = match chat {
            ChatRef::Public => Some(PUBLIC_CHAT),
            ChatRef::Private(name) => {
                let other = checked!(other_user(view, &me, name, "chat")?);
                view.private_chat(me.id, other.id)?
            }
            // A room: members only (404 for a private room the caller may
            // not see, as everywhere).
            ChatRef::Room(name) => Some(checked!(super::room::member_room(view, &me, name)?).id),
        };
        chats.retain(|c| Some(c.id) == only);
    }
    // The newest id a result may have: below `before`, within its chat.
    let ceiling = |c: &VisibleChat| match before {
        Some(before) => c.newest.min(before - 1),
        None => c.newest,
    };
    chats.sort_by_key(|c| Reverse(ceiling(c)));
    // One more than the page, to tell whether more remain.
    let wanted = limit as usize + 1;
    let mut found: Vec<(MessageId, usize)> = Vec::with_capacity(wanted);
    let mut index = 0;
    let mut narrowed = false;
    while let Some(chat) = chats.get(index) {
        let newest = ceiling(chat);
        let page_full_of_newer = found.len() == wanted && found[wanted - 1].0 > newest;
        if newest <= 0 || page_full_of_newer {
            // Chats are in `newest` order: no later one can do better.
            break;
        }
        // Chats still to ask: those that could still hold a newer result.
        let could_help = |c: &VisibleChat| {
            let newest = ceiling(c);
            newest > 0 && !(found.len() == wanted && found[wanted - 1].0 > newest)
        };
        if index == 1
            && !narrowed
            && chats[1..].iter().filter(|c| could_help(c)).count() >= NARROW_FROM
        {
            // The first chat did not settle it (a common word's page is
            // usually all there), and several are left: the chats the
            // store knows lack a word are dropped in one read, not asked
            // one by one.
            narrowed = true;
            let rest: Vec<ChatId> = chats[1..].iter().map(|c| c.id).collect();
            let candidates = view.search_candidates(&rest, query)?;
            let mut position = 0;
            chats.retain(|c| {
                position += 1;
                position == 1 || candidates.contains(&c.id)
            });
            continue;
        }
        let ids = view.search_chat(crate::view::SearchPage {
            chat: chat.id,
            query,
            before: Some(newest + 1),
            limit: wanted as u32,
        })?;
        found.extend(ids.into_iter().map(|id| (id, index)));
        found.sort_unstable_by_key(|&(id, _)| Reverse(id));
        found.truncate(wanted);
        index += 1;
    }
    let mut more = found.len() > limit as usize;
    found.truncate(limit as usize);
    let ids: Vec<MessageId> = found.iter().map(|&(id, _)| id).collect();
    let messages = view.messages_by_id(&ids, config.comments_per_message)?;
    let mut results: Vec<SearchHit> = Vec::with_capacity(found.len());
    for ((_, index), message) in found.into_iter().zip(messages) {
        // Gone only if the index and the messages disagree; never shown.
        if let Some(message) = message {
            results.push(SearchHit {
                chat: chats[index].kind.clone(),
                message,
            });
        }
    }
    more |= keep_oldest_within(&mut results, config.history_budget, hit_len);
    Ok(Outcome::SearchResults { results, more })
}

/// The JSON size of one result: its message and the chat's labels.
fn hit_len(hit: &SearchHit) -> usize {
    let (chat_type, chat) = chat_names(&hit.chat);
    // {"chat_type":,"chat":,"message":}
    34 + str_len(chat_type) + str_len(chat) + message_len(&hit.message)
}

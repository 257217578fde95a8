//! `GET /events` (the page the rules read; waiting for more is the
//! adapters') and `POST /read`.

use super::budget::keep_oldest_within;
use super::connect::{advance, Advance};
use super::{caller, checked, target, Answer, Target};
use crate::api::Published;
use crate::command::{ChatRef, Failure, Outcome};
use crate::config::Config;
use crate::events::EventId;
use crate::json_size::event_len;
use crate::token::TokenHash;
use crate::view::{MessageId, StoreError, UserId, View, PUBLIC_CHAT};
use std::sync::Arc;

/// The events after `since` the caller may see: see [`events_page`].
pub(super) fn events(
    view: &mut impl View,
    caller_hash: &TokenHash,
    since: Option<EventId>,
    config: &Config,
) -> Answer {
    let me = checked!(caller(view, caller_hash)?);
    let head = view.event_head()?;
    events_page(me.id, since, head, config, |since, limit| {
        let events = view.events_after(me.id, since, limit)?;
        Ok(events.into_iter().map(Published::shared).collect())
    })
}

/// A page of `GET /events` for `viewer`, given the newest event (`head`) and
/// a way to fetch the first `limit` events after a cursor that `viewer` may
/// see (the view's `events_after`, or a store's memory of recent ones). The
/// events after `since`, oldest first: at most `events_page_max` and within
/// `events_page_budget` bytes (at least one), `more` when further ones were
/// there; `next` is the last one's id, or `since` when there are none.
/// Without `since`: no events and `head`, the starting point. A `since`
/// beyond `head` is 400 `invalid_since`.
pub fn events_page(
    viewer: UserId,
    since: Option<EventId>,
    head: EventId,
    config: &Config,
    fetch: impl FnOnce(EventId, u32) -> Result<Vec<Arc<Published>>, StoreError>,
) -> Answer {
    let Some(since) = since else {
        return Ok(Outcome::Events {
            viewer,
            events: Vec::new(),
            next: head,
            more: false,
        });
    };
    if since > head {
        return Ok(Outcome::Failed(Failure::InvalidSince));
    }
    let max = config.events_page_max as usize;
    let mut events = fetch(since, config.events_page_max.saturating_add(1))?;
    let mut more = events.len() > max;
    events.truncate(max);
    more |= keep_oldest_within(&mut events, config.events_page_budget, |e| {
        event_len(e, viewer)
    });
    let next = events.last().map_or(since, |e| e.id);
    Ok(Outcome::Events {
        viewer,
        events,
        next,
        more,
    })
}

/// Moves the caller's read position in a chat forward to `up_to` (never
/// back, never past the chat's newest message) and says how many messages
/// are still unread there. A private chat with no messages yet has nothing
/// to read.
pub(super) fn read(
    view: &mut impl View,
    caller_hash: &TokenHash,
    chat: &ChatRef,
    up_to: MessageId,
) -> Answer {
    let me = checked!(caller(view, caller_hash)?);
    let chat_id = match checked!(target(view, &me, chat, "chat_with")?) {
        Target::Public => Some(PUBLIC_CHAT),
        Target::Partner(other) => view.private_chat(me.id, other.id)?,
        Target::Room(room) => Some(room.id),
    };
    let Some((chat_id, position)) = (match chat_id {
        Some(id) => view.read_position(id, me.id)?.map(|p| (id, p)),
        None => None,
    }) else {
        return Ok(Outcome::ReadMoved { unread: 0 });
    };
    let up_to = up_to.min(view.latest_message(chat_id)?);
    advance(
        view,
        &Advance {
            chat: chat_id,
            user: me.id,
            up_to,
        },
    )?;
    let unread = view.count_after(chat_id, position.max(up_to))?;
    Ok(Outcome::ReadMoved { unread })
}

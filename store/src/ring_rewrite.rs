//! (issue 26) Edits and deletions reach the hub's ring of recent events.
//!
//! A catch-up read from the database rebuilds each event from the rows it
//! names, so it shows a message's text as it is now; the ring holds events
//! as they were published. Without this, a client catching up from memory
//! would still be handed the text of a message deleted (or edited) since:
//! a deleted text would outlive its deletion for as long as the ring keeps
//! the event. So when an edit or deletion is recorded, every older event of
//! the ring about the same message or comment is replaced by what the
//! database would answer for it now.

use crate::hub::Published;
use agora_core::events::{Event, EventBody};
use std::collections::VecDeque;
use std::sync::Arc;

/// Rewrites the events of `ring` (with their charges) that `change` makes
/// stale; returns the new sum of the charges given the old one.
pub(crate) fn apply_change(
    ring: &mut VecDeque<(Arc<Published>, usize)>,
    change: &Event,
    mut bytes: usize,
) -> usize {
    if !matches!(
        change.body,
        EventBody::MessageChanged { .. } | EventBody::CommentChanged { .. }
    ) {
        return bytes;
    }
    for entry in ring.iter_mut() {
        if entry.0.event().id >= change.id {
            continue;
        }
        let Some(body) = rewritten(&entry.0.event().body, &change.body) else {
            continue;
        };
        let fresh = Arc::new(Published::new(Event {
            id: entry.0.event().id,
            body,
        }));
        let charge = fresh.ring_charge();
        bytes = bytes - entry.1 + charge;
        *entry = (fresh, charge);
    }
    bytes
}

/// `old` as the database rebuilds it after `change`, if `change` is about
/// what `old` shows.
fn rewritten(old: &EventBody, change: &EventBody) -> Option<EventBody> {
    match (old, change) {
        (EventBody::Message { chat, message }, EventBody::MessageChanged { message: now, .. })
            if message.id == now.id =>
        {
            Some(EventBody::Message {
                chat: chat.clone(),
                message: agora_core::view::StoredMessage {
                    // A new message's event shows no comments.
                    comments_total: 0,
                    ..now.clone()
                },
            })
        }
        (
            EventBody::MessageChanged {
                chat,
                change,
                message,
            },
            EventBody::MessageChanged { message: now, .. },
        ) if message.id == now.id => Some(EventBody::MessageChanged {
            chat: chat.clone(),
            change: *change,
            message: now.clone(),
        }),
        (
            EventBody::Comment {
                chat,
                message_id,
                comment,
            },
            EventBody::CommentChanged { comment: now, .. },
        ) if comment.id == now.id => Some(EventBody::Comment {
            chat: chat.clone(),
            message_id: *message_id,
            comment: now.clone(),
        }),
        (
            EventBody::CommentChanged {
                chat,
                change,
                message_id,
                comment,
            },
            EventBody::CommentChanged { comment: now, .. },
        ) if comment.id == now.id => Some(EventBody::CommentChanged {
            chat: chat.clone(),
            change: *change,
            message_id: *message_id,
            comment: now.clone(),
        }),
        _ => None,
    }
}

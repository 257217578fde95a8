//! (issue 26) Edits, deletions and reactions reach the hub's ring of recent
//! events.
//!
//! A catch-up read from the database rebuilds each event from the rows it
//! names, so it shows a message as it is now; the ring holds events as they
//! were published. Without this, a client catching up from memory would
//! still be handed the text of a message deleted (or edited) since: a
//! deleted text would outlive its deletion for as long as the ring keeps
//! the event. So when an edit or deletion is recorded, every older event of
//! the ring about the same message or comment is replaced by what the
//! database would answer for it now; a reaction likewise sets the message's
//! reactions in the older events that show it. Then a page is the same
//! whether the ring or the database serves it (on PostgreSQL the hub may
//! have recorded a message before a reaction to it committed, or after:
//! the model-vs-PostgreSQL property test found the difference).

use crate::hub::Published;
use agora_core::events::{Event, EventBody};
use agora_core::records::{Reaction, StoredMessage};
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
        EventBody::MessageChanged { .. }
            | EventBody::CommentChanged { .. }
            | EventBody::Reaction { .. }
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
            EventBody::Message { chat, message },
            EventBody::Reaction {
                message_id,
                reactions,
                ..
            },
        ) if message.id == *message_id => Some(EventBody::Message {
            chat: chat.clone(),
            message: with_reactions(message, reactions),
        }),
        (
            EventBody::MessageChanged {
                chat,
                change,
                message,
            },
            EventBody::Reaction {
                message_id,
                reactions,
                ..
            },
        ) if message.id == *message_id => Some(EventBody::MessageChanged {
            chat: chat.clone(),
            change: *change,
            message: with_reactions(message, reactions),
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

fn with_reactions(message: &StoredMessage, reactions: &[Reaction]) -> StoredMessage {
    StoredMessage {
        reactions: reactions.to_vec(),
        ..message.clone()
    }
}

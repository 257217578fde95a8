//! (issue 26) Edits, deletions and reactions reach the ring of recent
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

use agora_core::events::EventBody;
use agora_core::records::{StoredComment, StoredMessage};

/// Whether `change` can make older events stale (the others need no look
/// at the ring).
pub(super) fn rewrites_older(change: &EventBody) -> bool {
    matches!(
        change,
        EventBody::MessageChanged { .. }
            | EventBody::CommentChanged { .. }
            | EventBody::Reaction { .. }
    )
}

/// `old` as the database rebuilds it after `change`, if `change` is about
/// what `old` shows.
pub(super) fn rewritten(old: &EventBody, change: &EventBody) -> Option<EventBody> {
    match change {
        EventBody::MessageChanged { message: now, .. } => {
            let shown = shown_message(old)?;
            if shown.id != now.id {
                return None;
            }
            let now = match old {
                // A new message's event shows no comments.
                EventBody::Message { .. } => StoredMessage {
                    comments_total: 0,
                    ..now.clone()
                },
                _ => now.clone(),
            };
            with_message(old, now)
        }
        EventBody::Reaction {
            message_id,
            reactions,
            ..
        } => {
            let shown = shown_message(old)?;
            if shown.id != *message_id {
                return None;
            }
            let now = StoredMessage {
                reactions: reactions.clone(),
                ..shown.clone()
            };
            with_message(old, now)
        }
        EventBody::CommentChanged { comment: now, .. } => {
            if shown_comment(old)?.id != now.id {
                return None;
            }
            with_comment(old, now.clone())
        }
        _ => None,
    }
}

/// The message a message's event (new or changed) shows.
fn shown_message(body: &EventBody) -> Option<&StoredMessage> {
    match body {
        EventBody::Message { message, .. } | EventBody::MessageChanged { message, .. } => {
            Some(message)
        }
        _ => None,
    }
}

/// The comment a comment's event (new or changed) shows.
fn shown_comment(body: &EventBody) -> Option<&StoredComment> {
    match body {
        EventBody::Comment { comment, .. } | EventBody::CommentChanged { comment, .. } => {
            Some(comment)
        }
        _ => None,
    }
}

/// A message's event showing `message` instead.
fn with_message(body: &EventBody, message: StoredMessage) -> Option<EventBody> {
    match body {
        EventBody::Message { chat, .. } => Some(EventBody::Message {
            chat: chat.clone(),
            message,
        }),
        EventBody::MessageChanged { chat, change, .. } => Some(EventBody::MessageChanged {
            chat: chat.clone(),
            change: *change,
            message,
        }),
        _ => None,
    }
}

/// A comment's event showing `comment` instead.
fn with_comment(body: &EventBody, comment: StoredComment) -> Option<EventBody> {
    match body {
        EventBody::Comment {
            chat, message_id, ..
        } => Some(EventBody::Comment {
            chat: chat.clone(),
            message_id: *message_id,
            comment,
        }),
        EventBody::CommentChanged {
            chat,
            change,
            message_id,
            ..
        } => Some(EventBody::CommentChanged {
            chat: chat.clone(),
            change: *change,
            message_id: *message_id,
            comment,
        }),
        _ => None,
    }
}

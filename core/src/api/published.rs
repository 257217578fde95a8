//! [`Published`]: an event on its way to the wire, with its JSON and its SSE
//! frame encoded once per viewer slot and shared by every receiver. It is
//! the one way an event is encoded for a client: the hub's fan-out and its
//! ring of recent events, a page read from the database (`Outcome::Events`
//! carries these), a long-poll's answer and a stream's frames all go
//! through [`Published::encoded_for`]. Pure: an event and two cells.

use super::encode::{event_json, sse_frame};
use crate::events::{Audience, Event, EventBody, EventChat, EventId};
use crate::json_size;
use crate::records::{Reaction, StoredMessage};
use crate::view::UserId;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

/// One event and its encodings, made on first use.
#[derive(Debug)]
pub struct Published {
    event: Event,
    /// Slot 0 for everyone (or a private chat's first member), slot 1 for a
    /// private chat's second member: the only event whose JSON depends on
    /// the viewer (the chat is named after the other member).
    encoded: [OnceLock<Encoded>; 2],
}

/// An event encoded for one viewer.
#[derive(Debug)]
pub struct Encoded {
    /// The event's JSON object (an element of a page's `events`).
    pub json: Vec<u8>,
    /// Its `text/event-stream` frame.
    pub sse: Vec<u8>,
}

impl Published {
    pub fn new(event: Event) -> Published {
        Published {
            event,
            encoded: [OnceLock::new(), OnceLock::new()],
        }
    }

    /// [`new`](Self::new), shared: how pages and the hub hold events.
    pub fn shared(event: Event) -> Arc<Published> {
        Arc::new(Published::new(event))
    }

    pub fn id(&self) -> EventId {
        self.event.id
    }

    /// The event as `viewer` gets it.
    pub fn encoded_for(&self, viewer: UserId) -> &Encoded {
        let slot = match self.event.body.audience() {
            Audience::Two(_, second) if viewer == second => 1,
            _ => 0,
        };
        self.encoded[slot].get_or_init(|| {
            let json = event_json(&self.event, viewer);
            let sse = sse_frame(self.event.id, self.event.body.kind(), &json);
            Encoded { json, sse }
        })
    }

    /// The most memory this event can hold once encoded for every viewer
    /// slot: the event's own heap bytes, plus its JSON and its SSE frame
    /// (the JSON and a short header) for each slot it can be encoded in
    /// (one, or a private chat's two members). Counted from the event
    /// without encoding it (`json_size` follows the encoder byte for byte):
    /// what the hub's ring charges for keeping it.
    pub fn footprint(&self) -> usize {
        /// `id: N\nevent: kind\ndata: ` and the blank line, generously.
        const SSE_FRAMING: usize = 64;
        let event = &self.event;
        let viewers = match event.body.audience() {
            // Everyone shares one encoding (a public chat is named alike
            // for all, and so is a room).
            Audience::Everyone | Audience::Room(_) | Audience::RoomAnd(..) => [Some(0), None],
            Audience::Two(a, b) => [Some(a), Some(b)],
            Audience::One(user) => [Some(user), None],
        };
        let encoded: usize = viewers
            .into_iter()
            .flatten()
            .map(|viewer| 2 * json_size::event_len(event, viewer) + SSE_FRAMING)
            .sum();
        std::mem::size_of::<Published>() + heap_bytes(&event.body) + encoded
    }
}

/// A published event reads as its event (`p.id`, `p.body`).
impl Deref for Published {
    type Target = Event;

    fn deref(&self) -> &Event {
        &self.event
    }
}

/// Two published events are equal when their events are (the encodings
/// follow from the event).
impl PartialEq for Published {
    fn eq(&self, other: &Published) -> bool {
        self.event == other.event
    }
}

impl Eq for Published {}

/// The heap bytes an event's body holds: its texts and names.
fn heap_bytes(body: &EventBody) -> usize {
    let names = |chat: &EventChat| match chat {
        EventChat::Public => 0,
        EventChat::Private { members, .. } => members.iter().map(|(_, name)| name.len()).sum(),
        EventChat::Room { name, .. } => name.len(),
    };
    match body {
        EventBody::Message { chat, message } => {
            message.text.len() + message.author.len() + names(chat)
        }
        EventBody::Comment { chat, comment, .. } => {
            comment.text.len() + comment.author.len() + names(chat)
        }
        EventBody::Banned { .. } | EventBody::SignedOut { .. } => 0,
        EventBody::Member {
            room_name,
            user_name,
            ..
        } => room_name.len() + user_name.len(),
        // (issue 26)
        EventBody::MessageChanged { chat, message, .. } => {
            message.text.len() + message.author.len() + names(chat) + message_extras(message)
        }
        EventBody::CommentChanged { chat, comment, .. } => {
            comment.text.len() + comment.author.len() + names(chat)
        }
        EventBody::Reaction {
            chat, reactions, ..
        } => names(chat) + reactions_heap(reactions),
    }
}

/// (issue 26) The heap bytes of a message's reactions and mentions.
fn message_extras(message: &StoredMessage) -> usize {
    reactions_heap(&message.reactions) + message.mentions.iter().map(String::len).sum::<usize>()
}

fn reactions_heap(reactions: &[Reaction]) -> usize {
    reactions
        .iter()
        .map(|r| r.emoji.len() + r.users.iter().map(String::len).sum::<usize>())
        .sum()
}

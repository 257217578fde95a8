//! Where the events a wing's view (`SqlView`, `PgView`) records go too:
//! the batch's list, which whoever commits the transaction publishes and
//! whoever rolls it back drops; none for a view that only reads or writes.

use agora_core::events::{Event, EventBody, EventId};

#[derive(Default)]
pub(crate) struct RecordedEvents<'a>(Option<&'a mut Vec<Event>>);

impl<'a> RecordedEvents<'a> {
    /// Events recorded from now on are appended to `events`.
    pub(crate) fn into(events: &'a mut Vec<Event>) -> RecordedEvents<'a> {
        RecordedEvents(Some(events))
    }

    /// Keeps event `id` just written (when there is a list) and gives its
    /// id back.
    pub(crate) fn keep(&mut self, id: EventId, body: EventBody) -> EventId {
        if let Some(events) = self.0.as_mut() {
            events.push(Event { id, body });
        }
        id
    }
}

//! The event feed of one user: long-polls `GET /events` from a cursor and
//! hands out each event once, in order.
//!
//! Long-poll rather than `text/event-stream`: core's client machine
//! (`ClientConn`) reads whole responses, which a long-poll answer is, while a
//! stream would need it to hand out a body chunk by chunk. Each answer also
//! carries the cursor to go on from, so resuming after a broken connection is
//! asking again with the same cursor: an event is handed out only once its
//! whole answer has arrived, and an event at or before the cursor never again.

use crate::api::Api;
use crate::failure::Failure;
use crate::wire::Event;
use serde_json::value::RawValue;
use std::time::Duration;

/// How long the server may hold a long-poll before answering with no events.
/// Below the 30 s after which proxies and NATs commonly drop a quiet
/// connection; the feed's reads wait this much longer than the usual timeout.
pub const LONG_POLL: Duration = Duration::from_secs(25);

/// An event, and its JSON as the server wrote it.
#[derive(Debug)]
pub struct Delivered {
    pub event: Event,
    pub raw: Box<RawValue>,
}

pub struct Feed {
    api: Api,
    /// The last event handed out, or where the feed started; `None` until
    /// the head is known.
    cursor: Option<u64>,
}

impl Feed {
    /// The feed of `api`'s user, on a connection of its own (so that it can
    /// wait while the user's other requests go on). `since`: the cursor to
    /// start after; `None`: the head, events from now on.
    pub fn new(api: &Api, since: Option<u64>) -> Feed {
        Feed {
            api: api.holding(LONG_POLL),
            cursor: since,
        }
    }

    /// Where the feed stands, asking the server for the head if it does not
    /// know yet: the first contact with the server.
    pub fn start(&mut self) -> Result<u64, Failure> {
        match self.cursor {
            Some(cursor) => Ok(cursor),
            None => {
                let head = self.api.events(None, LONG_POLL)?.value.next;
                self.cursor = Some(head);
                Ok(head)
            }
        }
    }

    /// The events after the cursor, waiting up to [`LONG_POLL`] for one
    /// (none: the wait ended empty); the cursor moves past them. After an
    /// error the cursor is where it was, so calling again resumes exactly.
    pub fn next(&mut self) -> Result<Vec<Delivered>, Failure> {
        let mut cursor = self.start()?;
        let page = self.api.events(Some(cursor), LONG_POLL)?.value;
        let mut delivered = Vec::with_capacity(page.events.len());
        for raw in page.events {
            let event = Event::read(&raw).map_err(|e| {
                Failure::Unreachable(format!("the server sent an event agora cannot read ({e})"))
            })?;
            // Never twice, whatever the server sends.
            if event.id > cursor {
                cursor = event.id;
                delivered.push(Delivered { event, raw });
            }
        }
        self.cursor = Some(cursor.max(page.next));
        Ok(delivered)
    }
}

//! Bytes of responses that clients have not taken yet, bounded: per
//! connection and across all of them, and timed by progress.
//!
//! A client that asks for big pages and never reads would otherwise make the
//! server hold every page it asked for (its own memory and the kernel's) until
//! the write timeout. Three bounds, written once for every runtime:
//!
//! - **Per connection**: the drive loop reads no further request while a
//!   response is being written, so a connection holds at most one batch of
//!   output in memory; the kernel holds at most its send buffer, set small
//!   (see `crate::tcp::limit_send_buffer`).
//! - **In total** ([`Unsent`]): the output being written is charged against
//!   `--max-unsent-bytes`. While the charges are over it, a request whose
//!   answer can be big (a page of events, messages, comments or search
//!   hits) is answered 503 `overloaded` before anything is read for it. A
//!   catch-up (events behind the newest) also reserves a full page from
//!   its dispatch until the store answered, so that a thousand of them arriving together do not
//!   all pass before any page is charged (and keep the readers busy for
//!   everyone else); a long-poll at the head reserves nothing. A page of
//!   events read while the budget is spent anyway is dropped and answered
//!   503 in its place, before it is encoded. (`/connect` is checked only
//!   before: its answer comes with a move of the read position.)
//! - **In time** ([`write_out`]): a response is written in chunks, each of
//!   which must be taken by the client within `--write-progress-timeout`;
//!   a client that takes nothing for that long is closed, freeing its share.

use crate::drive::Transport;
use agora_core::command::{Command, Failure, Outcome};
use agora_core::events::EventId;
use agora_store::Watch;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bytes handed to the transport per write: the unit of progress. A client
/// must take this much per `--write-progress-timeout` (1.6 KB/s at 10 s).
pub const WRITE_CHUNK: usize = 16 * 1024;

/// Output not yet taken by the clients, across connections, against a budget.
#[derive(Debug)]
pub struct Unsent {
    bytes: AtomicUsize,
    max: usize,
}

/// Bytes charged to [`Unsent`]; dropping it gives them back.
#[derive(Debug)]
pub struct Charge {
    unsent: Arc<Unsent>,
    bytes: usize,
}

impl Unsent {
    pub fn new(max: usize) -> Arc<Unsent> {
        Arc::new(Unsent {
            bytes: AtomicUsize::new(0),
            max,
        })
    }

    /// Bytes charged now.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Charges `bytes` whatever the total (output already made must go out).
    pub fn charge(self: &Arc<Self>, bytes: usize) -> Charge {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        Charge {
            unsent: self.clone(),
            bytes,
        }
    }

    /// Charges `bytes` if the total stays within the budget.
    pub fn reserve(self: &Arc<Self>, bytes: usize) -> Option<Charge> {
        self.bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| {
                (now.saturating_add(bytes) <= self.max).then_some(now + bytes)
            })
            .ok()
            .map(|_| Charge {
                unsent: self.clone(),
                bytes,
            })
    }

    /// Whether the charges reached the budget.
    pub fn spent(&self) -> bool {
        self.bytes() >= self.max
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        self.unsent.bytes.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

/// What a catch-up (`GET /events` with a `since` behind the newest event)
/// reserves from its dispatch until the store answered: the largest page
/// the rules make (1 MiB of events).
pub const CATCH_UP: usize = 1024 * 1024;

/// Whether `command`'s answer can be big (a page of events, messages,
/// comments or search hits: up to the rules' page budgets).
pub fn answers_big(command: &Command) -> bool {
    matches!(
        command,
        Command::Connect { .. }
            | Command::Events { .. }
            | Command::Comments { .. }
            | Command::Messages { .. }
            | Command::Search { .. }
    )
}

/// What [`admit`] decided.
#[derive(Debug)]
pub enum Admission {
    /// Served, holding this reservation (if any) until the store answered.
    Serve(Option<Charge>),
    /// Answered 503 `overloaded`.
    Refuse,
}

/// Admits a request against the budget (see the module docs). `head` gives
/// the newest event; it is asked only for a catch-up (`since` given).
pub fn admit(command: &Command, unsent: &Arc<Unsent>, head: impl FnOnce() -> EventId) -> Admission {
    if !answers_big(command) {
        return Admission::Serve(None);
    }
    if unsent.spent() {
        return Admission::Refuse;
    }
    match command {
        Command::Events {
            since: Some(since), ..
        } if *since < head() => match unsent.reserve(CATCH_UP) {
            Some(charge) => Admission::Serve(Some(charge)),
            None => Admission::Refuse,
        },
        _ => Admission::Serve(None),
    }
}

/// Replaces a page of events read while the budget is spent by 503
/// `overloaded` (see the module docs), ending its subscription.
pub fn screen(watch: &mut Watch, unsent: &Unsent) {
    let big = matches!(&watch.outcome, Outcome::Events { events, .. } if !events.is_empty());
    if big && unsent.spent() {
        watch.outcome = Outcome::Failed(Failure::Overloaded);
        watch.subscription = None;
    }
}

/// Writes `out` charged against `unsent`, a chunk at a time: each chunk
/// must be taken within `progress`, and the whole by `deadline`.
pub async fn write_out<T: Transport>(
    transport: &mut T,
    out: &[u8],
    unsent: &Arc<Unsent>,
    progress: Duration,
    deadline: Instant,
) -> io::Result<()> {
    let _charge = unsent.charge(out.len());
    for chunk in out.chunks(WRITE_CHUNK) {
        let by = deadline.min(Instant::now() + progress);
        transport.write_all(chunk, by).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_core::command::EventsWait;
    use agora_core::token::TokenHash;

    fn events(since: Option<EventId>, wait: EventsWait) -> Command {
        Command::Events {
            caller: TokenHash([1; 32]),
            since,
            wait,
        }
    }

    fn reserves(admission: Admission) -> bool {
        matches!(admission, Admission::Serve(Some(_)))
    }

    fn served(admission: Admission) -> bool {
        matches!(admission, Admission::Serve(None))
    }

    fn refused(admission: Admission) -> bool {
        matches!(admission, Admission::Refuse)
    }

    #[test]
    fn charges_come_back_when_dropped_and_reservations_stop_at_the_budget() {
        let unsent = Unsent::new(3 * CATCH_UP);
        let written = unsent.charge(CATCH_UP + 1);
        let first = unsent.reserve(CATCH_UP).expect("room for one page");
        assert!(
            unsent.reserve(CATCH_UP).is_none(),
            "{} charged",
            unsent.bytes()
        );
        assert!(!unsent.spent());
        drop(written);
        assert_eq!(unsent.bytes(), CATCH_UP);
        let second = unsent.reserve(CATCH_UP).expect("room again");
        drop((first, second));
        assert_eq!(unsent.bytes(), 0);
    }

    #[test]
    fn only_pages_are_refused_and_only_catch_ups_reserve() {
        let unsent = Unsent::new(2 * CATCH_UP);
        let poll = EventsWait::Poll { timeout_secs: 30 };
        let status = Command::Status {
            caller: TokenHash([1; 32]),
        };
        // At the head, or without `since`: nothing to read, nothing reserved.
        assert!(served(admit(&events(Some(9), poll), &unsent, || 9)));
        assert!(served(admit(&events(None, poll), &unsent, || 9)));
        let one = admit(&events(Some(0), poll), &unsent, || 9);
        let two = admit(&events(Some(3), EventsWait::Stream), &unsent, || 9);
        assert!(unsent.spent(), "{one:?} {two:?}");
        assert!(refused(admit(&events(Some(0), poll), &unsent, || 9)));
        assert!(
            refused(admit(&events(Some(9), poll), &unsent, || 9)),
            "spent: every page waits"
        );
        assert!(
            served(admit(&status, &unsent, || 9)),
            "small answers are served"
        );
        let search = Command::Search {
            caller: TokenHash([1; 32]),
            query: Box::new(agora_core::search::SearchQuery::parse("deploy").unwrap()),
            chat: None,
            before: None,
            limit: 100,
        };
        assert!(
            refused(admit(&search, &unsent, || 9)),
            "a page of search hits is a page"
        );
        drop(one);
        assert!(reserves(admit(&events(Some(0), poll), &unsent, || 9)));
        drop(two);
    }
}

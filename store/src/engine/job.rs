//! What the writer's queue carries: a [`Request`] (a [`Job`] and where its
//! outcome goes), and how a batch's outcomes are sent once it is over.

use crate::pending::Reply;
use agora_core::command::{Command, Failure, Outcome};
use agora_core::idempotency::Keyed;
use agora_core::rules::Advance;

/// One queued job and where its outcome goes.
pub(crate) struct Request {
    pub(crate) job: Job,
    pub(crate) reply: Reply,
}

/// What the writer does for a request.
pub(crate) enum Job {
    /// Apply a command.
    Command(Command),
    /// Apply a command once per idempotency key (`idempotency::apply_once`).
    Keyed { command: Command, keyed: Keyed },
    /// Move a read position forward (`agora_core::rules::advance`), then
    /// answer with `page`, the `Connect` page a reader read.
    Advance { to: Advance, page: Outcome },
}

impl Request {
    /// The outcome to send once the batch is over: `page` for an `Advance`
    /// that was applied.
    fn answer(self, outcome: Outcome) -> (Reply, Outcome) {
        match self.job {
            Job::Advance { page, .. } if outcome == ADVANCED => (self.reply, page),
            _ => (self.reply, outcome),
        }
    }
}

/// What applying an `Advance` gives, before its page goes out in its place.
pub(crate) const ADVANCED: Outcome = Outcome::Connected {
    chat: String::new(),
    messages: Vec::new(),
    history_truncated: false,
    unread_messages: Vec::new(),
    unread_truncated: false,
};

/// A command of a batch that could not be committed.
pub(crate) const UNAVAILABLE: Outcome = Outcome::Failed(Failure::StoreUnavailable);

/// Sends each request its outcome (the page, for an applied `Advance`).
pub(crate) fn send_replies(batch: impl Iterator<Item = (Request, Outcome)>) {
    for (request, outcome) in batch {
        let (reply, outcome) = request.answer(outcome);
        // A client that went away dropped its receiver; nothing to do.
        let _ = reply.send(outcome);
    }
}

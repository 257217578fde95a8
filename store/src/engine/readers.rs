//! The read path, one reader pool over any wing's [`ReadSource`]: reads do
//! not need the writer's queue. `Status` and `Comments` write nothing;
//! `Connect` reads a page and only then hands the move of the caller's read
//! position to the writer (see `agora_core::rules::connect`), so a large
//! page is never built on the writer's thread, where it would hold up every
//! write.
//!
//! What `Status` read is memoized until the next commit ([`StatusMemo`]),
//! when this process's writer is the only one; a memo hit is replayed
//! through the rules on the caller's thread (a map lookup and some
//! arithmetic: it cannot block). (issue 23) When others may write too
//! (PostgreSQL), the memo is checked against the database's committed state
//! instead ([`StateMemo`]): a reader thread takes the `Status` reads queued
//! together, reads the state once for all of them, and replays those whose
//! entry was read at that state (see `Reading::answer_statuses`). Everything else needs the database, which
//! can wait on the disk, on file locks or on the network, so it never runs
//! on the caller's thread (an async runtime's event loop): it goes over a
//! bounded channel to a few reader threads, each with its own connection
//! (opened at start, so that a lack of file descriptors or an unreachable
//! database stops the start rather than failing reads later), which run it
//! in a read transaction and answer the command's `Pending`. A reader sees
//! the last committed state, which is exactly what has been acknowledged,
//! so a client never reads older data than a 201 it received.

use super::credentials;
use super::job::{Job, Request};
use super::read_source::ReadSource;
use super::status_memo::state::StateMemo;
use super::status_memo::{MemoView, StatusMemo, StatusReads};
use crate::clock::Clock;
use crate::config::StoreConfig;
use crate::error::{ApplyError, OpenError};
use crate::health::Health;
use crate::live::{Hub, Watch};
use crate::locks;
use crate::observe::Observer;
use crate::pending::{Pending, Reply};
use agora_core::api::Published;
use agora_core::command::{Command, EventsWait, Failure, Outcome};
use agora_core::config::Config;
use agora_core::rules::{self, Advance};
use agora_core::token::TokenHash;
use agora_core::view::View;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

/// Reads waiting per reader thread; past it a read queues for the writer.
const QUEUED_PER_READER: usize = 64;

/// (issue 23) `Status` reads a reader thread takes from the queue at once,
/// to answer them after one check of the committed state.
const STATUS_GROUP_MAX: usize = 64;

/// A read for a reader thread, and where to answer.
enum ReadJob {
    /// A `Status` memo miss, a `Connect` page, a `Comments` page.
    Read { command: Command, reply: Reply },
    /// `Events`: a page, and the subscription of a request that waits.
    Watch {
        command: Command,
        reply: Reply<Watch>,
    },
    /// (issue 28) a `/login` or `/password` to check and hash before it
    /// goes to the writer (see `credentials`).
    Prepare { job: Job, reply: Reply },
}

/// Whether a command is answered by the read path: every command that
/// writes nothing (`Command::writes`), but `Events`, which subscribes first
/// (see `Readers::watch`); and `Connect`, whose reader reads the page and
/// hands the writer only the move of the read position.
pub(crate) fn reads(command: &Command) -> bool {
    match command {
        Command::Connect { .. } => true,
        Command::Events { .. } => false,
        _ => !command.writes(),
    }
}

/// What the caller's thread and the reader threads share.
struct Reading {
    rules: Config,
    clock: Clock,
    /// `None` when another process may write too (see `Readers::start`).
    memo: Option<StatusMemo>,
    /// (issue 23) The memo when others may write too, checked against the
    /// database's committed state (`ReadSource::STATUS_BY_STATE`).
    by_state: Option<StateMemo>,
    /// The writer's queue, for the read position a `Connect` page moves.
    /// Dropped by `close`: the writer stops once every sender is gone.
    writer: RwLock<Option<SyncSender<Request>>>,
    /// Where `Events` subscribes, and its recent events.
    hub: Arc<Hub>,
    /// Told of every read answered, and answers the `Health` probe.
    health: Arc<Health>,
    observer: Observer,
}

pub(crate) struct Readers {
    reading: Arc<Reading>,
    /// `None` once closed. Dropping it tells the threads to finish what is
    /// queued and stop.
    jobs: RwLock<Option<SyncSender<ReadJob>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Readers {
    /// Starts a reader thread over each of `connections` (opened at start,
    /// one per `config.readers`, at least one), reading through `source`.
    /// `memo` keeps `Status` reads until the next commit: only when this
    /// process's writer is the only one (not on PostgreSQL, where another
    /// node may change any row).
    pub(crate) fn start<S: ReadSource>(
        config: &StoreConfig,
        source: Arc<S>,
        connections: Vec<S::Conn>,
        memo: Option<StatusMemo>,
        writer: SyncSender<Request>,
        hub: Arc<Hub>,
        health: Arc<Health>,
    ) -> Result<Readers, OpenError> {
        let count = connections.len();
        // Room for a burst of `Events` (clients resubscribing after a
        // restart), which have nowhere else to go.
        let capacity = (count * QUEUED_PER_READER).max(config.queue_capacity);
        let (sender, receiver) = sync_channel(capacity);
        let receiver = Arc::new(Mutex::new(receiver));
        let readers = Readers {
            reading: Arc::new(Reading {
                memo,
                by_state: S::STATUS_BY_STATE.then(StateMemo::default),
                rules: config.rules.clone(),
                clock: config.clock.clone(),
                writer: RwLock::new(Some(writer)),
                hub,
                health,
                observer: config.observer.clone(),
            }),
            jobs: RwLock::new(Some(sender)),
            threads: Mutex::new(Vec::with_capacity(count)),
        };
        for (i, conn) in connections.into_iter().enumerate() {
            let reading = readers.reading.clone();
            let receiver = receiver.clone();
            let source = source.clone();
            let thread = std::thread::Builder::new()
                .name(format!("agora-reader-{i}"))
                .spawn(move || reading.serve(&*source, &receiver, conn))
                // Dropping `readers` stops and joins the threads already started.
                .map_err(|source| OpenError::Thread {
                    name: "reader",
                    source,
                })?;
            locks::lock(&readers.threads).push(thread);
        }
        Ok(readers)
    }

    /// `caller`'s status replayed from the memo, on this thread; `None` when
    /// the memo has nothing current for it.
    pub(crate) fn replay(&self, caller: &TokenHash) -> Option<Outcome> {
        let memo = self.reading.memo.as_ref()?;
        let replayed = memo
            .get(caller)
            .and_then(|reads| self.reading.replay(caller, reads));
        self.reading.observer.status_memo(replayed.is_some());
        replayed
    }

    /// Hands a read (see [`reads`]) to a reader thread, which answers on
    /// `reply`; never blocks. Gives both back when the readers' queue is full
    /// or they are stopped: the caller queues the command for the writer.
    pub(crate) fn dispatch(&self, command: Command, reply: Reply) -> Result<(), (Command, Reply)> {
        match self.offer(ReadJob::Read { command, reply }) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => match job {
                ReadJob::Read { command, reply } => Err((command, reply)),
                _ => unreachable!("a read was sent"),
            },
        }
    }

    /// Answers a `Health` command: at once when the last read and files
    /// check are fresh (see `health`), else through a probe on a reader
    /// thread. Readers that cannot take the probe (their queue is full, or
    /// they are stopped) cannot answer a read now: unavailable.
    pub(crate) fn check_health(&self, mut reply: Reply, pending: Pending) -> Pending {
        if self.reading.health.fresh() {
            let _ = reply.send(Outcome::Health { available: true });
            return pending;
        }
        if let Err((_, returned)) = self.dispatch(Command::Health, reply) {
            reply = returned;
            let _ = reply.send(Outcome::Health { available: false });
        }
        pending
    }

    /// Hands an `Events` command to a reader thread; never blocks. `false`
    /// when the readers' queue is full (answer 503) or they are stopped (the
    /// dropped reply says the store is gone).
    pub(crate) fn watch(&self, command: Command, reply: Reply<Watch>) -> bool {
        self.offer_or_drop(ReadJob::Watch { command, reply })
    }

    /// Hands a write whose passwords must be checked or hashed first (see
    /// `credentials`) to a reader thread, which then queues it for the
    /// writer; never blocks. `false` when the readers' queue is full (answer
    /// 503) or they are stopped (the dropped reply says the store is gone).
    pub(crate) fn prepare(&self, job: Job, reply: Reply) -> bool {
        self.offer_or_drop(ReadJob::Prepare { job, reply })
    }

    /// Hands `job` to a reader thread without blocking; gives it back when
    /// the readers' queue is full (`Full`) or they are stopped
    /// (`Disconnected`).
    // The job comes back whole, as `try_send` gives it, for the writer's
    // queue; boxing it would cost an allocation on every read.
    #[allow(clippy::result_large_err)]
    fn offer(&self, job: ReadJob) -> Result<(), TrySendError<ReadJob>> {
        match locks::read(&self.jobs).as_ref() {
            Some(sender) => sender.try_send(job),
            None => Err(TrySendError::Disconnected(job)),
        }
    }

    /// [`offer`](Readers::offer) for a job whose reply says, once dropped,
    /// that the store is gone: `false` only when the queue is full.
    fn offer_or_drop(&self, job: ReadJob) -> bool {
        !matches!(self.offer(job), Err(TrySendError::Full(_)))
    }

    /// Stops taking reads, lets the threads answer what is queued (handing
    /// the writer the read positions they move), joins them, and lets go of
    /// the writer's queue. Idempotent.
    pub(crate) fn close(&self) {
        drop(locks::take_written(&self.jobs));
        let threads = std::mem::take(&mut *locks::lock(&self.threads));
        for thread in threads {
            if thread.join().is_err() {
                tracing::error!("a store reader thread panicked");
            }
        }
        drop(locks::take_written(&self.reading.writer));
    }
}

impl Drop for Readers {
    fn drop(&mut self) {
        self.close();
    }
}

impl Reading {
    /// `caller`'s status from `reads`, through the rules (which apply the
    /// time); `None` when that fails (the caller reads the database instead).
    fn replay(&self, caller: &TokenHash, reads: StatusReads) -> Option<Outcome> {
        let command = Command::Status { caller: *caller };
        let mut view = MemoView::<dyn View>::replaying(reads);
        let replayed = catch_unwind(AssertUnwindSafe(|| {
            rules::apply(&command, &mut view, self.clock.now(), &self.rules)
        }));
        match replayed {
            Ok(Ok(outcome)) => Some(outcome),
            _ => None,
        }
    }

    /// A reader thread: answers jobs over `conn` until the channel is closed
    /// and empty, then closes it (before the writer closes the database).
    fn serve<S: ReadSource>(&self, source: &S, jobs: &Mutex<Receiver<ReadJob>>, mut conn: S::Conn) {
        loop {
            let taken = self.take(&locks::lock(jobs));
            let Some(Taken { statuses, job }) = taken else {
                return;
            };
            if !statuses.is_empty() {
                self.answer_statuses(source, &mut conn, statuses);
            }
            if let Some(job) = job {
                self.run(source, &mut conn, job);
            }
        }
    }

    /// The next job, waiting for one; with the memo by committed state, a
    /// `Status` comes with the `Status` reads queued right behind it (up to
    /// [`STATUS_GROUP_MAX`]), and the job that ended the run. `None` once
    /// the queue is closed and empty.
    fn take(&self, jobs: &Receiver<ReadJob>) -> Option<Taken> {
        let mut job = jobs.recv().ok()?;
        let mut statuses = Vec::new();
        if self.by_state.is_none() {
            return Some(Taken {
                statuses,
                job: Some(job),
            });
        }
        loop {
            match job {
                ReadJob::Read {
                    command: Command::Status { caller },
                    reply,
                } => {
                    statuses.push((caller, reply));
                    match jobs.try_recv() {
                        Ok(next) if statuses.len() < STATUS_GROUP_MAX => job = next,
                        Ok(next) => {
                            return Some(Taken {
                                statuses,
                                job: Some(next),
                            })
                        }
                        Err(_) => {
                            return Some(Taken {
                                statuses,
                                job: None,
                            })
                        }
                    }
                }
                other => {
                    return Some(Taken {
                        statuses,
                        job: Some(other),
                    })
                }
            }
        }
    }

    /// (issue 23) `Status` reads with the memo by committed state: one check
    /// of the state for all of them, read after every one of them arrived,
    /// so a write acknowledged (committed) before any of them arrived, on
    /// any node, makes the state differ from that of older memo entries.
    /// An entry read at that state is replayed; the others are read in one
    /// statement each, which gives the state it read at: that too was read
    /// after they all arrived, so later entries may be checked against it.
    fn answer_statuses<S: ReadSource>(
        &self,
        source: &S,
        conn: &mut S::Conn,
        statuses: Vec<(TokenHash, Reply)>,
    ) {
        let Some(memo) = &self.by_state else {
            return;
        };
        let mut now = match source.committed_state(conn) {
            Ok(now) => now,
            Err(failure) => {
                tracing::error!(error = %failure, "read failed; answering store_unavailable");
                for (_, reply) in statuses {
                    let _ = reply.send(Outcome::Failed(Failure::StoreUnavailable));
                }
                return;
            }
        };
        for (caller, reply) in statuses {
            let hit = memo.get(&caller, &now);
            self.observer.status_memo(hit.is_some());
            let reads = match hit {
                Some(reads) => Ok(reads),
                None => source.status_reads(conn, &caller).map(|(reads, at)| {
                    memo.put(caller, at.clone(), reads.clone());
                    now = at;
                    reads
                }),
            };
            let outcome = match reads.map(|reads| self.replay(&caller, reads)) {
                Ok(Some(outcome)) => outcome,
                Ok(None) => {
                    tracing::error!(
                        "status rules failed over complete reads; answering store_unavailable"
                    );
                    Outcome::Failed(Failure::StoreUnavailable)
                }
                Err(failure) => {
                    tracing::error!(error = %failure, "read failed; answering store_unavailable");
                    Outcome::Failed(Failure::StoreUnavailable)
                }
            };
            let command = Command::Status { caller };
            // The client may have gone; nobody else wants the answer.
            let _ = reply.send(self.health.after_read(&command, outcome));
        }
    }

    /// One job other than a grouped `Status`.
    fn run<S: ReadSource>(&self, source: &S, conn: &mut S::Conn, job: ReadJob) {
        // The client may have gone; nobody else wants the answer.
        match job {
            ReadJob::Read { command, reply } => match self.read(source, conn, &command) {
                Read::Answer(outcome) => {
                    let _ = reply.send(self.health.after_read(&command, outcome));
                }
                Read::Advance(to, page) => {
                    self.health.read_answered();
                    self.hand_to_writer(to, page, reply);
                }
            },
            ReadJob::Watch { command, reply } => {
                let _ = reply.send(self.watch(source, conn, &command));
            }
            ReadJob::Prepare { job, reply } => self.prepare(source, conn, job, reply),
        }
    }

    fn read<S: ReadSource>(&self, source: &S, conn: &mut S::Conn, command: &Command) -> Read {
        // Read before the transaction starts: a commit in between makes the
        // memo entry stale at once rather than wrongly fresh.
        let version = self.memo.as_ref().map(StatusMemo::version);
        match self.apply(source, conn, command) {
            Ok(Applied::Status(outcome, reads)) => {
                if let (Command::Status { caller }, Some(memo), Some(version)) =
                    (command, &self.memo, version)
                {
                    memo.put(*caller, version, reads);
                }
                Read::Answer(outcome)
            }
            Ok(Applied::Page(page, None)) => Read::Answer(page),
            Ok(Applied::Page(page, Some(to))) => Read::Advance(to, page),
            Err(failure) => {
                tracing::error!(error = %failure, "read failed; answering store_unavailable");
                Read::Answer(Outcome::Failed(Failure::StoreUnavailable))
            }
        }
    }

    /// One read transaction: a consistent snapshot for the command's queries.
    fn apply<S: ReadSource>(
        &self,
        source: &S,
        conn: &mut S::Conn,
        command: &Command,
    ) -> Result<Applied, ApplyError> {
        let now = self.clock.now();
        source.snapshot(conn, |view| match command {
            Command::Status { .. } if self.memo.is_some() => {
                let mut memo = MemoView::recording(view);
                let outcome = rules::apply(command, &mut memo, now, &self.rules)?;
                Ok(Applied::Status(outcome, memo.into_reads()))
            }
            Command::Connect {
                caller,
                chat,
                messages_number,
            } => {
                let (page, to) =
                    rules::connect::page(view, caller, chat, *messages_number, &self.rules)?;
                Ok(Applied::Page(page, to))
            }
            _ => {
                let outcome = rules::apply(command, view, now, &self.rules)?;
                Ok(Applied::Page(outcome, None))
            }
        })
    }

    /// `Events`: the caller, then (for a request that waits) its
    /// subscription, then the page. The page is read after subscribing, from
    /// the hub's recent events or from a database snapshot begun after it, so
    /// that every event is in the page or reaches the subscription.
    fn watch<S: ReadSource>(&self, source: &S, conn: &mut S::Conn, command: &Command) -> Watch {
        let Command::Events {
            caller,
            since,
            wait,
        } = command
        else {
            return refused(Failure::StoreUnavailable);
        };
        let viewer = match source.snapshot(conn, |view| view.user_by_token(caller)) {
            Ok(Some(user)) => user.id,
            Ok(None) => return refused(Failure::Unauthorized),
            Err(e) => return read_failed(e),
        };
        if let Err(e) = source.before_events(conn) {
            return read_failed(e);
        }
        let waits = match wait {
            EventsWait::Stream => true,
            EventsWait::Poll { .. } => since.is_some(),
            EventsWait::Page => false,
        };
        let (subscription, head) = if waits {
            let (subscription, head) = self.hub.subscribe(viewer);
            (Some(subscription), head)
        } else {
            (None, self.hub.head())
        };
        let limit = self.rules.events_page_max.saturating_add(1) as usize;
        let page = source.snapshot(conn, |view| {
            // (issue 28) A token revoked after the first look but before
            // the subscription: its `signed_out` may be in neither.
            if view.user_by_token(caller)?.is_none() {
                return Ok(Outcome::Failed(Failure::Unauthorized));
            }
            rules::events_page(
                viewer,
                *since,
                head,
                &self.rules,
                |since, limit_db| match self.hub.recent(viewer, since, limit) {
                    Some(recent) => Ok(recent),
                    None => Ok(view
                        .events_after(viewer, since, limit_db)?
                        .into_iter()
                        .map(Published::shared)
                        .collect()),
                },
            )
        });
        match page {
            Ok(outcome) => Watch {
                outcome,
                subscription,
            },
            Err(e) => read_failed(e),
        }
    }

    /// Reads what a `/login` or `/password` is checked against, checks and
    /// hashes outside the read transaction, and queues it for the writer.
    fn prepare<S: ReadSource>(&self, source: &S, conn: &mut S::Conn, mut job: Job, reply: Reply) {
        let command = match &mut job {
            Job::Command(Command::Account(command))
            | Job::Keyed {
                command: Command::Account(command),
                ..
            } => command.as_mut(),
            _ => return self.queue_for_writer(Request { job, reply }),
        };
        let now = self.clock.now();
        match source.snapshot(conn, |view| credentials::stored(view, command, now)) {
            Ok(stored) => credentials::prepare(command, stored),
            Err(e) => {
                tracing::error!(error = %e, "read failed; answering store_unavailable");
                let _ = reply.send(Outcome::Failed(Failure::StoreUnavailable));
                return;
            }
        }
        self.queue_for_writer(Request { job, reply });
    }

    /// A `Connect` page is answered once the writer has moved the read
    /// position to its last unread message (a move that never goes back, so
    /// it skips nothing committed since the page was read).
    fn hand_to_writer(&self, to: Advance, page: Outcome, reply: Reply) {
        let request = Request {
            job: Job::Advance { to, page },
            reply,
        };
        self.queue_for_writer(request);
    }

    /// Queues `request` for the writer without blocking (503 `overloaded`
    /// when its queue is full).
    fn queue_for_writer(&self, request: Request) {
        let writer = locks::read(&self.writer);
        let Some(writer) = writer.as_ref() else {
            // Closed: the dropped reply tells the client the store is gone.
            return;
        };
        match writer.try_send(request) {
            Ok(()) => self.observer.queued(),
            Err(TrySendError::Full(request)) => {
                let _ = request.reply.send(Outcome::Failed(Failure::Overloaded));
            }
            // The writer is gone: the dropped reply tells the client.
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

/// What a reader thread took from the queue at once (see `Reading::take`).
struct Taken {
    /// `Status` reads answered together (with the memo by committed state).
    statuses: Vec<(TokenHash, Reply)>,
    /// Any other job, after them.
    job: Option<ReadJob>,
}

/// What a reader thread does with a read.
enum Read {
    Answer(Outcome),
    /// Move a read position, then answer with the page.
    Advance(Advance, Outcome),
}

/// A read transaction's result.
enum Applied {
    /// `Status`, with what it read for the memo.
    Status(Outcome, StatusReads),
    /// A page, with the read position it moves.
    Page(Outcome, Option<Advance>),
}

fn read_failed(error: ApplyError) -> Watch {
    tracing::error!(error = %error, "read failed; answering store_unavailable");
    refused(Failure::StoreUnavailable)
}

fn refused(failure: Failure) -> Watch {
    Watch {
        outcome: Outcome::Failed(failure),
        subscription: None,
    }
}

#[cfg(test)]
mod tests {
    use super::reads;
    use crate::engine::sample_commands;
    use agora_core::command::{ChatRef, Command, EventsWait};
    use agora_core::token::TokenHash;

    /// Every command that writes nothing is answered by the readers (but
    /// `Events`, which subscribes first: `watch`), so that no read queues
    /// behind the writer's batches.
    #[test]
    fn what_writes_nothing_is_read_by_the_readers() {
        let caller = TokenHash([1; 32]);
        for command in sample_commands::read_only(caller) {
            assert!(!command.writes(), "{command:?} writes");
            assert!(reads(&command), "{command:?} goes to the writer");
        }
        assert!(reads(&Command::Health));
        let connect = Command::Connect {
            caller,
            chat: ChatRef::Public,
            messages_number: 10,
        };
        assert!(reads(&connect), "a Connect page is read by the readers");
        let events = Command::Events {
            caller,
            since: None,
            wait: EventsWait::Stream,
        };
        assert!(!reads(&events), "Events is watched, not read");
        let send = Command::Send {
            caller,
            to: ChatRef::Public,
            text: "hi".into(),
        };
        assert!(!reads(&send));
        for command in sample_commands::writing(caller) {
            assert!(!reads(&command), "{command:?} is read");
        }
    }
}

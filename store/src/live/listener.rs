//! The listener thread of a fed hub (`feed`): it waits for word that some
//! node committed events and then catches the hub up; without word it
//! catches up every [`POLL`] anyway, so a word sent while it was
//! reconnecting is not missed for long. What is the database's is only
//! [`Notices`]: PostgreSQL's `LISTEN`/`NOTIFY` (`pg::feed`).

use super::feed::{CommittedEvents, Feed};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Longest the listener goes without catching up.
pub(crate) const POLL: Duration = Duration::from_secs(1);
/// How often the listener looks at its stop flag while it waits.
const STOP_CHECK: Duration = Duration::from_millis(100);

/// How word of committed events reaches the listener, on a connection of
/// its own.
pub(crate) trait Notices: Send + 'static {
    type Source: CommittedEvents;

    /// Waits at most `timeout` for word that events were committed: `true`
    /// when some came, or when some may have been missed (it has just
    /// started listening); `false` when none came, or when there is no
    /// connection now (then it waited without one).
    fn wait(&mut self, timeout: Duration) -> Result<bool, String>;

    /// The connection to read the events on, if one is open.
    fn source(&mut self) -> Option<&mut Self::Source>;

    /// The connection failed: drop it (the next `wait` starts over).
    fn failed(&mut self);

    /// The listener stops.
    fn close(&mut self);
}

/// A fed hub's listener thread, running until [`Listener::stop`]: what a
/// wing that feeds its hub starts (beside the [`Feed`] its readers catch
/// up through) and stops after its writer.
pub(crate) struct Listener {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Listener {
    /// Starts the thread `name`: it feeds `feed` as `notices` tells.
    pub(crate) fn spawn<N: Notices>(
        name: &str,
        mut notices: N,
        feed: Arc<Feed>,
    ) -> std::io::Result<Listener> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let mut fed_at = Instant::now();
                while !stopped.load(Ordering::Relaxed) {
                    // A bug must not end the thread: without it no other
                    // node's event would reach this node's waiting clients
                    // until they ask again.
                    let step = catch_unwind(AssertUnwindSafe(|| {
                        listen_once(&mut notices, &feed, &mut fed_at)
                    }))
                    .unwrap_or_else(|_| Err("the listener panicked".into()));
                    if let Err(e) = step {
                        tracing::warn!(error = %e, "the event listener lost its connection; reconnecting");
                        notices.failed();
                    }
                }
                notices.close();
            })?;
        Ok(Listener { stop, thread })
    }

    /// Stops the thread (within [`STOP_CHECK`] and the catch-up under way)
    /// and waits for it; `Err` when it ended in a panic after all (in
    /// `Notices::close`).
    pub(crate) fn stop(self) -> std::thread::Result<()> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join()
    }
}

/// One wait of at most [`STOP_CHECK`], then a catch-up when word came or
/// [`POLL`] passed.
fn listen_once<N: Notices>(
    notices: &mut N,
    feed: &Feed,
    fed_at: &mut Instant,
) -> Result<(), String> {
    let notified = notices.wait(STOP_CHECK)?;
    if notified || fed_at.elapsed() >= POLL {
        let Some(source) = notices.source() else {
            return Ok(());
        };
        feed.catch_up(source).map_err(|e| e.0)?;
        *fed_at = Instant::now();
    }
    Ok(())
}

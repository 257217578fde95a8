//! What an accept loop does when `accept` fails.
//!
//! Out of descriptors (EMFILE, ENFILE) or memory, `accept` fails again at once
//! for as long as the shortage lasts: retrying at once would spin a core, and
//! logging each failure flooded the log (20 lines a second). So the loop
//! pauses, longer while the shortage lasts (the waiting clients stay in the
//! listen backlog), and a shortage is logged once when it starts and once when
//! it ends. A failure that concerns one connection only (the client gave up
//! before it was accepted) is no shortage: the loop goes on at once.

use std::io;
use std::time::{Duration, Instant};
use tracing::{debug, error, warn};

const FIRST_PAUSE: Duration = Duration::from_millis(5);
const LONGEST_PAUSE: Duration = Duration::from_millis(200);

/// One accept loop's failures.
#[derive(Default)]
pub struct AcceptErrors {
    shortage: Option<Shortage>,
}

struct Shortage {
    started: Instant,
    failures: u64,
    pause: Duration,
}

impl AcceptErrors {
    pub fn new() -> AcceptErrors {
        AcceptErrors::default()
    }

    /// An accept failed with `e`: how long to wait before accepting again.
    pub fn failed(&mut self, e: &io::Error) -> Duration {
        if concerns_one_connection(e) {
            debug!("accept: {e}");
            return Duration::ZERO;
        }
        let shortage = self.shortage.get_or_insert_with(|| {
            error!("accept failed: {e}; pausing accepts until it clears (new clients wait)");
            Shortage {
                started: Instant::now(),
                failures: 0,
                pause: FIRST_PAUSE / 2,
            }
        });
        shortage.failures += 1;
        shortage.pause = (shortage.pause * 2).min(LONGEST_PAUSE);
        shortage.pause
    }

    /// An accept succeeded: ends a shortage, if there was one.
    pub fn accepted(&mut self) {
        if let Some(shortage) = self.shortage.take() {
            warn!(
                "accepting again after {} failed accepts in {} ms",
                shortage.failures,
                shortage.started.elapsed().as_millis()
            );
        }
    }
}

/// Failures of `accept` that are about the one connection it was taking.
fn concerns_one_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    ) || matches!(e.raw_os_error(), Some(libc::EPROTO | libc::EPERM))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn emfile() -> io::Error {
        io::Error::from_raw_os_error(libc::EMFILE)
    }

    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Runs `f` with the log captured; returns the lines it logged.
    fn logged(f: impl FnOnce()) -> Vec<String> {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || Captured(writer.clone()))
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn a_shortage_is_logged_once_and_backs_off() {
        let mut errors = AcceptErrors::new();
        let mut pauses = Vec::new();
        let lines = logged(|| {
            for _ in 0..100 {
                pauses.push(errors.failed(&emfile()));
            }
            errors.accepted();
            errors.accepted();
        });
        assert_eq!(lines.len(), 2, "{lines:#?}");
        assert!(lines[0].contains("Too many open files"), "{}", lines[0]);
        assert!(
            lines[1].contains("after 100 failed accepts"),
            "{}",
            lines[1]
        );
        assert_eq!(pauses[0], FIRST_PAUSE);
        assert!(pauses.windows(2).all(|w| w[0] <= w[1]), "{pauses:?}");
        assert_eq!(pauses[99], LONGEST_PAUSE);
        // A new shortage is a new episode, from the first pause again.
        let lines = logged(|| assert_eq!(errors.failed(&emfile()), FIRST_PAUSE));
        assert_eq!(lines.len(), 1);
    }

    #[test]
    fn one_connections_failure_is_no_shortage() {
        let mut errors = AcceptErrors::new();
        let aborted = io::Error::from(io::ErrorKind::ConnectionAborted);
        let lines = logged(|| assert_eq!(errors.failed(&aborted), Duration::ZERO));
        assert!(lines.is_empty(), "{lines:?}");
        assert!(errors.shortage.is_none());
    }
}

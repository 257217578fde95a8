//! `GET /health`: whether the store answers, cheap enough for a load
//! balancer polling every second.
//!
//! The store is healthy when, within the last second, a reader thread
//! answered a read and a check found the database files in place (see
//! `file_watch`: a database removed or replaced under the server refuses
//! writes, so it is not healthy either). Both are noted as they happen (the
//! readers after each read, the writer before each commit), so under traffic
//! a health check is two atomic loads on the caller's thread. Otherwise it is
//! a probe: the `Health` command goes to a reader thread, which checks the
//! files and reads (never on the caller's thread, an async runtime's event
//! loop), and its answer is the check's.

use agora_core::command::{Command, Failure, Outcome};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How recent a read and a files check must be to answer without a probe.
pub const FRESH: Duration = Duration::from_secs(1);

/// Whether the database files are in place (the wing's check: SQLite's
/// `file_watch`).
pub(crate) type FilesCheck = Box<dyn Fn() -> bool + Send + Sync>;

pub(crate) struct Health {
    /// The wing's files check; `None` on PostgreSQL, which has no files to
    /// watch.
    files: Option<FilesCheck>,
    started: Instant,
    /// Milliseconds after `started`, plus one, of the last read a reader
    /// answered (0: none yet).
    read_at: AtomicU64,
    /// The same for the last check that found the files in place (0 after a
    /// check that did not).
    files_at: AtomicU64,
}

impl Health {
    pub(crate) fn new(files: Option<FilesCheck>) -> Health {
        let files_at = if files.is_none() { u64::MAX } else { 0 };
        Health {
            files,
            started: Instant::now(),
            read_at: AtomicU64::new(0),
            files_at: AtomicU64::new(files_at),
        }
    }

    fn stamp(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX - 1) + 1
    }

    fn recent(&self, at: &AtomicU64) -> bool {
        let at = at.load(Ordering::Relaxed);
        // u64::MAX: nothing to check (no files), always recent.
        at == u64::MAX || (at != 0 && self.stamp().saturating_sub(at) <= FRESH.as_millis() as u64)
    }

    /// Whether the last read and files check are both recent and good.
    pub(crate) fn fresh(&self) -> bool {
        self.recent(&self.read_at) && self.recent(&self.files_at)
    }

    /// A reader thread answered a read.
    pub(crate) fn read_answered(&self) {
        self.read_at.store(self.stamp(), Ordering::Relaxed);
    }

    /// The database files were checked (by the writer before a commit, or by
    /// a probe).
    pub(crate) fn files_checked(&self, in_place: bool) {
        if self.files.is_none() {
            return;
        }
        let at = if in_place { self.stamp() } else { 0 };
        self.files_at.store(at, Ordering::Relaxed);
    }

    /// On a reader thread, after it answered `command` with `outcome`: notes
    /// a read that succeeded, and turns the `Health` probe's outcome into the
    /// check's answer (the read succeeded and the files are in place).
    pub(crate) fn after_read(&self, command: &Command, outcome: Outcome) -> Outcome {
        let answered = !matches!(outcome, Outcome::Failed(Failure::StoreUnavailable));
        if answered {
            self.read_answered();
        }
        if *command != Command::Health {
            return outcome;
        }
        let in_place = self.files.as_ref().is_none_or(|in_place| in_place());
        self.files_checked(in_place);
        Outcome::Health {
            available: answered && in_place,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A `Health` whose files check is that a file made here is there; the
    /// file (to remove), and the folder that holds it (keep it alive).
    fn over_a_file() -> (tempfile::TempDir, PathBuf, Health) {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        std::fs::write(&db, b"").unwrap();
        let file = db.clone();
        let health = Health::new(Some(Box::new(move || file.exists())));
        (dir, db, health)
    }

    #[test]
    fn fresh_needs_a_recent_read_and_files_in_place() {
        let (_dir, _file, health) = over_a_file();
        assert!(!health.fresh(), "nothing read yet");
        health.read_answered();
        assert!(!health.fresh(), "files never checked");
        health.files_checked(true);
        assert!(health.fresh());
        health.files_checked(false);
        assert!(!health.fresh());
        health.files_checked(true);
        // An old read is no longer enough.
        health.read_at.store(1, Ordering::Relaxed);
        std::thread::sleep(FRESH + Duration::from_millis(20));
        health.files_checked(true);
        assert!(!health.fresh());
    }

    #[test]
    fn a_probe_is_available_only_with_a_read_and_the_files() {
        let (_dir, db, health) = over_a_file();
        let ok = Outcome::Health { available: true };
        let failed = Outcome::Failed(Failure::StoreUnavailable);
        assert_eq!(health.after_read(&Command::Health, ok.clone()), ok);
        assert!(health.fresh());
        assert_eq!(
            health.after_read(&Command::Health, failed),
            Outcome::Health { available: false }
        );
        std::fs::remove_file(&db).unwrap();
        assert_eq!(
            health.after_read(&Command::Health, ok),
            Outcome::Health { available: false }
        );
        assert!(!health.fresh());
    }
}

//! Whether the database's paths still name the files the writer has open.
//!
//! A database file removed (or renamed, or replaced by another) while the
//! server runs stays open, and SQLite goes on committing into it: every write
//! would be acknowledged into a file that nobody will open again, and a
//! restart would start from whatever is at the path then (nothing, or another
//! database). So before each commit the writer compares the (device, inode)
//! of the database and its WAL, as found at the paths now, with what they were
//! at open, and refuses the batch (503 `store_unavailable`) if they differ.
//! Two `stat` calls per batch, not per command: a few microseconds beside a
//! commit. Each check's result is also told to `health` (`GET /health` is
//! unavailable while the files are gone), which checks the same files itself
//! when no batch has done so within the last second.

use crate::health::Health;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Device and inode: what a path names.
type Identity = (u64, u64);

fn identity(path: &Path) -> Option<Identity> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.dev(), meta.ino()))
}

/// One file opened at `path`.
struct Watched {
    path: PathBuf,
    opened: Identity,
}

impl Watched {
    fn at(path: PathBuf) -> Option<Watched> {
        let opened = identity(&path)?;
        Some(Watched { path, opened })
    }

    fn in_place(&self) -> bool {
        identity(&self.path) == Some(self.opened)
    }
}

/// The database file and its WAL as they were when the writer opened them;
/// shared by the writer and the health check.
#[derive(Clone)]
pub(crate) struct Opened(Arc<[Watched]>);

impl Opened {
    /// Call right after opening the writer's connection (which creates the
    /// WAL). A file that cannot be found now is not watched.
    pub(crate) fn now(database: &Path) -> Opened {
        let mut wal = database.as_os_str().to_owned();
        wal.push("-wal");
        let watched: Vec<Watched> = [database.to_path_buf(), PathBuf::from(wal)]
            .into_iter()
            .filter_map(Watched::at)
            .collect();
        if watched.len() < 2 {
            tracing::warn!(path = %database.display(),
                "cannot stat the database or its WAL; their removal will not be detected");
        }
        Opened(watched.into())
    }

    /// The first file whose path no longer names it.
    fn missing(&self) -> Option<&Watched> {
        self.0.iter().find(|file| !file.in_place())
    }

    /// Whether the paths still name the files opened (no logging).
    pub(crate) fn in_place(&self) -> bool {
        self.missing().is_none()
    }
}

/// The writer's view of its files: checked before each commit.
pub(crate) struct DatabaseFiles {
    opened: Opened,
    /// Set while the files are gone: logged once when that starts and once
    /// when it ends.
    lost: bool,
    /// Told the result of every check (`/health` says unavailable while the
    /// files are gone).
    health: Arc<Health>,
}

impl DatabaseFiles {
    pub(crate) fn new(opened: Opened, health: Arc<Health>) -> DatabaseFiles {
        DatabaseFiles {
            opened,
            lost: false,
            health,
        }
    }

    /// Whether the paths still name the files opened; says so, loudly, when
    /// that changes.
    pub(crate) fn in_place(&mut self) -> bool {
        let missing = self.opened.missing();
        self.health.files_checked(missing.is_none());
        match (missing, self.lost) {
            (Some(file), false) => {
                self.lost = true;
                tracing::error!(
                    path = %file.path.display(),
                    "the database file was removed or replaced while the server runs: writes \
                     are refused (503 store_unavailable) rather than acknowledged into a file \
                     that is gone. Its data is still in the files this process holds open \
                     (ls -l /proc/{}/fd): copy them back to this path, then restart the \
                     server; a restart without them starts from whatever is at this path then",
                    std::process::id()
                );
            }
            (None, true) => {
                self.lost = false;
                tracing::warn!("the database files are back at their paths: writes resume");
            }
            _ => {}
        }
        !self.lost
    }
}

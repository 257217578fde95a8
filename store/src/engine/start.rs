//! Starting the store over a wing: the writer's queue, the reader pool and
//! the writer thread, from what the wing opened (`sqlite::start`,
//! `pg::start`).

use super::read_source::ReadSource;
use super::readers::Readers;
use super::running::Running;
use super::status_memo::{DataVersion, StatusMemo};
use super::wing::Wing;
use super::writer::Writer;
use crate::config::StoreConfig;
use crate::error::OpenError;
use crate::health::Health;
use crate::live::{Hub, Publication};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex, RwLock};

/// What a wing opened for the engine.
pub(crate) struct Parts<S: ReadSource> {
    /// The readers' source and one connection per reader thread; `None`:
    /// no read path (every command goes through the writer).
    pub(crate) readers: Option<(Arc<S>, Vec<S::Conn>)>,
    /// Whether this process's writer is the only one: what `Status` read
    /// may then be kept until its next commit. Not on PostgreSQL, where
    /// another node may change any row (there the memo is checked against
    /// the database's committed state: `ReadSource::STATUS_BY_STATE`).
    pub(crate) sole_writer: bool,
    pub(crate) hub: Arc<Hub>,
    pub(crate) health: Arc<Health>,
    pub(crate) publication: Publication,
    /// What the wing stops once the writer is done (PostgreSQL's listener).
    pub(crate) after_writer: Option<Box<dyn FnOnce() + Send>>,
}

/// Starts the readers over `parts` and the writer thread over the wing
/// `make_wing` builds there (on the writer's thread: SQLite's checkpoint
/// hook records into a thread-local).
pub(crate) fn start<S: ReadSource, W: Wing + 'static>(
    config: &StoreConfig,
    parts: Parts<S>,
    make_wing: impl FnOnce() -> W + Send + 'static,
) -> Result<Running, OpenError> {
    let version = Arc::new(DataVersion::default());
    let (sender, queue) = sync_channel(config.queue_capacity.max(1));
    let readers = match parts.readers {
        Some((source, connections)) => Some(Readers::start(
            config,
            source,
            connections,
            parts.sole_writer.then(|| StatusMemo::new(version.clone())),
            sender.clone(),
            parts.hub.clone(),
            parts.health.clone(),
        )?),
        None => None,
    };
    let (batch_max, clock, observer) = (
        config.batch_max.max(1),
        config.clock.clone(),
        config.observer.clone(),
    );
    let publication = parts.publication;
    let thread = std::thread::Builder::new()
        .name("agora-store".into())
        .spawn(move || {
            let writer = Writer {
                wing: make_wing(),
                queue,
                batch_max,
                clock,
                version,
                publication,
                observer,
            };
            writer.run();
        })
        .map_err(|source| OpenError::Thread {
            name: "writer",
            source,
        })?;
    Ok(Running {
        queue: RwLock::new(Some(sender)),
        thread: Mutex::new(Some(thread)),
        readers,
        hub: parts.hub,
        observer: config.observer.clone(),
        after_writer: Mutex::new(parts.after_writer),
        device_use: Default::default(),
    })
}

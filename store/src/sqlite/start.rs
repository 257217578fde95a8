//! Starting the store on SQLite: the database file (created and migrated),
//! the writer's, checkpointer's and readers' connections, each opened now
//! (a lack of file descriptors stops the start), the hub from the newest
//! event, and the engine's threads over them.

use super::file_watch::{DatabaseFiles, Opened};
use super::open::{
    newest_event, open_checkpoint_connection, open_connection, open_reader, room_memberships,
};
use super::reading::SqliteSource;
use super::wing::{ApplyFn, SqliteWing};
use crate::config::{StoreConfig, SyncMode};
use crate::engine::running::Running;
use crate::engine::start::{start as start_engine, Parts};
use crate::error::OpenError;
use crate::health::Health;
use crate::live::{Hub, Publication};
use std::path::Path;
use std::sync::Arc;

/// Starts the store on the file at `path`; the writer runs `apply` for each
/// command. Without `read_path`, every command (reads included) goes
/// through the writer.
pub(crate) fn start(
    config: &StoreConfig,
    path: &Path,
    sync: SyncMode,
    read_path: bool,
    apply: impl ApplyFn,
) -> Result<Running, OpenError> {
    let conn = open_connection(path, sync, config.clock.now())?;
    if let Some(verifier) = &config.secret_verifier {
        crate::secret_verifier::check_sqlite(&conn, verifier)?;
    }
    let opened = Opened::now(path);
    let in_place = opened.clone();
    let health = Arc::new(Health::new(Some(Box::new(move || in_place.in_place()))));
    let files = DatabaseFiles::new(opened, health.clone());
    let checkpointer = open_checkpoint_connection(path)?;
    let hub = Hub::new(newest_event(&conn)?, config.event_inbox_bytes);
    hub.load_rooms(room_memberships(&conn)?);
    let readers = if read_path && config.readers > 0 {
        let connections = (0..config.readers)
            .map(|_| open_reader(path).map(Some))
            .collect::<Result<Vec<_>, _>>()?;
        let source = Arc::new(SqliteSource {
            path: path.to_path_buf(),
        });
        Some((source, connections))
    } else {
        None
    };
    let parts = Parts {
        readers,
        sole_writer: true,
        hub: hub.clone(),
        health,
        publication: Publication::Direct(hub),
        after_writer: None,
    };
    let running = start_engine(config, parts, move || {
        SqliteWing::new(conn, files, apply, checkpointer)
    })?;
    tracing::info!(path = %path.display(), sync = ?sync, "store open");
    Ok(running)
}

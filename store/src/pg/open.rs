//! Starting the store on PostgreSQL: the schema, the hub from the newest
//! event, the reader, listener and writer threads, each with a connection
//! opened now (a database that cannot be reached stops the start).

use crate::error::OpenError;
use crate::handle::Shared;
use crate::health::Health;
use crate::hub::Hub;
use crate::pg::connection::{PgConn, Slot};
use crate::pg::feed::{spawn_listener, Feed};
use crate::pg::reading::PgSource;
use crate::pg::schema::migrate;
use crate::pg::url::PostgresUrl;
use crate::pg::writer::PgWriter;
use crate::readers::Readers;
use crate::StoreConfig;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex, RwLock};

pub(crate) fn start(config: StoreConfig, url: PostgresUrl) -> Result<Shared, OpenError> {
    let connect = |role: &'static str| {
        PgConn::connect(&url, role).map_err(|source| OpenError::Postgres {
            url: url.redacted(),
            role,
            source,
        })
    };
    // A thread's connection, opened now.
    let slot =
        |role: &'static str| connect(role).map(|conn| Slot::new(url.clone(), role, Some(conn)));
    let mut conn = connect("agora writer")?;
    migrate(&mut conn, config.clock.now()).map_err(|source| OpenError::PostgresSchema {
        url: url.redacted(),
        source,
    })?;
    let head = conn
        .query_one("SELECT coalesce(max(id), 0) FROM events", &[])
        .map(|row| row.get(0))
        .map_err(|source| OpenError::PostgresEvents {
            url: url.redacted(),
            source,
        })?;
    let hub = Hub::new(head, config.event_inbox_bytes);
    let feed = Feed::new(hub.clone());
    let health = Arc::new(Health::new(None));
    let (sender, queue) = sync_channel(config.queue_capacity.max(1));
    let readers = if config.readers > 0 {
        let connections = (0..config.readers)
            .map(|_| slot("agora reader"))
            .collect::<Result<Vec<_>, _>>()?;
        let source = Arc::new(PgSource { feed: feed.clone() });
        Some(Readers::start(
            &config,
            source,
            connections,
            // No status memo: another node may change what it holds.
            None,
            sender.clone(),
            hub.clone(),
            health.clone(),
        )?)
    } else {
        None
    };
    let listening = slot("agora listener")?;
    let stop = Arc::new(AtomicBool::new(false));
    let listener =
        spawn_listener(listening, feed, stop.clone()).map_err(|source| OpenError::Thread {
            name: "listener",
            source,
        })?;
    let writer = PgWriter {
        slot: Slot::new(url.clone(), "agora writer", Some(conn)),
        faults: config.commit_faults.clone(),
        queue,
        batch_max: config.batch_max.max(1),
        clock: config.clock.clone(),
        rules: config.rules.clone(),
        observer: config.observer.clone(),
        batches: 0,
        commands: 0,
    };
    let thread = std::thread::Builder::new()
        .name("agora-store".into())
        .spawn(move || writer.run())
        .map_err(|source| OpenError::Thread {
            name: "writer",
            source,
        })?;
    tracing::info!(url = %url, "store open on PostgreSQL");
    Ok(Shared {
        queue: RwLock::new(Some(sender)),
        thread: Mutex::new(Some(thread)),
        readers,
        hub,
        health,
        observer: config.observer,
        listener: Mutex::new(Some((stop, listener))),
    })
}

//! Starting the store on PostgreSQL: the schema, the hub from the newest
//! event, the reader, listener and writer connections, each opened now (a
//! database that cannot be reached stops the start), and the engine's
//! threads over them.

use super::connection::{PgConn, Slot, READER_ROLE, WRITER_ROLE};
use super::feed::PgNotices;
use super::reading::PgSource;
use super::schema::migrate;
use super::url::PostgresUrl;
use super::wing::PgWing;
use crate::config::StoreConfig;
use crate::engine::running::Running;
use crate::engine::start::{start as start_engine, Parts};
use crate::error::OpenError;
use crate::health::Health;
use crate::live::{Feed, Hub, Listener, Publication};
use std::sync::Arc;
use std::time::Duration;

pub(crate) fn start(config: &StoreConfig, url: &PostgresUrl) -> Result<Running, OpenError> {
    let connect = |role: &'static str| {
        PgConn::connect(url, role).map_err(|source| OpenError::Postgres {
            url: url.redacted(),
            role,
            source,
        })
    };
    // A thread's connection, opened now.
    let slot =
        |role: &'static str| connect(role).map(|conn| Slot::new(url.clone(), role, Some(conn)));
    let mut conn = connect(WRITER_ROLE)?;
    migrate(&mut conn, config.clock.now()).map_err(|source| OpenError::PostgresSchema {
        url: url.redacted(),
        source,
    })?;
    if let Some(verifier) = &config.secret_verifier {
        crate::secret_verifier::check_postgres(&mut conn, verifier)?;
    }
    let head = conn
        .query_one("SELECT coalesce(max(id), 0) FROM events", &[])
        .map(|row| row.get(0))
        .map_err(|source| OpenError::PostgresEvents {
            url: url.redacted(),
            source,
        })?;
    let hub = Hub::new(head, config.event_inbox_bytes);
    // (issue 25) Read after the head: a membership change in between is
    // also among the events the feed replays onto it (both idempotent).
    let memberships =
        crate::pg::view::room_memberships(&mut conn).map_err(|e| OpenError::PostgresRooms {
            url: url.redacted(),
            message: e.0,
        })?;
    hub.load_rooms(memberships);
    let feed = Feed::new(hub.clone());
    let readers = if config.readers > 0 {
        let connections = (0..config.readers)
            .map(|_| slot(READER_ROLE))
            .collect::<Result<Vec<_>, _>>()?;
        let source = Arc::new(PgSource { feed: feed.clone() });
        Some((source, connections))
    } else {
        None
    };
    let listening = slot("agora listener")?;
    let listener =
        Listener::spawn("agora-pg-listen", PgNotices::new(listening), feed).map_err(|source| {
            OpenError::Thread {
                name: "listener",
                source,
            }
        })?;
    let stop_listener = move || {
        if listener.stop().is_err() {
            tracing::error!("the PostgreSQL listener thread panicked");
        }
    };
    let parts = Parts {
        readers,
        // Another node may change any row.
        sole_writer: false,
        hub,
        health: Arc::new(Health::new(None)),
        publication: Publication::Fed,
        after_writer: Some(Box::new(stop_listener)),
    };
    let wing = PgWing {
        slot: Slot::new(url.clone(), WRITER_ROLE, Some(conn)),
        faults: config.commit_faults(),
        rules: config.rules.clone(),
        xid: 0,
        lock_wait: Duration::ZERO,
    };
    let running = start_engine(config, parts, move || wing)?;
    tracing::info!(url = %url, "store open on PostgreSQL");
    Ok(running)
}

//! The state every connection of one server shares.

use crate::address_limit::AddressLimit;
use crate::config::ServerConfig;
use crate::keyed_limit::KeyedLimit;
use crate::limits::ConnLimit;
use crate::metrics::Metrics;
use crate::outbound::Unsent;
use crate::shutdown::Shutdown;
use agora_core::session::SessionConfig;
use agora_core::view::UserId;
use agora_store::Handle;
use std::sync::Arc;

/// Everything the connections of one server share.
pub struct Shared {
    pub store: Handle,
    pub conns: Arc<ConnLimit>,
    /// Event streams and long-polls held per user (`--max-streams-per-user`).
    pub streams: Arc<KeyedLimit<UserId>>,
    pub shutdown: Arc<Shutdown>,
    pub config: ServerConfig,
    /// The Prometheus metrics, with `--metrics-addr` (else nothing is
    /// counted). Live delivery reports through its `long_polls_waiting`,
    /// `event_streams_open` and `events_delivered`.
    pub metrics: Option<Arc<Metrics>>,
    /// Output not yet taken by the clients (see `outbound`).
    pub unsent: Arc<Unsent>,
    /// What every connection's session is configured with.
    pub session: Arc<SessionConfig>,
}

impl Shared {
    pub fn new(store: Handle, config: ServerConfig, shutdown: Arc<Shutdown>) -> Arc<Shared> {
        // Stopping ends every held long-poll and event stream at once.
        let hub = store.hub().clone();
        shutdown.on_trigger(move || hub.close());
        Arc::new(Shared {
            store,
            conns: ConnLimit::with_per_address(
                config.max_connections,
                AddressLimit::new(
                    config.max_connections_per_ip,
                    config.trusted_proxies.clone(),
                ),
            ),
            streams: KeyedLimit::new(config.max_streams_per_user),
            shutdown,
            metrics: config.metrics.clone(),
            unsent: Unsent::new(config.max_unsent_bytes),
            session: Arc::new(SessionConfig {
                limits: config.limits.clone(),
                rules: config.rules.clone(),
                trusted_proxies: config.trusted_proxies.clone(),
                heartbeat: config.heartbeat,
                secret: config.secret.clone(),
                #[cfg(feature = "test-hooks")]
                request_hook: config.request_hook,
            }),
            config,
        })
    }
}

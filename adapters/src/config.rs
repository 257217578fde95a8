//! What an adapter needs to know besides the store: HTTP limits, chat rules,
//! connection bounds and thread counts. The binary fills it from its flags.

use crate::metrics::Metrics;
use agora_core::client_addr::Cidr;
use agora_core::config::Config;
use agora_core::http::Limits;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Which runtime serves the sockets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Runtime {
    #[default]
    Tokio,
    Smol,
    Blocking,
}

impl Runtime {
    pub const ALL: [Runtime; 3] = [Runtime::Tokio, Runtime::Smol, Runtime::Blocking];

    pub fn name(self) -> &'static str {
        match self {
            Runtime::Tokio => "tokio",
            Runtime::Smol => "smol",
            Runtime::Blocking => "blocking",
        }
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Runtime {
    type Err = String;

    fn from_str(s: &str) -> Result<Runtime, String> {
        Runtime::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| format!("unknown runtime {s:?} (expected tokio, smol or blocking)"))
    }
}

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub limits: Limits,
    pub rules: Config,
    /// Open connections beyond this get a 503 and are closed.
    pub max_connections: usize,
    /// Open connections per client address (TCP peer) beyond this get a
    /// 503 and are closed; peers in `trusted_proxies` are not counted.
    pub max_connections_per_ip: usize,
    /// Event streams and long-polls one user may hold at once on this node;
    /// beyond it, 429 `too_many_streams`.
    pub max_streams_per_user: usize,
    /// Proxies whose `X-Forwarded-For` is believed (`client_addr`).
    pub trusted_proxies: Vec<Cidr>,
    /// Connections the kernel may hold ready for `accept` (the listen backlog).
    pub backlog: u32,
    /// Worker threads for tokio and smol; 0 = one per CPU.
    pub threads: usize,
    /// How long shutdown waits for open connections before giving up on them.
    pub shutdown_grace: Duration,
    /// An event stream sends a `: ping` comment when nothing else went out
    /// for this long.
    pub heartbeat: Duration,
    /// Called with each request before it is decoded: tests set it to inject
    /// faults (a panic) into the request path. Only with the `test-hooks`
    /// feature, which the binary never turns on.
    #[cfg(feature = "test-hooks")]
    pub request_hook: Option<fn(&agora_core::http::Request)>,
    /// Counted into when set (`--metrics-addr`).
    pub metrics: Option<Arc<Metrics>>,
    /// A response whose client takes none of it for this long is cut (see
    /// `outbound`).
    pub write_progress_timeout: Duration,
    /// Output not yet taken by clients beyond which big answers get 503
    /// (see `outbound`).
    pub max_unsent_bytes: usize,
    /// The server secret (issue 28, `agora_core::server_secret`): the
    /// binary reads it from `--secret-file`; `Default` (zeros) is for
    /// in-process tests.
    pub secret: agora_core::server_secret::ServerSecret,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            limits: Limits::default(),
            rules: Config::default(),
            max_connections: 10_000,
            max_connections_per_ip: 256,
            max_streams_per_user: 16,
            trusted_proxies: Vec::new(),
            backlog: 1024,
            threads: 0,
            shutdown_grace: Duration::from_millis(1500),
            heartbeat: Duration::from_secs(15),
            #[cfg(feature = "test-hooks")]
            request_hook: None,
            metrics: None,
            write_progress_timeout: Duration::from_secs(10),
            max_unsent_bytes: 16 * 1024 * 1024,
            secret: Default::default(),
        }
    }
}

impl ServerConfig {
    pub fn worker_threads(&self) -> usize {
        if self.threads > 0 {
            return self.threads;
        }
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }
}

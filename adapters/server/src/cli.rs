//! The command line. Every flag can also come from an `AGORA_*` environment
//! variable; the defaults are API.md's.

use agora_adapters::{Runtime, ServerConfig};
use agora_core::config::Config;
use agora_core::http::Limits;
use agora_store::{StoreConfig, SyncMode};
use clap::{Parser, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RuntimeArg {
    Tokio,
    Smol,
    Blocking,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SyncArg {
    Full,
    Normal,
}

/// agora chat server: HTTP/1.1 JSON API over SQLite.
#[derive(Parser, Debug)]
#[command(version, about)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, env = "AGORA_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0: any free port; the start-up line shows it).
    #[arg(long, env = "AGORA_PORT", default_value_t = 8000)]
    pub port: u16,
    /// SQLite database file, created with its schema on first start.
    #[arg(long, env = "AGORA_DB", default_value = "./agora.db")]
    pub db: PathBuf,
    /// Which runtime serves the sockets.
    #[arg(long, env = "AGORA_RUNTIME", value_enum, default_value = "tokio")]
    pub runtime: RuntimeArg,
    /// Worker threads for tokio and smol (0: one per CPU).
    #[arg(long, env = "AGORA_THREADS", default_value_t = 0)]
    pub threads: usize,
    /// Messages of history returned by /connect by default.
    #[arg(long, env = "AGORA_HISTORY", default_value_t = 20)]
    pub history: u32,
    /// Largest messages_number a client may ask for.
    #[arg(long, env = "AGORA_HISTORY_MAX", default_value_t = 100)]
    pub history_max: u32,
    /// Public messages per quota window.
    #[arg(long, env = "AGORA_QUOTA", default_value_t = 20)]
    pub quota: u32,
    /// Length of the public quota window (humantime: 2s, 1h).
    #[arg(long, env = "AGORA_QUOTA_WINDOW", default_value = "1h", value_parser = humantime::parse_duration)]
    pub quota_window: Duration,
    /// Distinct reporters that trigger a ban.
    #[arg(long, env = "AGORA_BAN_THRESHOLD", default_value_t = 3)]
    pub ban_threshold: u32,
    /// How long a ban lasts (humantime: 2s, 4h).
    #[arg(long, env = "AGORA_BAN_DURATION", default_value = "4h", value_parser = humantime::parse_duration)]
    pub ban_duration: Duration,
    /// Longest message or comment, in characters.
    #[arg(long, env = "AGORA_TEXT_LIMIT", default_value_t = 4096)]
    pub text_limit: usize,
    /// Most unread messages returned by one /connect.
    #[arg(long, env = "AGORA_UNREAD_MAX", default_value_t = 1000)]
    pub unread_max: u32,
    /// Open connections beyond this get 503 and are closed.
    #[arg(long, env = "AGORA_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// An idle keep-alive connection is closed after this long.
    #[arg(long, env = "AGORA_IDLE_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub idle_timeout: Duration,
    /// A request must be complete this long after its first byte (else 408).
    #[arg(long, env = "AGORA_HEADER_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub header_timeout: Duration,
    /// Largest request body, in bytes.
    #[arg(long, env = "AGORA_MAX_BODY", default_value_t = 64 * 1024)]
    pub max_body: usize,
    /// SQLite synchronous mode: full (a 201 survives power loss) or normal.
    #[arg(long, env = "AGORA_SYNC", value_enum, default_value = "full")]
    pub sync: SyncArg,
    /// Commands waiting for the store before new ones get 503.
    #[arg(long, env = "AGORA_QUEUE", default_value_t = 4096)]
    pub queue: usize,
    /// Log filter: a level (error, warn, info, debug, trace) or a tracing filter.
    #[arg(long, env = "AGORA_LOG", default_value = "info")]
    pub log: String,
}

impl Args {
    pub fn runtime_kind(&self) -> Runtime {
        match self.runtime {
            RuntimeArg::Tokio => Runtime::Tokio,
            RuntimeArg::Smol => Runtime::Smol,
            RuntimeArg::Blocking => Runtime::Blocking,
        }
    }

    pub fn rules(&self) -> Config {
        Config {
            history_default: self.history,
            history_max: self.history_max,
            quota: self.quota,
            quota_window_ms: millis(self.quota_window),
            ban_threshold: self.ban_threshold,
            ban_ms: millis(self.ban_duration),
            max_text_chars: self.text_limit,
            unread_max: self.unread_max,
        }
    }

    pub fn limits(&self) -> Limits {
        Limits {
            max_body_bytes: self.max_body,
            header_timeout: self.header_timeout,
            idle_timeout: self.idle_timeout,
            ..Limits::default()
        }
    }

    pub fn server_config(&self) -> ServerConfig {
        ServerConfig {
            limits: self.limits(),
            rules: self.rules(),
            max_connections: self.max_connections,
            threads: self.threads,
            ..ServerConfig::default()
        }
    }

    pub fn store_config(&self) -> StoreConfig {
        StoreConfig {
            path: self.db.clone(),
            sync: match self.sync {
                SyncArg::Full => SyncMode::Full,
                SyncArg::Normal => SyncMode::Normal,
            },
            queue_capacity: self.queue,
            rules: self.rules(),
            ..StoreConfig::default()
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

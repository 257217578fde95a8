//! The command line. Every flag can also come from an `AGORA_*` environment
//! variable. The defaults are not written here: each is read from the default
//! of the setting it fills (`ServerConfig`, `StoreConfig`, the rules' `Config`,
//! the HTTP `Limits`), so the two cannot drift apart.

use crate::logging::{parse_log_filter, LogFilter, LogFormat};
use agora_adapters::{Runtime, ServerConfig};
use agora_core::client_addr::Cidr;
use agora_core::config::Config;
use agora_core::http::Limits;
use agora_store::{Backend, PostgresUrl, StoreConfig, SyncMode, DEFAULT_DATABASE};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::Parser;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// A duration flag: humantime text (`3s`, `1h`, `4h 30m`), never zero (a
/// zero window, ban or timeout would make its rule meaningless).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span(pub Duration);

impl FromStr for Span {
    type Err = String;

    fn from_str(s: &str) -> Result<Span, String> {
        let duration = humantime::parse_duration(s).map_err(|e| e.to_string())?;
        if duration.is_zero() {
            return Err("must be longer than zero".into());
        }
        Ok(Span(duration))
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl Span {
    fn from_millis(ms: u64) -> Span {
        Span(Duration::from_millis(ms))
    }

    fn millis(self) -> u64 {
        u64::try_from(self.0.as_millis()).unwrap_or(u64::MAX)
    }
}

/// `--reporter-min-age`: a humantime duration where `0s` (off) is allowed.
fn duration_or_zero(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| e.to_string())
}

/// A count of at least one.
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("must be a whole number, at least 1".into()),
    }
}

/// `--moderator`: a user name as `/get-token` accepts it (blanks around it,
/// as in `ann, bob`, are dropped). Any other would name nobody, silently.
fn moderator_name(s: &str) -> Result<String, String> {
    let name = s.trim();
    if agora_core::api::is_valid_user_name(name) {
        Ok(name.to_owned())
    } else {
        Err("must be a user name: 1 to 32 of A-Z a-z 0-9 _ - ., not public_chat".into())
    }
}

fn millis_of(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// `--text-limit`: 1 to `Config::MAX_TEXT_CHARS`.
fn text_limit(s: &str) -> Result<usize, String> {
    let max = Config::MAX_TEXT_CHARS;
    match s.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("must be a number of characters from 1 to {max}")),
    }
}

/// `--poll-timeout`: whole seconds, 1 to 120.
fn poll_timeout(s: &str) -> Result<Span, String> {
    let span: Span = s.parse()?;
    let max = u64::from(agora_core::api::EVENTS_TIMEOUT_MAX);
    if span.0.as_secs() > max || span.0.subsec_nanos() != 0 {
        return Err(format!("must be whole seconds, at most {max}s"));
    }
    Ok(span)
}

/// `--runtime`: the adapters' own names, listed in `--help`.
fn runtime_parser() -> impl TypedValueParser<Value = Runtime> {
    PossibleValuesParser::new(Runtime::ALL.map(Runtime::name)).try_map(|s| s.parse::<Runtime>())
}

/// `--sync`'s names for the store's modes (the store has no names of its own).
const SYNC_MODES: [(&str, SyncMode); 2] = [("full", SyncMode::Full), ("normal", SyncMode::Normal)];

fn sync_name(mode: SyncMode) -> &'static str {
    SYNC_MODES
        .iter()
        .find(|(_, m)| *m == mode)
        .map_or("full", |(name, _)| name)
}

fn sync_parser() -> impl TypedValueParser<Value = SyncMode> {
    PossibleValuesParser::new(SYNC_MODES.map(|(name, _)| name)).map(|s| {
        SYNC_MODES
            .iter()
            .find(|(name, _)| *name == s)
            .map_or(SyncMode::Full, |(_, mode)| *mode)
    })
}

/// Runs the agora chat server: an HTTP/1.1 JSON API for users, public and
/// private messages, comments and reports, kept in one SQLite database file
/// (or in PostgreSQL, shared by several agora nodes).
#[derive(Parser, Debug)]
#[command(version)]
pub struct Args {
    /// `migrate`: copy a SQLite database into PostgreSQL instead of serving.
    #[command(subcommand)]
    pub command: Option<crate::migrate::Command>,
    /// Address to listen on.
    #[arg(long, env = "AGORA_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0: any free port; the start-up line shows it).
    #[arg(long, env = "AGORA_PORT", default_value_t = 8000)]
    pub port: u16,
    /// SQLite database file, created with its schema on first start; or a
    /// PostgreSQL database, postgres://USER[:PASS]@HOST[:PORT]/DBNAME
    /// [?sslmode=disable|prefer|require], which must exist (its tables are
    /// created at start) and may be shared by several agora nodes.
    #[arg(long, env = "AGORA_DB", default_value_os_t = PathBuf::from(DEFAULT_DATABASE))]
    pub db: PathBuf,
    /// The server secret's file (made on first start: 32 random bytes as hex,
    /// owner-only). It keys what the database keeps of idempotency keys, and
    /// every node of one database needs a copy of the same file. Default:
    /// the SQLite file's path with .secret added (agora.db.secret), or
    /// agora.secret in the working directory for PostgreSQL.
    #[arg(long, env = "AGORA_SECRET_FILE")]
    pub secret_file: Option<PathBuf>,
    /// Which runtime serves the sockets (blocking: a thread per connection).
    #[arg(long, env = "AGORA_RUNTIME", value_parser = runtime_parser(),
          default_value_t = Runtime::default())]
    pub runtime: Runtime,
    /// Worker threads for tokio and smol (0: one per CPU).
    #[arg(long, env = "AGORA_THREADS", default_value_t = ServerConfig::default().threads)]
    pub threads: usize,
    /// Messages of history returned by /connect by default.
    #[arg(long, env = "AGORA_HISTORY", default_value_t = Config::default().history_default)]
    pub history: u32,
    /// Largest messages_number a client may ask for.
    #[arg(long, env = "AGORA_HISTORY_MAX", default_value_t = Config::default().history_max)]
    pub history_max: u32,
    /// Messages in a GET /messages page when the request names no limit
    /// (issue 25).
    #[arg(long, env = "AGORA_HISTORY_PAGE",
          default_value_t = Config::default().messages_page_default,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub history_page: u32,
    /// Public messages per quota window.
    #[arg(long, env = "AGORA_QUOTA", default_value_t = Config::default().quota)]
    pub quota: u32,
    /// Length of the public quota window (2s, 1h, 4h 30m).
    #[arg(long, env = "AGORA_QUOTA_WINDOW",
          default_value_t = Span::from_millis(Config::default().quota_window_ms))]
    pub quota_window: Span,
    /// Distinct reporters that trigger a ban.
    #[arg(long, env = "AGORA_BAN_THRESHOLD", default_value_t = Config::default().ban_threshold)]
    pub ban_threshold: u32,
    /// How long a ban lasts (2s, 4h).
    #[arg(long, env = "AGORA_BAN_DURATION",
          default_value_t = Span::from_millis(Config::default().ban_ms))]
    pub ban_duration: Span,
    /// Comments per user per quota window (--quota-window).
    #[arg(long, env = "AGORA_COMMENT_QUOTA", default_value_t = Config::default().comment_quota)]
    pub comment_quota: u32,
    /// Newest comments a message carries in /connect (GET /comments pages the
    /// rest).
    #[arg(long, env = "AGORA_COMMENTS_PER_MESSAGE",
          default_value_t = Config::default().comments_per_message,
          value_parser = clap::value_parser!(u32).range(0..=100))]
    pub comments_per_message: u32,
    /// Longest message or comment, in characters (at most 65536, so that every
    /// response stays under 2 MiB).
    #[arg(long, env = "AGORA_TEXT_LIMIT", default_value_t = Config::default().max_text_chars,
          value_parser = text_limit)]
    pub text_limit: usize,
    /// Most unread messages returned by one /connect.
    #[arg(long, env = "AGORA_UNREAD_MAX", default_value_t = Config::default().unread_max)]
    pub unread_max: u32,
    /// Open connections beyond this get 503 and are closed (lowered at start if
    /// the open-file limit cannot hold them).
    #[arg(long, env = "AGORA_MAX_CONNECTIONS",
          default_value_t = ServerConfig::default().max_connections)]
    pub max_connections: usize,
    /// Open connections from one client address (TCP peer; an IPv6 one by
    /// its /64) beyond this get 503 and are closed. Peers in --trusted-proxy
    /// are not counted.
    #[arg(long, env = "AGORA_MAX_CONNECTIONS_PER_IP",
          default_value_t = ServerConfig::default().max_connections_per_ip,
          value_parser = at_least_one)]
    pub max_connections_per_ip: usize,
    /// Event streams and long-polls one user may hold at once, per node;
    /// beyond it 429 too_many_streams.
    #[arg(long, env = "AGORA_MAX_STREAMS_PER_USER",
          default_value_t = ServerConfig::default().max_streams_per_user,
          value_parser = at_least_one)]
    pub max_streams_per_user: usize,
    /// Proxies (addresses or CIDR blocks, comma-separated or repeated) whose
    /// X-Forwarded-For names the client address. Default: none, the TCP
    /// peer is the client.
    #[arg(long, env = "AGORA_TRUSTED_PROXY", value_delimiter = ',')]
    pub trusted_proxy: Vec<Cidr>,
    /// New users per client address per hour (/get-token beyond it: 429
    /// register_rate_exceeded); 0: no limit.
    #[arg(long, env = "AGORA_REGISTER_RATE", default_value_t = Config::default().register_rate)]
    pub register_rate: u32,
    /// A report counts only from an account at least this old that has sent
    /// a message (else 403 reporter_not_trusted); 0s: every report counts.
    #[arg(long, env = "AGORA_REPORTER_MIN_AGE", value_parser = duration_or_zero,
          default_value = "1h")]
    pub reporter_min_age: Duration,
    /// A user who may POST /unban and delete any message or comment (repeat
    /// for more; give every node the same).
    #[arg(long = "moderator", env = "AGORA_MODERATOR", value_delimiter = ',',
          value_parser = moderator_name)]
    pub moderators: Vec<String>,
    /// Connections the kernel holds ready before they are accepted (the listen
    /// backlog; capped by net.core.somaxconn).
    #[arg(long, env = "AGORA_BACKLOG", default_value_t = ServerConfig::default().backlog,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub backlog: u32,
    /// How long a long-poll (GET /events?since=) waits when it names no
    /// timeout (at most 120s).
    #[arg(long, env = "AGORA_POLL_TIMEOUT", value_parser = poll_timeout,
          default_value_t = Span::from_millis(u64::from(Config::default().events_timeout_default_secs) * 1000))]
    pub poll_timeout: Span,
    /// An event stream sends a `: ping` comment after this long without
    /// anything else, so that clients and proxies see it alive.
    #[arg(long, env = "AGORA_HEARTBEAT", default_value_t = Span(ServerConfig::default().heartbeat))]
    pub heartbeat: Span,
    /// An idle keep-alive connection is closed after this long.
    #[arg(long, env = "AGORA_IDLE_TIMEOUT", default_value_t = Span(Limits::default().idle_timeout))]
    pub idle_timeout: Span,
    /// A request must be complete this long after its first byte (else 408).
    #[arg(long, env = "AGORA_HEADER_TIMEOUT",
          default_value_t = Span(Limits::default().header_timeout))]
    pub header_timeout: Span,
    /// A response whose client takes none of it for this long is cut and its
    /// connection closed (a page or a stream; see docs/API.md).
    #[arg(long, env = "AGORA_WRITE_PROGRESS_TIMEOUT",
          default_value_t = Span(ServerConfig::default().write_progress_timeout))]
    pub write_progress_timeout: Span,
    /// Bytes of responses not yet taken by clients, across connections,
    /// beyond which requests for pages (events, connect, comments) get 503
    /// overloaded until clients read or are cut.
    #[arg(long, env = "AGORA_MAX_UNSENT_BYTES",
          default_value_t = ServerConfig::default().max_unsent_bytes,
          value_parser = clap::value_parser!(u64).range(1..).map(|n| n as usize))]
    pub max_unsent_bytes: usize,
    /// Largest request body, in bytes.
    #[arg(long, env = "AGORA_MAX_BODY", default_value_t = Limits::default().max_body_bytes)]
    pub max_body: usize,
    /// SQLite synchronous mode: full (a 201 survives power loss) or normal.
    #[arg(long, env = "AGORA_SYNC", value_parser = sync_parser(),
          default_value = sync_name(SyncMode::default()))]
    pub sync: SyncMode,
    /// Commands waiting for the store before new ones get 503.
    #[arg(long, env = "AGORA_QUEUE", default_value_t = StoreConfig::default().queue_capacity)]
    pub queue: usize,
    /// Log level (off, error, warn, info, debug: one line per request, trace)
    /// or a tracing filter in which every directive names a level
    /// (info,agora_store=debug).
    #[arg(long, env = "AGORA_LOG", default_value = "info", value_parser = parse_log_filter)]
    pub log: LogFilter,
    /// Log lines as text, or as JSON objects, one per line (time, level,
    /// target, message and the line's fields; request lines carry conn,
    /// method, route, uri, status and duration_us).
    #[arg(long, env = "AGORA_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Serve Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9100
    /// (a port of their own, never the public one). Off when not given.
    #[arg(long, env = "AGORA_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
}

impl Args {
    pub fn rules(&self) -> Config {
        Config {
            history_default: self.history,
            history_max: self.history_max,
            quota: self.quota,
            quota_window_ms: self.quota_window.millis(),
            ban_threshold: self.ban_threshold,
            ban_ms: self.ban_duration.millis(),
            max_text_chars: self.text_limit,
            unread_max: self.unread_max,
            comment_quota: self.comment_quota,
            comments_per_message: self.comments_per_message,
            events_timeout_default_secs: u32::try_from(self.poll_timeout.0.as_secs())
                .unwrap_or(u32::MAX),
            register_rate: self.register_rate,
            reporter_min_age_ms: millis_of(self.reporter_min_age),
            moderators: self.moderators.clone(),
            messages_page_default: self.history_page,
            ..Config::default()
        }
    }

    pub fn limits(&self) -> Limits {
        Limits {
            max_body_bytes: self.max_body,
            header_timeout: self.header_timeout.0,
            idle_timeout: self.idle_timeout.0,
            ..Limits::default()
        }
    }

    pub fn server_config(&self) -> ServerConfig {
        ServerConfig {
            limits: self.limits(),
            rules: self.rules(),
            max_connections: self.max_connections,
            max_connections_per_ip: self.max_connections_per_ip,
            max_streams_per_user: self.max_streams_per_user,
            trusted_proxies: self.trusted_proxy.clone(),
            backlog: self.backlog,
            threads: self.threads,
            heartbeat: self.heartbeat.0,
            write_progress_timeout: self.write_progress_timeout.0,
            max_unsent_bytes: self.max_unsent_bytes,
            ..ServerConfig::default()
        }
    }

    /// `--secret-file`, or its default for the database.
    pub fn secret_path(&self) -> PathBuf {
        self.secret_file.clone().unwrap_or_else(|| {
            let postgres = self.db.to_str().is_some_and(PostgresUrl::is_postgres);
            crate::secret_file::default_path(&self.db, postgres)
        })
    }

    /// The store's settings; an invalid `postgres://` URL is an error
    /// (which, like every log line, never shows the password).
    pub fn store_config(&self) -> Result<StoreConfig, String> {
        let backend = match self.db.to_str() {
            Some(db) if PostgresUrl::is_postgres(db) => Backend::Postgres {
                url: db.parse::<PostgresUrl>().map_err(|e| e.to_string())?,
            },
            _ => Backend::Sqlite {
                path: self.db.clone(),
                sync: self.sync,
            },
        };
        Ok(StoreConfig {
            backend,
            queue_capacity: self.queue,
            rules: self.rules(),
            ..StoreConfig::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each `[flag, value]` alone on the command line is refused.
    fn assert_refused(flags: &[[&str; 2]]) {
        for [flag, value] in flags {
            let parsed = Args::try_parse_from(["agora-server", flag, value]);
            assert!(parsed.is_err(), "{flag} {value:?} was taken");
        }
    }

    #[test]
    fn spans_refuse_zero_and_show_as_written() {
        assert!("0s".parse::<Span>().is_err());
        assert!("0".parse::<Span>().is_err());
        assert_eq!("4h 30m".parse::<Span>().unwrap().to_string(), "4h 30m");
        assert_eq!(
            Span::from_millis(3_600_000).to_string().parse::<Span>(),
            Ok(Span::from_millis(3_600_000))
        );
    }

    #[test]
    fn every_default_parses_back_to_the_config_default() {
        let args = Args::try_parse_from(["agora-server"]).unwrap();
        assert_eq!(args.rules(), Config::default());
        assert_eq!(args.limits(), Limits::default());
        let store = args.store_config().unwrap();
        let default_store = StoreConfig::default();
        match (&store.backend, &default_store.backend) {
            (
                Backend::Sqlite { path, sync },
                Backend::Sqlite {
                    path: default_path,
                    sync: default_sync,
                },
            ) => assert_eq!((path, sync), (default_path, default_sync)),
            other => panic!("not SQLite by default: {other:?}"),
        }
        assert_eq!(store.queue_capacity, default_store.queue_capacity);
        let server = args.server_config();
        let default_server = ServerConfig::default();
        assert_eq!(server.max_connections, default_server.max_connections);
        assert_eq!(
            server.max_connections_per_ip,
            default_server.max_connections_per_ip
        );
        assert_eq!(
            server.max_streams_per_user,
            default_server.max_streams_per_user
        );
        assert!(server.trusted_proxies.is_empty());
        assert_eq!(server.backlog, default_server.backlog);
        assert_eq!(server.threads, default_server.threads);
        assert_eq!(
            server.write_progress_timeout,
            default_server.write_progress_timeout
        );
        assert_eq!(server.max_unsent_bytes, default_server.max_unsent_bytes);
        assert_eq!(args.runtime, Runtime::default());
    }

    #[test]
    fn metrics_are_off_and_logs_text_unless_asked() {
        let args = Args::try_parse_from(["agora-server"]).unwrap();
        assert_eq!(args.metrics_addr, None);
        assert_eq!(args.log_format, LogFormat::Text);
        let args = Args::try_parse_from([
            "agora-server",
            "--metrics-addr",
            "127.0.0.1:9100",
            "--log-format",
            "json",
        ])
        .unwrap();
        assert_eq!(args.metrics_addr, Some("127.0.0.1:9100".parse().unwrap()));
        assert_eq!(args.log_format, LogFormat::Json);
        assert_refused(&[
            ["--metrics-addr", "9100"],
            ["--metrics-addr", "localhost"],
            ["--log-format", "xml"],
        ]);
    }

    #[test]
    fn abuse_flags_parse() {
        let args = Args::try_parse_from([
            "agora-server",
            "--trusted-proxy",
            "10.0.0.0/8,::1",
            "--trusted-proxy",
            "192.168.1.7",
            "--moderator",
            "ann",
            "--moderator",
            "Bob",
            "--register-rate",
            "0",
            "--reporter-min-age",
            "0s",
        ])
        .unwrap();
        let proxies: Vec<String> = args.trusted_proxy.iter().map(|c| c.to_string()).collect();
        assert_eq!(proxies, ["10.0.0.0/8", "::1/128", "192.168.1.7/32"]);
        let rules = args.rules();
        assert_eq!(rules.moderators, ["ann", "Bob"]);
        assert_eq!((rules.register_rate, rules.reporter_min_age_ms), (0, 0));
        assert_refused(&[
            ["--trusted-proxy", "10.0.0.0/99"],
            ["--trusted-proxy", "proxy.local"],
            ["--reporter-min-age", "soon"],
            ["--max-connections-per-ip", "0"],
            ["--max-streams-per-user", "0"],
        ]);
    }

    #[test]
    fn moderator_names_are_trimmed_and_checked() {
        let args = Args::try_parse_from(["agora-server", "--moderator", "ann, bob ,Cy"]).unwrap();
        assert_eq!(args.rules().moderators, ["ann", "bob", "Cy"]);
        // A name no user can have would name nobody, silently.
        let bad = ["bad name!", "public_chat", "@ann", "ann,,bob"];
        assert_refused(&bad.map(|name| ["--moderator", name]));
    }

    #[test]
    fn sync_names_round_trip() {
        for (name, mode) in SYNC_MODES {
            assert_eq!(sync_name(mode), name);
            let args = Args::try_parse_from(["agora-server", "--sync", name]).unwrap();
            assert_eq!(args.sync, mode);
        }
    }
}

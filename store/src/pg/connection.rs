//! [`PgConn`]: one connection with its prepared statements, opened with the
//! time limits a node needs to notice a database that went away.

use crate::engine::wing::RoundTrips;
use crate::pg::url::PostgresUrl;
use postgres::types::ToSql;
use postgres::{Client, Row, Statement};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a connection attempt may take before the request it serves is
/// answered `store_unavailable`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// A connection whose peer stops answering (a cut network) fails after about
/// this long instead of hanging its thread: unacknowledged data times out
/// (`TCP_USER_TIMEOUT`), and idle connections are probed by keepalives.
const DEAD_PEER: Duration = Duration::from_secs(10);
/// Longest a statement may run on the server (waiting for the write lock
/// included: a node whose batch cannot begin answers 503 rather than hang).
const STATEMENT_TIMEOUT_MS: u64 = 10_000;
/// Longest the server keeps a transaction whose client went quiet. A node
/// frozen or cut off in the middle of a batch holds the write lock that
/// every node's batches need: after this, the server ends its session and
/// the other nodes go on. (The writer sends its next statement within
/// microseconds; only a node that stopped is ever this late.)
const IDLE_IN_TRANSACTION_MS: u64 = 5_000;
/// After a failed connection attempt, the next one waits this long: while
/// the database is down, requests are refused at once instead of each
/// waiting for a connection attempt of its own.
const RETRY_AFTER_FAILURE: Duration = Duration::from_millis(250);

/// A connection and the statements prepared on it (prepared once, by their
/// SQL text, then run by name: one round trip per query, not two).
pub(crate) struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
    /// Round trips made so far (`agora_store_round_trips_total`).
    trips: RoundTrips,
}

pub(crate) type PgResult<T> = Result<T, postgres::Error>;

/// `error` with its cause: `postgres::Error` alone says only "db error" or
/// "error connecting to server"; the reason is its source.
pub(crate) fn describe(error: &postgres::Error) -> String {
    match std::error::Error::source(error) {
        Some(source) => format!("{error}: {source}"),
        None => error.to_string(),
    }
}

/// The writer's `application_name`; its connection (and every reconnection
/// of its slot) gets [`GENERIC_PLANS`].
pub(crate) const WRITER_ROLE: &str = "agora writer";

/// The readers' `application_name`; their connections also get
/// [`GENERIC_PLANS`].
pub(crate) const READER_ROLE: &str = "agora reader";

/// The writer and the readers plan prepared statements once, not for each
/// run's parameters: the batch overlay's load and flush (`pg::batch_rows`)
/// take arrays whose sizes change every time, and the planner would plan
/// them anew for each (over a millisecond each); so would a search's
/// per-chat counts (`pg::search`), whose custom plans cost 0.3-2 ms to make
/// against 0.1 ms to run. A connection option, not a `SET` inside the first
/// transaction: a transaction that rolls back would undo the `SET`.
const GENERIC_PLANS: &str = " -c plan_cache_mode=force_generic_plan";

impl PgConn {
    /// Connects as `role` (the application name the server shows in
    /// `pg_stat_activity`: `agora writer`, `agora reader`, ...).
    pub(crate) fn connect(url: &PostgresUrl, role: &str) -> PgResult<PgConn> {
        let mut config = url.config().clone();
        config
            .application_name(role)
            .connect_timeout(
                url.config()
                    .get_connect_timeout()
                    .copied()
                    .unwrap_or(CONNECT_TIMEOUT),
            )
            .keepalives(true)
            .keepalives_idle(DEAD_PEER / 2)
            .keepalives_interval(Duration::from_secs(1))
            .keepalives_retries(3)
            .tcp_user_timeout(DEAD_PEER)
            .options(&format!(
                "-c statement_timeout={STATEMENT_TIMEOUT_MS} \
                 -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS} \
                 -c tcp_user_timeout={} -c synchronous_commit=on{}",
                DEAD_PEER.as_millis(),
                if role == WRITER_ROLE || role == READER_ROLE {
                    GENERIC_PLANS
                } else {
                    ""
                }
            ));
        let client = crate::pg::tls::connect(&config)?;
        Ok(PgConn {
            client,
            statements: HashMap::new(),
            trips: RoundTrips::default(),
        })
    }

    /// The prepared statement for `sql`, prepared on first use.
    fn statement(&mut self, sql: &str) -> PgResult<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        self.trips.made += 1;
        self.trips.prepared += 1;
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    pub(crate) fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> PgResult<Vec<Row>> {
        let statement = self.statement(sql)?;
        self.trips.made += 1;
        self.client.query(&statement, params)
    }

    pub(crate) fn query_opt(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> PgResult<Option<Row>> {
        let statement = self.statement(sql)?;
        self.trips.made += 1;
        self.client.query_opt(&statement, params)
    }

    pub(crate) fn query_one(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> PgResult<Row> {
        let statement = self.statement(sql)?;
        self.trips.made += 1;
        self.client.query_one(&statement, params)
    }

    pub(crate) fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> PgResult<u64> {
        let statement = self.statement(sql)?;
        self.trips.made += 1;
        self.client.execute(&statement, params)
    }

    /// Statements without parameters or results (`BEGIN`, `COMMIT`, ...),
    /// in the simple protocol: one round trip.
    pub(crate) fn batch(&mut self, sql: &str) -> PgResult<()> {
        self.trips.made += 1;
        self.client.batch_execute(sql)
    }

    /// The client itself, counted as one round trip (what its callers make
    /// of it).
    pub(crate) fn client(&mut self) -> &mut Client {
        self.trips.made += 1;
        &mut self.client
    }

    /// Round trips made so far, for the tests that count them.
    #[cfg(test)]
    pub(crate) fn round_trips(&self) -> u64 {
        self.trips.made
    }

    /// Whether the connection is known to be broken.
    pub(crate) fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}

/// A thread's connection: opened on demand, dropped after a failure, opened
/// again (not more often than every [`RETRY_AFTER_FAILURE`]).
pub(crate) struct Slot {
    url: PostgresUrl,
    role: &'static str,
    conn: Option<PgConn>,
    /// The last failed connection attempt, while the database cannot be
    /// reached (that is logged once when it starts and once when it ends).
    failed_at: Option<Instant>,
    /// Round trips of connections dropped since the last
    /// [`take_round_trips`](Self::take_round_trips).
    dropped: RoundTrips,
}

impl Slot {
    pub(crate) fn new(url: PostgresUrl, role: &'static str, conn: Option<PgConn>) -> Slot {
        Slot {
            url,
            role,
            conn,
            failed_at: None,
            dropped: RoundTrips::default(),
        }
    }

    /// The round trips made since the last call, on this slot's
    /// connections (the one open and those dropped).
    pub(crate) fn take_round_trips(&mut self) -> RoundTrips {
        let mut trips = std::mem::take(&mut self.dropped);
        if let Some(conn) = self.conn.as_mut() {
            trips += std::mem::take(&mut conn.trips);
        }
        trips
    }

    fn drop_conn(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.dropped += conn.trips;
        }
    }

    /// The connection, opened again if needed; `None` while the database
    /// cannot be reached.
    pub(crate) fn get(&mut self) -> Option<&mut PgConn> {
        if self.conn.as_ref().is_some_and(PgConn::is_closed) {
            self.drop_conn();
        }
        if self.conn.is_none() {
            if self
                .failed_at
                .is_some_and(|at| at.elapsed() < RETRY_AFTER_FAILURE)
            {
                return None;
            }
            match PgConn::connect(&self.url, self.role) {
                Ok(conn) => {
                    if self.failed_at.take().is_some() {
                        tracing::warn!(role = self.role, "PostgreSQL is reachable again");
                    }
                    self.conn = Some(conn);
                }
                Err(e) => {
                    if self.failed_at.is_none() {
                        tracing::error!(role = self.role, url = %self.url, error = %describe(&e),
                            "cannot connect to PostgreSQL; answering store_unavailable until it is back");
                    }
                    self.failed_at = Some(Instant::now());
                    return None;
                }
            }
        }
        self.conn.as_mut()
    }

    /// The connection already open, never a new one: inside a transaction,
    /// a new connection would not hold it.
    pub(crate) fn current(&mut self) -> Option<&mut PgConn> {
        self.conn.as_mut().filter(|conn| !conn.is_closed())
    }

    /// Whether a connection is open (it may still turn out broken at its
    /// next use: a database that restarted is noticed only then).
    pub(crate) fn is_open(&self) -> bool {
        self.conn.is_some()
    }

    /// The connection failed in a way that leaves its state unknown: close it.
    /// The next [`get`](Self::get) connects again at once.
    pub(crate) fn failed(&mut self) {
        self.drop_conn();
    }

    /// Closes the connection (at shutdown).
    pub(crate) fn close(&mut self) {
        self.drop_conn();
    }
}

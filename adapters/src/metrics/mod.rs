//! Prometheus metrics (`--metrics-addr`), kept with the `prometheus-client`
//! crate and served by [`listener`] on a port of their own.
//!
//! Off by default: `Shared::metrics` is then `None` and nothing is counted.
//! When on, a request pays a counter and a histogram kept at hand for its
//! route (about 360 instructions, 1 % of a `GET /status`: BENCHMARKS.md);
//! gauges that other parts already keep (open connections, the store's queue
//! depth, the memo's hit ratio) are read only when scraped.
//!
//! Live delivery (`GET /events`) reports through the public gauges and the
//! counter below (`long_polls_waiting`, `event_streams_open`,
//! `events_delivered`): until it exists they stay at 0.

pub mod listener;

use agora_core::api::Route;
use agora_store::StoreObserver;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// The `Content-Type` of what [`Metrics::render`] writes: Prometheus' text
/// exposition format, version 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The `route` label of a request whose path is no endpoint (404s).
const OTHER_ROUTE: &str = "other";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

/// Why a 503 was sent.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Unavailable {
    /// Over `--max-connections`: answered at accept and closed.
    TooManyConnections,
    /// The store's queue was full (`overloaded`).
    QueueFull,
    /// The database cannot be read or written (`store_unavailable`, from a
    /// command or `GET /health`).
    StoreUnavailable,
}

impl Unavailable {
    /// The `reason` label.
    pub fn label(self) -> &'static str {
        match self {
            Unavailable::TooManyConnections => "too_many_connections",
            Unavailable::QueueFull => "queue_full",
            Unavailable::StoreUnavailable => "store_unavailable",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MemoLabels {
    result: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// The statuses the API answers with, whose request counters each route
/// keeps at hand: a family lookup hashes its labels under a lock, several
/// hundred instructions a request. Other statuses are looked up.
const STATUSES: [u16; 17] = [
    200, 201, 400, 401, 403, 404, 405, 408, 409, 413, 414, 429, 431, 500, 501, 503, 505,
];

/// One route's (or the other paths') series, at hand.
struct RouteSeries {
    label: &'static str,
    /// The family's counter of each of `STATUSES`, fetched on first use (a
    /// series appears once a request has it).
    requests: [OnceLock<Counter>; STATUSES.len()],
    latency: Histogram,
}

/// Every metric of one server.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    /// One per route, then one for other paths (clones of the families'
    /// members, so a request needs no label lookup).
    routes: Vec<RouteSeries>,
    open_connections: Gauge,
    /// `GET /events` long-polls waiting for an event (live delivery).
    pub long_polls_waiting: Gauge,
    /// Open `text/event-stream` responses (live delivery).
    pub event_streams_open: Gauge,
    /// Events written to long-polls and streams (live delivery).
    pub events_delivered: Counter,
    store_queue_depth: Gauge,
    /// Jobs queued for the writer, and jobs it finished: their difference is
    /// the queue's depth, computed when scraped.
    store_queued: AtomicU64,
    store_done: AtomicU64,
    batch_size: Histogram,
    commit_seconds: Histogram,
    store_round_trips: Counter,
    store_statements_prepared: Counter,
    store_lock_wait: Counter<f64, AtomicU64>,
    unavailable: Family<ReasonLabels, Counter>,
    memo_hits: Counter,
    memo_misses: Counter,
    memo_hit_ratio: Gauge<f64, AtomicU64>,
}

fn latency_histogram() -> Histogram {
    // 25 µs to ~3.3 s.
    Histogram::new(exponential_buckets(25e-6, 2.0, 18))
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("agora");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route (the endpoint's path, `other` for unknown paths) and status",
            requests.clone(),
        );
        let latency_family: HistogramFamily<RouteLabels> =
            Family::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's decoding to its response, by route",
            Unit::Seconds,
            latency_family.clone(),
        );
        let routes = Route::ALL
            .iter()
            .map(|route| route.path())
            .chain([OTHER_ROUTE])
            .map(|label| RouteSeries {
                label,
                requests: std::array::from_fn(|_| OnceLock::new()),
                latency: latency_family
                    .get_or_create(&RouteLabels { route: label })
                    .clone(),
            })
            .collect();
        let [open_connections, long_polls_waiting, event_streams_open] = [
            ("open_connections", "Client connections being served"),
            (
                "long_polls_waiting",
                "GET /events long-polls waiting for an event",
            ),
            ("event_streams_open", "Open text/event-stream responses"),
        ]
        .map(|(name, help)| {
            let gauge = Gauge::default();
            registry.register(name, help, gauge.clone());
            gauge
        });
        let events_delivered = Counter::default();
        registry.register(
            "events_delivered",
            "Events written to long-polls and event streams",
            events_delivered.clone(),
        );
        let store_queue_depth = Gauge::default();
        registry.register(
            "store_queue_depth",
            "Jobs queued for the store's writer or in the batch it is applying",
            store_queue_depth.clone(),
        );
        // 1 to 256 (the writer's largest batch).
        let batch_size = Histogram::new(exponential_buckets(1.0, 2.0, 9));
        registry.register(
            "store_batch_size",
            "Jobs per group commit",
            batch_size.clone(),
        );
        // 50 µs to ~0.8 s.
        let commit_seconds = Histogram::new(exponential_buckets(50e-6, 2.0, 15));
        registry.register_with_unit(
            "store_commit_duration",
            "Time of each COMMIT, the WAL's fsync included (PostgreSQL: the whole batch transaction, the write lock's wait included)",
            Unit::Seconds,
            commit_seconds.clone(),
        );
        let store_round_trips = Counter::default();
        registry.register(
            "store_round_trips",
            "Round trips the store's writer made to PostgreSQL (per batch: divide by agora_store_batch_size_count)",
            store_round_trips.clone(),
        );
        let store_statements_prepared = Counter::default();
        registry.register(
            "store_statements_prepared",
            "Of the writer's round trips to PostgreSQL, those that prepared a statement (once per connection and statement)",
            store_statements_prepared.clone(),
        );
        let store_lock_wait = Counter::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "store_write_lock_wait",
            "Time the store's writer took to begin its batches: on PostgreSQL the round trip of BEGIN and the write lock every node shares, so mostly the other nodes' transactions (per batch: divide by agora_store_batch_size_count)",
            Unit::Seconds,
            store_lock_wait.clone(),
        );
        let unavailable = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "unavailable_responses",
            "503 responses, by reason",
            unavailable.clone(),
        );
        let memo = Family::<MemoLabels, Counter>::default();
        registry.register(
            "status_memo_lookups",
            "GET /status answered from the memo (hit) or read from the database (miss)",
            memo.clone(),
        );
        let memo_hits = memo.get_or_create(&MemoLabels { result: "hit" }).clone();
        let memo_misses = memo.get_or_create(&MemoLabels { result: "miss" }).clone();
        let memo_hit_ratio = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "status_memo_hit_ratio",
            "Share of GET /status answered from the memo since start (0 before the first)",
            memo_hit_ratio.clone(),
        );
        Metrics {
            registry,
            requests,
            routes,
            open_connections,
            long_polls_waiting,
            event_streams_open,
            events_delivered,
            store_queue_depth,
            store_queued: AtomicU64::new(0),
            store_done: AtomicU64::new(0),
            batch_size,
            commit_seconds,
            store_round_trips,
            store_statements_prepared,
            store_lock_wait,
            unavailable,
            memo_hits,
            memo_misses,
            memo_hit_ratio,
        }
    }

    /// A request for `route` (`None`: a path that is no endpoint) was
    /// answered with `status` after `elapsed`; `body` is the response's, to
    /// tell a 503's reason by its `code`.
    pub fn request(&self, route: Option<Route>, status: u16, body: &[u8], elapsed: Duration) {
        let index = route.and_then(|route| Route::ALL.iter().position(|r| *r == route));
        let series = &self.routes[index.unwrap_or(Route::ALL.len())];
        let labels = || RequestLabels {
            route: series.label,
            status,
        };
        match STATUSES.iter().position(|&s| s == status) {
            Some(slot) => series.requests[slot]
                .get_or_init(|| self.requests.get_or_create(&labels()).clone())
                .inc(),
            None => self.requests.get_or_create(&labels()).inc(),
        };
        series.latency.observe(elapsed.as_secs_f64());
        if status == 503 {
            self.unavailable(reason_of(body));
        }
    }

    /// A 503 was sent for `reason` (outside [`Metrics::request`]: a
    /// connection refused at accept).
    pub fn unavailable(&self, reason: Unavailable) {
        self.unavailable
            .get_or_create(&ReasonLabels {
                reason: reason.label(),
            })
            .inc();
    }

    /// Every metric in the text exposition format, after reading the
    /// gauges kept elsewhere.
    pub fn render(&self, open_connections: usize) -> String {
        self.open_connections
            .set(i64::try_from(open_connections).unwrap_or(i64::MAX));
        let queued = self.store_queued.load(Ordering::Relaxed);
        let done = self.store_done.load(Ordering::Relaxed);
        // `done` may be read ahead of a `queued` not yet counted.
        let depth = queued.saturating_sub(done);
        self.store_queue_depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
        let (hits, misses) = (self.memo_hits.get(), self.memo_misses.get());
        if hits + misses > 0 {
            self.memo_hit_ratio
                .set(hits as f64 / (hits + misses) as f64);
        }
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry);
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Metrics")
    }
}

/// The `route` label: the endpoint's path, or `other`.
pub fn route_label(route: Option<Route>) -> &'static str {
    route.map_or(OTHER_ROUTE, Route::path)
}

/// A 503's reason from its body's `code` (core writes it compactly:
/// `"code":"overloaded"`).
fn reason_of(body: &[u8]) -> Unavailable {
    let overloaded = br#""code":"overloaded""#;
    if body.windows(overloaded.len()).any(|w| w == overloaded) {
        Unavailable::QueueFull
    } else {
        Unavailable::StoreUnavailable
    }
}

impl StoreObserver for Metrics {
    fn queued(&self) {
        self.store_queued.fetch_add(1, Ordering::Relaxed);
    }

    fn batch(&self, jobs: usize, commit: Option<Duration>) {
        self.store_done.fetch_add(jobs as u64, Ordering::Relaxed);
        self.batch_size.observe(jobs as f64);
        if let Some(commit) = commit {
            self.commit_seconds.observe(commit.as_secs_f64());
        }
    }

    fn round_trips(&self, trips: u64) {
        self.store_round_trips.inc_by(trips);
    }

    fn statements_prepared(&self, prepared: u64) {
        self.store_statements_prepared.inc_by(prepared);
    }

    fn write_lock_wait(&self, wait: Duration) {
        self.store_lock_wait.inc_by(wait.as_secs_f64());
    }

    fn status_memo(&self, hit: bool) {
        if hit {
            self.memo_hits.inc();
        } else {
            self.memo_misses.inc();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the sample line that starts with `prefix`.
    fn sample(text: &str, prefix: &str) -> f64 {
        text.lines()
            .find_map(|line| line.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
            .trim()
            .parse()
            .unwrap()
    }

    #[test]
    fn requests_latency_and_unavailable_reasons_are_counted() {
        let metrics = Metrics::new();
        let ms = Duration::from_millis(1);
        let status = Some(Route::Status);
        metrics.request(status, 200, b"{}", ms);
        metrics.request(status, 200, b"{}", ms);
        metrics.request(None, 404, b"{}", ms);
        metrics.request(Some(Route::Status), 418, b"{}", ms);
        let overloaded = br#"{"error":"x","code":"overloaded"}"#;
        metrics.request(Some(Route::Send), 503, overloaded, ms);
        let unavailable = br#"{"status":"unavailable","code":"store_unavailable"}"#;
        metrics.request(Some(Route::Health), 503, unavailable, ms);
        metrics.unavailable(Unavailable::TooManyConnections);
        let text = metrics.render(3);
        let requests =
            |labels: &str| sample(&text, &format!("agora_http_requests_total{{{labels}}} "));
        assert_eq!(requests(r#"route="/status",status="200""#), 2.0);
        assert_eq!(requests(r#"route="other",status="404""#), 1.0);
        assert_eq!(requests(r#"route="/status",status="418""#), 1.0);
        assert_eq!(
            sample(
                &text,
                r#"agora_http_request_duration_seconds_count{route="/status"} "#
            ),
            3.0
        );
        let reason = |r: &str| {
            sample(
                &text,
                &format!("agora_unavailable_responses_total{{reason=\"{r}\"}} "),
            )
        };
        assert_eq!(reason("queue_full"), 1.0);
        assert_eq!(reason("store_unavailable"), 1.0);
        assert_eq!(reason("too_many_connections"), 1.0);
        assert_eq!(sample(&text, "agora_open_connections "), 3.0);
        for zero in [
            "agora_long_polls_waiting ",
            "agora_event_streams_open ",
            "agora_events_delivered_total ",
        ] {
            assert_eq!(sample(&text, zero), 0.0);
        }
    }

    #[test]
    fn store_reports_become_depth_batches_commits_and_the_memo_ratio() {
        let metrics = Metrics::new();
        for _ in 0..5 {
            metrics.queued();
        }
        metrics.batch(2, Some(Duration::from_micros(300)));
        metrics.round_trips(4);
        metrics.statements_prepared(1);
        metrics.write_lock_wait(Duration::from_millis(3));
        metrics.write_lock_wait(Duration::from_millis(2));
        metrics.status_memo(true);
        metrics.status_memo(true);
        metrics.status_memo(true);
        metrics.status_memo(false);
        let text = metrics.render(0);
        assert_eq!(sample(&text, "agora_store_queue_depth "), 3.0);
        assert_eq!(sample(&text, "agora_store_batch_size_count "), 1.0);
        assert_eq!(sample(&text, "agora_store_batch_size_sum "), 2.0);
        assert_eq!(sample(&text, "agora_store_round_trips_total "), 4.0);
        assert_eq!(sample(&text, "agora_store_statements_prepared_total "), 1.0);
        assert!((sample(&text, "agora_store_write_lock_wait_seconds_total ") - 0.005).abs() < 1e-9);
        assert_eq!(
            sample(&text, "agora_store_commit_duration_seconds_count "),
            1.0
        );
        assert_eq!(sample(&text, "agora_status_memo_hit_ratio "), 0.75);
        assert_eq!(
            sample(&text, r#"agora_status_memo_lookups_total{result="hit"} "#),
            3.0
        );
    }
}

//! What happens when a request is answered, besides writing the response:
//! its log line (at `debug`; with `--log-format json`, one JSON object with
//! these fields) and its metrics.

use crate::metrics::route_label;
use crate::shared::Shared;
use agora_core::api::Route;
use agora_core::http::Response;
use std::time::Duration;
use tracing::{debug, warn, Level};

/// A request `method target` on connection `conn` was answered with
/// `response`, `elapsed` after it was decoded.
pub fn answered(
    shared: &Shared,
    conn: u64,
    method: &str,
    target: &str,
    response: &Response,
    elapsed: Duration,
) {
    let metrics = shared.metrics.as_deref();
    if metrics.is_none() && status_is_quiet(response.status) && !tracing::enabled!(Level::DEBUG) {
        return;
    }
    let path = target.split('?').next().unwrap_or("");
    let route = Route::of_path(path);
    let status = response.status;
    // Strings as Display: unquoted in text lines, strings in JSON ones. The
    // request target is `uri`: `target` is the JSON line's logging target.
    debug!(
        conn,
        method = %method,
        route = %route_label(route),
        uri = %target,
        status,
        duration_us = elapsed.as_micros() as u64,
        "request"
    );
    if !status_is_quiet(status) {
        warn!(conn, method = %method, route = %route_label(route), uri = %target, status,
            body = %String::from_utf8_lossy(&response.body), "server-side failure");
    }
    if let Some(metrics) = metrics {
        metrics.request(route, status, &response.body, elapsed);
    }
}

/// Below 500: nothing to log above `debug`.
fn status_is_quiet(status: u16) -> bool {
    status < 500
}

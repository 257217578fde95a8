//! What happens when a request is answered, besides writing the response:
//! its log line (at `debug`; with `--log-format json`, one JSON object with
//! these fields) and its metrics.

use crate::metrics::route_label;
use crate::shared::Shared;
use agora_core::api::Route;
use agora_core::http::Response;
use std::borrow::Cow;
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
    let uri = loggable_uri(target);
    debug!(
        conn,
        method = %method,
        route = %route_label(route),
        uri = %uri,
        status,
        duration_us = elapsed.as_micros() as u64,
        "request"
    );
    if !status_is_quiet(status) {
        warn!(conn, method = %method, route = %route_label(route), uri = %uri, status,
            body = %String::from_utf8_lossy(&response.body), "server-side failure");
    }
    if let Some(metrics) = metrics {
        metrics.request(route, status, &response.body, elapsed);
    }
}

/// The request target as a log line shows it: every query value replaced by
/// `…`, and every name too unless it looks like a parameter's (a few
/// lowercase letters and `_`). A token put in a query string (API.md: tokens
/// never appear in logs) is then never written, wherever it is put.
pub(crate) fn loggable_uri(target: &str) -> Cow<'_, str> {
    let Some((path, query)) = target.split_once('?') else {
        return Cow::Borrowed(target);
    };
    let mut uri = String::with_capacity(target.len());
    uri.push_str(path);
    uri.push('?');
    for (i, piece) in query.split('&').enumerate() {
        if i > 0 {
            uri.push('&');
        }
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        let plain = name.len() <= 16 && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        uri.push_str(if plain { name } else { "…" });
        if !value.is_empty() {
            uri.push_str("=…");
        }
    }
    Cow::Owned(uri)
}

/// Below 500: nothing to log above `debug`.
fn status_is_quiet(status: u16) -> bool {
    status < 500
}

#[cfg(test)]
mod tests {
    use super::loggable_uri;

    #[test]
    fn query_values_never_reach_a_log() {
        let token = "0123456789abcdef0123456789abcdef";
        for (target, logged) in [
            ("/status", "/status".to_owned()),
            (
                "/events?since=5&timeout=0",
                "/events?since=…&timeout=…".to_owned(),
            ),
            (
                &format!("/status?token={token}")[..],
                "/status?token=…".to_owned(),
            ),
            (&format!("/x?{token}")[..], "/x?…".to_owned()),
            (&format!("/x?{token}=1")[..], "/x?…=…".to_owned()),
            (&format!("/x?a=&b={token}&&c")[..], "/x?a&b=…&&c".to_owned()),
            (&format!("/x?a={token}=b")[..], "/x?a=…".to_owned()),
        ] {
            assert_eq!(loggable_uri(target), logged, "{target}");
        }
    }
}

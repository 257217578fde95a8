//! What happens when a request is answered, besides writing the response:
//! its log line (at `debug`; with `--log-format json`, one JSON object with
//! these fields) and its metrics.

use crate::metrics::route_label;
use crate::shared::Shared;
use agora_core::api::Route;
use std::borrow::Cow;
use std::time::Duration;
use tracing::{debug, warn, Level};

/// A request `method target` on connection `conn` was answered with
/// `status` (and, for a server-side failure, `body`), `elapsed` after it was
/// decoded.
pub fn answered(
    shared: &Shared,
    conn: u64,
    method: &str,
    target: &str,
    status: u16,
    body: &[u8],
    elapsed: Duration,
) {
    let metrics = shared.metrics.as_deref();
    if metrics.is_none() && status_is_quiet(status) && !tracing::enabled!(Level::DEBUG) {
        return;
    }
    let path = target.split('?').next().unwrap_or("");
    let route = Route::of_path(path);
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
            body = %String::from_utf8_lossy(body), "server-side failure");
    }
    if let Some(metrics) = metrics {
        metrics.request(route, status, body, elapsed);
    }
}

/// The request target as a log line shows it: every query value replaced by
/// `…`, and every name too unless it looks like a parameter's (a few
/// lowercase letters and `_`); in the path, every segment that does not look
/// like a route's or a file's (see `plain_segment`). A token put in a query
/// string or in the path (API.md: tokens never appear in logs) is then never
/// written, wherever it is put.
pub(crate) fn loggable_uri(target: &str) -> Cow<'_, str> {
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let Some(query) = query else {
        if path.split('/').all(plain_segment) {
            return Cow::Borrowed(target);
        }
        return Cow::Owned(loggable_path(path));
    };
    let mut uri = String::with_capacity(target.len());
    uri.push_str(&loggable_path(path));
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

/// The path with every segment that is not plain replaced by `…`.
fn loggable_path(path: &str) -> String {
    let segments: Vec<&str> = path
        .split('/')
        .map(|segment| {
            if plain_segment(segment) {
                segment
            } else {
                "…"
            }
        })
        .collect();
    segments.join("/")
}

/// A path segment as routes, asset files and the scanners' usual probes
/// spell them: up to 16 lowercase letters, digits, `_ - . :`. A token (32
/// hex digits, in any case or percent-encoded) never is.
fn plain_segment(segment: &str) -> bool {
    segment.len() <= 16
        && segment
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.:".contains(&b))
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

    #[test]
    fn a_token_in_the_path_never_reaches_a_log() {
        let token = "0123456789abcdef0123456789abcdef";
        let upper = token.to_ascii_uppercase();
        let encoded: String = token.bytes().map(|b| format!("%{b:02x}")).collect();
        for (target, logged) in [
            ("/assets/js/main.js", "/assets/js/main.js".to_owned()),
            (
                "/wp-admin/setup-config.php",
                "/wp-admin/setup-config.php".to_owned(),
            ),
            (&format!("/{token}")[..], "/…".to_owned()),
            (&format!("/status/{upper}")[..], "/status/…".to_owned()),
            (&format!("/{encoded}?since=1")[..], "/…?since=…".to_owned()),
            (
                &format!("http://host/t/{token}/x")[..],
                "http://host/t/…/x".to_owned(),
            ),
        ] {
            assert_eq!(loggable_uri(target), logged, "{target}");
        }
    }
}

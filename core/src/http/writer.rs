//! Serialization of messages: responses (server role) and requests (client
//! role). Both always frame the body with `Content-Length`.

use super::framing::is_tchar;
use super::{reason_phrase, Response};
use crate::time::UnixMillis;
use std::io::Write;

/// Fields the writers set themselves; callers' copies are dropped so that a
/// message never carries two framings or two dates.
const RESERVED: [&str; 5] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "date",
    "content-type",
];

fn is_reserved(name: &str) -> bool {
    RESERVED.iter().any(|r| name.eq_ignore_ascii_case(r))
}

/// Whether a field can be written as is: a token name and a value without
/// control characters (no CR/LF, so no header injection).
pub(crate) fn is_writable_field(name: &str, value: &[u8]) -> bool {
    !name.is_empty()
        && name.bytes().all(is_tchar)
        && value
            .iter()
            .all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// The `Date` value, formatted once per second.
#[derive(Debug, Default)]
pub(crate) struct DateCache {
    second: Option<i64>,
    text: String,
}

impl DateCache {
    pub(crate) fn format(&mut self, wall: UnixMillis) -> &str {
        let second = wall.0.div_euclid(1000);
        if self.second != Some(second) {
            self.second = Some(second);
            self.text = wall.to_http_date();
        }
        &self.text
    }
}

/// How the response relates to its connection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ResponseMode {
    /// Send `Connection: close`.
    pub close: bool,
    /// Send `Connection: keep-alive` (an HTTP/1.0 client that asked for it).
    pub keep_alive_10: bool,
    /// The request was HEAD: send the length but not the body.
    pub head: bool,
}

/// The response's own `Content-Type` when it has a writable one, else
/// `application/json` (every API body is JSON; pages and scripts say what
/// they are).
fn content_type(response: &Response) -> &str {
    match response.header("content-type") {
        Some(value) if is_writable_field("Content-Type", value.as_bytes()) => value,
        _ => "application/json",
    }
}

/// How a response's body is framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyFraming {
    /// `Content-Length`: the body is all there.
    Length,
    /// A stream (RFC 9112 §7.1): `Transfer-Encoding: chunked`, chunks
    /// written as they come ([`write_chunk`]), then [`LAST_CHUNK`].
    Chunked,
    /// A stream to an HTTP/1.0 client, which knows no chunks: the body ends
    /// when the connection closes (the mode must say `close`).
    UntilClose,
}

/// Appends `response` to `out`. `date` is an IMF-fixdate.
pub(crate) fn write_response(
    out: &mut Vec<u8>,
    response: &Response,
    date: &str,
    mode: ResponseMode,
) {
    write_head(out, response, date, mode, BodyFraming::Length);
    let status = response.status;
    let no_body = status == 204 || status == 304 || (100..200).contains(&status);
    if !no_body && !mode.head {
        out.extend_from_slice(&response.body);
    }
}

/// Appends the status line and header section of `response` to `out`, with
/// the framing fields `framing` calls for.
pub(crate) fn write_head(
    out: &mut Vec<u8>,
    response: &Response,
    date: &str,
    mode: ResponseMode,
    framing: BodyFraming,
) {
    let status = response.status;
    let _ = write!(out, "HTTP/1.1 {status} {}\r\n", reason_phrase(status));
    let _ = write!(out, "Date: {date}\r\n");
    let no_body = status == 204 || status == 304 || (100..200).contains(&status);
    if !no_body {
        let _ = write!(out, "Content-Type: {}\r\n", content_type(response));
        match framing {
            BodyFraming::Length => {
                let _ = write!(out, "Content-Length: {}\r\n", response.body.len());
            }
            BodyFraming::Chunked => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
            BodyFraming::UntilClose => {}
        }
    }
    if mode.close {
        out.extend_from_slice(b"Connection: close\r\n");
    } else if mode.keep_alive_10 {
        out.extend_from_slice(b"Connection: keep-alive\r\n");
    }
    for (name, value) in &response.headers {
        if !is_reserved(name) && is_writable_field(name, value.as_bytes()) {
            let _ = write!(out, "{name}: {value}\r\n");
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends one chunk of a chunked body: its size in hex, CRLF, the bytes,
/// CRLF. `bytes` must not be empty (an empty chunk ends the body).
pub(crate) fn write_chunk(out: &mut Vec<u8>, bytes: &[u8]) {
    let _ = write!(out, "{:x}\r\n", bytes.len());
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

/// The end of a chunked body: the last chunk, no trailers.
pub(crate) const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// One whole response written outside any [`Conn`](super::Conn), with
/// `Connection: close` and the `Date` of `wall`: for an adapter that refuses a
/// connection before it has a machine (503 at accept time), so that only core
/// writes HTTP. The same writer as the connection's.
#[must_use]
pub fn standalone_response(response: &Response, wall: UnixMillis) -> Vec<u8> {
    let mode = ResponseMode {
        close: true,
        keep_alive_10: false,
        head: false,
    };
    let mut out = Vec::with_capacity(160 + response.body.len());
    write_response(&mut out, response, &wall.to_http_date(), mode);
    out
}

/// The interim response to `Expect: 100-continue`.
pub(crate) const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// Appends an HTTP/1.1 request to `out`: `Host`, the caller's fields (except
/// `Host` and the reserved ones, and any that are not writable), and
/// `Content-Length`.
pub(crate) fn write_request(
    out: &mut Vec<u8>,
    method: &str,
    target: &str,
    host: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) {
    let _ = write!(out, "{method} {target} HTTP/1.1\r\nHost: {host}\r\n");
    for (name, value) in headers {
        let skip = is_reserved(name)
            && !name.eq_ignore_ascii_case("connection")
            && !name.eq_ignore_ascii_case("content-type");
        if !skip && !name.eq_ignore_ascii_case("host") && is_writable_field(name, value.as_bytes())
        {
            let _ = write!(out, "{name}: {value}\r\n");
        }
    }
    let _ = write!(out, "Content-Length: {}\r\n\r\n", body.len());
    out.extend_from_slice(body);
}

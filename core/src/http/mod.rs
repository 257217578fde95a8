//! The HTTP/1.1 machine, sans IO: [`Conn`] (server role) and [`client::ClientConn`]
//! (client role) turn bytes into messages and messages into bytes. It knows
//! nothing of chat.

mod buf;
pub mod client;
mod conn;
mod error;
mod framing;
mod head;
mod headers;
mod state;
mod target;
mod writer;

pub use client::{ClientConn, ClientError};
pub use conn::Conn;
pub use error::HttpError;
pub use headers::Headers;
pub use writer::standalone_response;

use crate::error_code::ErrorCode;
use crate::time::UnixMillis;
use std::time::{Duration, Instant};

/// Every bound of the machine in one place. `Default` gives API.md's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Request line plus header fields, in bytes (431 above it).
    pub max_header_bytes: usize,
    /// Request target, in bytes (414 above it).
    pub max_uri_bytes: usize,
    /// Decoded body, in bytes, inclusive (413 above it).
    pub max_body_bytes: usize,
    /// Header fields per request (431 above it).
    pub max_headers: usize,
    /// A chunk-size line with its extensions, in bytes (400 above it).
    pub max_chunk_line_bytes: usize,
    /// Trailer section of a chunked body, in bytes (431 above it).
    pub max_trailer_bytes: usize,
    /// From the first byte of a request to its complete head and body (408).
    pub header_timeout: Duration,
    /// An idle keep-alive connection is closed after this long.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: 16 * 1024,
            max_uri_bytes: 8 * 1024,
            max_body_bytes: 64 * 1024,
            max_headers: 100,
            max_chunk_line_bytes: 1024,
            max_trailer_bytes: 16 * 1024,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// The time an input happens at, both clocks, read by the adapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    /// For timeouts and deadlines.
    pub mono: Instant,
    /// For the `Date` header.
    pub wall: UnixMillis,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    Http10,
    Http11,
}

/// Names a request handed out by [`Conn`], so its response can be matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReqId(pub u64);

/// A complete, well-framed request. The body is decoded (chunked framing
/// removed) and within `Limits::max_body_bytes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The request target as sent (origin form: path and optional query).
    pub target: String,
    pub version: Version,
    /// Header fields in the order sent; names as sent.
    pub headers: Headers,
    pub body: Vec<u8>,
}

impl Request {
    /// The path part of the target (before any `?`).
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// Values of every field named `name` (case-insensitive), in order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The value of the only field named `name`; `None` if absent or repeated.
    pub fn single_header<'a>(&'a self, name: &'a str) -> Option<&'a [u8]> {
        let mut values = self.header_values(name);
        let first = values.next()?;
        values.next().is_none().then_some(first)
    }
}

/// The application's opinion of a request head, asked by [`Conn`] before it
/// answers `Expect: 100-continue` (see [`Conn::with_precheck`]). `Some`
/// refuses the request with that response without reading its body; the
/// request it is given has an empty body.
pub type Precheck = fn(&Request) -> Option<Response>;

/// A response to write (server role) or one that was read (client role).
/// The writer adds `Date`, `Content-Length`, `Content-Type` and `Connection`
/// itself; Content-Type is `application/json` unless `headers` names another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Extra fields (`Allow`, `Retry-After`, `WWW-Authenticate`, ...).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(status: u16, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body,
        }
    }

    /// A JSON document as the body: the document and a final `\n`, so that
    /// a terminal (curl) does not print the next prompt on the reply's last
    /// line. JSON allows whitespace after the value (RFC 8259 §2): every
    /// parser reads it. Every JSON body the server sends is made here.
    pub fn json_document(status: u16, mut document: Vec<u8>) -> Response {
        document.push(b'\n');
        Response::json(status, document)
    }

    /// API.md's error object, `{"error": message, "code": code}`, plus
    /// `"field": field` when one request field is at fault. The one place it
    /// is built: the machine's protocol errors and `api`'s refusals both come
    /// here.
    pub fn error(status: u16, code: ErrorCode, message: &str, field: Option<&str>) -> Response {
        let body = ErrorBody {
            error: message,
            code: code.as_str(),
            field,
        };
        // Serializing a struct of strings cannot fail.
        Response::json_document(status, serde_json::to_vec(&body).unwrap_or_default())
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// The value of the first field named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

/// The standard reason phrase for the statuses agora sends.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        414 => "URI Too Long",
        417 => "Expectation Failed",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// What the adapter feeds a [`Conn`].
#[derive(Debug)]
pub enum Input<'a> {
    /// Bytes read from the socket.
    Bytes(&'a [u8]),
    /// The peer closed its sending side.
    Eof,
    /// The deadline last reported by `Output::Timeout` may have passed.
    Timeout,
    /// The answer to a request handed out by `Output::Request`.
    Response(ReqId, Response),
    /// Starts a streamed answer to a request handed out by
    /// `Output::Request`: the status and fields of `Response` (its body is
    /// ignored), framed chunked (an HTTP/1.0 client gets the body until the
    /// connection closes). The body follows with `StreamChunk`s and ends
    /// with `StreamEnd`.
    StreamStart(ReqId, Response),
    /// The next piece of a streamed body (an empty one is ignored).
    StreamChunk(ReqId, &'a [u8]),
    /// The end of a streamed body; the connection then goes on with the
    /// next request, or closes.
    StreamEnd(ReqId),
}

/// What a [`Conn`] asks the adapter to do, drained with `poll_output`.
#[must_use = "each output is something the adapter must do"]
#[derive(Debug, PartialEq, Eq)]
pub enum Output {
    /// Write these bytes to the socket, in order.
    Send(Vec<u8>),
    /// Handle this request and feed its response back with its id.
    Request(ReqId, Request),
    /// Close the socket (after writing everything sent before).
    Close,
    /// Nothing more to do now: wait for input, or until this deadline and then
    /// feed `Input::Timeout`. `None`: no deadline (a request is in flight).
    Timeout(Option<Instant>),
}

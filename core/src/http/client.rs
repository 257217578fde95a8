//! The client role (as h11 has both): writes requests, parses responses.
//!
//! Used over blocking sockets like this:
//!
//! ```no_run
//! # use agora_core::http::{ClientConn, ClientError, Response};
//! # fn io(_: &[u8]) -> Vec<u8> { Vec::new() }
//! # fn main() -> Result<(), ClientError> {
//! let mut conn = ClientConn::new();
//! let bytes = conn.encode_request("POST", "/send", "localhost:8080",
//!     &[("Authorization", "Bearer 00ff")], br#"{"text":"hi"}"#);
//! // write `bytes` to the socket, then read until a response is complete:
//! let response: Response = loop {
//!     if let Some(r) = conn.poll_response()? { break r; }
//!     let read = io(&bytes); // socket.read(...)
//!     if read.is_empty() { conn.feed_eof() } else { conn.feed(&read) }
//! };
//! // `conn.is_reusable()` says whether the socket may carry the next request.
//! # Ok(()) }
//! ```

use super::buf::ReadBuf;
use super::error::FramingError;
use super::framing::{self, BodyLimits, BodyReader, CodingError, Framing, LengthError};
use super::writer;
use super::{Limits, Response};
use std::collections::VecDeque;

/// Why a response could not be read. Sticky: the connection is unusable after.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("malformed response: {0}")]
    Malformed(&'static str),
    #[error("response header section too large")]
    HeadTooLarge,
    #[error("response body too large")]
    BodyTooLarge,
    #[error("response uses a transfer coding other than chunked")]
    UnsupportedTransferCoding,
    #[error("connection closed in the middle of a response")]
    UnexpectedEof,
    #[error("connection closed before a response")]
    Closed,
}

impl From<FramingError> for ClientError {
    fn from(e: FramingError) -> ClientError {
        match e {
            FramingError::Malformed(why) => ClientError::Malformed(why),
            FramingError::BodyTooLarge => ClientError::BodyTooLarge,
            FramingError::TrailersTooLarge => ClientError::HeadTooLarge,
        }
    }
}

impl ClientError {
    /// The status a proxy would answer this with; for the CLI's messages.
    pub fn status(&self) -> u16 {
        match self {
            ClientError::Malformed(_) | ClientError::UnexpectedEof | ClientError::Closed => 502,
            ClientError::HeadTooLarge | ClientError::BodyTooLarge => 502,
            ClientError::UnsupportedTransferCoding => 501,
        }
    }
}

#[derive(Debug)]
enum Reading {
    Head,
    Body {
        response: Response,
        reader: BodyReader,
    },
}

/// One client-side HTTP/1.1 connection, sans IO: encode requests, feed the
/// bytes read, poll parsed responses (in request order).
#[derive(Debug)]
pub struct ClientConn {
    limits: Limits,
    buf: ReadBuf,
    /// For each request sent and not yet answered: was it HEAD?
    awaiting: VecDeque<bool>,
    reading: Reading,
    reusable: bool,
    peer_closed: bool,
    error: Option<ClientError>,
}

impl Default for ClientConn {
    fn default() -> Self {
        ClientConn::new()
    }
}

const STACK_HEADERS: usize = 64;

impl ClientConn {
    /// A client with the server's header limits and a 16 MiB body limit.
    pub fn new() -> ClientConn {
        ClientConn::with_limits(Limits {
            max_body_bytes: 16 * 1024 * 1024,
            ..Limits::default()
        })
    }

    /// `max_header_bytes`, `max_body_bytes`, `max_chunk_line_bytes` and
    /// `max_trailer_bytes` apply to responses; header count is capped at 64.
    pub fn with_limits(limits: Limits) -> ClientConn {
        ClientConn {
            limits,
            buf: ReadBuf::default(),
            awaiting: VecDeque::new(),
            reading: Reading::Head,
            reusable: true,
            peer_closed: false,
            error: None,
        }
    }

    /// An HTTP/1.1 request to write: request line, `Host`, `headers` (minus
    /// any `Host`, `Content-Length`, `Transfer-Encoding`, `Date`, and fields
    /// with bytes that cannot be written), `Content-Length` (always), body.
    /// The response to it is then expected from [`ClientConn::poll_response`].
    /// `method` must be a token and `target` free of spaces and controls.
    #[must_use = "the request bytes are to be written"]
    pub fn encode_request(
        &mut self,
        method: &str,
        target: &str,
        host: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + target.len() + body.len());
        writer::write_request(&mut out, method, target, host, headers, body);
        self.awaiting.push_back(method == "HEAD");
        out
    }

    /// Bytes read from the socket.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.error.is_none() {
            self.buf.extend(bytes);
        }
    }

    /// The server closed its side (a read returned 0).
    pub fn feed_eof(&mut self) {
        self.peer_closed = true;
        self.reusable = false;
    }

    /// The next complete response, `Ok(None)` if more bytes are needed.
    /// Interim (1xx) responses are skipped.
    pub fn poll_response(&mut self) -> Result<Option<Response>, ClientError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let result = self.advance();
        if let Err(e) = &result {
            self.error = Some(e.clone());
            self.reusable = false;
        }
        result
    }

    /// Whether another request may be sent on this connection: no error, the
    /// server did not close or ask to close, and no response is half read.
    pub fn is_reusable(&self) -> bool {
        self.reusable && self.error.is_none() && !self.peer_closed
    }

    /// Requests sent whose responses have not been returned yet.
    pub fn pending_responses(&self) -> usize {
        self.awaiting.len()
    }

    fn advance(&mut self) -> Result<Option<Response>, ClientError> {
        loop {
            match &mut self.reading {
                Reading::Head => match self.parse_head()? {
                    None if self.peer_closed && self.buf.is_empty() => {
                        return Err(ClientError::Closed)
                    }
                    None if self.peer_closed => return Err(ClientError::UnexpectedEof),
                    None => return Ok(None),
                    Some(next) => self.reading = next,
                },
                Reading::Body { response, reader } => {
                    let used = reader
                        .read(self.buf.unread(), &mut response.body)
                        .map_err(ClientError::from)?;
                    self.buf.consume(used);
                    let done = reader.is_done() || (reader.until_close() && self.peer_closed);
                    if !done {
                        return if self.peer_closed {
                            Err(ClientError::UnexpectedEof)
                        } else {
                            Ok(None)
                        };
                    }
                    let Reading::Body { response, .. } =
                        std::mem::replace(&mut self.reading, Reading::Head)
                    else {
                        unreachable!("matched above")
                    };
                    self.awaiting.pop_front();
                    return Ok(Some(response));
                }
            }
        }
    }

    /// Parses a response head, skipping interim responses. `None`: incomplete.
    fn parse_head(&mut self) -> Result<Option<Reading>, ClientError> {
        loop {
            let unread = self.buf.unread();
            let window = &unread[..unread.len().min(self.limits.max_header_bytes)];
            let mut headers = [httparse::EMPTY_HEADER; STACK_HEADERS];
            let mut res = httparse::Response::new(&mut headers);
            let len = match res.parse(window) {
                Ok(httparse::Status::Complete(len)) => len,
                Ok(httparse::Status::Partial) if window.len() == self.limits.max_header_bytes => {
                    return Err(ClientError::HeadTooLarge)
                }
                Ok(httparse::Status::Partial) => return Ok(None),
                Err(httparse::Error::TooManyHeaders) => return Err(ClientError::HeadTooLarge),
                Err(_) => return Err(ClientError::Malformed("invalid response head")),
            };
            let status = res.code.unwrap_or(0);
            if status == 101 {
                return Err(ClientError::Malformed("unexpected protocol switch"));
            }
            if (100..200).contains(&status) {
                self.buf.consume(len);
                continue;
            }
            let to_head = self.awaiting.front().copied().unwrap_or(false);
            let (next, reusable) = interpret(&self.limits, to_head, &res, status)?;
            self.reusable &= reusable;
            self.buf.consume(len);
            return Ok(Some(next));
        }
    }
}

/// The framing of a response head and whether the connection stays usable.
fn interpret(
    limits: &Limits,
    to_head: bool,
    res: &httparse::Response<'_, '_>,
    status: u16,
) -> Result<(Reading, bool), ClientError> {
    let named = |name: &'static str| {
        res.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    };
    let close = framing::has_token(named("connection"), "close");
    let keep_alive = match res.version {
        Some(0) => !close && framing::has_token(named("connection"), "keep-alive"),
        _ => !close,
    };
    let has_te = named("transfer-encoding").next().is_some();
    let framing = if to_head || status == 204 || status == 304 {
        Framing::Length(0)
    } else if has_te {
        match framing::transfer_coding(named("transfer-encoding")) {
            Ok(()) => Framing::Chunked,
            Err(CodingError::Malformed) => {
                return Err(ClientError::Malformed("invalid Transfer-Encoding"))
            }
            Err(CodingError::Unsupported) => return Err(ClientError::UnsupportedTransferCoding),
        }
    } else {
        match framing::content_length(named("content-length")) {
            Ok(Some(n)) if n > limits.max_body_bytes as u64 => {
                return Err(ClientError::BodyTooLarge)
            }
            Ok(Some(n)) => Framing::Length(n),
            Ok(None) => Framing::UntilClose,
            Err(LengthError::Invalid) => {
                return Err(ClientError::Malformed("invalid Content-Length"))
            }
            Err(LengthError::Overflow) => return Err(ClientError::BodyTooLarge),
        }
    };
    // A response framed by both fields was read by the coding (RFC 9112
    // §6.3 item 3), but the connection is not to be trusted after it.
    let both = has_te && named("content-length").next().is_some();
    let reusable = keep_alive && framing != Framing::UntilClose && !both;
    let headers = res
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let limits = BodyLimits {
        max_body: limits.max_body_bytes as u64,
        max_chunk_line: limits.max_chunk_line_bytes,
        max_trailer: limits.max_trailer_bytes,
    };
    let reading = Reading::Body {
        response: Response {
            status,
            headers,
            body: Vec::new(),
        },
        reader: BodyReader::new(framing, limits),
    };
    Ok((reading, reusable))
}

//! The request head: httparse checks the syntax, this module the meaning
//! (RFC 9112 §§2-6): version, limits, Host, framing, keep-alive, Expect.
//!
//! Every decision is a function of the buffered bytes only and never changes
//! once made, so that however the stream is split, the same request or error
//! comes out.

use super::error::HttpError;
use super::framing::{self, CodingError, Framing, LengthError};
use super::target::{self, TargetError};
use super::{Headers, Limits, Request, Version};

/// A complete, valid request head.
#[derive(Debug)]
pub(crate) struct Head {
    /// The request with an empty body.
    pub request: Request,
    pub framing: Framing,
    /// Whether the connection may stay open after the response.
    pub keep_alive: bool,
    /// `Expect: 100-continue` on an HTTP/1.1 request with a body.
    pub expect_continue: bool,
}

#[derive(Debug)]
pub(crate) enum HeadParse {
    /// Not complete yet; nothing wrong so far.
    Partial,
    /// The head is the first `len` bytes.
    Complete { head: Box<Head>, len: usize },
}

/// Header arrays up to this size live on the stack.
const STACK_HEADERS: usize = 128;

/// Parses the head at the start of `buf`. Only the first
/// `max_header_bytes` are looked at: a head not complete within them is too
/// large. Until then (and unless the peer has closed, `at_end`), only
/// complete lines are looked at, so that the decision depends on which lines
/// arrived, never on how the bytes were split.
pub(crate) fn parse_head(
    buf: &[u8],
    limits: &Limits,
    at_end: bool,
) -> Result<HeadParse, HttpError> {
    let window = &buf[..buf.len().min(limits.max_header_bytes)];
    let full = buf.len() >= limits.max_header_bytes;
    let view = if full || at_end {
        window
    } else {
        match window.iter().rposition(|&b| b == b'\n') {
            Some(last) => &window[..=last],
            None => return Ok(HeadParse::Partial),
        }
    };
    match parse_window(view, limits, None)? {
        HeadParse::Partial if full => Err(too_large(window, limits)),
        parsed => Ok(parsed),
    }
}

fn parse_window(
    window: &[u8],
    limits: &Limits,
    rewritten: Option<Version>,
) -> Result<HeadParse, HttpError> {
    let mut stack;
    let mut heap;
    let headers: &mut [httparse::Header<'_>] = if limits.max_headers <= STACK_HEADERS {
        stack = [httparse::EMPTY_HEADER; STACK_HEADERS];
        &mut stack[..limits.max_headers]
    } else {
        heap = vec![httparse::EMPTY_HEADER; limits.max_headers];
        &mut heap
    };
    let mut req = httparse::Request::new(headers);
    match req.parse(window) {
        Ok(httparse::Status::Complete(len)) => {
            let head = interpret(&req, limits, rewritten)?;
            Ok(HeadParse::Complete {
                head: Box::new(head),
                len,
            })
        }
        Ok(httparse::Status::Partial) => Ok(HeadParse::Partial),
        Err(httparse::Error::TooManyHeaders) => Err(HttpError::HeadersTooLarge),
        Err(httparse::Error::Version) if rewritten.is_none() => on_bad_version(window, limits),
        Err(httparse::Error::Version) => Err(HttpError::BadRequest("invalid HTTP version")),
        Err(httparse::Error::HeaderName) => Err(HttpError::BadRequest("invalid header name")),
        Err(httparse::Error::HeaderValue) => Err(HttpError::BadRequest("invalid header value")),
        Err(httparse::Error::NewLine) => Err(HttpError::BadRequest("invalid line ending")),
        Err(_) => Err(HttpError::BadRequest("invalid request line")),
    }
}

/// What a version httparse refused means.
#[derive(Debug, PartialEq, Eq)]
enum VersionClass {
    /// `HTTP/1.x`, x > 1: served as HTTP/1.1 (RFC 9110 §2.5).
    LaterMinor {
        at: usize,
    },
    /// `HTTP/d.d`, another major version.
    Unsupported,
    Malformed,
    /// Could still become any of the above.
    Incomplete,
}

fn on_bad_version(window: &[u8], limits: &Limits) -> Result<HeadParse, HttpError> {
    match classify_version(window) {
        VersionClass::LaterMinor { at } => {
            let mut copy = window.to_vec();
            copy[at..at + 8].copy_from_slice(b"HTTP/1.1");
            parse_window(&copy, limits, Some(Version::Http11))
        }
        VersionClass::Unsupported => Err(HttpError::VersionNotSupported),
        VersionClass::Malformed => Err(HttpError::BadRequest("invalid HTTP version")),
        VersionClass::Incomplete => Ok(HeadParse::Partial),
    }
}

/// Looks at the version of the request line `method SP target SP version`.
fn classify_version(window: &[u8]) -> VersionClass {
    // httparse skips empty lines before the request line; so do we.
    let start = window
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(window.len());
    let line = &window[start..];
    let mut spaces = line.iter().enumerate().filter(|(_, &b)| b == b' ');
    let Some((at, _)) = spaces.nth(1).map(|(i, b)| (i + 1, b)) else {
        return VersionClass::Malformed;
    };
    let rest = &line[at..];
    let end = rest.iter().position(|&b| b == b'\r' || b == b'\n');
    let token = &rest[..end.unwrap_or(rest.len())];
    const SHAPE: &[u8] = b"HTTP/d.d";
    let fits = token.len() <= SHAPE.len()
        && token.iter().zip(SHAPE).all(|(&b, &s)| match s {
            b'd' => b.is_ascii_digit(),
            _ => b == s,
        });
    match (fits, end) {
        (false, _) => VersionClass::Malformed,
        (true, None) => VersionClass::Incomplete,
        (true, Some(_)) if token.len() < SHAPE.len() => VersionClass::Malformed,
        (true, Some(_)) if token[5] == b'1' => VersionClass::LaterMinor { at: start + at },
        (true, Some(_)) => VersionClass::Unsupported,
    }
}

/// The error for a head that does not fit in the window.
fn too_large(window: &[u8], limits: &Limits) -> HttpError {
    let line_end = window.iter().position(|&b| b == b'\n');
    let line = &window[..line_end.unwrap_or(window.len())];
    let target_len = line.split(|&b| b == b' ').nth(1).map_or(0, <[u8]>::len);
    if line_end.is_none() || target_len > limits.max_uri_bytes {
        HttpError::UriTooLong
    } else {
        HttpError::HeadersTooLarge
    }
}

fn interpret(
    req: &httparse::Request<'_, '_>,
    limits: &Limits,
    rewritten: Option<Version>,
) -> Result<Head, HttpError> {
    let bad = HttpError::BadRequest;
    let (Some(method), Some(target), Some(minor)) = (req.method, req.path, req.version) else {
        return Err(bad("incomplete request line"));
    };
    if target.len() > limits.max_uri_bytes {
        return Err(HttpError::UriTooLong);
    }
    if !target.is_ascii() {
        return Err(bad("request target must be ASCII"));
    }
    let version = match (rewritten, minor) {
        (Some(v), _) => v,
        (None, 0) => Version::Http10,
        (None, _) => Version::Http11,
    };
    let named = |name: &'static str| {
        req.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    };

    let hosts = named("host").count();
    if hosts > 1 || (hosts == 0 && version == Version::Http11) {
        return Err(bad("exactly one Host field is required"));
    }
    if named("host").any(|value| !target::valid_host(value)) {
        return Err(bad("invalid Host"));
    }
    let target = match target::normalize(method, target) {
        Ok(target) => target,
        Err(TargetError::Invalid) => return Err(bad("invalid request target")),
        Err(TargetError::Unsupported) => return Err(HttpError::NotImplemented),
    };

    let te_fields = named("transfer-encoding").count();
    if te_fields > 1 {
        // API.md: a framing header given twice is a duplicate, whatever the values.
        return Err(bad("duplicate Transfer-Encoding"));
    }
    let has_te = te_fields == 1;
    let length = match framing::sole_content_length(named("content-length")) {
        Ok(n) => n,
        Err(LengthError::Invalid) => return Err(bad("invalid or repeated Content-Length")),
        Err(LengthError::Overflow) => return Err(HttpError::BodyTooLarge),
    };
    let framing = match (has_te, length) {
        (true, _) if version == Version::Http10 => {
            return Err(bad("Transfer-Encoding in an HTTP/1.0 request"))
        }
        (true, Some(_)) => return Err(bad("both Content-Length and Transfer-Encoding")),
        (true, None) => match framing::transfer_coding(named("transfer-encoding")) {
            Ok(()) => Framing::Chunked,
            Err(CodingError::Malformed) => return Err(bad("invalid Transfer-Encoding")),
            Err(CodingError::Unsupported) => return Err(HttpError::NotImplemented),
        },
        (false, Some(n)) if n > limits.max_body_bytes as u64 => {
            return Err(HttpError::BodyTooLarge)
        }
        (false, n) => Framing::Length(n.unwrap_or(0)),
    };

    let close = framing::has_token(named("connection"), "close");
    let keep_alive = match version {
        Version::Http11 => !close,
        Version::Http10 => !close && framing::has_token(named("connection"), "keep-alive"),
    };
    let expect_continue = version == Version::Http11
        && framing != Framing::Length(0)
        && framing::has_token(named("expect"), "100-continue");

    let request = Request {
        method: method.to_owned(),
        target: target.into_owned(),
        version,
        headers: {
            let bytes = req
                .headers
                .iter()
                .map(|h| h.name.len() + h.value.len())
                .sum();
            let mut headers = Headers::with_capacity(req.headers.len(), bytes);
            for h in req.headers.iter() {
                headers.push(h.name, h.value);
            }
            headers
        },
        body: Vec::new(),
    };
    Ok(Head {
        request,
        framing,
        keep_alive,
        expect_continue,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_versions() {
        let c = |s: &[u8]| classify_version(s);
        assert_eq!(c(b"GET / HTTP/1.2\r\n"), VersionClass::LaterMinor { at: 6 });
        assert_eq!(
            c(b"\r\nGET / HTTP/1.9\n"),
            VersionClass::LaterMinor { at: 8 }
        );
        assert_eq!(c(b"GET / HTTP/2.0\r\n"), VersionClass::Unsupported);
        assert_eq!(c(b"PRI * HTTP/2.0\r\n\r\nSM"), VersionClass::Unsupported);
        assert_eq!(c(b"GET / HTTP/2"), VersionClass::Incomplete);
        assert_eq!(c(b"GET / HTTP/2\r\n"), VersionClass::Malformed);
        assert_eq!(c(b"GET / http/1.1\r\n"), VersionClass::Malformed);
        assert_eq!(c(b"GET / HTTP/1.10\r\n"), VersionClass::Malformed);
        assert_eq!(c(b"GET /status\r\n"), VersionClass::Malformed);
    }
}

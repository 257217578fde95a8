//! Why a request was refused: each variant knows the status and the API.md
//! error code it is answered with. The server role always closes after one.

use super::Response;
use crate::error_code::ErrorCode;

/// A protocol error of the server role. Sticky: after one, the connection
/// answers it, closes, and ignores further input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// Anything malformed per RFC 9112 (the text says what).
    #[error("malformed request: {0}")]
    BadRequest(&'static str),
    /// The request target is over `Limits::max_uri_bytes`.
    #[error("request target too long")]
    UriTooLong,
    /// The header section is over `Limits::max_header_bytes` or has more than
    /// `Limits::max_headers` fields, or the trailers are over their bound.
    #[error("request header fields too large")]
    HeadersTooLarge,
    /// The body is (or is declared to be) over `Limits::max_body_bytes`.
    #[error("request body too large")]
    BodyTooLarge,
    /// A transfer coding other than `chunked`.
    #[error("transfer coding not implemented")]
    NotImplemented,
    /// A protocol version other than HTTP/1.x.
    #[error("HTTP version not supported")]
    VersionNotSupported,
    /// The request was not complete within `Limits::header_timeout`.
    #[error("request not received in time")]
    Timeout,
}

impl HttpError {
    /// The status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            HttpError::BadRequest(_) => 400,
            HttpError::UriTooLong => 414,
            HttpError::HeadersTooLarge => 431,
            HttpError::BodyTooLarge => 413,
            HttpError::NotImplemented => 501,
            HttpError::VersionNotSupported => 505,
            HttpError::Timeout => 408,
        }
    }

    /// API.md's snake_case error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            HttpError::BadRequest(_) => ErrorCode::BadRequest,
            HttpError::UriTooLong => ErrorCode::UriTooLong,
            HttpError::HeadersTooLarge => ErrorCode::HeadersTooLarge,
            HttpError::BodyTooLarge => ErrorCode::BodyTooLarge,
            HttpError::NotImplemented => ErrorCode::NotImplemented,
            HttpError::VersionNotSupported => ErrorCode::VersionNotSupported,
            HttpError::Timeout => ErrorCode::RequestTimeout,
        }
    }

    /// The JSON error response for this error.
    pub fn response(&self) -> Response {
        let mut message = self.to_string();
        if let Some(first) = message.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        message.push('.');
        Response::error(self.status(), self.code(), &message, None)
    }
}

/// A body framing error, shared by both roles and mapped by each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FramingError {
    Malformed(&'static str),
    BodyTooLarge,
    TrailersTooLarge,
}

impl From<FramingError> for HttpError {
    fn from(e: FramingError) -> HttpError {
        match e {
            FramingError::Malformed(why) => HttpError::BadRequest(why),
            FramingError::BodyTooLarge => HttpError::BodyTooLarge,
            FramingError::TrailersTooLarge => HttpError::HeadersTooLarge,
        }
    }
}

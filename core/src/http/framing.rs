//! Message body framing (RFC 9112 §6-7), shared by both roles: reading
//! `Content-Length` and `Transfer-Encoding`, and decoding a body of known
//! length or in chunked coding, incrementally, from whatever bytes are there.

use super::error::FramingError;

/// How the body of a message is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// Exactly this many bytes (0: no body).
    Length(u64),
    Chunked,
    /// Until the peer closes (responses only).
    UntilClose,
}

/// `token` characters (RFC 9110 §5.6.2).
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_ows(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !is_ows(*last) {
            break;
        }
        s = rest;
    }
    s
}

/// The elements of a comma-separated field value, OWS trimmed; empty
/// elements are kept so that callers can refuse them.
pub(crate) fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b',').map(trim_ows)
}

/// Whether any element of any of `values` equals `token` (case-insensitive).
pub(crate) fn has_token<'a>(values: impl IntoIterator<Item = &'a [u8]>, token: &str) -> bool {
    values
        .into_iter()
        .flat_map(list_elements)
        .any(|e| e.eq_ignore_ascii_case(token.as_bytes()))
}

/// Why a `Content-Length` was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LengthError {
    /// Not `1*DIGIT`, differing values, or (for the server) any repeat.
    Invalid,
    /// All digits, but more than fits in a u64.
    Overflow,
}

/// The one length declared by every `Content-Length` field and list element
/// (RFC 9112 §6.3 item 5: identical repeats are one value, anything else is
/// an error). `None` if there is no such field.
pub(crate) fn content_length<'a>(
    values: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Option<u64>, LengthError> {
    let mut found: Option<u64> = None;
    for element in values.into_iter().flat_map(list_elements) {
        if element.is_empty() || !element.iter().all(u8::is_ascii_digit) {
            return Err(LengthError::Invalid);
        }
        let n = element.iter().try_fold(0u64, |n, &d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        });
        let n = n.ok_or(LengthError::Overflow)?;
        match found {
            Some(prev) if prev != n => return Err(LengthError::Invalid),
            _ => found = Some(n),
        }
    }
    Ok(found)
}

/// The server's reading of `Content-Length`: at most one field with one
/// value. API.md counts a length given twice, as two fields or as a list,
/// even with equal values, as a duplicate framing header, where RFC 9112
/// §6.3 would let identical repeats through: a proxy in front may read the
/// repeat differently. `Ok(None)` if there is no such field.
pub(crate) fn sole_content_length<'a>(
    values: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Option<u64>, LengthError> {
    let mut elements = values.into_iter().flat_map(list_elements);
    match (elements.next(), elements.next()) {
        (None, _) => Ok(None),
        (Some(only), None) => content_length([only]),
        (Some(_), Some(_)) => Err(LengthError::Invalid),
    }
}

/// Why a `Transfer-Encoding` was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CodingError {
    /// Empty elements, non-token bytes, or `chunked` not exactly once and last.
    Malformed,
    /// Well-formed, but a coding other than `chunked` is involved.
    Unsupported,
}

/// Checks that the transfer codings are exactly `chunked` (RFC 9112 §6.1,
/// §7): it must be present once, as the final coding; we implement no other.
pub(crate) fn transfer_coding<'a>(
    values: impl IntoIterator<Item = &'a [u8]>,
) -> Result<(), CodingError> {
    let mut codings = 0usize;
    let mut chunked_at = None;
    let mut other = false;
    for element in values.into_iter().flat_map(list_elements) {
        let name = element.split(|&b| b == b';').next().unwrap_or(b"");
        let name = trim_ows(name);
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return Err(CodingError::Malformed);
        }
        if name.eq_ignore_ascii_case(b"chunked") {
            if chunked_at.is_some() || name.len() != element.len() {
                return Err(CodingError::Malformed);
            }
            chunked_at = Some(codings);
        } else {
            other = true;
        }
        codings += 1;
    }
    match chunked_at {
        Some(at) if at + 1 != codings => Err(CodingError::Malformed),
        _ if other => Err(CodingError::Unsupported),
        Some(_) => Ok(()),
        None => Err(CodingError::Malformed),
    }
}

/// Bounds for a body decoder.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BodyLimits {
    pub max_body: u64,
    pub max_chunk_line: usize,
    pub max_trailer: usize,
}

/// Incremental body decoder: feed it the unread input, it moves decoded body
/// bytes out and says how much input it used.
#[derive(Clone, Debug)]
pub(crate) struct BodyReader {
    kind: Kind,
    limits: BodyLimits,
}

#[derive(Clone, Debug)]
enum Kind {
    Length { remaining: u64 },
    Chunked(Chunk),
    UntilClose,
}

/// Where the chunked decoder is, byte by byte.
#[derive(Clone, Copy, Debug)]
enum Chunk {
    /// In a chunk-size line; `line` counts its bytes so far.
    Size {
        size: u64,
        digits: usize,
        line: usize,
        at: SizeLine,
    },
    Data {
        remaining: u64,
    },
    DataCr,
    DataLf,
    /// After the last chunk; `total` counts trailer bytes.
    Trailer {
        total: usize,
        at: TrailerLine,
    },
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SizeLine {
    Digits,
    /// Whitespace after the size: only `;` may follow (BWS before an extension).
    Space,
    /// After `;`: optional whitespace, then the extension's name.
    ExtName,
    /// In an extension, after the first byte of its name.
    Ext,
    Quoted,
    QuotedEscape,
    Cr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TrailerLine {
    Start,
    Name,
    Value,
    Cr,
    FinalCr,
}

const NEW_SIZE_LINE: Chunk = Chunk::Size {
    size: 0,
    digits: 0,
    line: 0,
    at: SizeLine::Digits,
};

fn is_ctl(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

impl BodyReader {
    pub(crate) fn new(framing: Framing, limits: BodyLimits) -> BodyReader {
        let kind = match framing {
            Framing::Length(n) => Kind::Length { remaining: n },
            Framing::Chunked => Kind::Chunked(NEW_SIZE_LINE),
            Framing::UntilClose => Kind::UntilClose,
        };
        BodyReader { kind, limits }
    }

    /// Whether the whole body has been read.
    pub(crate) fn is_done(&self) -> bool {
        matches!(
            self.kind,
            Kind::Length { remaining: 0 } | Kind::Chunked(Chunk::Done)
        )
    }

    /// Whether the body ends when the peer closes.
    pub(crate) fn until_close(&self) -> bool {
        matches!(self.kind, Kind::UntilClose)
    }

    /// Decodes from `input` into `body`, which holds this body's bytes decoded
    /// so far (and nothing else); returns the input bytes used. Stops at the
    /// end of the body, leaving any following bytes unread.
    pub(crate) fn read(&mut self, input: &[u8], body: &mut Vec<u8>) -> Result<usize, FramingError> {
        let used = match &mut self.kind {
            Kind::Length { remaining } => {
                let take = input
                    .len()
                    .min(usize::try_from(*remaining).unwrap_or(usize::MAX));
                body.extend_from_slice(&input[..take]);
                *remaining -= take as u64;
                take
            }
            Kind::UntilClose => {
                if (body.len() + input.len()) as u64 > self.limits.max_body {
                    return Err(FramingError::BodyTooLarge);
                }
                body.extend_from_slice(input);
                input.len()
            }
            Kind::Chunked(state) => {
                let mut used = 0;
                while used < input.len() && !matches!(state, Chunk::Done) {
                    if let Chunk::Data { remaining } = state {
                        let rest = &input[used..];
                        let take = rest
                            .len()
                            .min(usize::try_from(*remaining).unwrap_or(usize::MAX));
                        body.extend_from_slice(&rest[..take]);
                        *remaining -= take as u64;
                        used += take;
                        if *remaining == 0 {
                            *state = Chunk::DataCr;
                        }
                        continue;
                    }
                    *state = chunk_byte(*state, input[used], body.len() as u64, &self.limits)?;
                    used += 1;
                }
                used
            }
        };
        Ok(used)
    }
}

/// One byte of chunked framing outside chunk data.
fn chunk_byte(
    state: Chunk,
    b: u8,
    decoded: u64,
    limits: &BodyLimits,
) -> Result<Chunk, FramingError> {
    use FramingError::Malformed;
    Ok(match state {
        Chunk::Size {
            size,
            digits,
            line,
            at,
        } => {
            let line = line + 1;
            if line > limits.max_chunk_line {
                return Err(Malformed("chunk-size line too long"));
            }
            let next = |at| Chunk::Size {
                size,
                digits,
                line,
                at,
            };
            match (at, b) {
                (SizeLine::Digits, _) if b.is_ascii_hexdigit() => {
                    let d = (b as char).to_digit(16).unwrap_or(0);
                    let size = size
                        .checked_mul(16)
                        .and_then(|s| s.checked_add(u64::from(d)))
                        .ok_or(Malformed("chunk size overflows"))?;
                    Chunk::Size {
                        size,
                        digits: digits + 1,
                        line,
                        at,
                    }
                }
                (SizeLine::Digits, _) if digits == 0 => {
                    return Err(Malformed("invalid chunk size"))
                }
                (SizeLine::Digits | SizeLine::Space, b' ' | b'\t') => next(SizeLine::Space),
                (SizeLine::Digits | SizeLine::Space | SizeLine::Ext, b';') => {
                    next(SizeLine::ExtName)
                }
                // Each extension starts with a name (a token) after optional BWS.
                (SizeLine::ExtName, b' ' | b'\t') => next(SizeLine::ExtName),
                (SizeLine::ExtName, _) if is_tchar(b) => next(SizeLine::Ext),
                (SizeLine::Digits | SizeLine::Ext, b'\r') => next(SizeLine::Cr),
                (SizeLine::Ext, b'"') => next(SizeLine::Quoted),
                (SizeLine::Ext, _) if !is_ctl(b) => next(SizeLine::Ext),
                (SizeLine::Quoted, b'"') => next(SizeLine::Ext),
                (SizeLine::Quoted, b'\\') => next(SizeLine::QuotedEscape),
                (SizeLine::Quoted | SizeLine::QuotedEscape, _) if !is_ctl(b) => {
                    next(SizeLine::Quoted)
                }
                (SizeLine::Cr, b'\n') if size == 0 => Chunk::Trailer {
                    total: 0,
                    at: TrailerLine::Start,
                },
                (SizeLine::Cr, b'\n') => {
                    if decoded.saturating_add(size) > limits.max_body {
                        return Err(FramingError::BodyTooLarge);
                    }
                    Chunk::Data { remaining: size }
                }
                _ => return Err(Malformed("invalid chunk-size line")),
            }
        }
        Chunk::DataCr if b == b'\r' => Chunk::DataLf,
        Chunk::DataLf if b == b'\n' => NEW_SIZE_LINE,
        Chunk::DataCr | Chunk::DataLf => return Err(Malformed("chunk data not followed by CRLF")),
        Chunk::Trailer { total, at } => {
            let total = total + 1;
            if total > limits.max_trailer {
                return Err(FramingError::TrailersTooLarge);
            }
            let at = match (at, b) {
                (TrailerLine::Start, b'\r') => TrailerLine::FinalCr,
                (TrailerLine::Start, _) if is_tchar(b) => TrailerLine::Name,
                (TrailerLine::Name, b':') => TrailerLine::Value,
                (TrailerLine::Name, _) if is_tchar(b) => TrailerLine::Name,
                (TrailerLine::Value, b'\r') => TrailerLine::Cr,
                (TrailerLine::Value, _) if !is_ctl(b) => TrailerLine::Value,
                (TrailerLine::Cr, b'\n') => TrailerLine::Start,
                (TrailerLine::FinalCr, b'\n') => return Ok(Chunk::Done),
                _ => return Err(Malformed("invalid trailer section")),
            };
            Chunk::Trailer { total, at }
        }
        Chunk::Data { .. } | Chunk::Done => state,
    })
}

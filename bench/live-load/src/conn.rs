//! A client connection to the server: requests written whole, responses read
//! with their arrival times (see `stamp`). Just enough HTTP/1.1 for the
//! server's own answers: a status line, headers, a `Content-Length` body or
//! a chunked stream that the caller reads on its own.

use crate::stamp;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use tokio::io::{AsyncWriteExt, Interest};
use tokio::net::TcpStream;

/// Read per `recvmsg`.
const READ: usize = 4096;

/// When bytes arrived: the kernel's stamp (absent if it gave none) and the
/// generator's clock once `recvmsg` returned, both ns since the epoch.
#[derive(Clone, Copy, Debug)]
pub struct Arrival {
    pub kernel: Option<i64>,
    pub app: i64,
}

/// A whole response with a `Content-Length` body.
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    /// The read that completed its head.
    pub arrival: Arrival,
}

pub struct Conn {
    stream: TcpStream,
    /// Read and not yet consumed.
    pub buf: Vec<u8>,
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        stamp::enable(stream.as_raw_fd())?;
        Ok(Conn {
            stream,
            buf: Vec::new(),
        })
    }

    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await
    }

    /// Reads once more, appending to `buf`: the byte count (0 at EOF) and
    /// when they arrived. Cancel-safe: nothing is read until it returns.
    pub async fn fill(&mut self) -> io::Result<(usize, Arrival)> {
        self.buf.reserve(READ);
        let fd = self.stream.as_raw_fd();
        loop {
            self.stream.readable().await?;
            let spare = self.buf.spare_capacity_mut();
            match self
                .stream
                .try_io(Interest::READABLE, || stamp::recv(fd, spare))
            {
                Ok((n, kernel)) => {
                    let app = stamp::wall_ns();
                    let len = self.buf.len();
                    // SAFETY: recvmsg initialized the first `n` spare bytes.
                    unsafe { self.buf.set_len(len + n) };
                    return Ok((n, Arrival { kernel, app }));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads up to the end of a response head and takes it out of `buf`
    /// (what follows stays there): its status, its `Content-Length` if any,
    /// and when the read that completed it arrived.
    pub async fn head(&mut self) -> io::Result<(u16, Option<usize>, Arrival)> {
        let mut arrival = None;
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buf[..end])
                    .map_err(|_| bad("a response head that is not UTF-8"))?;
                let status = head
                    .get(9..12)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| bad("no status code"))?;
                let length = head.lines().find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                });
                self.buf.drain(..end + 4);
                let arrival = arrival.unwrap_or(Arrival {
                    kernel: None,
                    app: stamp::wall_ns(),
                });
                return Ok((status, length, arrival));
            }
            let (n, at) = self.fill().await?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            arrival = Some(at);
        }
    }

    /// Reads a whole response with a `Content-Length` body.
    pub async fn response(&mut self) -> io::Result<Response> {
        let (status, length, arrival) = self.head().await?;
        let length = length.ok_or_else(|| bad("no Content-Length"))?;
        while self.buf.len() < length {
            if self.fill().await?.0 == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        let body = self.buf.drain(..length).collect();
        Ok(Response {
            status,
            body,
            arrival,
        })
    }

    /// Sends a request and reads its response.
    pub async fn call(&mut self, request: &[u8]) -> io::Result<Response> {
        self.send(request).await?;
        self.response().await
    }
}

/// `GET path`, with a bearer token and, for a stream, `Accept: text/event-stream`.
pub fn get(path: &str, token: &str, stream: bool) -> Vec<u8> {
    let accept = if stream {
        "Accept: text/event-stream\r\n"
    } else {
        ""
    };
    format!("GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n{accept}\r\n")
        .into_bytes()
}

/// `POST path` with a JSON body, and a bearer token if given.
pub fn post(path: &str, token: Option<&str>, body: &str) -> Vec<u8> {
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    format!(
        "POST {path} HTTP/1.1\r\nHost: bench\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut from = 0;
    while let Some(at) = haystack[from..].iter().position(|&b| b == first) {
        let start = from + at;
        if haystack[start + 1..].starts_with(rest) {
            return Some(start);
        }
        from = start + 1;
    }
    None
}

/// The unsigned integer right after `key` (e.g. `"next":`) in a JSON body.
pub fn number_after(body: &[u8], key: &[u8]) -> Option<u64> {
    let start = find(body, key)? + key.len();
    let digits = body[start..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    std::str::from_utf8(&body[start..start + digits])
        .ok()?
        .parse()
        .ok()
}

/// The string right after `key` (e.g. `"token":"`), up to the next quote.
pub fn string_after(body: &[u8], key: &[u8]) -> Option<String> {
    let start = find(body, key)? + key.len();
    let len = body[start..].iter().position(|&b| b == b'"')?;
    String::from_utf8(body[start..start + len].to_vec()).ok()
}

pub fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_found_in_json_bodies() {
        let body = br#"{"info":"message sent","message_id":42,"pub_date":"x"}"#;
        assert_eq!(number_after(body, b"\"message_id\":"), Some(42));
        assert_eq!(number_after(body, b"\"next\":"), None);
        let body = br#"{"token":"00ff","user_name":"a"}"#;
        assert_eq!(string_after(body, b"\"token\":\"").as_deref(), Some("00ff"));
    }

    #[test]
    fn find_restarts_after_a_partial_match() {
        assert_eq!(find(b"aab", b"ab"), Some(1));
        assert_eq!(
            find(b"xx\"message\":{\"id\":9", b"\"message\":{\"id\":"),
            Some(2)
        );
        assert_eq!(find(b"a", b"ab"), None);
        assert_eq!(find(b"", b"a"), None);
    }
}

//! One vector's TCP connection, as the vector runner sees it: writes that
//! stop at the first error, bytes read the whole time by a thread of their
//! own (so an early answer is caught before the server resets the
//! connection), and responses parsed from them with every wait bounded.
//! Written here from RFC 9112, independent of the server's HTTP code.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// A stalled write, or a reader left behind, gives up after this.
const STALL: Duration = Duration::from_secs(30);

enum Incoming {
    Bytes(Vec<u8>),
    Eof,
    Reset,
}

pub struct Wire {
    stream: TcpStream,
    incoming: Receiver<Incoming>,
    /// Bytes read and not yet parsed.
    buf: Vec<u8>,
    /// The peer closed (FIN) or reset the connection.
    pub eof: bool,
    pub send_error: Option<String>,
}

impl Wire {
    pub fn connect(addr: SocketAddr) -> io::Result<Wire> {
        let stream = TcpStream::connect_timeout(&addr, STALL)?;
        stream.set_nodelay(true)?;
        stream.set_write_timeout(Some(STALL))?;
        let mut reader = stream.try_clone()?;
        reader.set_read_timeout(Some(STALL))?;
        let (tx, incoming) = mpsc::channel();
        // Ends at EOF, on an error, or when `Drop` shuts the socket down.
        std::thread::spawn(move || {
            let mut chunk = vec![0u8; 64 * 1024];
            loop {
                let event = match reader.read(&mut chunk) {
                    Ok(0) => Incoming::Eof,
                    Ok(n) => Incoming::Bytes(chunk[..n].to_vec()),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Incoming::Reset,
                    Err(_) => Incoming::Eof,
                };
                let last = !matches!(event, Incoming::Bytes(_));
                if tx.send(event).is_err() || last {
                    return;
                }
            }
        });
        Ok(Wire {
            stream,
            incoming,
            buf: Vec::new(),
            eof: false,
            send_error: None,
        })
    }

    /// Waits until more bytes or EOF arrive, or `deadline`; false on timeout
    /// (and once EOF was seen).
    pub fn wait_data(&mut self, deadline: Instant) -> bool {
        if self.eof {
            return false;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match self.incoming.recv_timeout(left) {
            Ok(Incoming::Bytes(bytes)) => self.buf.extend_from_slice(&bytes),
            Ok(Incoming::Eof | Incoming::Reset) | Err(RecvTimeoutError::Disconnected) => {
                self.eof = true
            }
            Err(RecvTimeoutError::Timeout) => return false,
        }
        true
    }

    /// Writes all of `bytes`; false (with `send_error` set) once a write failed.
    pub fn send(&mut self, bytes: &[u8]) -> bool {
        if self.send_error.is_some() {
            return false;
        }
        match self.stream.write_all(bytes) {
            Ok(()) => true,
            Err(e) => {
                self.send_error = Some(format!("send failed: {e}"));
                false
            }
        }
    }

    pub fn half_close(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// Waits up to `deadline` for one more chunk or EOF: data may be in flight.
    pub fn settle(&mut self, deadline: Instant) {
        while self.wait_data(deadline) {}
    }

    /// Reads one response: `Ok(None)` if nothing arrived before EOF or the
    /// deadline, `Err` for bytes that are not a response or are cut short.
    pub fn read_response(
        &mut self,
        deadline: Instant,
        to_head: bool,
    ) -> Result<Option<Response>, String> {
        loop {
            while self.buf.starts_with(b"\r\n") {
                self.buf.drain(..2);
            }
            if !self.buf.is_empty() {
                break;
            }
            if !self.wait_data(deadline) {
                return Ok(None);
            }
        }
        while self.buf.len() < 5 && self.wait_data(deadline) {}
        if !self.buf.starts_with(b"HTTP/") {
            return Err(format!("not an HTTP/1.x response: {:?}", self.show(60)));
        }
        let end = self
            .until(b"\r\n\r\n", deadline, 256 * 1024)?
            .ok_or_else(|| format!("response head cut short: {:?}", self.show(80)))?;
        let head: Vec<u8> = self.buf.drain(..end).collect();
        let mut response = parse_head(&head[..end - 4])?;
        let status = response.status;
        if (100..200).contains(&status) || status == 204 || status == 304 || to_head {
            return Ok(Some(response));
        }
        let chunked = response.header("transfer-encoding").is_some_and(|te| {
            te.rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
        });
        response.body = if chunked {
            self.chunked_body(deadline)?
        } else if let Some(length) = response.header("content-length") {
            let n: usize = length
                .trim()
                .parse()
                .map_err(|_| format!("bad Content-Length {length:?}"))?;
            while self.buf.len() < n {
                if !self.wait_data(deadline) {
                    return Err(format!("body cut short: {} of {n} bytes", self.buf.len()));
                }
            }
            self.buf.drain(..n).collect()
        } else {
            while self.wait_data(deadline) {}
            if !self.eof {
                return Err("close-delimited body not closed in time".into());
            }
            std::mem::take(&mut self.buf)
        };
        Ok(Some(response))
    }

    /// The offset just past the first `marker`, waiting for bytes; `None`
    /// on EOF or at the deadline.
    fn until(
        &mut self,
        marker: &[u8],
        deadline: Instant,
        limit: usize,
    ) -> Result<Option<usize>, String> {
        let mut from = 0;
        loop {
            if let Some(at) = find(&self.buf[from..], marker) {
                return Ok(Some(from + at + marker.len()));
            }
            if self.buf.len() > limit {
                return Err(format!("no {marker:?} within {limit} bytes"));
            }
            from = self.buf.len().saturating_sub(marker.len() - 1);
            if !self.wait_data(deadline) {
                return Ok(None);
            }
        }
    }

    fn chunked_body(&mut self, deadline: Instant) -> Result<Vec<u8>, String> {
        let mut body = Vec::new();
        loop {
            let end = self
                .until(b"\r\n", deadline, 64 * 1024)?
                .ok_or("chunk-size line cut short")?;
            let line: Vec<u8> = self.buf.drain(..end).collect();
            let size = String::from_utf8_lossy(&line[..end - 2]);
            let size = size.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size, 16)
                .map_err(|_| format!("bad chunk-size line {size:?}"))?;
            if size == 0 {
                // The trailer section, up to an empty line.
                loop {
                    let end = self
                        .until(b"\r\n", deadline, 64 * 1024)?
                        .ok_or("trailer section cut short")?;
                    self.buf.drain(..end);
                    if end == 2 {
                        return Ok(body);
                    }
                }
            }
            while self.buf.len() < size + 2 {
                if !self.wait_data(deadline) {
                    return Err("chunk data cut short".into());
                }
            }
            if &self.buf[size..size + 2] != b"\r\n" {
                return Err("chunk data not followed by CRLF".into());
            }
            body.extend(self.buf.drain(..size + 2).take(size));
        }
    }

    fn show(&self, n: usize) -> String {
        String::from_utf8_lossy(&self.buf[..self.buf.len().min(n)]).into_owned()
    }
}

impl Drop for Wire {
    fn drop(&mut self) {
        // Wakes the reader thread, which then ends.
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// One response as read.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Names in lower case, values trimmed, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// Every value of the field `name` (lower case), joined by commas.
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }
}

/// `HTTP/d.d SP 3DIGIT [SP reason]`, then `name: value` lines.
fn parse_head(head: &[u8]) -> Result<Response, String> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let status = parts.next().unwrap_or("");
    let version_ok = version.len() == 8
        && version.starts_with("HTTP/")
        && version.as_bytes()[5].is_ascii_digit()
        && version.as_bytes()[6] == b'.'
        && version.as_bytes()[7].is_ascii_digit();
    let status = match status.parse::<u16>() {
        Ok(s) if version_ok && status.len() == 3 => s,
        _ => return Err(format!("bad status line {status_line:?}")),
    };
    let headers = lines
        .map(|line| {
            line.split_once(':')
                .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .ok_or_else(|| format!("bad header line {line:?}"))
        })
        .collect::<Result<_, _>>()?;
    Ok(Response {
        status,
        headers,
        body: Vec::new(),
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

//! A `text/event-stream` reader for the tests, written here: it opens
//! `GET /events` with `Accept: text/event-stream`, decodes the chunked body as
//! it comes and splits it into frames.

use crate::harness::IO_TIMEOUT;
use serde_json::Value;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// One frame of the stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Event {
        id: i64,
        event: String,
        data: Value,
    },
    /// A comment line (`: ping`).
    Comment(String),
}

pub struct SseStream {
    stream: TcpStream,
    /// Raw bytes read and not yet decoded.
    raw: Vec<u8>,
    /// Decoded body bytes not yet split into frames.
    body: Vec<u8>,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The final chunk arrived (or the connection closed).
    pub ended: bool,
}

impl SseStream {
    /// Opens a stream for `token`, resuming after `last_event_id` or `since`
    /// when given.
    pub fn open(
        addr: SocketAddr,
        token: &str,
        last_event_id: Option<i64>,
        since: Option<i64>,
    ) -> SseStream {
        let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect");
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        let target = match since {
            Some(since) => format!("/events?since={since}"),
            None => "/events".to_owned(),
        };
        let mut request = format!(
            "GET {target} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n"
        );
        if let Some(id) = last_event_id {
            request.push_str(&format!("Last-Event-ID: {id}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).expect("write request");
        let mut sse = SseStream {
            stream,
            raw: Vec::new(),
            body: Vec::new(),
            status: 0,
            headers: Vec::new(),
            ended: false,
        };
        sse.read_head();
        sse
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        crate::client::header(&self.headers, name)
    }

    fn fill(&mut self, deadline: Instant) -> bool {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        self.stream.set_read_timeout(Some(left)).unwrap();
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => {
                self.ended = true;
                false
            }
            Ok(n) => {
                self.raw.extend_from_slice(&chunk[..n]);
                true
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
            Err(_) => {
                self.ended = true;
                false
            }
        }
    }

    fn read_head(&mut self) {
        let deadline = Instant::now() + IO_TIMEOUT;
        let end = loop {
            if let Some(i) = find(&self.raw, b"\r\n\r\n") {
                break i;
            }
            assert!(self.fill(deadline), "no response head");
        };
        let head = String::from_utf8(self.raw[..end].to_vec()).unwrap();
        self.raw.drain(..end + 4);
        let mut lines = head.split("\r\n");
        self.status = lines.next().unwrap()[9..12].parse().unwrap();
        self.headers = lines
            .map(|line| {
                let (n, v) = line.split_once(':').unwrap();
                (n.to_owned(), v.trim().to_owned())
            })
            .collect();
        if self.header("transfer-encoding").is_none() {
            // Not a stream: the body is there by length.
            let length: usize = self.header("content-length").unwrap().parse().unwrap();
            while self.raw.len() < length {
                assert!(self.fill(deadline), "body cut short");
            }
            self.body = self.raw.drain(..length).collect();
            self.ended = true;
        }
    }

    /// Decodes the complete chunks that arrived.
    fn decode(&mut self) {
        while !self.ended || !self.raw.is_empty() {
            let Some(line_end) = find(&self.raw, b"\r\n") else {
                return;
            };
            let size_text = std::str::from_utf8(&self.raw[..line_end]).unwrap();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap(), 16).unwrap();
            if size == 0 {
                if self.raw.len() >= line_end + 4 {
                    self.raw.drain(..line_end + 4);
                    self.ended = true;
                }
                return;
            }
            if self.raw.len() < line_end + 2 + size + 2 {
                return;
            }
            let start = line_end + 2;
            self.body.extend_from_slice(&self.raw[start..start + size]);
            self.raw.drain(..start + size + 2);
        }
    }

    /// The next frame within `wait`; `None` when the stream ended or nothing
    /// came.
    pub fn next_frame(&mut self, wait: Duration) -> Option<Frame> {
        let deadline = Instant::now() + wait;
        loop {
            self.decode();
            if let Some(end) = find(&self.body, b"\n\n") {
                let text = String::from_utf8(self.body[..end].to_vec()).unwrap();
                self.body.drain(..end + 2);
                return Some(parse_frame(&text));
            }
            if self.ended {
                return None;
            }
            // On EOF `ended` is set and the loop decodes what is left.
            if !self.fill(deadline) && !self.ended {
                return None;
            }
        }
    }

    /// The next event frame within `wait`, skipping comments.
    pub fn next_event(&mut self, wait: Duration) -> Option<(i64, String, Value)> {
        let deadline = Instant::now() + wait;
        loop {
            match self.next_frame(deadline.saturating_duration_since(Instant::now()))? {
                Frame::Event { id, event, data } => return Some((id, event, data)),
                Frame::Comment(_) => {}
            }
        }
    }

    /// Whether the stream ends (final chunk or close) within `wait`, after
    /// whatever frames are still coming.
    pub fn ends_within(&mut self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if self
                .next_frame(deadline.saturating_duration_since(Instant::now()))
                .is_none()
            {
                return self.ended;
            }
        }
        self.ended
    }
}

fn parse_frame(text: &str) -> Frame {
    if let Some(comment) = text.strip_prefix(':') {
        return Frame::Comment(comment.trim().to_owned());
    }
    let mut id = None;
    let mut event = None;
    let mut data = None;
    for line in text.lines() {
        let (field, value) = line.split_once(": ").unwrap_or((line, ""));
        match field {
            "id" => id = Some(value.parse().expect("numeric id")),
            "event" => event = Some(value.to_owned()),
            "data" => data = Some(serde_json::from_str(value).expect("JSON data on one line")),
            other => panic!("unexpected field {other:?} in {text:?}"),
        }
    }
    Frame::Event {
        id: id.expect("an id"),
        event: event.expect("an event type"),
        data: data.expect("data"),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

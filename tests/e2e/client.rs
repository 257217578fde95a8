//! A small keep-alive HTTP/1.1 client written for the tests, independent of the
//! server's own HTTP code: every read is bounded by [`IO_TIMEOUT`].

use crate::harness::IO_TIMEOUT;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One response as read off the wire.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The value of the first of `headers` named `name` (case-insensitive): a
/// reply's or a stream's head.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body of {} is not JSON ({e}): {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Asserts the status (showing the body if it differs) and returns the JSON.
    pub fn expect(&self, status: u16) -> Value {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body {:?}",
            String::from_utf8_lossy(&self.body)
        );
        self.json()
    }

    /// Asserts an API.md error object with this status and code.
    pub fn expect_error(&self, status: u16, code: &str) -> Value {
        let body = self.expect(status);
        assert_eq!(body["code"], code, "body {body}");
        assert!(
            body["error"].is_string() || body["warning"].is_string(),
            "body {body}"
        );
        body
    }
}

/// The bytes of a request with a JSON body.
pub fn request_bytes(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    if !body.is_empty() || method == "POST" {
        head.push_str("Content-Type: application/json\r\n");
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// A keep-alive HTTP/1.1 client over one socket.
pub struct Client {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect");
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    /// Writes without asserting: for tests where the server may be gone.
    pub fn stream_write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Reads one final response; `None` on EOF, reset, timeout or garbage.
    pub fn try_read_reply(&mut self) -> Option<Reply> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.read_reply()))
            .ok()
            .flatten()
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write request");
    }

    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        self.send_raw(&request_bytes(method, path, token, body));
        self.read_reply().expect("a response")
    }

    pub fn post(&mut self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request("POST", path, token, Some(&body))
    }

    pub fn get(&mut self, path: &str, token: Option<&str>) -> Reply {
        self.request("GET", path, token, None)
    }

    /// Issues a token for `name`, asserting success; returns the token.
    pub fn token(&mut self, name: &str) -> String {
        let body = self
            .post("/get-token", None, serde_json::json!({ "user_name": name }))
            .expect(200);
        body["token"].as_str().expect("token string").to_owned()
    }

    fn fill(&mut self) -> std::io::Result<usize> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk)?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Reads one final response (1xx responses are skipped). `None` if the
    /// connection closed before any byte of it.
    pub fn read_reply(&mut self) -> Option<Reply> {
        loop {
            let reply = self.read_any()?;
            if reply.status >= 200 {
                return Some(reply);
            }
        }
    }

    /// Reads one response, interim ones included.
    pub fn read_any(&mut self) -> Option<Reply> {
        self.read_response(true)
    }

    /// Reads the response to a HEAD request: its head only, whatever its
    /// Content-Length says.
    pub fn read_head_reply(&mut self) -> Option<Reply> {
        self.read_response(false)
    }

    fn read_response(&mut self, with_body: bool) -> Option<Reply> {
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            match self.fill() {
                Ok(0) if self.buf.is_empty() => return None,
                Ok(0) => panic!(
                    "connection closed inside a response head: {:?}",
                    String::from_utf8_lossy(&self.buf)
                ),
                Ok(_) => {}
                Err(e)
                    if self.buf.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset =>
                {
                    return None
                }
                Err(e) => panic!("reading a response: {e}"),
            }
        };
        let head = String::from_utf8(self.buf[..head_end].to_vec()).expect("ASCII response head");
        self.buf.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        assert!(
            status_line.starts_with("HTTP/1.1 "),
            "status line {status_line:?}"
        );
        let status: u16 = status_line[9..12].parse().expect("status code");
        let headers: Vec<(String, String)> = lines
            .map(|line| {
                let (name, value) = line.split_once(':').expect("header line has a colon");
                (name.to_owned(), value.trim().to_owned())
            })
            .collect();
        let mut reply = Reply {
            status,
            headers,
            body: Vec::new(),
        };
        // 1xx, 204 and 304 never have a body (RFC 9112 §6.3).
        if !with_body || status < 200 || status == 204 || status == 304 {
            return Some(reply);
        }
        let length: usize = reply
            .header("content-length")
            .expect("every response has Content-Length")
            .parse()
            .expect("numeric Content-Length");
        while self.buf.len() < length {
            if self.fill().expect("reading a response body") == 0 {
                panic!("connection closed inside a body");
            }
        }
        reply.body = self.buf.drain(..length).collect();
        Some(reply)
    }

    /// Whether the server closes the connection (EOF or reset) within `wait`,
    /// with no further bytes.
    pub fn closed_within(&mut self, wait: Duration) -> bool {
        self.stream.set_read_timeout(Some(wait)).unwrap();
        let mut byte = [0u8; 1];
        let closed = match self.stream.read(&mut byte) {
            Ok(0) => true,
            Ok(_) => panic!("unexpected bytes after the last response"),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                false
            }
            Err(_) => true,
        };
        self.stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        closed && self.buf.is_empty()
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

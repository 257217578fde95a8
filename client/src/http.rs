//! One keep-alive HTTP connection to the server: core's client-role machine
//! over a blocking `std::net::TcpStream`, with a timeout on every read and
//! write, and one reconnect when the server closed a socket we reused.

use crate::server_url::ServerUrl;
use agora_core::http::{ClientConn, ClientError, Response};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Why no response came back. Each is "server unreachable" for the CLI.
#[derive(Debug)]
pub enum HttpError {
    Connect(String),
    Io(io::Error),
    TimedOut,
    Protocol(ClientError),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Connect(why) => write!(f, "{why}"),
            HttpError::Io(e) => write!(f, "connection failed: {e}"),
            HttpError::TimedOut => write!(f, "the server did not answer in time"),
            HttpError::Protocol(e) => write!(f, "unreadable answer from the server: {e}"),
        }
    }
}

/// A request failure, and whether any response byte had arrived: only a
/// failure before the first byte on a reused socket is retried.
struct AttemptError {
    error: HttpError,
    got_bytes: bool,
}

pub struct Connection {
    server: ServerUrl,
    timeout: Duration,
    stream: Option<TcpStream>,
    conn: ClientConn,
}

impl Connection {
    /// No socket is opened until the first request.
    pub fn new(server: ServerUrl, timeout: Duration) -> Connection {
        Connection {
            server,
            timeout,
            stream: None,
            conn: ClientConn::new(),
        }
    }

    pub fn server(&self) -> &ServerUrl {
        &self.server
    }

    /// Sends one request and waits for its response.
    pub fn request(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Response, HttpError> {
        if !self.conn.is_reusable() {
            self.stream = None;
        }
        let reused = self.stream.is_some();
        let result = match self.attempt(method, target, headers, body) {
            // The server may close an idle keep-alive socket just as we
            // write on it; it then never saw the request, so one retry on a
            // fresh socket is safe.
            Err(e) if reused && !e.got_bytes => {
                self.stream = None;
                self.attempt(method, target, headers, body)
            }
            other => other,
        };
        result.map_err(|e| {
            self.stream = None;
            e.error
        })
    }

    fn attempt(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Response, AttemptError> {
        let fail = |error, got_bytes| AttemptError { error, got_bytes };
        if self.stream.is_none() {
            let stream = open(&self.server, self.timeout).map_err(|e| fail(e, false))?;
            self.stream = Some(stream);
            self.conn = ClientConn::new();
        }
        let stream = self.stream.as_mut().expect("opened above");
        let authority = self.server.authority();
        let bytes = self
            .conn
            .encode_request(method, target, &authority, headers, body);
        stream
            .write_all(&bytes)
            .and_then(|()| stream.flush())
            .map_err(|e| fail(io_error(e), false))?;
        let mut got_bytes = false;
        let mut buf = [0u8; 16 * 1024];
        loop {
            match self.conn.poll_response() {
                Ok(Some(response)) => return Ok(response),
                Ok(None) => {}
                Err(ClientError::Closed) => {
                    let closed = io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection",
                    );
                    return Err(fail(HttpError::Io(closed), got_bytes));
                }
                Err(e) => return Err(fail(HttpError::Protocol(e), got_bytes)),
            }
            match stream.read(&mut buf) {
                Ok(0) => self.conn.feed_eof(),
                Ok(n) => {
                    got_bytes = true;
                    self.conn.feed(&buf[..n]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(fail(io_error(e), got_bytes)),
            }
        }
    }
}

fn io_error(e: io::Error) -> HttpError {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => HttpError::TimedOut,
        _ => HttpError::Io(e),
    }
}

/// Connects to the first address of `server` that accepts, with timeouts set.
fn open(server: &ServerUrl, timeout: Duration) -> Result<TcpStream, HttpError> {
    let cannot = |why: String| HttpError::Connect(format!("cannot reach {server}: {why}"));
    let addresses = (server.host.as_str(), server.port)
        .to_socket_addrs()
        .map_err(|e| cannot(e.to_string()))?;
    let mut last = None;
    for address in addresses {
        match TcpStream::connect_timeout(&address, timeout) {
            Ok(stream) => {
                let configured = stream
                    .set_read_timeout(Some(timeout))
                    .and_then(|()| stream.set_write_timeout(Some(timeout)))
                    .and_then(|()| stream.set_nodelay(true));
                configured.map_err(|e| cannot(e.to_string()))?;
                return Ok(stream);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(cannot(match last {
        Some(e) => e.to_string(),
        None => "the host name has no address".to_owned(),
    }))
}

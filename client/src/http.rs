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

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;
    use std::time::Instant;

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";

    fn listener() -> (TcpListener, ServerUrl) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = ServerUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap();
        (listener, url)
    }

    /// Reads one request, head and `Content-Length` body (unread bytes at
    /// close would make the kernel reset the connection instead).
    fn read_request(stream: &mut TcpStream) {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(stream.read(&mut byte).unwrap(), 1, "request cut short");
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
        let length: usize = head
            .split("content-length: ")
            .nth(1)
            .and_then(|rest| rest.split("\r\n").next())
            .map(|n| n.parse().unwrap())
            .unwrap_or(0);
        let mut body = vec![0u8; length];
        stream.read_exact(&mut body).unwrap();
    }

    /// Connections accepted within `wait`, without blocking longer.
    fn accepted_within(listener: &TcpListener, wait: Duration) -> usize {
        listener.set_nonblocking(true).unwrap();
        let deadline = Instant::now() + wait;
        let mut n = 0;
        while Instant::now() < deadline {
            if listener.accept().is_ok() {
                n += 1;
            }
            thread::sleep(Duration::from_millis(10));
        }
        n
    }

    fn get(conn: &mut Connection) -> Result<Response, HttpError> {
        conn.request("GET", "/status", &[], b"")
    }

    #[test]
    fn reconnects_once_when_the_server_closed_an_idle_socket() {
        let (listener, url) = listener();
        let server = thread::spawn(move || {
            for _ in 0..2 {
                let (mut s, _) = listener.accept().unwrap();
                read_request(&mut s);
                s.write_all(OK).unwrap();
                // Then close, as an idle timeout would.
            }
            accepted_within(&listener, Duration::from_millis(300))
        });
        let mut conn = Connection::new(url, Duration::from_secs(5));
        assert_eq!(get(&mut conn).unwrap().status, 200);
        thread::sleep(Duration::from_millis(100)); // the close reaches us
        assert_eq!(get(&mut conn).unwrap().status, 200);
        assert_eq!(server.join().unwrap(), 0, "exactly one reconnect");
    }

    #[test]
    fn keeps_one_socket_while_the_server_keeps_it_open() {
        let (listener, url) = listener();
        let server = thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            for _ in 0..3 {
                read_request(&mut s);
                s.write_all(OK).unwrap();
            }
            accepted_within(&listener, Duration::from_millis(200))
        });
        let mut conn = Connection::new(url, Duration::from_secs(5));
        for _ in 0..3 {
            assert_eq!(get(&mut conn).unwrap().status, 200);
        }
        assert_eq!(server.join().unwrap(), 0, "no second connection");
    }

    #[test]
    fn a_response_cut_short_is_not_retried() {
        let (listener, url) = listener();
        let server = thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            read_request(&mut s);
            s.write_all(OK).unwrap();
            read_request(&mut s);
            s.write_all(b"HTTP/1.1 201 Created\r\nContent-Length: 10\r\n\r\n{}")
                .unwrap();
            drop(s);
            accepted_within(&listener, Duration::from_millis(300))
        });
        let mut conn = Connection::new(url, Duration::from_secs(5));
        assert_eq!(get(&mut conn).unwrap().status, 200);
        let err = conn.request("POST", "/send", &[], b"{}").unwrap_err();
        assert!(
            matches!(err, HttpError::Protocol(ClientError::UnexpectedEof)),
            "{err:?}"
        );
        assert_eq!(
            server.join().unwrap(),
            0,
            "a POST that may have run is not resent"
        );
    }

    #[test]
    fn a_silent_server_times_out() {
        let (listener, url) = listener();
        let server = thread::spawn(move || {
            let (s, _) = listener.accept().unwrap();
            thread::sleep(Duration::from_millis(500));
            drop(s);
        });
        let mut conn = Connection::new(url, Duration::from_millis(100));
        assert!(matches!(get(&mut conn), Err(HttpError::TimedOut)));
        server.join().unwrap();
    }

    #[test]
    fn a_closed_port_is_a_connect_error() {
        let (listener, url) = listener();
        drop(listener);
        let err = get(&mut Connection::new(url, Duration::from_secs(5))).unwrap_err();
        assert!(matches!(err, HttpError::Connect(_)), "{err:?}");
        assert!(err
            .to_string()
            .starts_with("cannot reach http://127.0.0.1:"));
    }
}

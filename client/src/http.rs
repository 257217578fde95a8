//! One keep-alive HTTP connection to the server: core's client-role machine
//! over a blocking `std::net::TcpStream`, with a timeout on every read and
//! write. A request is never written twice where the server may have acted on
//! it twice: a kept socket the server has closed (its idle timeout) is found
//! before writing, and a failed request is repeated only when none of it went
//! out, or when it is a GET, or a POST with an `Idempotency-Key` (which the
//! server applies once), that got no answer.

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
    /// A request that changes something was sent and no full answer came
    /// back: the server may have carried it out.
    Unanswered(Box<HttpError>),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Connect(why) => write!(f, "{why}"),
            HttpError::Io(e) => write!(f, "connection failed: {e}"),
            HttpError::TimedOut => write!(f, "the server did not answer in time"),
            HttpError::Protocol(e) => write!(f, "unreadable answer from the server: {e}"),
            HttpError::Unanswered(e) => write!(
                f,
                "{e}, after the request was sent: the server may have carried it out, \
                 so check before repeating it"
            ),
        }
    }
}

/// How far a failed request got, which decides whether repeating it is safe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Progress {
    /// No byte of it went out: the server cannot have seen it.
    NothingSent,
    /// Some or all of it went out: the server may have acted on it.
    Sent,
}

struct AttemptError {
    error: HttpError,
    progress: Progress,
}

/// GET and HEAD change nothing on the server, and a request with an
/// `Idempotency-Key` is applied once whatever its copies: repeating one is
/// harmless.
fn is_idempotent(method: &str, headers: &[(&str, &str)]) -> bool {
    matches!(method, "GET" | "HEAD")
        || headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("Idempotency-Key"))
}

pub struct Connection {
    server: ServerUrl,
    timeout: Duration,
    /// How much longer than `timeout` a read may wait: how long the server
    /// may hold a request (a long-poll) before it answers.
    hold: Duration,
    stream: Option<TcpStream>,
    conn: ClientConn,
}

impl Connection {
    /// No socket is opened until the first request.
    pub fn new(server: ServerUrl, timeout: Duration) -> Connection {
        Connection {
            server,
            timeout,
            hold: Duration::ZERO,
            stream: None,
            conn: ClientConn::new(),
        }
    }

    /// A connection of its own to the same server, with the same timeouts,
    /// except that its reads wait `hold` longer: the server may hold each of
    /// its requests that long before it answers.
    pub fn holding(&self, hold: Duration) -> Connection {
        Connection {
            hold,
            ..Connection::new(self.server.clone(), self.timeout)
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
        self.drop_unusable_socket();
        let reused = self.stream.is_some();
        let mut result = self.attempt(method, target, headers, body);
        // A kept socket can still die between the check above and the write.
        // Repeat on a fresh one only what cannot be done twice by it.
        if let Err(e) = &result {
            if reused && (e.progress == Progress::NothingSent || is_idempotent(method, headers)) {
                self.stream = None;
                result = self.attempt(method, target, headers, body);
            }
        }
        result.map_err(|e| {
            self.stream = None;
            match e.progress {
                Progress::Sent if !is_idempotent(method, headers) => {
                    HttpError::Unanswered(Box::new(e.error))
                }
                _ => e.error,
            }
        })
    }

    /// Forgets the kept socket if it cannot carry the next request: the
    /// machine says so, or the server closed it while it was idle.
    fn drop_unusable_socket(&mut self) {
        let usable = self.conn.is_reusable() && self.stream.as_ref().is_some_and(is_idle_and_open);
        if !usable {
            self.stream = None;
        }
    }

    fn attempt(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Response, AttemptError> {
        let fail = |error, progress| AttemptError { error, progress };
        if self.stream.is_none() {
            let stream = open(&self.server, self.timeout, self.timeout + self.hold)
                .map_err(|e| fail(e, Progress::NothingSent))?;
            self.stream = Some(stream);
            self.conn = ClientConn::new();
        }
        let stream = self.stream.as_mut().expect("opened above");
        let authority = self.server.authority();
        let bytes = self
            .conn
            .encode_request(method, target, &authority, headers, body);
        write_all(stream, &bytes).map_err(|(e, progress)| fail(io_error(e), progress))?;
        let sent = |error| fail(error, Progress::Sent);
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
                    return Err(sent(HttpError::Io(closed)));
                }
                Err(e) => return Err(sent(HttpError::Protocol(e))),
            }
            match stream.read(&mut buf) {
                Ok(0) => self.conn.feed_eof(),
                Ok(n) => self.conn.feed(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(sent(io_error(e))),
            }
        }
    }
}

/// Whether a kept socket is still open with nothing to read, as an idle
/// keep-alive socket is. A read of 0 (the server's close), bytes it sent
/// unasked (a 408 before closing) or an error all mean it is done with it.
/// A non-blocking peek, so it takes no time and consumes nothing.
fn is_idle_and_open(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let idle = matches!(
        stream.peek(&mut [0u8; 1]),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock
    );
    stream.set_nonblocking(false).is_ok() && idle
}

/// `Write::write_all`, also saying whether any byte went out before an error.
fn write_all(stream: &mut TcpStream, bytes: &[u8]) -> Result<(), (io::Error, Progress)> {
    let mut written = 0;
    while written < bytes.len() {
        match stream.write(&bytes[written..]) {
            Ok(0) => {
                let e = io::Error::new(io::ErrorKind::WriteZero, "the socket took no bytes");
                return Err((e, progress_after(written)));
            }
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err((e, progress_after(written))),
        }
    }
    Ok(())
}

fn progress_after(written: usize) -> Progress {
    if written == 0 {
        Progress::NothingSent
    } else {
        Progress::Sent
    }
}

fn io_error(e: io::Error) -> HttpError {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => HttpError::TimedOut,
        _ => HttpError::Io(e),
    }
}

/// Connects to the first address of `server` that accepts, with timeouts set:
/// `timeout` for connecting and writing, `read_timeout` for reading.
fn open(
    server: &ServerUrl,
    timeout: Duration,
    read_timeout: Duration,
) -> Result<TcpStream, HttpError> {
    let cannot = |why: String| HttpError::Connect(format!("cannot reach {server}: {why}"));
    let addresses = (server.host.as_str(), server.port)
        .to_socket_addrs()
        .map_err(|e| cannot(e.to_string()))?;
    let mut last = None;
    for address in addresses {
        match TcpStream::connect_timeout(&address, timeout) {
            Ok(stream) => {
                let configured = stream
                    .set_read_timeout(Some(read_timeout))
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

    /// A listener on a free loopback port, handed to `script` on a thread of
    /// its own: the fake server each test scripts. Returns the URL to reach
    /// it and the thread, which answers what `script` returns.
    fn serve<R: Send + 'static>(
        script: impl FnOnce(TcpListener) -> R + Send + 'static,
    ) -> (ServerUrl, thread::JoinHandle<R>) {
        let (listener, url) = listener();
        (url, thread::spawn(move || script(listener)))
    }

    /// Reads one request, head and `Content-Length` body (unread bytes at
    /// close would make the kernel reset the connection instead), and
    /// returns its head.
    fn read_request(stream: &mut TcpStream) -> String {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(stream.read(&mut byte).unwrap(), 1, "request cut short");
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap();
        let length: usize = head
            .to_ascii_lowercase()
            .split("content-length: ")
            .nth(1)
            .and_then(|rest| rest.split("\r\n").next())
            .map(|n| n.parse().unwrap())
            .unwrap_or(0);
        let mut body = vec![0u8; length];
        stream.read_exact(&mut body).unwrap();
        head
    }

    /// Everything the client still sends on `stream` until it closes it.
    fn rest_of(stream: &mut TcpStream) -> Vec<u8> {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).unwrap();
        rest
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

    /// Accepts a connection and answers its first request with 200: the
    /// connection, and that request's head.
    fn accept_and_answer(listener: &TcpListener) -> (TcpStream, String) {
        let (mut s, _) = listener.accept().unwrap();
        let head = read_request(&mut s);
        s.write_all(OK).unwrap();
        (s, head)
    }

    /// Accepts a connection, answers its first request with 200, then reads
    /// the second and hangs up without an answer, as a server that carried
    /// it out and then died would: the second request's head.
    fn answer_one_then_hang_up(listener: &TcpListener) -> String {
        let (mut s, _) = accept_and_answer(listener);
        read_request(&mut s)
    }

    /// A connection to `url` that has had one GET answered, its socket kept.
    fn answered_once(url: ServerUrl) -> Connection {
        let mut conn = Connection::new(url, Duration::from_secs(5));
        assert_eq!(get(&mut conn).unwrap().status, 200);
        conn
    }

    #[test]
    fn reconnects_once_when_the_server_closed_an_idle_socket() {
        let (url, server) = serve(|listener| {
            for _ in 0..2 {
                accept_and_answer(&listener); // then closed, as by an idle timeout
            }
            accepted_within(&listener, Duration::from_millis(300))
        });
        let mut conn = answered_once(url);
        thread::sleep(Duration::from_millis(100)); // the close reaches us
        assert_eq!(get(&mut conn).unwrap().status, 200);
        assert_eq!(server.join().unwrap(), 0, "exactly one reconnect");
    }

    #[test]
    fn keeps_one_socket_while_the_server_keeps_it_open() {
        let (url, server) = serve(|listener| {
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
        let (url, server) = serve(|listener| {
            let (mut s, _) = accept_and_answer(&listener);
            read_request(&mut s);
            s.write_all(b"HTTP/1.1 201 Created\r\nContent-Length: 10\r\n\r\n{}")
                .unwrap();
            drop(s);
            accepted_within(&listener, Duration::from_millis(300))
        });
        let mut conn = answered_once(url);
        let err = conn.request("POST", "/send", &[], b"{}").unwrap_err();
        assert!(
            matches!(&err, HttpError::Unanswered(e)
                if matches!(**e, HttpError::Protocol(ClientError::UnexpectedEof))),
            "{err:?}"
        );
        assert_eq!(
            server.join().unwrap(),
            0,
            "a POST that may have run is not resent"
        );
    }

    #[test]
    fn a_post_the_server_read_and_left_unanswered_is_not_resent() {
        let (url, server) = serve(|listener| {
            let post = answer_one_then_hang_up(&listener);
            (post, accepted_within(&listener, Duration::from_millis(300)))
        });
        let mut conn = answered_once(url);
        let err = conn.request("POST", "/send", &[], b"{}").unwrap_err();
        assert!(matches!(err, HttpError::Unanswered(_)), "{err:?}");
        assert!(err.to_string().contains("may have carried it out"), "{err}");
        let (post, reconnects) = server.join().unwrap();
        assert!(post.starts_with("POST /send "), "{post}");
        assert_eq!(reconnects, 0, "the POST was sent again");
    }

    #[test]
    fn a_keyed_post_left_unanswered_is_sent_again_with_its_key() {
        let (url, server) = serve(|listener| {
            let first = answer_one_then_hang_up(&listener);
            let (_, again) = accept_and_answer(&listener);
            (first, again)
        });
        let mut conn = answered_once(url);
        let keyed = [("Idempotency-Key", "k-1")];
        let sent = conn.request("POST", "/send", &keyed, b"{}").unwrap();
        assert_eq!(sent.status, 200);
        let (first, again) = server.join().unwrap();
        assert!(first.contains("Idempotency-Key: k-1\r\n"), "{first}");
        assert!(again.starts_with("POST /send "), "{again}");
        assert!(again.contains("Idempotency-Key: k-1\r\n"), "{again}");
    }

    #[test]
    fn a_socket_closed_while_idle_is_replaced_before_writing() {
        let (url, server) = serve(|listener| {
            let (mut first, _) = accept_and_answer(&listener);
            // The idle timeout: the server closes its side, and would read
            // (then drop) whatever still came on this socket.
            first.shutdown(std::net::Shutdown::Write).unwrap();
            let (_, post) = accept_and_answer(&listener);
            (rest_of(&mut first), post)
        });
        let mut conn = answered_once(url);
        thread::sleep(Duration::from_millis(100)); // the close reaches us
        let sent = conn.request("POST", "/send", &[], b"{}").unwrap();
        assert_eq!(sent.status, 200);
        drop(conn);
        let (on_closed_socket, post) = server.join().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&on_closed_socket),
            "",
            "written into the socket the server had closed"
        );
        assert!(post.starts_with("POST /send "), "{post}");
    }

    #[test]
    fn a_get_left_unanswered_on_a_kept_socket_is_repeated_once() {
        let (url, server) = serve(|listener| {
            answer_one_then_hang_up(&listener);
            let (_, again) = accept_and_answer(&listener);
            (
                again,
                accepted_within(&listener, Duration::from_millis(300)),
            )
        });
        let mut conn = answered_once(url);
        assert_eq!(get(&mut conn).unwrap().status, 200);
        let (again, more) = server.join().unwrap();
        assert!(again.starts_with("GET /status "), "{again}");
        assert_eq!(more, 0, "only one repeat");
    }

    #[test]
    fn a_silent_server_times_out() {
        let (url, server) = serve(|listener| {
            let (s, _) = listener.accept().unwrap();
            thread::sleep(Duration::from_millis(500));
            drop(s);
        });
        let mut conn = Connection::new(url, Duration::from_millis(100));
        assert!(matches!(get(&mut conn), Err(HttpError::TimedOut)));
        server.join().unwrap();
    }

    #[test]
    fn a_held_connection_waits_its_hold_longer_for_an_answer() {
        let (url, server) = serve(|listener| {
            let (mut s, _) = listener.accept().unwrap();
            read_request(&mut s);
            thread::sleep(Duration::from_millis(400)); // a long-poll, held
            s.write_all(OK).unwrap();
        });
        let quick = Connection::new(url, Duration::from_millis(100));
        let mut held = quick.holding(Duration::from_secs(5));
        assert_eq!(get(&mut held).unwrap().status, 200);
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

//! The runtime-independent part of every adapter, written once.
//!
//! [`Session`] wraps one `http::Conn`: it takes bytes, EOF, timeouts and store
//! outcomes, and tells the adapter what to do next ([`Step`]). [`serve_connection`]
//! is the drive loop over a [`Transport`], the small trait each runtime implements
//! for its socket: wait until readable (or a deadline, or shutdown), read what is
//! there, write everything.

use crate::config::ServerConfig;
use crate::limits::ConnLimit;
use crate::shutdown::Shutdown;
use agora_core::api;
use agora_core::command::{Failure, Outcome};
use agora_core::config::Config;
use agora_core::http::{reason_phrase, Conn, Input, Limits, Now, Output, ReqId, Request, Response};
use agora_core::time::UnixMillis;
use agora_core::token::Token;
use agora_store::{Handle, Pending};
use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tracing::{debug, warn};

/// Bytes read per read call. It lives on the stack for the call only, so an idle
/// connection holds no read buffer of its own.
pub const READ_CHUNK: usize = 8 * 1024;

/// How long a closing connection keeps reading (and discarding) what the peer
/// still sends, so that the kernel does not answer it with a reset that could
/// destroy our last response before the peer reads it.
const LINGER: Duration = Duration::from_secs(1);
const LINGER_MAX_BYTES: usize = 1 << 20;

/// Everything the connections of one server share.
pub struct Shared {
    pub store: Handle,
    pub rules: Config,
    pub limits: Limits,
    pub conns: Arc<ConnLimit>,
    pub shutdown: Arc<Shutdown>,
    pub config: ServerConfig,
}

impl Shared {
    pub fn new(store: Handle, config: ServerConfig, shutdown: Arc<Shutdown>) -> Arc<Shared> {
        Arc::new(Shared {
            store,
            rules: config.rules.clone(),
            limits: config.limits.clone(),
            conns: ConnLimit::new(config.max_connections),
            shutdown,
            config,
        })
    }
}

/// Both clocks, read now.
pub fn now() -> Now {
    Now {
        mono: Instant::now(),
        wall: wall_clock(),
    }
}

pub fn wall_clock() -> UnixMillis {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    UnixMillis(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
}

/// A fresh token from the operating system's CSPRNG.
pub fn fresh_token() -> Token {
    let mut bytes = [0u8; 16];
    // Without an OS RNG no token can be issued safely; the panic stays in this
    // connection's task (see the adapters' panic containment).
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    Token(bytes)
}

/// What the adapter must do next. Before acting on it, write
/// [`Session::take_output`] to the socket.
pub enum Step {
    /// Wait for bytes, or until the deadline and then call [`Session::timeout`].
    Wait(Option<Instant>),
    /// Await the store's outcome and hand it to [`Session::complete`].
    Submit(Pending),
    /// Close the socket.
    Close,
}

struct InFlight {
    id: ReqId,
    method: String,
    target: String,
    started: Instant,
}

/// One connection's state above the socket.
pub struct Session {
    conn: Conn,
    shared: Arc<Shared>,
    out: Vec<u8>,
    queued: VecDeque<(ReqId, Request)>,
    in_flight: Option<InFlight>,
    closed: bool,
}

impl Session {
    pub fn new(shared: Arc<Shared>) -> Session {
        Session {
            conn: Conn::new(shared.limits.clone(), now()),
            shared,
            out: Vec::new(),
            queued: VecDeque::new(),
            in_flight: None,
            closed: false,
        }
    }

    pub fn bytes(&mut self, bytes: &[u8]) {
        self.conn.handle_input(Input::Bytes(bytes), now());
    }

    pub fn eof(&mut self) {
        self.conn.handle_input(Input::Eof, now());
    }

    pub fn timeout(&mut self) {
        self.conn.handle_input(Input::Timeout, now());
    }

    /// The bytes to write before acting on the last [`Step`].
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Drains the machine's outputs and handles the request they hand out, until
    /// the adapter has to wait for something.
    pub fn next_step(&mut self) -> Step {
        loop {
            if self.closed {
                return Step::Close;
            }
            if self.in_flight.is_some() {
                // Only reachable if the adapter asks again before completing.
                return Step::Wait(None);
            }
            match self.conn.poll_output() {
                Output::Send(bytes) if self.out.is_empty() => self.out = bytes,
                Output::Send(bytes) => self.out.extend_from_slice(&bytes),
                Output::Request(id, request) => self.queued.push_back((id, request)),
                Output::Close => self.closed = true,
                Output::Timeout(deadline) => match self.queued.pop_front() {
                    None => return Step::Wait(deadline),
                    Some((id, request)) => {
                        if let Some(pending) = self.dispatch(id, request) {
                            return Step::Submit(pending);
                        }
                    }
                },
            }
        }
    }

    /// Feeds the store's answer to the request in flight.
    pub fn complete(&mut self, result: Result<Outcome, oneshot::RecvError>) {
        let Some(flight) = self.in_flight.take() else {
            return;
        };
        let outcome = result.unwrap_or_else(|_| {
            warn!(method = %flight.method, target = %flight.target, "the store dropped a command");
            Outcome::Failed(Failure::StoreUnavailable)
        });
        self.respond(flight, api::encode(&outcome));
    }

    /// Decodes a request and answers it at once, or submits its command and
    /// returns the pending outcome.
    fn dispatch(&mut self, id: ReqId, request: Request) -> Option<Pending> {
        let started = Instant::now();
        let decoded = api::decode(&request, &self.shared.rules, &mut fresh_token);
        let flight = InFlight {
            id,
            method: request.method,
            target: request.target,
            started,
        };
        let response = match decoded {
            Err(response) => response,
            Ok(command) => match self.shared.store.submit(command) {
                Ok(pending) => {
                    self.in_flight = Some(flight);
                    return Some(pending);
                }
                Err(agora_store::Busy) => {
                    warn!("the store's queue is full: answering 503");
                    api::encode(&Outcome::Failed(Failure::Overloaded))
                }
            },
        };
        self.respond(flight, response);
        None
    }

    fn respond(&mut self, flight: InFlight, response: Response) {
        debug!(
            method = %flight.method,
            target = %flight.target,
            status = response.status,
            micros = flight.started.elapsed().as_micros() as u64,
            "request"
        );
        if response.status >= 500 {
            warn!(method = %flight.method, target = %flight.target, status = response.status,
                body = %String::from_utf8_lossy(&response.body), "server-side failure");
        }
        self.conn
            .handle_input(Input::Response(flight.id, response), now());
    }
}

/// What [`Transport::ready`] waited for.
#[derive(Debug, PartialEq, Eq)]
pub enum Ready {
    /// Bytes (or EOF, or an error) can be read without blocking for long.
    Readable,
    /// The deadline passed.
    Deadline,
    /// The server is shutting down.
    Shutdown,
}

/// A connected socket as one runtime sees it.
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// Waits until the socket is readable, the deadline passes, or shutdown.
    async fn ready(&mut self, deadline: Option<Instant>) -> Ready;
    /// Reads what is there; `WouldBlock` after a spurious wake-up is fine.
    fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    /// Writes all of `bytes`, failing with `TimedOut` at `deadline`.
    async fn write_all(&mut self, bytes: &[u8], deadline: Instant) -> io::Result<()>;
    /// Sends FIN: nothing more will be written.
    async fn shutdown_write(&mut self);
}

/// The drive loop: serves one accepted connection until it closes.
pub async fn serve_connection<T: Transport>(mut transport: T, shared: Arc<Shared>) {
    let write_timeout = shared.limits.idle_timeout;
    let mut session = Session::new(shared);
    let mut eof = false;
    loop {
        let step = session.next_step();
        let out = session.take_output();
        if !out.is_empty() {
            if let Err(e) = transport
                .write_all(&out, Instant::now() + write_timeout)
                .await
            {
                debug!("closing: write failed: {e}");
                return;
            }
        }
        match step {
            Step::Close => return linger_close(&mut transport, eof).await,
            Step::Submit(pending) => {
                let result = pending.await;
                session.complete(result);
            }
            // Every complete request was handled and no more bytes can come.
            Step::Wait(_) if eof => return,
            Step::Wait(deadline) => match transport.ready(deadline).await {
                Ready::Readable => match read_into(&mut transport, &mut session) {
                    Ok(got_eof) => eof = got_eof,
                    Err(e) => {
                        debug!("closing: read failed: {e}");
                        return;
                    }
                },
                Ready::Deadline => session.timeout(),
                Ready::Shutdown => return transport.shutdown_write().await,
            },
        }
    }
}

/// One read into a stack buffer, fed to the session. `Ok(true)` on EOF.
fn read_into<T: Transport>(transport: &mut T, session: &mut Session) -> io::Result<bool> {
    let mut buf = [0u8; READ_CHUNK];
    match transport.try_read(&mut buf) {
        Ok(0) => {
            session.eof();
            Ok(true)
        }
        Ok(n) => {
            session.bytes(&buf[..n]);
            Ok(false)
        }
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Sends FIN, then reads and drops what the peer still sends for a moment.
async fn linger_close<T: Transport>(transport: &mut T, eof: bool) {
    transport.shutdown_write().await;
    if eof {
        return;
    }
    let deadline = Instant::now() + LINGER;
    let mut drained = 0;
    while drained < LINGER_MAX_BYTES {
        if transport.ready(Some(deadline)).await != Ready::Readable {
            return;
        }
        let mut buf = [0u8; READ_CHUNK];
        match transport.try_read(&mut buf) {
            Ok(0) => return,
            Ok(n) => drained += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return,
        }
    }
}

/// Answers a connection over `--max-connections`: a complete 503 `overloaded`,
/// then close.
pub async fn reject_connection<T: Transport>(mut transport: T) {
    let bytes = overloaded_response(wall_clock());
    if transport
        .write_all(&bytes, Instant::now() + LINGER)
        .await
        .is_ok()
    {
        linger_close(&mut transport, false).await;
    }
}

/// The full bytes of the 503 sent to a connection refused before it has a `Conn`.
pub fn overloaded_response(wall: UnixMillis) -> Vec<u8> {
    let mut response = api::encode(&Outcome::Failed(Failure::Overloaded));
    if response.header("retry-after").is_none() {
        response = response.with_header("Retry-After", "1");
    }
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nDate: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        response.status,
        reason_phrase(response.status),
        wall.to_http_date(),
        response.body.len()
    );
    for (name, value) in &response.headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&response.body);
    bytes
}

/// Logs a panic that ended one connection; the server goes on.
pub fn log_panic(payload: &(dyn std::any::Any + Send)) {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(non-string panic payload)");
    tracing::error!("a connection panicked and was closed: {message}");
}

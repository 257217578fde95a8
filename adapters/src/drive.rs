//! The drive loop, written once for every runtime: [`serve_connection`] runs a
//! [`SessionIo`] over a [`Transport`], the small trait each runtime implements for
//! its socket (wait until readable, a deadline or shutdown; read what is there;
//! write everything).

use crate::clock::wall_clock;
use crate::limits::Admission;
use crate::metrics::Unavailable;
use crate::outbound::write_out;
use crate::session_io::{SessionIo, Step};
use crate::shared::Shared;
use agora_core::api;
use agora_core::command::{Failure, Outcome};
use agora_core::http;
use agora_core::time::UnixMillis;
use agora_store::Subscription;
use futures_lite::FutureExt;
use std::cell::RefCell;
use std::io;
use std::net::IpAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::debug;

/// Bytes read per read call, into the thread's [`READ_BUFFER`].
pub const READ_CHUNK: usize = 8 * 1024;

thread_local! {
    /// One read buffer per thread, shared by the connections it serves: an idle
    /// connection holds no read buffer of its own, and a buffer on the stack
    /// would be zeroed again on every read.
    static READ_BUFFER: RefCell<Box<[u8; READ_CHUNK]>> =
        RefCell::new(Box::new([0u8; READ_CHUNK]));
}

/// How long a closing connection keeps reading (and discarding) what the peer
/// still sends, so that the kernel does not answer it with a reset that could
/// destroy our last response before the peer reads it.
const LINGER: Duration = Duration::from_secs(1);
const LINGER_MAX_BYTES: usize = 1 << 20;
/// The linger of a connection refused while many others are being refused.
const SHORT_LINGER: Duration = Duration::from_millis(50);

/// What [`Transport::ready`] waited for.
#[derive(Debug, PartialEq, Eq)]
pub enum Ready {
    /// Bytes (or EOF, or an error) can be read without blocking for long.
    Readable,
    /// The deadline passed.
    Deadline,
    /// The server is shutting down.
    Shutdown,
    /// Events (or the end of a subscription) are waiting for a held request.
    Events,
}

/// What a wait watches besides its deadline and shutdown.
#[derive(Clone, Copy)]
pub struct Interest<'a> {
    /// The socket: bytes, EOF or an error. Off while a held request has a
    /// full buffer of pipelined bytes behind it (reading more would only grow
    /// it, and a readable socket would wake the wait at once, again and again).
    pub socket: bool,
    /// A held long-poll's or stream's subscription.
    pub events: Option<&'a Subscription>,
}

impl Interest<'_> {
    /// The socket alone.
    pub const SOCKET: Interest<'static> = Interest {
        socket: true,
        events: None,
    };
}

/// Resolves when `subscription` has something (events, a cut, the hub
/// closing); never without one.
pub async fn events_ready(subscription: Option<&Subscription>) {
    match subscription {
        Some(subscription) => subscription.ready().await,
        None => std::future::pending().await,
    }
}

/// A connected socket as one runtime sees it.
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// Waits until what `interest` names is ready, the deadline passes, or
    /// shutdown.
    async fn ready(&mut self, deadline: Option<Instant>, interest: Interest<'_>) -> Ready;
    /// Reads what is there; `WouldBlock` after a spurious wake-up is fine.
    fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    /// Reads what is there without ever waiting: `WouldBlock` when nothing
    /// is. The default is `try_read`, for sockets in non-blocking mode.
    fn read_now(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_read(buf)
    }
    /// Writes all of `bytes`, failing with `TimedOut` at `deadline`.
    async fn write_all(&mut self, bytes: &[u8], deadline: Instant) -> io::Result<()>;
    /// Sends FIN: nothing more will be written.
    async fn shutdown_write(&mut self);
    /// Acknowledges what was read at once instead of after the kernel's
    /// delayed-ACK timer; called after each read that left a request
    /// incomplete (see [`crate::tcp::quick_ack`]).
    fn quick_ack(&mut self);
}

/// The drive loop: serves one accepted connection until it closes.
/// `peer` is the socket's TCP peer.
pub async fn serve_connection<T: Transport>(mut transport: T, shared: Arc<Shared>, peer: IpAddr) {
    let write_timeout = shared.session.limits.idle_timeout;
    let progress = shared.config.write_progress_timeout;
    let unsent = shared.unsent.clone();
    let mut session = SessionIo::new(shared, peer);
    let mut eof = false;
    loop {
        let step = session.next_step();
        if let Step::Submit = step {
            // An outcome already there is taken at once, and its answer
            // waits in the session's output: the answers of pipelined
            // requests committed together then go out in one write.
            if session.complete_now().await {
                continue;
            }
            // Before waiting for the store, requests pipelined behind this
            // one that are already here are read, so that they can join the
            // writer's next batch instead of waiting for this one's answer.
            if !eof && session.wants_input() {
                match read_now(&mut transport, &mut session) {
                    Ok(Some(got_eof)) => {
                        eof = got_eof;
                        continue;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        debug!("closing: read failed: {e}");
                        return;
                    }
                }
            }
        }
        let out = session.take_output();
        if !out.is_empty() {
            let deadline = Instant::now() + write_timeout;
            if let Err(e) = write_out(&mut transport, &out, &unsent, progress, deadline).await {
                debug!("closing: write failed: {e}");
                return;
            }
        }
        match step {
            Step::Close => return linger_close(&mut transport, eof, LINGER).await,
            Step::Submit => session.complete().await,
            Step::Watch => session.watched().await,
            // Every complete request was handled and no more bytes can come.
            Step::Wait(_) if eof => return,
            Step::Wait(deadline) => match transport.ready(deadline, Interest::SOCKET).await {
                Ready::Readable => {
                    if let Err(e) = read_step(&mut transport, &mut session, &mut eof) {
                        debug!("closing: read failed: {e}");
                        return;
                    }
                }
                Ready::Deadline => session.timeout(),
                Ready::Shutdown => return transport.shutdown_write().await,
                Ready::Events => {}
            },
            Step::Hold { deadline, read } => {
                let interest = Interest {
                    socket: read && !eof,
                    events: session.subscription(),
                };
                match transport.ready(deadline, interest).await {
                    Ready::Readable => {
                        if let Err(e) = read_step(&mut transport, &mut session, &mut eof) {
                            debug!("closing: read failed: {e}");
                            return;
                        }
                    }
                    Ready::Deadline => session.timeout(),
                    // Ends what is held; the loop writes it, then closes.
                    Ready::Shutdown => session.stop(),
                    Ready::Events => session.take_events(),
                }
            }
        }
    }
}

/// Reads once into the session; acknowledges a request left incomplete at
/// once (see [`Transport::quick_ack`]).
fn read_step<T: Transport>(
    transport: &mut T,
    session: &mut SessionIo,
    eof: &mut bool,
) -> io::Result<()> {
    *eof = read_into(transport, session)?;
    if !*eof && session.has_partial_request() {
        transport.quick_ack();
    }
    Ok(())
}

/// A read that never waits, fed to the session: `Ok(None)` when nothing was
/// there, else whether it was EOF.
fn read_now<T: Transport>(transport: &mut T, session: &mut SessionIo) -> io::Result<Option<bool>> {
    READ_BUFFER.with_borrow_mut(|buf| {
        let read = transport.read_now(&mut buf[..]);
        feed(read, &buf[..], session)
    })
}

/// One read into a stack buffer, fed to the session. `Ok(true)` on EOF.
fn read_into<T: Transport>(transport: &mut T, session: &mut SessionIo) -> io::Result<bool> {
    READ_BUFFER.with_borrow_mut(|buf| read_with(transport, session, &mut buf[..]))
}

fn read_with<T: Transport>(
    transport: &mut T,
    session: &mut SessionIo,
    buf: &mut [u8],
) -> io::Result<bool> {
    let read = transport.try_read(buf);
    Ok(feed(read, buf, session)?.unwrap_or(false))
}

/// Gives the session what one read into `buf` brought: `Ok(None)` when it
/// would have blocked (or was interrupted), else whether it was EOF. The one
/// place both kinds of read decide what a read's result means.
fn feed(read: io::Result<usize>, buf: &[u8], session: &mut SessionIo) -> io::Result<Option<bool>> {
    match read {
        Ok(0) => {
            session.eof();
            Ok(Some(true))
        }
        Ok(n) => {
            session.bytes(&buf[..n]);
            Ok(Some(false))
        }
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Sends FIN, then reads and drops what the peer still sends for `linger`.
async fn linger_close<T: Transport>(transport: &mut T, eof: bool, linger: Duration) {
    transport.shutdown_write().await;
    if eof {
        return;
    }
    let deadline = Instant::now() + linger;
    let mut drained = 0;
    while drained < LINGER_MAX_BYTES {
        if transport.ready(Some(deadline), Interest::SOCKET).await != Ready::Readable {
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
/// then close after lingering for `linger`.
pub async fn reject_connection<T: Transport>(mut transport: T, linger: Duration) {
    let bytes = overloaded_response(wall_clock());
    if transport
        .write_all(&bytes, Instant::now() + LINGER)
        .await
        .is_ok()
    {
        linger_close(&mut transport, false, linger).await;
    }
}

/// The full bytes of the 503 `overloaded` (with `Retry-After`) sent to a
/// connection refused before it has a `Conn`, written by core.
pub fn overloaded_response(wall: UnixMillis) -> Vec<u8> {
    http::standalone_response(&api::encode(&Outcome::Failed(Failure::Overloaded)), wall)
}

/// A new connection's whole life, the same on every runtime: served while it
/// holds a connection slot, else answered 503 and closed. A panic ends this
/// connection only and is logged; the slot is given back after it.
pub async fn run_connection<T: Transport>(transport: T, shared: Arc<Shared>, admission: Admission) {
    let life = async {
        match &admission {
            Admission::Serve(slot) => serve_connection(transport, shared, slot.peer()).await,
            Admission::Refuse(refusal) => {
                tracing::warn!("over --max-connections or --max-connections-per-ip: answering 503");
                // ops hook: 503s by reason.
                if let Some(metrics) = &shared.metrics {
                    metrics.unavailable(Unavailable::TooManyConnections);
                }
                let linger = if refusal.is_some() {
                    LINGER
                } else {
                    SHORT_LINGER
                };
                reject_connection(transport, linger).await;
            }
        }
    };
    if let Err(payload) = AssertUnwindSafe(life).catch_unwind().await {
        log_panic(&*payload);
    }
    drop(admission);
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

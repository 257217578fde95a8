//! The metrics port: `GET /metrics` on a listener of its own (so the public
//! port never exposes them), served by plain threads with blocking sockets
//! whatever the runtime. HTTP is still core's: each connection is an
//! `http::Conn`, which parses the requests and writes the responses.

use super::{Metrics, CONTENT_TYPE};
use crate::clock::now;
use crate::limits::ConnLimit;
use agora_core::api::{error_response, ErrorCode};
use agora_core::http::{Conn, Input, Limits, Output, Request, Response};
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{debug, warn};

/// Scrapers served at once; more are closed at once (Prometheus scrapes
/// each target over one connection).
const MAX_SCRAPERS: usize = 8;

/// The one path served.
pub const PATH: &str = "/metrics";

/// Serves `listener` on a thread of its own until the process exits.
/// `conns` is read for the open-connections gauge.
pub fn spawn(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    conns: Arc<ConnLimit>,
) -> io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("agora-metrics".into())
        .spawn(move || accept_loop(listener, metrics, conns))
}

fn accept_loop(listener: TcpListener, metrics: Arc<Metrics>, conns: Arc<ConnLimit>) {
    let scrapers = ConnLimit::new(MAX_SCRAPERS);
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(stream) => stream,
            Err(e) => {
                debug!("metrics accept failed: {e}");
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        let Some(slot) = scrapers.try_acquire() else {
            continue;
        };
        let (metrics, conns) = (metrics.clone(), conns.clone());
        let spawned = std::thread::Builder::new()
            .name("agora-metrics-conn".into())
            .spawn(move || {
                if let Err(e) = serve(stream, &metrics, &conns) {
                    debug!("metrics connection: {e}");
                }
                drop(slot);
            });
        if let Err(e) = spawned {
            warn!("cannot start a metrics connection thread: {e}");
        }
    }
}

/// One scraper's connection, through core's machine.
fn serve(mut stream: TcpStream, metrics: &Metrics, conns: &ConnLimit) -> io::Result<()> {
    let limits = Limits {
        max_body_bytes: 1024,
        ..Limits::default()
    };
    let mut conn = Conn::new(limits, now());
    let mut buf = [0u8; 4096];
    let mut eof = false;
    loop {
        let deadline = loop {
            match conn.poll_output() {
                Output::Send(bytes) => stream.write_all(&bytes)?,
                Output::Request(id, request) => {
                    let response = answer(&request, metrics, conns);
                    conn.handle_input(Input::Response(id, response), now());
                }
                Output::Close => return Ok(()),
                Output::Timeout(deadline) => break deadline,
            }
        };
        if eof {
            return Ok(());
        }
        let wait = deadline.map(|at| {
            at.saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1))
        });
        stream.set_read_timeout(wait)?;
        match stream.read(&mut buf) {
            Ok(0) => {
                eof = true;
                conn.handle_input(Input::Eof, now());
            }
            Ok(n) => conn.handle_input(Input::Bytes(&buf[..n]), now()),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                conn.handle_input(Input::Timeout, now());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// `GET /metrics` (or `HEAD`): the exposition; any other path 404, any
/// other method 405.
fn answer(request: &Request, metrics: &Metrics, conns: &ConnLimit) -> Response {
    if request.path() != PATH {
        return error_response(
            404,
            ErrorCode::NotFound,
            "only /metrics is served here",
            None,
        );
    }
    if request.method != "GET" && request.method != "HEAD" {
        return error_response(
            405,
            ErrorCode::MethodNotAllowed,
            "this endpoint accepts only GET",
            None,
        )
        .with_header("Allow", "GET, HEAD");
    }
    Response {
        status: 200,
        headers: vec![("Content-Type".into(), CONTENT_TYPE.into())],
        body: metrics.render(conns.active()).into_bytes(),
    }
}

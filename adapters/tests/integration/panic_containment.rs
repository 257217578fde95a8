//! A panic while handling a request closes that connection only, is logged, and
//! the server keeps serving: each runtime's real accept loop on 127.0.0.1, with
//! a test-only request hook (`ServerConfig::request_hook`, behind adapters'
//! `test-hooks` feature, which the binary never turns on) that panics on
//! `/panic/...`.

use agora_adapters::{serve, Runtime, ServerConfig, Shared, Shutdown};
use agora_core::http::Request;
use agora_store::{Handle, StoreConfig};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(10);

fn panic_on_request(request: &Request) {
    if request.path().starts_with("/panic/") {
        panic!("injected panic on {}", request.path());
    }
}

/// Everything the server logs, from every test of this binary.
fn log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || LogWriter(sink.clone()))
            .init();
        log
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn log_text() -> String {
    String::from_utf8_lossy(&log().lock().unwrap()).into_owned()
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, TIMEOUT).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream
}

fn request(method: &str, target: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} {target} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Reads one response; `None` if the connection ends (EOF or reset) first.
fn read_response(stream: &mut TcpStream) -> Option<(u16, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .split("\r\n")
                .find_map(|line| line.strip_prefix("content-length: "))
                .map_or(0, |v| v.trim().parse().unwrap());
            if buf.len() >= end + 4 + length {
                let status = head[9..12].parse().unwrap();
                let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + length]);
                return Some((status, body.into_owned()));
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return None,
            Err(e) => panic!("read failed (a stalled server?): {e}"),
        }
    }
}

fn exchange(stream: &mut TcpStream, method: &str, target: &str, body: &str) -> (u16, String) {
    stream.write_all(&request(method, target, body)).unwrap();
    read_response(stream).expect("a response")
}

/// Registers `name` on the open connection `stream`, which must be served.
fn register(stream: &mut TcpStream, name: &str) {
    let body = format!(r#"{{"user_name":"{name}"}}"#);
    let (status, answer) = exchange(stream, "POST", "/get-token", &body);
    assert_eq!(status, 200, "{answer}");
}

fn panics_close_one_connection_only(runtime: Runtime) {
    log();
    let dir = tempfile::tempdir().unwrap();
    let store = Handle::open(StoreConfig::sqlite(dir.path().join("agora.db"))).unwrap();
    let config = ServerConfig {
        threads: 2,
        request_hook: Some(panic_on_request),
        ..ServerConfig::default()
    };
    let shutdown = Arc::new(Shutdown::new());
    let shared = Shared::new(store.clone(), config, shutdown.clone());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let serving = {
        let shared = shared.clone();
        std::thread::spawn(move || serve(runtime, listener, shared))
    };

    let mut steady = connect(addr);
    register(&mut steady, "steady");

    // Several connections panic, one of them after a good request and with a
    // good request pipelined behind the bad one: each is closed, unanswered.
    let panic_target = format!("/panic/{runtime}");
    for round in 0..5 {
        let mut doomed = connect(addr);
        if round == 0 {
            assert_eq!(exchange(&mut doomed, "GET", "/nowhere", "").0, 404);
        }
        let mut bytes = request("GET", &panic_target, "");
        bytes.extend(request("GET", "/nowhere", ""));
        doomed.write_all(&bytes).unwrap();
        assert_eq!(read_response(&mut doomed), None, "closed without an answer");
    }

    // The other connection and new ones are served as before.
    register(&mut steady, "after");
    let mut fresh = connect(addr);
    assert_eq!(exchange(&mut fresh, "GET", "/nowhere", "").0, 404);
    drop(fresh);

    // Every panicked connection gave its place back.
    let started = Instant::now();
    while shared.conns.active() != 1 {
        assert!(
            started.elapsed() < TIMEOUT,
            "{} open",
            shared.conns.active()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let logged = format!("a connection panicked and was closed: injected panic on {panic_target}");
    assert_eq!(log_text().matches(&logged).count(), 5, "{}", log_text());

    drop(steady);
    shutdown.trigger();
    serving.join().unwrap().unwrap();
    store.shutdown();
}

#[test]
fn tokio() {
    panics_close_one_connection_only(Runtime::Tokio)
}

#[test]
fn smol() {
    panics_close_one_connection_only(Runtime::Smol)
}

#[test]
fn blocking() {
    panics_close_one_connection_only(Runtime::Blocking)
}

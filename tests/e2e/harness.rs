//! The e2e harness: finds (builds) the `agora-server` binary, runs it on a free
//! port with a fresh temporary database, and talks to it with a small HTTP client
//! written here, independent of the server's own HTTP code.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Every socket read and every wait in the suite is bounded by this.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    Tokio,
    Smol,
    Blocking,
}

impl Runtime {
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Tokio => "tokio",
            Runtime::Smol => "smol",
            Runtime::Blocking => "blocking",
        }
    }
}

/// The workspace root (this package lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The server binary: `$AGORA_SERVER_BIN` if set, else built once with cargo into
/// the same target directory and profile as this test binary. (Cargo only gives
/// `CARGO_BIN_EXE_*` to tests of the binary's own package.)
pub fn server_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(path) = std::env::var_os("AGORA_SERVER_BIN") {
            return PathBuf::from(path);
        }
        let exe = std::env::current_exe().expect("current test executable");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("test binary lives in <target>/<profile>/deps");
        let target_dir = profile_dir.parent().expect("profile dir has a parent");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .current_dir(workspace_root())
            .args(["build", "-p", "agora-server", "--bin", "agora-server"])
            .arg("--target-dir")
            .arg(target_dir);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build for agora-server");
        assert!(status.success(), "cargo build -p agora-server failed");
        let binary = profile_dir.join("agora-server");
        assert!(binary.exists(), "no binary at {}", binary.display());
        binary
    })
}

/// A running `agora-server`, killed on drop.
pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    runtime: Runtime,
    log: Arc<Mutex<Vec<String>>>,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// A server with a fresh database in a temporary directory.
    pub fn start(runtime: Runtime, extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("agora.db");
        let mut server = Server::start_on(runtime, &db, extra);
        server._dir = Some(dir);
        server
    }

    /// A server on the given database file (kept by the caller).
    pub fn start_on(runtime: Runtime, db: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(server_binary())
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--runtime",
                runtime.name(),
            ])
            .arg("--db")
            .arg(db)
            .args(["--log", "info"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn agora-server");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = mpsc::channel();
        let log_writer = log.clone();
        // Drains stderr for the server's whole life, so its logging never blocks.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr = rest.split_whitespace().next().unwrap_or("").to_owned();
                    let _ = addr_tx.send(addr);
                }
                log_writer.lock().unwrap().push(line);
            }
        });
        let mut server = Server {
            child: Some(child),
            addr: "127.0.0.1:0".parse().unwrap(),
            runtime,
            log,
            _dir: None,
        };
        match addr_rx.recv_timeout(IO_TIMEOUT) {
            Ok(addr) => server.addr = addr.parse().expect("bound address in the start-up line"),
            Err(_) => panic!(
                "agora-server ({}) did not report its address; log:\n{}",
                runtime.name(),
                server.log_text()
            ),
        }
        server
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    pub fn client(&self) -> Client {
        Client::connect(self.addr)
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().expect("running").id() as i32
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child's pid.
        let rc = unsafe { libc::kill(self.pid(), signal) };
        assert_eq!(rc, 0, "kill({signal}) failed");
    }

    /// Sends `signal` and waits (bounded) for the process to exit.
    pub fn stop_with(mut self, signal: i32) -> (ExitStatus, Duration) {
        let started = Instant::now();
        self.signal(signal);
        let mut child = self.child.take().expect("running");
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                return (status, started.elapsed());
            }
            if started.elapsed() > IO_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "server did not exit after signal {signal}; log:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGTERM, and asserts a clean exit.
    pub fn stop(self) {
        let (status, _) = self.stop_with(libc::SIGTERM);
        assert!(status.success(), "exit status after SIGTERM: {status}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            if std::thread::panicking() {
                eprintln!(
                    "--- agora-server ({}) log ---\n{}",
                    self.runtime.name(),
                    self.log_text()
                );
            }
        }
    }
}

/// One response as read off the wire.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
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
        if status < 200 {
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

/// Generates one `#[test]` per runtime for each scenario `fn name(Runtime)`.
macro_rules! per_runtime {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use crate::harness::Runtime;
                #[test]
                fn tokio() {
                    super::$name(Runtime::Tokio)
                }
                #[test]
                fn smol() {
                    super::$name(Runtime::Smol)
                }
                #[test]
                fn blocking() {
                    super::$name(Runtime::Blocking)
                }
            }
        )*
    };
}

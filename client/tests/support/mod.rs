//! A real `agora-server` on 127.0.0.1 (ephemeral port, temporary database),
//! killed on drop, and `agora` runs bounded in time.

#![allow(dead_code)] // each test file uses its own part of the harness

pub mod cutting_proxy;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// No `agora` run in these tests may take longer than this.
pub const RUN_LIMIT: Duration = Duration::from_secs(30);

pub fn agora_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_agora"))
}

/// The `agora-server` the shared harness finds (built by `cargo test --workspace`).
fn server_bin() -> &'static Path {
    agora_tests::server_binary()
}

pub struct Server {
    child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts a server with `extra` flags and waits for its address.
    pub fn start(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("agora.db");
        let mut child = Command::new(server_bin())
            .args(["--host", "127.0.0.1", "--port", "0", "--db"])
            .arg(&db)
            .args(extra)
            .env_remove("AGORA_PORT")
            .env_remove("AGORA_HOST")
            .env_remove("AGORA_DB")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start agora-server");
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        // Reads the log to the end, so the server never blocks on a full pipe.
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("listening on http://") {
                    let url = line[at + "listening on ".len()..]
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    let _ = tx.send(url);
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("agora-server did not report its address");
            }
        };
        Server {
            child,
            url,
            _dir: dir,
        }
    }

    /// Kills the server and waits for it, so its port refuses connections.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What one `agora` run printed, and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A config directory (token file) for one test's users.
pub struct Client {
    pub server: String,
    pub config: tempfile::TempDir,
}

impl Client {
    pub fn new(server: &Server) -> Client {
        Client::at(&server.url)
    }

    /// A client of whatever listens at `url` (a proxy, a fake peer).
    pub fn at(url: &str) -> Client {
        Client {
            server: url.to_owned(),
            config: tempfile::tempdir().unwrap(),
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(agora_bin());
        command
            .args(args)
            .env("AGORA_SERVER", &self.server)
            .env("AGORA_CONFIG_DIR", self.config.path().join("agora"))
            .env_remove("AGORA_USER")
            .env("TZ", "UTC");
        command
    }

    /// Runs `agora args...` with stdin closed.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_input(args, "")
    }

    /// Runs `agora args...` with `input` on stdin, then end of input.
    pub fn run_with_input(&self, args: &[&str], input: &str) -> Run {
        finish(self.command(args), input)
    }

    /// Runs `agora args...` with stdin closed, in the time zone `tz` (`TZ`).
    pub fn run_in_zone(&self, tz: &str, args: &[&str]) -> Run {
        let mut command = self.command(args);
        command.env("TZ", tz);
        finish(command, "")
    }

    /// `agora register name`, which must succeed.
    pub fn register(&self, name: &str) {
        let run = self.run(&["register", name]);
        assert_eq!(run.code, 0, "register {name}: {run:?}");
    }
}

/// Runs `command` with `input` on stdin, then end of input, bounded in time.
fn finish(mut command: Command, input: &str) -> Run {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start agora");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    let stdout = collect(child.stdout.take().unwrap());
    let stderr = collect(child.stderr.take().unwrap());
    let status = wait_bounded(&mut child, RUN_LIMIT);
    Run {
        code: status.code().expect("agora ended by a signal"),
        stdout: stdout.recv().unwrap(),
        stderr: stderr.recv().unwrap(),
    }
}

fn collect(mut pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        let _ = tx.send(text);
    });
    rx
}

/// Waits for `child`, killing it (and failing the test) past `limit`.
pub fn wait_bounded(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("agora did not finish within {limit:?}");
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// An `agora chat` kept running: lines typed on its stdin, lines of its
/// stdout read as they come.
pub struct Chat {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    pub seen: Vec<String>,
    stderr: Receiver<String>,
}

impl Chat {
    pub fn start(client: &Client, user: &str) -> Chat {
        let mut child = client
            .command(&["--user", user, "chat"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start agora chat");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = collect(child.stderr.take().unwrap());
        Chat {
            stdin: child.stdin.take(),
            child,
            lines,
            seen: Vec::new(),
            stderr,
        }
    }

    pub fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// Waits (at most `limit`) for a stdout line containing `text`.
    pub fn expect_line(&mut self, text: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(line) = self.seen.iter().find(|l| l.contains(text)) {
                return line.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!(
                    "no line with {text:?} within {limit:?}; saw {:?}",
                    self.seen
                ),
            }
        }
    }

    /// Closes stdin (end of input) and returns the exit code and stderr.
    pub fn finish(mut self) -> (i32, String) {
        drop(self.stdin.take());
        self.finish_after_exit()
    }

    /// Waits for the chat to end by itself (stdin left open).
    pub fn finish_after_exit(mut self) -> (i32, String) {
        let status = wait_bounded(&mut self.child, RUN_LIMIT);
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        let stderr = self.stderr.recv().unwrap_or_default();
        (status.code().expect("agora chat ended by a signal"), stderr)
    }
}

impl Drop for Chat {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

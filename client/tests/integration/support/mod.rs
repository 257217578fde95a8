//! A real `agora-server` on 127.0.0.1 (ephemeral port, temporary database),
//! killed on drop, and `agora` runs bounded in time.

#![allow(dead_code)] // each test file uses its own part of the harness

pub mod cutting_proxy;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// No `agora` run in these tests may take longer than this.
pub const RUN_LIMIT: Duration = Duration::from_secs(30);

/// The number in `text` right after `marker`, up to `end`: an id, a cursor
/// or a count in a line of `agora`'s output. Fails the test, showing `text`,
/// when there is none.
pub fn number_after(text: &str, marker: &str, end: char) -> u64 {
    text.split(marker)
        .nth(1)
        .and_then(|rest| rest.split(end).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number after {marker:?} in {text:?}"))
}

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
    dir: tempfile::TempDir,
    db: PathBuf,
    extra: Vec<String>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts a server with `extra` flags and waits for its address.
    pub fn start(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("agora.db");
        let extra: Vec<String> = extra.iter().map(|&flag| flag.to_owned()).collect();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (child, url) = spawn_server(&db, 0, &extra, &log);
        Server {
            child,
            url,
            dir,
            db,
            extra,
            log,
        }
    }

    /// Kills the server and waits for it, so its port refuses connections.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again, stopped or not, on the same address and
    /// database: what its clients see of a restart.
    pub fn restart(&mut self) {
        self.stop();
        let (child, url) = spawn_server(&self.db, self.port(), &self.extra, &self.log);
        assert_eq!(url, self.url);
        self.child = child;
    }

    /// Starts the server again on the same address with a new, empty database:
    /// a server that knows none of the tokens its clients saved.
    pub fn restart_with_a_new_database(&mut self) {
        self.db = self.dir.path().join("another.db");
        self.restart();
    }

    /// The server's log lines so far (`--log debug` has one per request).
    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn port(&self) -> u16 {
        let (_, port) = self.url.rsplit_once(':').expect("url with a port");
        port.parse().expect("a port number")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts `agora-server` on 127.0.0.1:`port` (0: any free one) and returns
/// it with the URL it reports; its log lines are added to `log`.
fn spawn_server(
    db: &Path,
    port: u16,
    extra: &[String],
    log: &Arc<Mutex<Vec<String>>>,
) -> (Child, String) {
    let mut child = Command::new(server_bin())
        .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--db"])
        .arg(db)
        .args(extra)
        .env_remove("AGORA_PORT")
        .env_remove("AGORA_HOST")
        .env_remove("AGORA_DB")
        .envs(agora_tests::SEED_RULES)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start agora-server");
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let log = log.clone();
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
            log.lock().unwrap().push(line);
        }
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(url) => (child, url),
        Err(_) => {
            let _ = child.kill();
            panic!("agora-server did not report its address");
        }
    }
}

/// What one `agora` run printed, and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts that the run ended with `code` and printed `text` on stdout.
    pub fn assert_out(&self, code: i32, text: &str) {
        assert_eq!(self.code, code, "{self:?}");
        assert!(self.stdout.contains(text), "{self:?}");
    }

    /// Asserts that the run ended with `code` and printed `text` on stderr.
    pub fn assert_err(&self, code: i32, text: &str) {
        assert_eq!(self.code, code, "{self:?}");
        assert!(self.stderr.contains(text), "{self:?}");
    }

    /// Asserts that the run was refused with `code`: its stderr begins with
    /// the `agora: ` of every refusal and holds each of `texts`.
    pub fn assert_refused(&self, code: i32, texts: &[&str]) {
        assert_eq!(self.code, code, "{self:?}");
        assert!(self.stderr.starts_with("agora: "), "{self:?}");
        for text in texts {
            assert!(self.stderr.contains(text), "no {text:?} in {self:?}");
        }
    }
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

    /// A client of `server` with each of `names` registered (`agora register`).
    pub fn with_users(server: &Server, names: &[&str]) -> Client {
        let client = Client::new(server);
        for name in names {
            client.register(name);
        }
        client
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

    /// Runs `agora --user USER args...` with stdin closed.
    pub fn run_as(&self, user: &str, args: &[&str]) -> Run {
        self.run(&[&["--user", user], args].concat())
    }

    /// Runs each step, `(user, args, code, text)`, as `agora --user USER
    /// args...` in order: each must end with its code and print its text, on
    /// stdout when the code is 0 and on stderr otherwise.
    pub fn expect_runs(&self, steps: &[(&str, &[&str], i32, &str)]) {
        for &(user, args, code, text) in steps {
            let run = self.run_as(user, args);
            if code == 0 {
                run.assert_out(code, text);
            } else {
                run.assert_err(code, text);
            }
        }
    }

    /// Runs `agora --user USER args...`, which must succeed; what it printed.
    pub fn ok_as(&self, user: &str, args: &[&str]) -> String {
        let run = self.run_as(user, args);
        assert_eq!(run.code, 0, "{run:?}");
        run.stdout
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
    let mut child = spawn_piped(&mut command);
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

/// Starts `command` with its stdin, stdout and stderr piped to the test.
fn spawn_piped(command: &mut Command) -> Child {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start agora")
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

/// An `agora` kept running (`chat`, `watch`): lines typed on its stdin, lines
/// of its stdout and stderr read as they come.
pub struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    pub stdout: Lines,
    pub stderr: Lines,
}

impl Running {
    /// `agora args...` of `client`.
    pub fn start(client: &Client, args: &[&str]) -> Running {
        Running::of(client.command(args))
    }

    /// `command`, an `agora` command line of [`Client::command`].
    pub fn of(mut command: Command) -> Running {
        let mut child = spawn_piped(&mut command);
        Running {
            stdin: child.stdin.take(),
            stdout: Lines::of(child.stdout.take().unwrap()),
            stderr: Lines::of(child.stderr.take().unwrap()),
            child,
        }
    }

    /// `agora --user USER chat`.
    pub fn chat(client: &Client, user: &str) -> Running {
        Running::start(client, &["--user", user, "chat"])
    }

    pub fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// Waits (at most `limit`) for a stdout line containing `text`.
    pub fn expect_line(&mut self, text: &str, limit: Duration) -> String {
        self.stdout.expect(text, limit)
    }

    /// Closes stdin (end of input) and returns the exit code and stderr.
    pub fn finish(mut self) -> (i32, String) {
        drop(self.stdin.take());
        self.wait_for_exit()
    }

    /// Waits for the run to end by itself (stdin left open).
    pub fn finish_after_exit(mut self) -> (i32, String) {
        self.wait_for_exit()
    }

    /// Ctrl-C: sends SIGINT, then waits for the exit; the exit code and
    /// stderr. Every line printed is in `stdout.seen` afterwards.
    pub fn interrupt(&mut self) -> (i32, String) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) on our own child, which has not been waited for.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
        self.wait_for_exit()
    }

    /// Waits for the exit (bounded); the exit code and stderr. Every line
    /// printed is in `stdout.seen` and `stderr.seen` afterwards.
    pub fn wait_for_exit(&mut self) -> (i32, String) {
        let status = wait_bounded(&mut self.child, RUN_LIMIT);
        self.stdout.drain();
        self.stderr.drain();
        let code = status.code().expect("agora ended by a signal");
        (code, self.stderr.seen.join("\n"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines of a pipe, as they come.
pub struct Lines {
    rx: Receiver<String>,
    pub seen: Vec<String>,
}

impl Lines {
    fn of(pipe: impl Read + Send + 'static) -> Lines {
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Lines {
            rx,
            seen: Vec::new(),
        }
    }

    /// Waits (at most `limit`) for a line containing `text`.
    pub fn expect(&mut self, text: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(line) = self.seen.iter().find(|l| l.contains(text)) {
                return line.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!(
                    "no line with {text:?} within {limit:?}; saw {:?}",
                    self.seen
                ),
            }
        }
    }

    /// Every line until the pipe closes (its writer has exited).
    fn drain(&mut self) {
        while let Ok(line) = self.rx.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
    }
}

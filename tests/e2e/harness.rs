//! The e2e harness: finds the `agora-server` binary, runs it on a free
//! port with a fresh temporary database, and talks to it with a small HTTP client
//! written here, independent of the server's own HTTP code.
//!
//! Every scenario runs on both stores: SQLite, and PostgreSQL for the `_pg`
//! tests ([`on_postgres`]). Scenarios name their database by a file path
//! either way; on PostgreSQL the harness maps each path to a database of its
//! own ([`db_arg`]), so a restart on the same path reopens the same data.

pub use crate::client::{request_bytes, Client, Reply};
use agora_tests::pg::{self, PgDatabase};
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Every socket read and every wait in the suite is bounded by this.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// The runtimes every scenario runs on: the server's own type and names.
pub use agora_adapters::Runtime;

pub use agora_tests::{server_binary, workspace_root, SEED_RULES};

thread_local! {
    /// While a `_pg` test runs on this thread: the PostgreSQL databases that
    /// stand for the database paths its scenario used, by path. `None`: SQLite.
    /// (Each test runs on a thread of its own, and scenarios start their
    /// servers on that thread.)
    static POSTGRES: RefCell<Option<HashMap<PathBuf, PgDatabase>>> = const { RefCell::new(None) };
}

/// Runs `scenario` with every server it starts on PostgreSQL
/// (`$AGORA_TEST_PG`); the databases it used are dropped afterwards, its
/// servers being gone by then. Under `AGORA_SKIP_PG=1` it says loudly that
/// `test` is skipped and returns; without a cluster it fails
/// ([`pg::cluster_url`]).
pub fn on_postgres(test: &str, scenario: impl FnOnce()) {
    if pg::cluster_url().is_none() {
        return pg::skipped(test);
    }
    /// Back to SQLite when the scenario ends, even by a panic.
    struct Scope;
    impl Drop for Scope {
        fn drop(&mut self) {
            drop(POSTGRES.take());
        }
    }
    POSTGRES.set(Some(HashMap::new()));
    let _scope = Scope;
    scenario();
}

/// Whether this thread's servers run on PostgreSQL ([`on_postgres`]).
pub fn on_postgres_now() -> bool {
    POSTGRES.with_borrow(Option::is_some)
}

/// What `--db` gets for the database file `db`: the path itself on SQLite;
/// on PostgreSQL the URL of the database that stands for that path until the
/// test ends (created empty on first use, like a new file).
pub fn db_arg(db: &Path) -> OsString {
    POSTGRES.with_borrow_mut(|named| match named {
        None => db.as_os_str().to_owned(),
        Some(named) => {
            let database = named.entry(db.to_path_buf()).or_insert_with(|| {
                // The pid keeps a rerun on a long-lived cluster off a leftover
                // database whose temporary path came up again.
                let key = format!("{}:{}", std::process::id(), db.display());
                PgDatabase::named(&key).expect("on_postgres checked the cluster")
            });
            database.url().into()
        }
    })
}

/// `agora-server` on an ephemeral 127.0.0.1 port with `runtime` and `db`, no
/// stdin or stdout; the caller adds flags and decides where stderr goes.
pub fn server_command(runtime: Runtime, db: &Path) -> Command {
    server_command_at(runtime, db, 0)
}

/// [`server_command`] on a given port (0: an ephemeral one).
pub fn server_command_at(runtime: Runtime, db: &Path, port: u16) -> Command {
    command_on(runtime, &db_arg(db), port)
}

/// [`server_command_at`] with `--db` given as is.
fn command_on(runtime: Runtime, db: &OsStr, port: u16) -> Command {
    let mut command = Command::new(server_binary());
    command
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--runtime",
        ])
        .arg(runtime.name())
        .arg("--db")
        .arg(db)
        .envs(SEED_RULES)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    // Nodes that share a PostgreSQL database share a secret file (a
    // test's own --secret-file beats the variable).
    if db.to_str().is_some_and(|db| db.starts_with("postgres")) {
        command.env("AGORA_SECRET_FILE", agora_tests::pg_secret_file());
    }
    command
}

/// A running `agora-server`, killed on drop.
pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    runtime: Runtime,
    log: Arc<Mutex<Vec<String>>>,
    /// The database [`Server::start`] made for this server, removed after it
    /// is gone: a temporary directory, or a PostgreSQL database.
    _dir: Option<tempfile::TempDir>,
    _pg: Option<PgDatabase>,
}

impl Server {
    /// A server with a fresh database: in a temporary directory, or a new
    /// PostgreSQL database under [`on_postgres`].
    pub fn start(runtime: Runtime, extra: &[&str]) -> Server {
        if on_postgres_now() {
            let database = PgDatabase::fresh().expect("on_postgres checked the cluster");
            let mut server = Server::spawn(runtime, database.url().as_ref(), 0, extra, &[]);
            server._pg = Some(database);
            server
        } else {
            let dir = tempfile::tempdir().expect("temp dir");
            let db = dir.path().join("agora.db");
            let mut server = Server::start_on(runtime, &db, extra);
            server._dir = Some(dir);
            server
        }
    }

    /// A server on the given database file (kept by the caller; on
    /// PostgreSQL, the database that stands for it: [`db_arg`]).
    pub fn start_on(runtime: Runtime, db: &Path, extra: &[&str]) -> Server {
        Server::start_with_env(runtime, db, extra, &[])
    }

    /// A server on the database `--db` names as is (e.g. a `postgres://` URL
    /// that several servers share), whatever store this thread's tests use.
    pub fn start_on_url(runtime: Runtime, url: &str, extra: &[&str]) -> Server {
        Server::spawn(runtime, OsStr::new(url), 0, extra, &[])
    }

    /// A server with extra `AGORA_*` environment variables.
    pub fn start_with_env(
        runtime: Runtime,
        db: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        Server::spawn(runtime, &db_arg(db), 0, extra, env)
    }

    /// A server on the given port and database file, e.g. the same port again
    /// after a stop, for a client that must find it where it was.
    #[allow(dead_code)] // used by the browser suite, which shares this harness
    pub fn start_at(runtime: Runtime, db: &Path, port: u16, extra: &[&str]) -> Server {
        Server::spawn(runtime, &db_arg(db), port, extra, &[])
    }

    /// `db`: what `--db` gets.
    fn spawn(
        runtime: Runtime,
        db: &OsStr,
        port: u16,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        let mut command = command_on(runtime, db, port);
        // `info` unless the test sets its own level.
        if !extra.contains(&"--log") {
            command.args(["--log", "info"]);
        }
        let mut child = command
            .envs(env.iter().copied())
            .args(extra)
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
            _pg: None,
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

/// Generates one `#[test]` per runtime and store for each scenario `fn
/// name(Runtime)`: `name::{tokio,smol,blocking}` on SQLite and
/// `name::{tokio_pg,smol_pg,blocking_pg}` on PostgreSQL ([`on_postgres`]).
macro_rules! per_runtime {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use crate::harness::{on_postgres, Runtime};
                per_runtime!(@sqlite $name);
                #[test]
                fn tokio_pg() {
                    on_postgres(concat!(module_path!(), "::tokio_pg"), || {
                        super::$name(Runtime::Tokio)
                    })
                }
                #[test]
                fn smol_pg() {
                    on_postgres(concat!(module_path!(), "::smol_pg"), || {
                        super::$name(Runtime::Smol)
                    })
                }
                #[test]
                fn blocking_pg() {
                    on_postgres(concat!(module_path!(), "::blocking_pg"), || {
                        super::$name(Runtime::Blocking)
                    })
                }
            }
        )*
    };
    (@sqlite $name:ident) => {
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
    };
}

/// [`per_runtime!`] for scenarios about SQLite itself (its files, their
/// faults): the three SQLite tests only.
macro_rules! per_runtime_sqlite {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use crate::harness::Runtime;
                per_runtime!(@sqlite $name);
            }
        )*
    };
}

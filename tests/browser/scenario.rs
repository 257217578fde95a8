//! Runs one browser scenario: alone (a lock), on a current-thread runtime,
//! with its own chromedriver, torn down whatever happens.

use crate::chrome::{self, Driver};
use crate::harness::{Runtime, Server};
use std::future::Future;
use std::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs `body` with a fresh chromedriver; skipped only when the suite is
/// turned off explicitly.
pub fn run<F, Fut>(name: &str, body: F)
where
    F: FnOnce(Driver) -> Fut,
    Fut: Future<Output = ()>,
{
    if chrome::opted_out() {
        eprintln!("{name}: skipped ({}=1)", chrome::OPT_OUT);
        return;
    }
    let _alone = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(body(Driver::start()));
}

/// [`run`] with a fresh server (tokio, started with `flags`) for the body.
pub fn with_server<F, Fut>(name: &str, flags: &[&str], body: F)
where
    F: FnOnce(Driver, Server) -> Fut,
    Fut: Future<Output = ()>,
{
    run(name, |driver| {
        body(driver, Server::start(Runtime::Tokio, flags))
    })
}

/// A database file in a folder of its own and a free port on 127.0.0.1: for
/// a scenario that stops its server and starts it again where the page
/// expects it.
pub struct SamePlace {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    port: u16,
}

impl SamePlace {
    pub fn new() -> SamePlace {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("agora.db");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        SamePlace {
            _dir: dir,
            db,
            port,
        }
    }

    /// A server (tokio) on this place's database and port.
    pub fn start(&self) -> Server {
        Server::start_at(Runtime::Tokio, &self.db, self.port, &[])
    }
}

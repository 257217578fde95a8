//! Runs one browser scenario: alone (a lock), on a current-thread runtime,
//! with its own chromedriver, torn down whatever happens. The scenario opens
//! its browsers through its [`Scene`], which closes every one of them when
//! the scenario is through (so no scenario ends with a list of `close`s).

use crate::chrome::{self, Driver};
use crate::harness::{Runtime, Server};
use crate::page::{Page, DESKTOP};
use fantoccini::Client;
use std::cell::RefCell;
use std::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// One scenario's chromedriver and the browsers it opened: what a scenario
/// opens pages with. Each page is named after the scenario (screenshots).
pub struct Scene {
    driver: Driver,
    name: &'static str,
    opened: RefCell<Vec<Client>>,
}

/// Runs `body` with a fresh chromedriver, then closes the browsers it
/// opened; skipped only when the suite is turned off explicitly.
pub fn run(name: &'static str, body: impl AsyncFnOnce(&Scene)) {
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
    runtime.block_on(async {
        let scene = Scene {
            driver: Driver::start(),
            name,
            opened: RefCell::new(Vec::new()),
        };
        body(&scene).await;
        scene.close_all().await;
    });
}

/// [`run`] with a fresh server (tokio, started with `flags`) for the body;
/// the browsers are closed before the server stops.
pub fn with_server(name: &'static str, flags: &[&str], body: impl AsyncFnOnce(&Scene, &Server)) {
    run(name, async |scene| {
        let server = Server::start(Runtime::Tokio, flags);
        body(scene, &server).await;
        scene.close_all().await;
    })
}

/// [`with_server`] for a scenario about what users see live of each
/// other: a [`Scene::live_user`] for each name, opened in order, is given to
/// the body.
pub fn with_live_users<const N: usize>(
    name: &'static str,
    names: [&str; N],
    body: impl AsyncFnOnce(&Server, [Page; N]),
) {
    with_server(name, &[], async |scene, server| {
        let pages = scene.live_users(server, names).await;
        body(server, pages).await;
    })
}

impl Scene {
    /// A new browser at the server's page, `size` its window, in the dark
    /// colour scheme when `dark`.
    pub async fn open_themed(&self, server: &Server, size: (u32, u32), dark: bool) -> Page {
        let client = self.driver.session(size.0, size.1, dark).await;
        self.opened.borrow_mut().push(client.clone());
        Page::load(client, server, self.name).await
    }

    /// [`Scene::open_themed`] in the light colour scheme.
    pub async fn open(&self, server: &Server, size: (u32, u32)) -> Page {
        self.open_themed(server, size, false).await
    }

    /// A new browser at the server's page with user `name` registered from
    /// its welcome screen.
    pub async fn signed_up(&self, server: &Server, size: (u32, u32), name: &str) -> Page {
        let mut page = self.open(server, size).await;
        page.register(name).await;
        page
    }

    /// [`Scene::signed_up`] at desktop size, once its live stream is open:
    /// a user of a scenario about what another browser sees live.
    pub async fn live_user(&self, server: &Server, name: &str) -> Page {
        let page = self.signed_up(server, DESKTOP, name).await;
        page.wait_live().await;
        page
    }

    /// A [`Scene::live_user`] for each name, opened in order.
    pub async fn live_users<const N: usize>(&self, server: &Server, names: [&str; N]) -> [Page; N] {
        let mut pages = Vec::with_capacity(N);
        for name in names {
            pages.push(self.live_user(server, name).await);
        }
        pages
            .try_into()
            .unwrap_or_else(|_| unreachable!("one page a name"))
    }

    /// The chromedriver, for WebDriver commands a page step sends itself.
    pub fn driver(&self) -> &Driver {
        &self.driver
    }

    /// Closes every browser opened so far (one the scenario closed itself
    /// already just refuses again, unheard).
    async fn close_all(&self) {
        let opened = self.opened.take();
        for client in opened {
            let _ = client.close().await;
        }
    }
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

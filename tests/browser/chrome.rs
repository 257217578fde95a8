//! Headless Chromium driven over WebDriver: one chromedriver per scenario,
//! one fresh browser profile per user, everything in one process group that
//! is killed when the scenario ends, however it ends.

use crate::harness::IO_TIMEOUT;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Map, Value};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

/// Set to `1` to skip the browser suite (say, on a machine without
/// Chromium). Without it a missing Chromium fails the suite.
pub const OPT_OUT: &str = "AGORA_SKIP_BROWSER";

/// The flags Chromium needs here: headless as root, no GPU, and no
/// background traffic (the machine's network is closed; without these it
/// floods refused connections).
const FLAGS: [&str; 10] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
];

/// Headless Chromium's narrowest window, in CSS pixels.
const MIN_WINDOW_WIDTH: u32 = 500;

/// Whether the suite was explicitly turned off.
pub fn opted_out() -> bool {
    std::env::var(OPT_OUT).is_ok_and(|v| v == "1")
}

/// `$env` if set, else `name` found on `PATH`.
fn program(env: &str, name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(env) {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} is not installed: the browser tests need Debian's `chromium` and \
                 `chromium-driver` (apt-get install chromium chromium-driver; .ci/run does), \
                 or {env} naming the program; {OPT_OUT}=1 skips them"
            )
        })
}

/// A running chromedriver, with the browsers it started.
pub struct Driver {
    child: Child,
    url: String,
    chromium: PathBuf,
    profiles: tempfile::TempDir,
    sessions: std::cell::Cell<u32>,
}

impl Driver {
    /// Starts chromedriver on a free loopback port, in a process group of its
    /// own (the Chromium processes it starts join it).
    pub fn start() -> Driver {
        let chromium = program("AGORA_CHROMIUM", "chromium");
        let chromedriver = program("AGORA_CHROMEDRIVER", "chromedriver");
        let mut child = Command::new(&chromedriver)
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", chromedriver.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let (port_tx, port_rx) = mpsc::channel();
        // Reads the start-up line, then drains chromedriver's output for good.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("started successfully on port ").nth(1) {
                    let _ = port_tx.send(rest.trim_end_matches('.').to_owned());
                }
            }
        });
        let mut driver = Driver {
            child,
            url: String::new(),
            chromium,
            profiles: tempfile::tempdir().expect("a temporary folder for profiles"),
            sessions: std::cell::Cell::new(0),
        };
        let port = port_rx
            .recv_timeout(IO_TIMEOUT)
            .expect("chromedriver reported no port");
        driver.url = format!("http://127.0.0.1:{port}");
        driver
    }

    /// A new headless Chromium with a fresh profile, its window `width` x
    /// `height` CSS pixels, in the dark colour scheme when `dark`.
    pub async fn session(&self, width: u32, height: u32, dark: bool) -> Client {
        let n = self.sessions.get() + 1;
        self.sessions.set(n);
        let profile = self.profiles.path().join(format!("profile-{n}"));
        let mut args: Vec<String> = FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push(format!("--window-size={width},{height}"));
        if dark {
            // prefers-color-scheme: dark, as a system in dark mode gives it.
            args.push("--force-dark-mode".to_owned());
        }
        let mut options = json!({ "binary": path_text(&self.chromium), "args": args });
        if width < MIN_WINDOW_WIDTH {
            // A window is never narrower than this: a phone's screen is emulated.
            options["mobileEmulation"] = json!({
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0, "touch": false }
            });
        }
        let mut capabilities = Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), options);
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("no Chromium session from chromedriver: {e}"))
    }
}

impl Driver {
    /// Where chromedriver listens, for WebDriver commands fantoccini does
    /// not have (Set Permission).
    pub fn addr(&self) -> std::net::SocketAddr {
        self.url
            .trim_start_matches("http://")
            .parse()
            .expect("chromedriver's address")
    }
}

fn path_text(path: &Path) -> Value {
    Value::String(path.to_string_lossy().into_owned())
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and every Chromium it started.
        let group = self.child.id() as i32;
        // SAFETY: kill(2) on the process group of our own child.
        unsafe { libc::kill(-group, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

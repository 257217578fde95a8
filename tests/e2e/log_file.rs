//! A server whose log goes to a regular file rather than the harness's pipe,
//! for tests that need its exact stderr (or a file that can fail).

use crate::harness::{server_command, Runtime, IO_TIMEOUT};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A running server, killed on drop.
pub struct FileLoggedServer {
    pub child: Child,
    pub addr: SocketAddr,
}

impl FileLoggedServer {
    pub fn start(runtime: Runtime, db: &Path, log: &Path, extra: &[&str]) -> FileLoggedServer {
        let mut command = server_command(runtime, db);
        command.args(extra);
        FileLoggedServer::spawn(command, log)
    }

    /// Runs `command` (from [`server_command`], with whatever the test adds)
    /// with its log going to `log`, until its start-up line.
    pub fn spawn(mut command: Command, log: &Path) -> FileLoggedServer {
        let child = command
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("spawn agora-server");
        let mut server = FileLoggedServer {
            child,
            addr: "127.0.0.1:0".parse().unwrap(),
        };
        let started = Instant::now();
        server.addr = loop {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            if let Some(rest) = text.split("listening on http://").nth(1) {
                break rest.split_whitespace().next().unwrap().parse().unwrap();
            }
            assert!(started.elapsed() < IO_TIMEOUT, "no start-up line: {text}");
            std::thread::sleep(Duration::from_millis(20));
        };
        server
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// SIGTERM, and waits (bounded) for a clean exit, so the log is complete.
    pub fn stop(mut self) {
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(self.pid(), libc::SIGTERM) }, 0);
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status}");
                return;
            }
            assert!(started.elapsed() < IO_TIMEOUT, "no exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for FileLoggedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

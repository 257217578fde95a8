//! The open-file limit: a server started with few descriptors serves only as
//! many connections as they hold, says so in one warning, and answers the
//! connections beyond them 503 `overloaded` at once (not a hang); the open
//! connections keep working, the store included.

use crate::harness::{server_command, Client, Runtime};
use crate::log_file::FileLoggedServer;
use std::os::unix::process::CommandExt;

per_runtime!(connections_beyond_the_open_file_limit_get_503);

/// The server's soft and hard `RLIMIT_NOFILE`: far below the default
/// `--max-connections`.
const NOFILE: libc::rlim_t = 200;
/// Connections opened beyond those the server says it serves.
const BEYOND: usize = 10;

fn connections_beyond_the_open_file_limit_get_503(rt: Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let mut command = server_command(rt, &dir.path().join("agora.db"));
    command.args(["--log", "info"]);
    // SAFETY: runs in the forked child before exec; setrlimit(2) is
    // async-signal-safe and the closure allocates nothing.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: NOFILE,
                rlim_max: NOFILE,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let server = FileLoggedServer::spawn(command, &log);
    let read_log = || std::fs::read_to_string(&log).unwrap();

    let text = read_log();
    let warnings: Vec<&str> = text.lines().filter(|l| l.contains(" WARN ")).collect();
    assert_eq!(warnings.len(), 1, "one warning line: {text}");
    let served: usize = warnings[0]
        .split("serving at most ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the warning names the effective maximum: {text}"));
    assert!(
        warnings[0].contains("open-file limit of 200"),
        "{}",
        warnings[0]
    );
    assert!((1..NOFILE as usize).contains(&served), "{served}");

    let mut first = Client::connect(server.addr);
    let token = first.token("early");
    first.get("/status", Some(&token)).expect(200);
    let held: Vec<Client> = (1..served).map(|_| Client::connect(server.addr)).collect();
    for n in 0..BEYOND {
        let mut refused = Client::connect(server.addr);
        let reply = refused
            .try_read_reply()
            .unwrap_or_else(|| panic!("connection {} got no 503: {}", served + n + 1, read_log()));
        reply.expect_error(503, "overloaded");
    }
    // An open connection still gets its answers, from the store too.
    first.get("/status", Some(&token)).expect(200);
    drop(held);
    let text = read_log();
    assert!(
        text.matches("accept failed").count() <= 1,
        "an accept failure is logged once, not per attempt: {text}"
    );
    server.stop();
}

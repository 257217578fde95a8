//! Start-up as an operator meets it: usage errors exit 2 with clap's message
//! before anything is created, a taken port leaves no database behind, the
//! help says what the program is, and the listen backlog is the one asked for.

use crate::harness::{server_binary, Runtime, Server};
use crate::steps::{temp_db, wait_for_exit};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

per_runtime!(backlog_is_in_effect);

/// Runs `agora-server` on 127.0.0.1 with `db` and `args` until it exits
/// (bounded: a server that starts serving instead is killed and the test
/// fails); returns the exit status and stderr.
fn run_to_exit(args: &[&str], db: &Path) -> (ExitStatus, String) {
    let child = Command::new(server_binary())
        .args(["--host", "127.0.0.1", "--db"])
        .arg(db)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn agora-server");
    wait_for_exit(child, args)
}

fn assert_no_database(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", db.display());
        assert!(!Path::new(&file).exists(), "{file} was created");
    }
}

#[test]
fn an_unknown_log_level_is_a_usage_error() {
    let (_dir, db) = temp_db();
    for bad in ["verbose", "info,agora_store"] {
        let (status, stderr) = run_to_exit(&["--port", "0", "--log", bad], &db);
        assert_eq!(status.code(), Some(2), "--log {bad}: {stderr}");
        assert!(
            stderr.contains(&format!("invalid value '{bad}' for '--log <LOG>'")),
            "--log {bad}: {stderr}"
        );
        assert_no_database(&db);
    }
}

#[test]
fn zero_durations_are_usage_errors() {
    let (_dir, db) = temp_db();
    for flag in [
        "--quota-window",
        "--ban-duration",
        "--idle-timeout",
        "--header-timeout",
    ] {
        let (status, stderr) = run_to_exit(&["--port", "0", flag, "0s"], &db);
        assert_eq!(status.code(), Some(2), "{flag} 0s: {stderr}");
        assert!(
            stderr.contains(&format!("invalid value '0s' for '{flag}"))
                && stderr.contains("longer than zero"),
            "{flag} 0s: {stderr}"
        );
        assert_no_database(&db);
    }
}

#[test]
fn a_taken_port_leaves_no_database_behind() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let (_dir, db) = temp_db();
    let (status, stderr) = run_to_exit(&["--port", &port], &db);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot listen on"), "{stderr}");
    assert_no_database(&db);
}

#[test]
fn help_starts_with_what_the_program_is_for_operators() {
    let out = Command::new(server_binary())
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .expect("run agora-server --help");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    let first = help.lines().next().unwrap_or_default();
    assert!(first.contains("chat server"), "first line: {first:?}");
    for inner in ["command line", "logging", "signals", "adapter", "binary"] {
        assert!(
            !first.to_lowercase().contains(inner),
            "first line speaks of {inner:?}: {first:?}"
        );
    }
}

/// The backlog the kernel holds for the socket listening on `port`: what
/// `ss -ltn` shows as Send-Q for a listener. Needs iproute2's `ss`; set
/// AGORA_TESTS_NO_SS=1 to skip this check where it cannot be installed.
fn listen_backlog(port: u16) -> Option<u32> {
    let out = match Command::new("ss")
        .args(["-Hltn", &format!("sport = :{port}")])
        .output()
    {
        Ok(out) => out,
        Err(e) if std::env::var_os("AGORA_TESTS_NO_SS").is_some() => {
            eprintln!("not checking the backlog: ss: {e}");
            return None;
        }
        Err(e) => panic!("`ss` (iproute2) is needed to read the backlog: {e}"),
    };
    assert!(out.status.success(), "ss failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .next()
        .unwrap_or_else(|| panic!("no listener in {text:?}"));
    // State Recv-Q Send-Q Local Peer
    let send_q = line.split_whitespace().nth(2).expect("a Send-Q column");
    Some(send_q.parse().expect("numeric Send-Q"))
}

fn somaxconn() -> u32 {
    std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .expect("read net.core.somaxconn")
        .trim()
        .parse()
        .expect("numeric somaxconn")
}

fn backlog_is_in_effect(rt: Runtime) {
    let chosen = Server::start(rt, &["--backlog", "77"]);
    if let Some(backlog) = listen_backlog(chosen.addr.port()) {
        assert_eq!(backlog, 77);
    }
    let default = Server::start(rt, &[]);
    if let Some(backlog) = listen_backlog(default.addr.port()) {
        assert_eq!(backlog, somaxconn().min(1024), "the default backlog");
    }
}

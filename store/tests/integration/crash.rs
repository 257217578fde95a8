//! Kill -9 while writing: every acknowledged send survives, and the database
//! is intact. The test re-runs its own binary as the child that writes,
//! filtered to the child test alone by its full name (module path included:
//! the store's tests share one binary).

use crate::support;

use agora_core::command::Outcome;
use agora_store::{open_database, Handle};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use support::{config, integrity, public_send, register, unlimited_config};

const CHILD_ENV: &str = "AGORA_STORE_CRASH_CHILD_DB";
const CHILD_TEST: &str = "crash::crash_child_writes_until_killed";
const ROUNDS: usize = 6;

/// The child: four users, one thread each, send public messages through
/// `Handle` and the real rules as fast as they can and print `ack <id> <text>`
/// for every send acknowledged, until killed.
#[test]
#[ignore = "run by a_killed_writer_loses_no_acknowledged_send as its child"]
fn crash_child_writes_until_killed() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let handle = Handle::open(unlimited_config(Path::new(&path))).unwrap();
    let round: u64 = std::process::id().into();
    std::thread::scope(|s| {
        for t in 0..4 {
            let handle = handle.clone();
            s.spawn(move || {
                let caller = register(&handle, &format!("p{round}-t{t}"));
                for i in 0.. {
                    let text = format!("p{round}-t{t}-{i}");
                    let Ok(pending) = handle.submit(public_send(caller, &text)) else {
                        continue;
                    };
                    if let Ok(Outcome::MessageSent { message_id, .. }) = pending.wait() {
                        let mut out = std::io::stdout().lock();
                        writeln!(out, "ack {message_id} {text}").unwrap();
                        out.flush().unwrap();
                    }
                }
            });
        }
    });
}

fn random_below(n: u64) -> u64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    u64::from_le_bytes(bytes) % n
}

#[test]
fn a_killed_writer_loses_no_acknowledged_send() {
    let (_dir, path) = support::temp_database();
    let mut total_acked = 0;
    for round in 0..ROUNDS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", CHILD_TEST, "--nocapture"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (acks, acked) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let mut words = line.split(' ');
                if words.next() == Some("ack") {
                    let id: i64 = words.next().unwrap().parse().unwrap();
                    let text = words.next().unwrap().to_string();
                    if acks.send((id, text)).is_err() {
                        break;
                    }
                }
            }
        });
        // Kill at a random moment once the child is writing.
        let first = acked
            .recv_timeout(Duration::from_secs(20))
            .expect("the child acknowledges sends");
        std::thread::sleep(Duration::from_millis(random_below(400)));
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        let acknowledged: Vec<(i64, String)> = std::iter::once(first).chain(acked.iter()).collect();
        total_acked += acknowledged.len();

        let conn = open_database(&config(&path)).unwrap();
        let mut stmt = conn
            .prepare("SELECT text FROM messages WHERE id = ?1")
            .unwrap();
        for (id, text) in &acknowledged {
            let stored: String = stmt
                .query_row([id], |row| row.get(0))
                .unwrap_or_else(|e| panic!("round {round}: acknowledged {id} lost: {e}"));
            assert_eq!(&stored, text, "round {round}: message {id}");
        }
        drop(stmt);
        drop(conn);
        assert_eq!(integrity(&path), "ok", "round {round}");
        eprintln!(
            "round {round}: {} acknowledged sends all present",
            acknowledged.len()
        );
    }
    assert!(total_acked >= ROUNDS);
}

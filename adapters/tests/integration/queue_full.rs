//! A full store queue answers 503 `overloaded` with `Retry-After` at once: real
//! `SessionIo`s over a real store whose writer is held inside a command, so the
//! queue (capacity 1) fills deterministically.

use agora_adapters::session_io::{SessionIo as Session, Step};
use agora_adapters::{ServerConfig, Shared, Shutdown};
use agora_core::config::Config;
use agora_core::rules;
use agora_store::{Handle, StoreConfig};
use futures_lite::future::block_on;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

fn get_token(name: &str) -> Vec<u8> {
    let body = format!(r#"{{"user_name":"{name}"}}"#);
    format!(
        "POST /get-token HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Feeds one request; `Ok` if it went to the store, else the bytes written
/// at once.
fn submit(session: &mut Session, name: &str) -> Result<(), String> {
    session.bytes(&get_token(name));
    let step = session.next_step();
    let out = String::from_utf8(session.take_output()).unwrap();
    match step {
        Step::Submit => {
            assert!(out.is_empty(), "{out}");
            Ok(())
        }
        Step::Wait(_) => Err(out),
        Step::Close => panic!("closed; wrote {out}"),
        Step::Watch | Step::Hold { .. } => panic!("a get-token is not held"),
    }
}

/// Awaits the command at the store and returns its answer.
fn finish(session: &mut Session) -> String {
    block_on(session.complete());
    assert!(matches!(session.next_step(), Step::Wait(_)));
    String::from_utf8(session.take_output()).unwrap()
}

#[test]
fn a_full_queue_answers_503_with_retry_after_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let rules_config = Config::default();
    // The writer stops inside every command until the test releases it.
    let store = Handle::open_with(
        StoreConfig {
            queue_capacity: 1,
            ..StoreConfig::sqlite(dir.path().join("agora.db"))
        },
        move |command, view, now| {
            entered_tx.send(()).unwrap();
            release_rx.recv_timeout(Duration::from_secs(10)).unwrap();
            rules::apply(command, view, now, &rules_config)
        },
    )
    .unwrap();
    let shared = Shared::new(store, ServerConfig::default(), Arc::new(Shutdown::new()));
    let mut held = Session::new(shared.clone(), std::net::Ipv4Addr::LOCALHOST.into());
    let mut queued = Session::new(shared.clone(), std::net::Ipv4Addr::LOCALHOST.into());
    let mut refused = Session::new(shared.clone(), std::net::Ipv4Addr::LOCALHOST.into());

    // The writer takes the first command and blocks in it; the second fills
    // the queue; the third finds it full.
    submit(&mut held, "held").expect("the first goes to the store");
    entered
        .recv_timeout(Duration::from_secs(10))
        .expect("the writer is inside the first command");
    submit(&mut queued, "queued").expect("the second waits in the queue");
    let started = Instant::now();
    let answer = submit(&mut refused, "refused").expect_err("the third is answered at once");
    // Answered while the writer is still blocked: nothing waited for it.
    assert!(started.elapsed() < Duration::from_secs(2));
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 503 "), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("\r\nretry-after: 1"),
        "{head}"
    );
    assert!(body.contains(r#""code":"overloaded""#), "{body}");
    assert!(body.contains(r#""error":"#), "{body}");

    // The refused connection stays usable, and the queued work completes. The
    // queued command may join the held one's batch (it arrived while that
    // batch ran) or run in the next: release both before waiting for either.
    release.send(()).unwrap();
    entered.recv_timeout(Duration::from_secs(10)).unwrap();
    release.send(()).unwrap();
    assert!(finish(&mut held).starts_with("HTTP/1.1 200 "));
    assert!(finish(&mut queued).starts_with("HTTP/1.1 200 "));
    submit(&mut refused, "refused").expect("room again");
    entered.recv_timeout(Duration::from_secs(10)).unwrap();
    release.send(()).unwrap();
    assert!(finish(&mut refused).starts_with("HTTP/1.1 200 "));
    shared.store.shutdown();
}

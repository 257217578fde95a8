//! Slow clients: a header trickled one byte a second is cut off at the header
//! timeout with 408, and hundreds of such connections open at once do not stop
//! a normal client from being served.

use crate::harness::{Client, Runtime, Server};
use crate::steps::{send_to, tokens};
use std::io::{ErrorKind, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

per_runtime!(trickled_header_gets_408, slow_clients_do_not_starve_others);

/// A request head that never completes at one byte a second.
const TRICKLED: &[u8] = b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n";

/// Each slow connection takes a descriptor here and one in the server (which
/// inherits this limit).
fn raise_fd_limit() {
    // SAFETY: getrlimit/setrlimit on this process with a valid struct.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < 4096 {
            limit.rlim_cur = limit.rlim_max.min(4096);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

fn trickled_header_gets_408(rt: Runtime) {
    let server = Server::start(rt, &["--header-timeout", "2s"]);
    let mut c = server.client();
    let mut writer = c.stream.try_clone().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let stop_writing = stop.clone();
    let trickler = std::thread::spawn(move || {
        for byte in TRICKLED {
            if stop_writing.load(Ordering::Relaxed) || writer.write_all(&[*byte]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let started = Instant::now();
    let reply = c.read_reply().expect("a 408 before the head is complete");
    let waited = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    reply.expect_error(408, "request_timeout");
    assert_eq!(reply.header("connection"), Some("close"));
    assert!(
        waited >= Duration::from_millis(1500) && waited < Duration::from_secs(5),
        "408 after {waited:?}, expected at the 2 s header timeout"
    );
    assert!(c.closed_within(Duration::from_secs(3)));
    trickler.join().unwrap();
}

fn slow_clients_do_not_starve_others(rt: Runtime) {
    const SLOW: usize = 500;
    const HEADER_TIMEOUT_S: u64 = 8;
    raise_fd_limit();
    // All from 127.0.0.1: past --max-connections-per-ip, not what this is about.
    let server = Server::start(
        rt,
        &[
            "--header-timeout",
            &format!("{HEADER_TIMEOUT_S}s"),
            "--max-connections-per-ip",
            "1000",
        ],
    );
    let started = Instant::now();
    let mut slow: Vec<Client> = (0..SLOW).map(|_| server.client()).collect();
    for c in &mut slow {
        c.send_raw(&TRICKLED[..1]);
    }
    let opened = started.elapsed();

    // A normal keep-alive client, on its own thread, while the main thread
    // trickles one more byte a second into every slow connection.
    let addr = server.addr;
    let normal = std::thread::spawn(move || {
        let began = Instant::now();
        let mut c = Client::connect(addr);
        let [token, friend] = tokens(&mut c, ["normal", "friend"]);
        for i in 0..100 {
            if i % 2 == 0 {
                send_to(&mut c, &token, "friend", &format!("m{i}"));
            } else {
                let status = c.get("/status", Some(&token)).expect(200);
                assert_eq!(status["chats"][1]["messages_number"], (i + 1) / 2);
            }
        }
        let status = c.get("/status", Some(&friend)).expect(200);
        assert_eq!(status["chats"][1]["messages_number"], 50);
        began.elapsed()
    });
    let mut next = 1;
    let mut tick = Instant::now();
    while !normal.is_finished() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "normal client stuck"
        );
        if tick.elapsed() >= Duration::from_secs(1) && next < TRICKLED.len() - 1 {
            for c in &mut slow {
                c.send_raw(&TRICKLED[next..next + 1]);
            }
            next += 1;
            tick = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let normal_took = normal.join().expect("the normal client's 100 requests");

    // The slow connections were all open (unanswered) the whole time.
    for (i, c) in slow.iter_mut().enumerate() {
        c.stream.set_nonblocking(true).unwrap();
        let mut byte = [0u8; 1];
        match c.stream.read(&mut byte) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            other => panic!(
                "slow connection {i} was no longer waiting after {:?}: {other:?}",
                started.elapsed()
            ),
        }
        c.stream.set_nonblocking(false).unwrap();
    }

    // Then each one gets its 408 at the header timeout, and is closed.
    for c in &mut slow {
        c.read_reply()
            .expect("a 408 at the header timeout")
            .expect_error(408, "request_timeout");
    }
    let all_timed_out = started.elapsed();
    // Each connection's clock started at its first byte, within `opened`.
    assert!(
        all_timed_out < opened + Duration::from_secs(HEADER_TIMEOUT_S + 5),
        "the last 408 came {all_timed_out:?} after the start"
    );
    for c in &mut slow {
        assert!(c.closed_within(Duration::from_secs(3)));
    }
    eprintln!(
        "{}: {SLOW} slow connections opened in {opened:?}; 100 requests took {normal_took:?}; all 408s after {all_timed_out:?}",
        rt.name()
    );
}

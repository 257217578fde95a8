//! Live delivery: `GET /events` as a long-poll and as a server-sent event
//! stream, `POST /read`, on every runtime.

use crate::harness::{Client, Runtime, Server};
use crate::sse::SseStream;
use crate::steps::{
    comment, read_up_to, send_public, sent_id, server_with_flags_and_users, server_with_users,
    status_chat, temp_db, tokens,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

per_runtime!(
    a_long_poll_wakes_when_another_user_sends,
    a_long_poll_times_out_empty,
    cursors_resume_across_a_restart_with_nothing_lost_or_twice,
    private_events_reach_the_two_members_only,
    events_carry_messages_comments_and_bans,
    event_queries_are_checked,
    a_stream_resumes_exactly_after_last_event_id,
    a_stream_sends_pings_and_ends_at_shutdown,
    long_polls_that_hang_up_free_their_places,
    sigterm_with_a_thousand_waits_exits_at_once,
    a_subscriber_that_never_reads_is_cut_and_others_go_on,
    two_devices_share_read_positions,
);

fn long_poll(c: &mut Client, token: &str, since: i64, timeout: u32) -> Value {
    c.get(
        &format!("/events?since={since}&timeout={timeout}"),
        Some(token),
    )
    .expect(200)
}

fn head(c: &mut Client, token: &str) -> i64 {
    let start = c.get("/events", Some(token)).expect(200);
    assert_eq!(start["events"], json!([]));
    start["next"].as_i64().expect("a cursor")
}

fn a_long_poll_wakes_when_another_user_sends(rt: Runtime) {
    let (server, mut c, [alice, bob]) = server_with_users(rt, ["alice", "bob"]);
    let since = head(&mut c, &bob);
    let addr = server.addr;
    let bob_token = bob.clone();
    let waiter = std::thread::spawn(move || {
        let mut c = Client::connect(addr);
        let answer = long_poll(&mut c, &bob_token, since, 5);
        (answer, Instant::now())
    });
    // Let the long-poll reach the server and wait there.
    std::thread::sleep(Duration::from_millis(300));
    let id = send_public(&mut c, &alice, "wake up");
    let sent_at = Instant::now();
    let (answer, woke_at) = waiter.join().unwrap();
    let latency = woke_at.saturating_duration_since(sent_at);
    eprintln!("{}: long-poll woke {latency:?} after the 201", rt.name());
    assert!(latency < Duration::from_millis(500), "{latency:?}");
    let events = answer["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{answer}");
    let event = &events[0];
    assert_eq!(event["type"], "message");
    assert_eq!(event["chat_type"], "public");
    assert_eq!(event["chat"], "public_chat");
    assert_eq!(event["message"]["id"], id);
    assert_eq!(event["message"]["message_text"], "wake up");
    assert_eq!(event["message"]["author"], "alice");
    assert_eq!(answer["next"], event["id"]);
    assert_eq!(answer["more"], false);
}

fn a_long_poll_times_out_empty(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let bob = c.token("bob");
    let since = head(&mut c, &bob);
    let started = Instant::now();
    let answer = long_poll(&mut c, &bob, since, 1);
    let waited = started.elapsed();
    assert_eq!(answer, json!({"events": [], "next": since, "more": false}));
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    // timeout=0 answers at once; the connection stays usable.
    let answer = long_poll(&mut c, &bob, since, 0);
    assert_eq!(answer["events"], json!([]));
    c.get("/status", Some(&bob)).expect(200);
}

fn cursors_resume_across_a_restart_with_nothing_lost_or_twice(rt: Runtime) {
    let (_dir, db) = temp_db();
    let server = Server::start_on(rt, &db, &[]);
    let mut c = server.client();
    let [alice, bob] = tokens(&mut c, ["alice", "bob"]);
    let mut cursor = head(&mut c, &bob);
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(send_public(&mut c, &alice, &format!("before {i}")));
    }
    // Take the first two, then restart.
    let mut seen = Vec::new();
    let first = c
        .get(&format!("/events?since={cursor}&timeout=0"), Some(&bob))
        .expect(200);
    for event in first["events"].as_array().unwrap().iter().take(2) {
        seen.push(event["message"]["id"].as_i64().unwrap());
        cursor = event["id"].as_i64().unwrap();
    }
    drop(c);
    server.stop();

    let server = Server::start_on(rt, &db, &[]);
    let mut c = server.client();
    for i in 0..3 {
        sent.push(send_public(&mut c, &alice, &format!("after {i}")));
    }
    loop {
        let page = long_poll(&mut c, &bob, cursor, 0);
        let events = page["events"].as_array().unwrap();
        if events.is_empty() {
            break;
        }
        for event in events {
            assert!(event["id"].as_i64().unwrap() > cursor, "in order");
            seen.push(event["message"]["id"].as_i64().unwrap());
        }
        cursor = page["next"].as_i64().unwrap();
    }
    assert_eq!(seen, sent, "every message once, in order");
    // Cursors never go back: the head survived the restart.
    assert_eq!(head(&mut c, &bob), cursor);
}

fn private_events_reach_the_two_members_only(rt: Runtime) {
    let (_server, mut c, [alice, bob, carol]) = server_with_users(rt, ["alice", "bob", "carol"]);
    let since = head(&mut c, &carol);
    let private = sent_id(&mut c, &alice, json!({"message": "psst", "send_to": "bob"}));
    comment(&mut c, &bob, private, "ok").expect(201);
    let public = send_public(&mut c, &alice, "hello all");

    let carols = long_poll(&mut c, &carol, since, 0);
    let ids: Vec<_> = carols["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"]["id"].clone())
        .collect();
    assert_eq!(ids, [json!(public)], "{carols}");

    let alices = long_poll(&mut c, &alice, since, 0);
    let events = alices["events"].as_array().unwrap();
    assert_eq!(events.len(), 3, "{alices}");
    assert_eq!(events[0]["type"], "message");
    assert_eq!(events[0]["chat_type"], "private");
    assert_eq!(events[0]["chat"], "bob");
    assert_eq!(events[1]["type"], "comment");
    assert_eq!(events[1]["chat"], "bob");
    assert_eq!(events[1]["message_id"], private);
    assert_eq!(events[1]["comment"]["comment_text"], "ok");
    assert_eq!(events[1]["comment"]["author"], "bob");
    let bobs = long_poll(&mut c, &bob, since, 0);
    assert_eq!(bobs["events"][0]["chat"], "alice", "named after the other");
    assert_eq!(bobs["events"].as_array().unwrap().len(), 3);
}

fn events_carry_messages_comments_and_bans(rt: Runtime) {
    let (_server, mut c, [target, r1, r2]) =
        server_with_flags_and_users(rt, &["--ban-threshold", "2"], ["target", "r1", "r2"]);
    let since = head(&mut c, &target);
    let id = send_public(&mut c, &r1, "post");
    comment(&mut c, &r2, id, "+1").expect(201);
    for reporter in [&r1, &r2] {
        c.post("/report", Some(reporter), json!({"report_on": "target"}))
            .expect(201);
    }
    let page = long_poll(&mut c, &target, since, 0);
    let events = page["events"].as_array().unwrap();
    let types: Vec<_> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["message", "comment", "banned"], "{page}");
    assert!(events
        .windows(2)
        .all(|w| w[0]["id"].as_i64() < w[1]["id"].as_i64()));
    let ban = &events[2];
    assert!(
        ban["banned_until"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{ban}"
    );
    let status = c.get("/status", Some(&target)).expect(200);
    assert_eq!(ban["banned_until"], status["banned_until"]);
    // The ban is the banned user's alone.
    let others = long_poll(&mut c, &r1, since, 0);
    assert_eq!(others["events"].as_array().unwrap().len(), 2, "{others}");
    assert_eq!(events[0]["message"]["comments"], json!([]));
    assert_eq!(events[0]["message"]["comments_total"], 0);
}

fn event_queries_are_checked(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let bob = c.token("bob");
    let now = head(&mut c, &bob);
    for (query, code, field) in [
        (format!("since={}", now + 1), "invalid_since", "since"),
        ("since=-1".to_owned(), "invalid_since", "since"),
        ("since=x".to_owned(), "invalid_field", "since"),
        (
            "since=0&timeout=121".to_owned(),
            "invalid_timeout",
            "timeout",
        ),
        (
            "since=0&timeout=-1".to_owned(),
            "invalid_timeout",
            "timeout",
        ),
        ("since=0&timeout=1.5".to_owned(), "invalid_field", "timeout"),
        ("since=0&since=0".to_owned(), "invalid_query", "since"),
        ("cursor=0".to_owned(), "invalid_query", "cursor"),
    ] {
        let refused = c.get(&format!("/events?{query}"), Some(&bob));
        assert_eq!(refused.expect_error(400, code)["field"], field, "{query}");
    }
    assert_eq!(c.get("/events", None).status, 401);
    let other = c.post("/events", Some(&bob), json!({}));
    assert_eq!(other.header("Allow"), Some("GET"));
    other.expect_error(405, "method_not_allowed");

    // POST /read: forward only, never past the newest, per user.
    let alice = c.token("alice");
    let ids: Vec<i64> = (0..3)
        .map(|i| send_public(&mut c, &alice, &format!("m{i}")))
        .collect();
    let read = |c: &mut Client, up_to: i64| {
        c.post("/read", Some(&bob), json!({"up_to": up_to}))
            .expect(200)["unread"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(read(&mut c, ids[0]), 2);
    assert_eq!(read(&mut c, 0), 2, "never back");
    assert_eq!(read(&mut c, ids[2] + 100), 0, "never past the newest");
    c.post("/read", Some(&bob), json!({}))
        .expect_error(400, "missing_field");
    c.post("/read", Some(&bob), json!({"up_to": "x"}))
        .expect_error(400, "invalid_field");
    c.post("/read", Some(&bob), json!({"up_to": 1, "chat_with": "bob"}))
        .expect_error(400, "self_target");
    c.post(
        "/read",
        Some(&bob),
        json!({"up_to": 1, "chat_with": "nobody"}),
    )
    .expect_error(404, "user_not_found");
    assert_eq!(
        c.post(
            "/read",
            Some(&bob),
            json!({"up_to": 1, "chat_with": "alice"})
        )
        .expect(200),
        json!({"unread": 0})
    );
}

fn a_stream_resumes_exactly_after_last_event_id(rt: Runtime) {
    let (server, mut c, [alice, bob]) = server_with_users(rt, ["alice", "bob"]);
    let start = head(&mut c, &bob);
    let mut stream = SseStream::open(server.addr, &bob, None, None);
    assert_eq!(stream.status, 200);
    assert_eq!(stream.header("content-type"), Some("text/event-stream"));
    assert_eq!(stream.header("cache-control"), Some("no-store"));
    assert_eq!(stream.header("transfer-encoding"), Some("chunked"));
    let mut sent = Vec::new();
    for i in 0..3 {
        sent.push(send_public(&mut c, &alice, &format!("live {i}")));
    }
    let mut last = start;
    let mut got = Vec::new();
    for _ in 0..3 {
        let (id, event, data) = stream.next_event(Duration::from_secs(5)).expect("an event");
        assert_eq!(event, "message");
        assert_eq!(data["id"], id);
        assert!(id > last);
        last = id;
        got.push(data["message"]["id"].as_i64().unwrap());
    }
    drop(stream);
    // Missed while away.
    for i in 3..6 {
        sent.push(send_public(&mut c, &alice, &format!("away {i}")));
    }
    let mut resumed = SseStream::open(server.addr, &bob, Some(last), None);
    for i in 6..8 {
        sent.push(send_public(&mut c, &alice, &format!("back {i}")));
    }
    for _ in 3..8 {
        let (id, _, data) = resumed
            .next_event(Duration::from_secs(5))
            .expect("an event");
        assert!(id > last, "nothing twice");
        last = id;
        got.push(data["message"]["id"].as_i64().unwrap());
    }
    assert_eq!(got, sent);
    assert!(
        resumed.next_event(Duration::from_millis(300)).is_none(),
        "nothing more"
    );
    // `since` starts a stream too; Last-Event-ID wins over it.
    let mut from_since = SseStream::open(server.addr, &bob, None, Some(start));
    let (_, _, data) = from_since.next_event(Duration::from_secs(5)).unwrap();
    assert_eq!(data["message"]["id"], sent[0]);
    let mut both = SseStream::open(server.addr, &bob, Some(last - 1), Some(start));
    let (id, _, _) = both.next_event(Duration::from_secs(5)).unwrap();
    assert_eq!(id, last);
}

fn a_stream_sends_pings_and_ends_at_shutdown(rt: Runtime) {
    let server = Server::start(rt, &["--heartbeat", "300ms"]);
    let mut c = server.client();
    let bob = c.token("bob");
    let mut stream = SseStream::open(server.addr, &bob, None, None);
    match stream.next_frame(Duration::from_secs(3)) {
        Some(crate::sse::Frame::Comment(text)) => assert_eq!(text, "ping"),
        other => panic!("expected a ping, got {other:?}"),
    }
    let stopping = std::thread::spawn(move || server.stop_with(libc::SIGTERM));
    assert!(
        stream.ends_within(Duration::from_secs(3)),
        "the stream ends"
    );
    let (status, took) = stopping.join().unwrap();
    assert!(status.success(), "{status}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

fn long_polls_that_hang_up_free_their_places(rt: Runtime) {
    // 100 places for the long-polls, one for `c`.
    let server = Server::start(rt, &["--max-connections", "101"]);
    let mut c = server.client();
    let bob = c.token("bob");
    let since = head(&mut c, &bob);
    let request = format!(
        "GET /events?since={since}&timeout=60 HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {bob}\r\n\r\n"
    );
    let status = format!("GET /status HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {bob}\r\n\r\n");
    // Served on a new connection within a few seconds (places are given back
    // as the server sees each hang-up).
    let served_soon = || {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let mut probe = server.client();
            let served = probe.stream_write(status.as_bytes()).is_ok()
                && probe
                    .try_read_reply()
                    .is_some_and(|reply| reply.status == 200);
            if served {
                return;
            }
            assert!(Instant::now() < deadline, "places were not freed");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    for _round in 0..3 {
        let mut waiting: Vec<Client> = (0..100).map(|_| server.client()).collect();
        for w in &mut waiting {
            w.send_raw(request.as_bytes());
        }
        // All 100 places are taken by waiting long-polls...
        std::thread::sleep(Duration::from_millis(500));
        let mut refused = server.client();
        let reply = refused.get("/status", Some(&bob));
        assert_eq!(reply.status, 503, "over --max-connections");
        // ...until their clients hang up.
        drop(waiting);
        drop(refused);
        served_soon();
        // The server sees the probe's hang-up a moment later: give its place
        // back before the next round takes every place again.
        std::thread::sleep(Duration::from_millis(300));
    }
    c.get("/status", Some(&bob)).expect(200);
}

fn sigterm_with_a_thousand_waits_exits_at_once(rt: Runtime) {
    raise_open_file_limit();
    // One user's thousand waits from one address: past the limits per user
    // and per address, which are not what this is about.
    let server = Server::start(
        rt,
        &[
            "--max-streams-per-user",
            "2000",
            "--max-connections-per-ip",
            "2000",
        ],
    );
    let mut c = server.client();
    let bob = c.token("bob");
    let since = head(&mut c, &bob);
    let request = format!(
        "GET /events?since={since}&timeout=100 HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {bob}\r\n\r\n"
    );
    let mut waiting: Vec<Client> = (0..1000).map(|_| server.client()).collect();
    for w in &mut waiting {
        w.send_raw(request.as_bytes());
    }
    // Every one is held (the last one's answer would come at once otherwise).
    let mut probe = server.client();
    let probe_answer = long_poll(&mut probe, &bob, since, 0);
    assert_eq!(probe_answer["events"], json!([]));
    std::thread::sleep(Duration::from_millis(500));
    let (status, took) = server.stop_with(libc::SIGTERM);
    assert!(status.success(), "{status}");
    eprintln!("{}: SIGTERM with 1000 waits took {took:?}", rt.name());
    assert!(took < Duration::from_secs(1), "{took:?}");
    // The waits were answered (empty) or closed, not left hanging.
    for w in waiting.iter_mut().take(20) {
        if let Some(reply) = w.try_read_reply() {
            assert_eq!(reply.status, 200);
        }
    }
}

fn a_subscriber_that_never_reads_is_cut_and_others_go_on(rt: Runtime) {
    let (server, mut c, [alice, bob]) =
        server_with_flags_and_users(rt, &["--quota", "10000"], ["alice", "bob"]);
    // A stream that is opened and never read again: the kernel's buffers
    // fill, then its inbox passes 1 MiB and the hub cuts it.
    let mut stuck = std::net::TcpStream::connect(server.addr).unwrap();
    std::io::Write::write_all(
        &mut stuck,
        format!("GET /events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {bob}\r\nAccept: text/event-stream\r\n\r\n").as_bytes(),
    )
    .unwrap();
    let mut reader = SseStream::open(server.addr, &bob, None, None);
    let bob_reading = bob.clone();
    const SENT: usize = 1500;
    // The other stream reads as events come, on a thread of its own.
    // A reader that falls 1 MiB behind for a moment (a loaded machine, the
    // PostgreSQL feed's bursts) is cut like any other and resumes with
    // `Last-Event-ID`, as the contract has it: it still gets every event once.
    let addr = server.addr;
    let reading = std::thread::spawn(move || {
        let (mut received, mut last, mut resumed) = (0, 0, 0);
        while received < SENT {
            match reader.next_event(Duration::from_secs(10)) {
                Some((id, _, _)) => {
                    assert!(id > last, "event {id} after {last}");
                    last = id;
                    received += 1;
                }
                None => {
                    assert!(
                        reader.ended,
                        "the reading stream went silent after {received}"
                    );
                    resumed += 1;
                    assert!(resumed <= 20, "cut {resumed} times");
                    reader = SseStream::open(addr, &bob_reading, Some(last), None);
                }
            }
        }
        received
    });
    let text = "x".repeat(4000);
    // ~4 KiB a message: 1,500 messages are ~6 MiB, far past what the stuck
    // stream's socket buffers and inbox hold.
    for _ in 0..SENT {
        send_public(&mut c, &alice, &text);
    }
    let sent = SENT;
    assert_eq!(reading.join().unwrap(), SENT);
    // The stuck one was cut: its connection ends once its buffers drain.
    stuck
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut drained = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    let ended = loop {
        match std::io::Read::read(&mut stuck, &mut buf) {
            Ok(0) => break true,
            Ok(n) => drained += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    assert!(
        ended,
        "the stuck stream was not cut ({drained} bytes drained)"
    );
    assert!(
        drained < 4000 * sent,
        "it did not get everything: {drained} bytes"
    );
}

fn two_devices_share_read_positions(rt: Runtime) {
    let (server, mut c, [alice, bob]) = server_with_users(rt, ["alice", "bob"]);
    // Two devices of bob, each with its own stream.
    let mut phone = SseStream::open(server.addr, &bob, None, None);
    let mut laptop = SseStream::open(server.addr, &bob, None, None);
    let id = sent_id(
        &mut c,
        &alice,
        json!({"message": "hi bob", "send_to": "bob"}),
    );
    for device in [&mut phone, &mut laptop] {
        let (_, _, data) = device
            .next_event(Duration::from_secs(5))
            .expect("each device");
        assert_eq!(data["message"]["id"], id);
        assert_eq!(data["chat"], "alice");
    }
    let unread =
        |c: &mut Client| status_chat(c, &bob, "alice").map(|chat| chat["unread"].as_i64().unwrap());
    let mut laptop_client = server.client();
    assert_eq!(unread(&mut laptop_client), Some(1));
    // Read on the phone...
    let mut phone_client = server.client();
    let read = read_up_to(&mut phone_client, &bob, "alice", id);
    assert_eq!(read, json!({"unread": 0}));
    // ...is read on the laptop too. Events themselves moved nothing.
    assert_eq!(unread(&mut laptop_client), Some(0));
    let connect = laptop_client
        .post("/connect", Some(&bob), json!({"chat_with": "alice"}))
        .expect(200);
    assert_eq!(connect["unread_messages"], json!([]));
}

/// A thousand client sockets need more than the usual soft limit of 1,024
/// descriptors: raise it to the hard limit for this test process.
fn raise_open_file_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit(2) and setrlimit(2) on a struct we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

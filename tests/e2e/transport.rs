//! API.md's transport and authentication rows: framing, headers on every
//! response, keep-alive rules, protocol errors, bearer tokens.

use crate::harness::{Client, Runtime, Server};
use serde_json::json;
use std::time::Duration;

per_runtime!(api_auth, api_transport);

fn api_auth(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let token = c.token("alice");
    let unauthorized = |c: &mut Client, header: Option<String>| {
        let mut raw = String::from("GET /status HTTP/1.1\r\nHost: x\r\n");
        if let Some(h) = header {
            raw.push_str(&format!("Authorization: {h}\r\n"));
        }
        raw.push_str("\r\n");
        c.send_raw(raw.as_bytes());
        c.read_reply().unwrap()
    };
    for header in [
        None,
        Some("Bearer".to_owned()),
        Some("Bearer not-a-token".to_owned()),
        Some(format!("Bearer {}", "0".repeat(32))),
        Some(format!("Bearer {}", token.to_uppercase())),
        Some(format!("Basic {token}")),
    ] {
        let reply = unauthorized(&mut c, header.clone());
        reply.expect_error(401, "unauthorized");
        let challenge = reply.header("www-authenticate").unwrap_or_default();
        assert!(
            challenge.starts_with("Bearer"),
            "WWW-Authenticate {challenge:?} for {header:?}"
        );
    }
    for scheme in ["bearer", "BEARER", "Bearer"] {
        unauthorized(&mut c, Some(format!("{scheme} {token}"))).expect(200);
    }
}

fn api_transport(rt: Runtime) {
    let server = Server::start(rt, &[]);
    let mut c = server.client();
    let token = c.token("alice");

    // Headers every response carries, success and error alike; app errors keep
    // the connection.
    for reply in [
        c.get("/status", Some(&token)),
        c.get("/nowhere", None),
        c.post("/get-token", None, json!({"user_name": ""})),
    ] {
        assert!(reply.header("content-length").is_some());
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert!(reply.header("date").is_some_and(|d| d.ends_with(" GMT")));
    }
    c.get("/nowhere", None).expect(404);
    let wrong_method = c.get("/send", Some(&token));
    wrong_method.expect(405);
    assert!(wrong_method
        .header("allow")
        .is_some_and(|a| a.contains("POST")));
    let wrong_method = c.post("/status", Some(&token), json!({}));
    wrong_method.expect(405);
    assert!(wrong_method
        .header("allow")
        .is_some_and(|a| a.contains("GET")));
    // GET with a body: read and ignored.
    let mut get_with_body = format!("GET /status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 2\r\n\r\n{{}}").into_bytes();
    c.send_raw(&get_with_body);
    c.read_reply().unwrap().expect(200);

    // Chunked body.
    let body = r#"{"user_name":"chunky"}"#;
    let (head, tail) = body.split_at(7);
    let chunked = format!(
        "POST /get-token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{head}\r\n{:x};ext=1\r\n{tail}\r\n0\r\n\r\n",
        head.len(),
        tail.len()
    );
    c.send_raw(chunked.as_bytes());
    assert_eq!(c.read_reply().unwrap().expect(200)["user_name"], "chunky");

    // Expect: 100-continue gets the interim response before the body is sent.
    let body = r#"{"user_name":"patient"}"#;
    c.send_raw(format!("POST /get-token HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes());
    assert_eq!(c.read_any().unwrap().status, 100);
    c.send_raw(body.as_bytes());
    c.read_reply().unwrap().expect(200);

    // Connection: close.
    get_with_body = format!("GET /status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").into_bytes();
    c.send_raw(&get_with_body);
    c.read_reply().unwrap().expect(200);
    assert!(c.closed_within(Duration::from_secs(3)));

    // HTTP/1.0: closed after the response unless it asks for keep-alive.
    let mut old = server.client();
    old.send_raw(
        format!("GET /status HTTP/1.0\r\nAuthorization: Bearer {token}\r\n\r\n").as_bytes(),
    );
    let reply = old.read_any().unwrap();
    assert_eq!(reply.status, 200);
    assert!(old.closed_within(Duration::from_secs(3)));
    let mut old = server.client();
    for _ in 0..2 {
        old.send_raw(format!("GET /status HTTP/1.0\r\nConnection: keep-alive\r\nAuthorization: Bearer {token}\r\n\r\n").as_bytes());
        assert_eq!(old.read_any().unwrap().status, 200);
    }

    // Protocol errors: status, then close.
    let long_header = format!(
        "GET /status HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20 * 1024)
    );
    let long_uri = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(9000));
    let cases: [(&[u8], u16); 6] = [
        (b"GARBAGE\r\n\r\n", 400),
        (
            b"POST /get-token HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\n",
            413,
        ),
        (long_header.as_bytes(), 431),
        (long_uri.as_bytes(), 414),
        (b"GET /status HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        (
            b"POST /get-token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
            501,
        ),
    ];
    for (bytes, status) in cases {
        let mut bad = server.client();
        bad.send_raw(bytes);
        let reply = bad
            .read_reply()
            .unwrap_or_else(|| panic!("no answer, expected {status}"));
        assert_eq!(
            reply.status,
            status,
            "for {:?}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(60)])
        );
        assert!(reply.json()["error"].is_string());
        assert!(
            bad.closed_within(Duration::from_secs(3)),
            "closed after {status}"
        );
    }
    // A body of exactly the limit is fine (it is just not a valid JSON object).
    let mut big = server.client();
    let mut exact =
        b"POST /get-token HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n".to_vec();
    exact.extend(vec![b' '; 65536]);
    big.send_raw(&exact);
    assert_eq!(big.read_reply().unwrap().status, 400);
}

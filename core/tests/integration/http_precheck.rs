//! `Expect: 100-continue` on a head the application already refuses: the
//! final status instead of `100 Continue` (RFC 9110 §10.1.1), through the
//! machine's precheck hook and `api::precheck`, however the bytes are split.

use crate::support;

use agora_core::api;
use agora_core::config::Config;
use agora_core::http::{ClientConn, Conn, Input, Limits, Output, Request, Response};
use agora_core::token::Token;
use agora_testkit::http_fuzzing::Transcript;
use support::{drive_with, now0, sent_continue, statuses};

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

fn expecting(method: &str, path: &str, auth: Option<&str>) -> String {
    let auth = auth.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
    format!(
        "{method} {path} HTTP/1.1\r\nHost: h\r\n{auth}Expect: 100-continue\r\nContent-Length: 2\r\n\r\n"
    )
}

/// The head alone, then the head and its body: whole, byte by byte and split
/// after the head must agree.
fn head_then_body(head: &str) -> (Transcript, Transcript) {
    let head_only = drive_with(api::precheck, &[head.as_bytes()], false);
    let bytes: Vec<&[u8]> = head.as_bytes().chunks(1).collect();
    assert_eq!(
        head_only,
        drive_with(api::precheck, &bytes, false),
        "{head:?}: bytewise differs"
    );
    let full = format!("{head}{{}}");
    let whole = drive_with(api::precheck, &[full.as_bytes()], false);
    let split = drive_with(api::precheck, &[head.as_bytes(), b"{}"], false);
    assert_eq!(whole, split, "{head:?}: split after the head differs");
    (head_only, whole)
}

/// The first response written, as the peer reads it.
fn first_response(t: &Transcript) -> Response {
    let mut client = ClientConn::new();
    client.feed(&t.sent);
    client.feed_eof();
    client.poll_response().expect("parses").expect("a response")
}

#[test]
fn a_head_refused_alone_gets_its_final_status_and_no_100() {
    let bearer = format!("Bearer {TOKEN}");
    for (head, status, header) in [
        (expecting("POST", "/send", None), 401, "WWW-Authenticate"),
        (
            expecting("POST", "/send", Some("Bearer not-hex")),
            401,
            "WWW-Authenticate",
        ),
        (expecting("POST", "/nowhere", Some(&bearer)), 404, "Date"),
        (expecting("PUT", "/send", Some(&bearer)), 405, "Allow"),
        (expecting("QUERY", "/status", Some(&bearer)), 405, "Allow"),
        (expecting("BREW", "/nowhere", None), 404, "Date"),
    ] {
        let (head_only, whole) = head_then_body(&head);
        for t in [&head_only, &whole] {
            assert!(!sent_continue(t), "{head:?}: sent 100");
            assert_eq!(statuses(t), [status], "{head:?}");
            assert!(t.requests.is_empty(), "{head:?}: handed to the app");
            assert!(t.closed, "{head:?}: stayed open");
            assert!(t.error.is_none(), "{head:?}: not a protocol error");
        }
        let response = first_response(&head_only);
        assert!(response.header(header).is_some(), "{head:?}: no {header}");
        assert_eq!(response.header("connection"), Some("close"), "{head:?}");
    }
}

#[test]
fn an_acceptable_head_gets_100_then_its_request() {
    let bearer = format!("Bearer {TOKEN}");
    for head in [
        expecting("POST", "/send", Some(&bearer)),
        expecting("POST", "/get-token", None),
        expecting("GET", "/status?x=1", Some(&bearer)),
    ] {
        let (head_only, whole) = head_then_body(&head);
        assert!(sent_continue(&head_only) && head_only.sent.len() == 25);
        assert!(!head_only.closed && head_only.requests.is_empty());
        assert!(sent_continue(&whole), "{head:?}");
        assert_eq!(statuses(&whole), [200], "{head:?}");
        assert_eq!(whole.requests[0].body, b"{}");
        assert!(!whole.closed);
    }
}

#[test]
fn the_precheck_is_asked_only_for_a_head_that_expects_100() {
    // Without the expectation, or without a body (no 100 is due), the
    // request reaches the application, which gives the same refusal itself.
    for bytes in [
        "POST /nowhere HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}",
        "POST /nowhere HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n",
        "POST /nowhere HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}",
    ] {
        let t = drive_with(api::precheck, &[bytes.as_bytes()], false);
        assert_eq!(t.requests.len(), 1, "{bytes:?}");
        assert!(!sent_continue(&t));
    }
    // The machine's own refusal from the head comes first: 413, no 100.
    let t = drive_with(
        |_| panic!("asked after the machine refused"),
        &[b"POST /send HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 70000\r\n\r\n"],
        false,
    );
    assert_eq!(statuses(&t), [413]);
    assert!(!sent_continue(&t));
}

#[test]
fn a_refusal_ends_the_connection_without_reading_on() {
    // Pipelined bytes after a refused head are never read as a request.
    let head = expecting("POST", "/nowhere", None);
    let next = "GET /status HTTP/1.1\r\nHost: h\r\n\r\n";
    let t = drive_with(
        api::precheck,
        &[format!("{head}{{}}{next}").as_bytes()],
        false,
    );
    assert_eq!(statuses(&t), [404]);
    assert!(t.closed && t.requests.is_empty());
    // A refused HEAD gets the head of the response only.
    let now = now0();
    let mut conn = Conn::new(Limits::default(), now).with_precheck(api::precheck);
    conn.handle_input(
        Input::Bytes(expecting("HEAD", "/send", None).as_bytes()),
        now,
    );
    let Output::Send(bytes) = conn.poll_output() else {
        panic!("no response")
    };
    let text = String::from_utf8(bytes).expect("ASCII");
    assert!(
        text.starts_with("HTTP/1.1 405 ") && text.ends_with("\r\n\r\n"),
        "{text}"
    );
    assert_eq!(conn.poll_output(), Output::Close);
    assert_eq!(conn.poll_output(), Output::Timeout(None));
}

#[test]
fn precheck_refuses_a_head_exactly_as_decode_does() {
    let bearer = format!("Bearer {TOKEN}");
    let auths: [Option<&str>; 4] = [None, Some(&bearer), Some("Bearer zz"), Some("Basic x")];
    for method in ["GET", "POST", "PUT", "HEAD", "QUERY", "post"] {
        // A route without auth, the GET one, a POST one with auth, none.
        for path in ["/get-token", "/status", "/send", "/x"] {
            for auth in auths {
                for body in [&b""[..], b"{}", b"[not json"] {
                    let request = Request {
                        method: method.into(),
                        target: path.into(),
                        version: agora_core::http::Version::Http11,
                        headers: auth.map(|a| ("Authorization", a)).into_iter().collect(),
                        body: body.to_vec(),
                    };
                    let decoded = api::decode(
                        &request,
                        &Config::default(),
                        std::net::Ipv4Addr::LOCALHOST.into(),
                        &mut || Token([1; 16]),
                    );
                    let what = format!("{method} {path} {auth:?} {body:?}");
                    match api::precheck(&request) {
                        Some(refusal) => assert_eq!(decoded, Err(refusal), "{what}"),
                        None => {
                            let status = decoded.err().map(|r| r.status);
                            assert!(
                                !matches!(status, Some(401 | 404 | 405)),
                                "{what}: {status:?}"
                            );
                        }
                    }
                }
            }
        }
    }
}

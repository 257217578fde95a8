//! The client role: request serialization and response parsing.

use agora_core::http::{ClientConn, ClientError, Limits, Response};

fn parse_all(
    conn: &mut ClientConn,
    bytes: &[u8],
    bytewise: bool,
) -> Result<Vec<Response>, ClientError> {
    let mut out = Vec::new();
    let chunks: Vec<&[u8]> = if bytewise {
        bytes.chunks(1).collect()
    } else {
        vec![bytes]
    };
    for chunk in chunks {
        conn.feed(chunk);
        while let Some(r) = conn.poll_response()? {
            out.push(r);
        }
    }
    Ok(out)
}

#[test]
fn encodes_requests_with_host_and_length() {
    let mut conn = ClientConn::new();
    let bytes = conn.encode_request(
        "POST",
        "/send",
        "localhost:8080",
        &[
            ("Authorization", "Bearer ab"),
            ("Content-Length", "99"),
            ("Host", "evil"),
            ("X-Bad", "a\r\nb"),
            ("Content-Type", "application/json"),
        ],
        b"{}",
    );
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        "POST /send HTTP/1.1\r\nHost: localhost:8080\r\nAuthorization: Bearer ab\r\n\
         Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    );
    assert_eq!(conn.pending_responses(), 1);
}

#[test]
fn parses_length_chunked_and_close_delimited_bodies() {
    for bytewise in [false, true] {
        let mut conn = ClientConn::new();
        let stream = b"HTTP/1.1 100 Continue\r\n\r\n\
            HTTP/1.1 200 OK\r\nContent-Length: 2\r\nAllow: GET\r\n\r\n{}\
            HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n1\r\nd\r\n0\r\nT: 1\r\n\r\n\
            HTTP/1.1 404 Not Found\r\n\r\nuntil close";
        let got = parse_all(&mut conn, stream, bytewise).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].status, got[0].body.as_slice()), (200, &b"{}"[..]));
        assert_eq!(got[0].header("allow"), Some("GET"));
        assert_eq!((got[1].status, got[1].body.as_slice()), (201, &b"abcd"[..]));
        assert!(!conn.is_reusable(), "a close-delimited body is in progress");
        conn.feed_eof();
        let last = conn.poll_response().unwrap().unwrap();
        assert_eq!(
            (last.status, last.body.as_slice()),
            (404, &b"until close"[..])
        );
        assert_eq!(conn.poll_response(), Err(ClientError::Closed));
    }
}

#[test]
fn tracks_reuse() {
    let mut conn = ClientConn::new();
    conn.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert!(conn.poll_response().unwrap().is_some());
    assert!(conn.is_reusable());

    let mut conn = ClientConn::new();
    conn.feed(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    assert!(conn.poll_response().unwrap().is_some());
    assert!(!conn.is_reusable());

    let mut conn = ClientConn::new();
    conn.feed(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert!(conn.poll_response().unwrap().is_some());
    assert!(!conn.is_reusable());

    let mut conn = ClientConn::new();
    conn.feed(
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    assert!(conn.poll_response().unwrap().is_some());
    assert!(!conn.is_reusable());

    let mut conn = ClientConn::new();
    conn.feed(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
    assert!(conn.poll_response().unwrap().is_some());
    assert!(conn.is_reusable());
}

#[test]
fn head_responses_have_no_body() {
    let mut conn = ClientConn::new();
    let _ = conn.encode_request("HEAD", "/", "h", &[], b"");
    let _ = conn.encode_request("GET", "/", "h", &[], b"");
    let got = parse_all(
        &mut conn,
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
        false,
    )
    .unwrap();
    assert_eq!(got.len(), 2);
    assert!(got[0].body.is_empty());
    assert_eq!(got[1].body, b"x");
}

#[test]
fn errors_are_typed_and_sticky() {
    let cases: [(&[u8], ClientError); 6] = [
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n",
            ClientError::Malformed("invalid Content-Length"),
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            ClientError::UnsupportedTransferCoding,
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n",
            ClientError::BodyTooLarge,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            ClientError::Malformed("invalid chunk size"),
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
            ClientError::UnexpectedEof,
        ),
        (b"HTTP/1.1 200 OK\r\nContent-", ClientError::UnexpectedEof),
    ];
    for (bytes, error) in cases {
        let mut conn = ClientConn::new();
        conn.feed(bytes);
        conn.feed_eof();
        assert_eq!(
            conn.poll_response(),
            Err(error.clone()),
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
        assert_eq!(conn.poll_response(), Err(error));
        assert!(!conn.is_reusable());
    }
    let mut conn = ClientConn::with_limits(Limits {
        max_header_bytes: 64,
        ..Limits::default()
    });
    conn.feed(&[b'x'; 100]);
    assert_eq!(
        conn.poll_response(),
        Err(ClientError::Malformed("invalid response head"))
    );
    let mut conn = ClientConn::with_limits(Limits {
        max_header_bytes: 64,
        ..Limits::default()
    });
    conn.feed(format!("HTTP/1.1 200 OK\r\nX: {}", "a".repeat(100)).as_bytes());
    assert_eq!(conn.poll_response(), Err(ClientError::HeadTooLarge));
}

//! Properties of the HTTP machine over generated inputs.

use crate::support;

use agora_core::api;
use agora_core::http::{ClientConn, Conn, Input, Limits, Output, Request, Version};
use agora_testkit::http_fuzzing::{self, small_limits};
use proptest::prelude::*;
use std::time::Instant;
use support::{drive, now0, sent_continue, statuses};

fn header() -> impl Strategy<Value = (String, String)> {
    (
        "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}",
        "([!-~\u{80}-\u{ff}]([ \t!-~]{0,30}[!-~])?)?",
    )
        .prop_filter("managed by the writer", |(n, _)| {
            !http_fuzzing::is_managed(n)
        })
}

/// One well-formed request as the wire sees it, and what the server must
/// hand out for it.
#[derive(Clone, Debug)]
struct Wire {
    bytes: Vec<u8>,
    method: String,
    target: String,
    body: Vec<u8>,
}

fn wire_request() -> impl Strategy<Value = Wire> {
    (
        prop_oneof![Just("GET"), Just("POST"), Just("DELETE")],
        "/[a-z0-9/?=&%._~-]{0,40}",
        prop::collection::vec(any::<u8>(), 0..300),
        prop::collection::vec(1usize..64, 0..6),
        any::<bool>(),
    )
        .prop_map(|(method, target, body, chunk_sizes, chunked)| {
            let mut bytes = format!("{method} {target} HTTP/1.1\r\nHost: h\r\n").into_bytes();
            if chunked {
                bytes.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
                let mut rest = &body[..];
                for size in chunk_sizes.iter().cycle().take(if chunk_sizes.is_empty() {
                    0
                } else {
                    usize::MAX
                }) {
                    if rest.is_empty() {
                        break;
                    }
                    let (chunk, more) = rest.split_at((*size).min(rest.len()));
                    bytes.extend_from_slice(format!("{:x};e=\"1;2\"\r\n", chunk.len()).as_bytes());
                    bytes.extend_from_slice(chunk);
                    bytes.extend_from_slice(b"\r\n");
                    rest = more;
                }
                if !rest.is_empty() {
                    bytes.extend_from_slice(format!("{:X}\r\n", rest.len()).as_bytes());
                    bytes.extend_from_slice(rest);
                    bytes.extend_from_slice(b"\r\n");
                }
                bytes.extend_from_slice(b"0\r\nTrailer: x\r\n\r\n");
            } else {
                bytes.extend_from_slice(
                    format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes(),
                );
                bytes.extend_from_slice(&body);
            }
            Wire {
                bytes,
                method: method.to_owned(),
                target,
                body,
            }
        })
}

fn split_at_points<'a>(bytes: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = points.iter().map(|p| p % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut chunks = Vec::new();
    let mut at = 0;
    for cut in cuts {
        chunks.push(&bytes[at..cut]);
        at = cut;
    }
    chunks.push(&bytes[at..]);
    chunks
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn client_written_requests_parse_back_equal(
        method in "[A-Z]{1,10}",
        target in "/[A-Za-z0-9/?=&%._~:@!$'()*+,;-]{0,100}",
        host in "[a-z0-9.-]{1,30}(:[0-9]{1,5})?",
        headers in prop::collection::vec(header(), 0..10),
        body in prop::collection::vec(any::<u8>(), 0..2000),
    ) {
        let mut client = ClientConn::new();
        let borrowed: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let bytes = client.encode_request(&method, &target, &host, &borrowed, &body);
        let mut expected_headers = vec![("Host".to_owned(), host.into_bytes())];
        expected_headers.extend(headers.into_iter().map(|(n, v)| (n, v.into_bytes())));
        expected_headers.push(("Content-Length".to_owned(), body.len().to_string().into_bytes()));
        let expected = Request { method, target, version: Version::Http11, headers: expected_headers.into_iter().collect(), body };

        let now = now0();
        let mut conn = Conn::new(Limits::default(), now);
        conn.handle_input(Input::Bytes(&bytes), now);
        match conn.poll_output() {
            Output::Request(_, request) => prop_assert_eq!(request, expected),
            other => prop_assert!(false, "got {:?} for {:?}", other, String::from_utf8_lossy(&bytes)),
        }
    }

    #[test]
    fn any_split_of_pipelined_requests_gives_the_same_events(
        requests in prop::collection::vec(wire_request(), 1..6),
        points in prop::collection::vec(any::<usize>(), 0..12),
        eof in any::<bool>(),
        depth in 2usize..8,
    ) {
        let stream: Vec<u8> = requests.iter().flat_map(|r| r.bytes.clone()).collect();
        let whole = drive(&[&stream], eof);
        let split = drive(&split_at_points(&stream, &points), eof);
        prop_assert_eq!(&whole, &split);
        // Several in flight, answered newest first: the same bytes, in order.
        let chunks = split_at_points(&stream, &points);
        let pipelined = http_fuzzing::run_pipelined(&Limits::default(), None, &chunks, eof, Instant::now(), depth);
        prop_assert_eq!(&whole, &pipelined);
        prop_assert_eq!(statuses(&whole), vec![200; requests.len()]);
        prop_assert_eq!(whole.closed, eof);
        for (got, sent) in whole.requests.iter().zip(&requests) {
            prop_assert_eq!(&got.method, &sent.method);
            prop_assert_eq!(&got.target, &sent.target);
            prop_assert_eq!(&got.body, &sent.body);
        }
    }

    #[test]
    fn arbitrary_bytes_split_anywhere_agree_and_never_panic(
        data in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        http_fuzzing::split_stream(&data, Instant::now());
    }

    #[test]
    fn mutated_requests_split_anywhere_agree(
        request in wire_request(),
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4),
        points in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let mut bytes = request.bytes.clone();
        for (at, b) in flips {
            let at = at % bytes.len();
            bytes[at] = b;
        }
        let limits = small_limits();
        let whole = http_fuzzing::run(&limits, &[&bytes], true, Instant::now());
        let split = http_fuzzing::run(&limits, &split_at_points(&bytes, &points), true, Instant::now());
        prop_assert_eq!(&whole, &split);
        http_fuzzing::check_sent(&whole);
    }

    /// A head with `Expect: 100-continue`, refused by `api::precheck` or not,
    /// split anywhere: the same answer, and a refusal never follows a 100.
    #[test]
    fn expecting_heads_split_anywhere_agree(
        method in prop_oneof![Just("POST"), Just("PUT"), Just("QUERY")],
        path in prop_oneof![Just("/send"), Just("/get-token"), Just("/x")],
        auth in prop_oneof![Just(""), Just("Authorization: Bearer 0123456789abcdef0123456789abcdef\r\n"), Just("Authorization: Bearer 12\r\n")],
        chunked in any::<bool>(),
        points in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let framing = if chunked {
            "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
        } else {
            "Content-Length: 2\r\n\r\n{}"
        };
        let bytes = format!(
            "{method} {path} HTTP/1.1\r\nHost: h\r\n{auth}Expect: 100-continue\r\n{framing}GET /x HTTP/1.1\r\nHost: h\r\n\r\n"
        );
        let bytes = bytes.as_bytes();
        let limits = Limits::default();
        let run = |chunks: &[&[u8]]| {
            http_fuzzing::run_with(&limits, Some(api::precheck), chunks, false, Instant::now())
        };
        let whole = run(&[bytes]);
        prop_assert_eq!(&whole, &run(&split_at_points(bytes, &points)));
        let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(&whole, &run(&bytewise));
        let head = agora_core::http::Request {
            method: method.into(),
            target: path.into(),
            version: Version::Http11,
            headers: [("Authorization", auth.trim_end().trim_start_matches("Authorization: "))]
                .into_iter()
                .filter(|_| !auth.is_empty())
                .collect(),
            body: Vec::new(),
        };
        match api::precheck(&head) {
            Some(refusal) => {
                prop_assert!(!sent_continue(&whole));
                prop_assert_eq!(statuses(&whole), vec![refusal.status]);
                prop_assert!(whole.closed && whole.requests.is_empty());
            }
            None => {
                prop_assert!(sent_continue(&whole));
                prop_assert_eq!(statuses(&whole), vec![200, 200]);
                prop_assert!(!whole.closed);
            }
        }
    }

    #[test]
    fn write_then_parse_round_trips(data in prop::collection::vec(any::<u8>(), 0..400)) {
        http_fuzzing::roundtrip(&data, Instant::now());
    }

    #[test]
    fn streamed_answers_read_back_as_their_chunks(data in prop::collection::vec(any::<u8>(), 0..600)) {
        http_fuzzing::stream_roundtrip(&data, Instant::now());
    }
}

//! The repository's HTTP robustness vectors (`tests/data/http-vectors.jsonl`)
//! at the core level, without sockets. Each request goes to a `Conn` (with
//! `api::precheck`, as the server has it) whole, byte by byte, with trailing
//! bytes, and in the vector's own delivery; the app is a stub answering 200,
//! so app-level statuses (404, 401, 422, ...) are only checked to the extent
//! that the request reached the app, well framed, or was refused from its
//! head before `100 Continue`.

use crate::support;

use agora_core::api;
use agora_testkit::http_fuzzing::Transcript;
use agora_tests::vectors::{self, Expect, Mode, Vector};
use support::{drive_with, sent_continue, statuses};

/// Statuses the HTTP layer itself answers; 0 = closed without a response.
const PROTOCOL: [u16; 9] = [0, 400, 408, 413, 414, 431, 501, 505, 417];

/// Whether `got` (200 = handed to the stub app) is acceptable for `allowed`.
fn status_ok(got: u16, allowed: &[i32]) -> bool {
    allowed.contains(&i32::from(got))
        || (got == 200
            && allowed
                .iter()
                .any(|&s| !PROTOCOL.iter().any(|&p| i32::from(p) == s)))
}

fn check(id: &str, how: &str, expect: &Expect, t: &Transcript) {
    let got = statuses(t);
    let first = got.first().copied().unwrap_or(0);
    if let Some(allowed) = &expect.status {
        assert!(
            status_ok(first, allowed),
            "{id} ({how}): first status {first}, expected {allowed:?}"
        );
    }
    if let Some(close) = expect.close {
        assert_eq!(t.closed, close, "{id} ({how}): close");
    }
    if let Some(max) = expect.max_responses {
        assert!(got.len() <= max, "{id} ({how}): {} responses", got.len());
    }
    if let Some(interim) = &expect.interim {
        assert_eq!(
            sent_continue(t),
            !interim.is_empty(),
            "{id} ({how}): interim"
        );
    }
    if let Some(responses) = &expect.responses {
        assert!(
            got.len() <= responses.len(),
            "{id} ({how}): extra responses {got:?}"
        );
        for (i, allowed) in responses.iter().enumerate() {
            let status = got.get(i).copied().unwrap_or(0);
            assert!(
                status_ok(status, allowed),
                "{id} ({how}): response {i} is {status}"
            );
        }
    }
}

fn drive(chunks: &[&[u8]], eof: bool) -> Transcript {
    drive_with(api::precheck, chunks, eof)
}

fn run(v: &Vector) {
    let mut uniq = || *b"q1w2e3r4";
    let mut fill =
        |bytes: &[u8]| vectors::substitute(bytes, b"00112233445566778899aabbccddeeff", &mut uniq);
    let (id, expect) = (v.id.as_str(), &v.expect);
    let bytes = fill(&v.raw);
    let delivery = v.delivery();
    let half_close = delivery.half_close;

    let whole = drive(&[&bytes], half_close);
    check(id, "whole", expect, &whole);
    let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
    let bytewise = drive(&bytewise, half_close);
    check(id, "bytewise", expect, &bytewise);
    assert_eq!(whole, bytewise, "{id}: bytewise differs from whole");
    if !half_close {
        let trailing = drive(&[&bytes, b"GET /trailing HT"], false);
        check(id, "trailing", expect, &trailing);
    }

    match delivery.mode {
        Mode::Segments => {
            let segments: Vec<Vec<u8>> = v
                .segments(&delivery.cuts)
                .into_iter()
                .map(&mut fill)
                .collect();
            let chunks: Vec<&[u8]> = segments.iter().map(Vec::as_slice).collect();
            check(id, "segments", expect, &drive(&chunks, half_close));
        }
        Mode::Expect100 => {
            let cut = delivery.cut.expect("expect100 has a cut");
            let (head, body) = (fill(&v.raw[..cut]), fill(&v.raw[cut..]));
            let head_only = drive(&[&head], false);
            let t = if statuses(&head_only).is_empty() {
                drive(&[&head, &body], half_close)
            } else {
                head_only
            };
            if expect.final_before_body {
                assert!(
                    !statuses(&t).is_empty(),
                    "{id}: no final status before the body"
                );
            }
            check(id, "expect100", expect, &t);
        }
        Mode::All | Mode::Bytewise => {}
    }
}

#[test]
fn vectors_at_core_level() {
    let all = vectors::load(&vectors::vector_file());
    for v in &all {
        run(v);
    }
    // The file is in the repository: it cannot be missing, only cut short.
    assert!(all.len() >= 70, "only {} vectors", all.len());
    assert!(all.iter().any(|v| v.category == "contract"));
}

//! The shared robustness vectors (`shared/http-vectors/vectors.jsonl`) at the
//! core level, without sockets. Each request goes to a `Conn` whole, byte by
//! byte, with trailing bytes, and in the vector's own delivery; the app is a
//! stub answering 200, so app-level statuses (404, 401, 422, ...) are only
//! checked to the extent that the request reached the app, well framed.

mod support;

use agora_core::http::fuzzing::Transcript;
use serde_json::Value;
use std::path::PathBuf;
use support::{drive, sent_continue, statuses};

/// Statuses the HTTP layer itself answers; 0 = closed without a response.
const PROTOCOL: [u16; 9] = [0, 400, 408, 413, 414, 431, 501, 505, 417];

/// Whether `got` (200 = handed to the stub app) is acceptable for `allowed`.
fn status_ok(got: u16, allowed: &[u16]) -> bool {
    allowed.contains(&got) || (got == 200 && allowed.iter().any(|s| !PROTOCOL.contains(s)))
}

fn b64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("bad base64 byte {c}"),
    };
    let digits: Vec<u8> = text.bytes().filter(|&c| c != b'=').map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for group in digits.chunks(4) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &d)| n | u32::from(d) << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..group.len()]);
    }
    out
}

fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.starts_with(from) {
            out.extend_from_slice(to);
            rest = &rest[from.len()..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

fn statuses_of(v: &Value) -> Option<Vec<u16>> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_i64().unwrap_or(-1) as u16).collect())
}

fn check(id: &str, how: &str, expect: &Value, t: &Transcript) {
    let got = statuses(t);
    let first = got.first().copied().unwrap_or(0);
    if let Some(allowed) = statuses_of(&expect["status"]) {
        assert!(
            status_ok(first, &allowed),
            "{id} ({how}): first status {first}, expected {allowed:?}"
        );
    }
    if let Some(close) = expect["close"].as_bool() {
        assert_eq!(t.closed, close, "{id} ({how}): close");
    }
    if let Some(max) = expect["max_responses"].as_u64() {
        assert!(
            got.len() as u64 <= max,
            "{id} ({how}): {} responses",
            got.len()
        );
    }
    if let Some(interim) = expect["interim"].as_array() {
        assert_eq!(
            sent_continue(t),
            !interim.is_empty(),
            "{id} ({how}): interim"
        );
    }
    if let Some(responses) = expect["responses"].as_array() {
        assert!(
            got.len() <= responses.len(),
            "{id} ({how}): extra responses {got:?}"
        );
        for (i, allowed) in responses.iter().enumerate() {
            let allowed = statuses_of(allowed).expect("a list");
            let status = got.get(i).copied().unwrap_or(0);
            assert!(
                status_ok(status, &allowed),
                "{id} ({how}): response {i} is {status}"
            );
        }
    }
}

#[test]
fn shared_vectors_at_core_level() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/http-vectors/vectors.jsonl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipping: {} not found", path.display());
        return;
    };
    let mut checked = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).expect("a JSON vector");
        let id = v["id"].as_str().expect("an id");
        let expect = &v["expect"];
        let raw = b64(v["request_b64"].as_str().expect("request_b64"));
        let bytes = replace(&raw, b"{{TOKEN}}", b"00112233445566778899aabbccddeeff");
        let bytes = replace(&bytes, b"{{UNIQ}}", b"q1w2e3r4");
        let delivery = &v["delivery"];
        let half_close = delivery["half_close"].as_bool().unwrap_or(false);

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

        match delivery["mode"].as_str() {
            Some("segments") => {
                let mut chunks = Vec::new();
                let mut at = 0;
                for cut in delivery["cuts"].as_array().expect("cuts") {
                    let cut = cut.as_u64().expect("a cut") as usize;
                    chunks.push(&bytes[at..cut]);
                    at = cut;
                }
                chunks.push(&bytes[at..]);
                check(id, "segments", expect, &drive(&chunks, half_close));
            }
            Some("expect100") => {
                let cut = delivery["cut"].as_u64().expect("a cut") as usize;
                let head_only = drive(&[&bytes[..cut]], false);
                let t = if statuses(&head_only).is_empty() {
                    drive(&[&bytes[..cut], &bytes[cut..]], half_close)
                } else {
                    head_only
                };
                if expect["final_before_body"].as_bool() == Some(true) {
                    assert!(
                        !statuses(&t).is_empty(),
                        "{id}: no final status before the body"
                    );
                }
                check(id, "expect100", expect, &t);
            }
            _ => {}
        }
        checked += 1;
    }
    assert!(checked >= 50, "only {checked} vectors");
}

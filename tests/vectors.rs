//! The HTTP robustness vectors of `tests/data/http-vectors.jsonl`, read into
//! types: one request's exact bytes, how to deliver them, and what must come
//! back. Shared by core's sans-IO test and the end-to-end runner.
//!
//! A vector's fields, as the shared runner defines them: `expect.status` the
//! acceptable statuses of the first final response (`0`: closed or timed out
//! with no response; `-1`: bytes that are not an HTTP/1.x response); `close`
//! whether the server must close after its last response (`null`: either);
//! `responses` one list of acceptable statuses per pipelined response, more
//! responses being a failure; `max_responses` a bound on final responses (the
//! desync detector); `interim` `[100]` if a 100 must arrive, `[]` if no 1xx
//! may; `final_before_body` the final status must come before the body is
//! sent; `headers` fields the first response must carry; `not_status`
//! statuses the first response must not have.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A pseudo status: the connection closed or timed out with no response.
pub const NO_RESPONSE: i32 = 0;
/// A pseudo status: bytes came back that are not an HTTP/1.x response.
pub const UNPARSEABLE: i32 = -1;

/// The in-repository vector file.
pub fn vector_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/http-vectors.jsonl")
}

#[derive(Clone, Debug, Deserialize)]
pub struct Vector {
    pub id: String,
    pub category: String,
    /// The exact bytes, placeholders included (decoded from `request_b64`).
    #[serde(rename = "request_b64", deserialize_with = "base64_bytes")]
    pub raw: Vec<u8>,
    pub expect: Expect,
    #[serde(default)]
    pub delivery: Option<Delivery>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Expect {
    pub status: Option<Vec<i32>>,
    pub close: Option<bool>,
    pub responses: Option<Vec<Vec<i32>>>,
    pub max_responses: Option<usize>,
    pub interim: Option<Vec<u16>>,
    #[serde(default)]
    pub final_before_body: bool,
    #[serde(default)]
    pub headers: Vec<String>,
    #[serde(default)]
    pub not_status: Vec<i32>,
    /// Why the vector expects what it does, for a person reading a failure.
    pub note: Option<String>,
}

/// How the bytes are sent; by default in one write.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Delivery {
    #[serde(default)]
    pub mode: Mode,
    /// `segments`: offsets into the raw bytes (placeholders unreplaced).
    #[serde(default)]
    pub cuts: Vec<usize>,
    /// `segments` (default 100) and `bytewise` (default 10): pause between writes.
    pub delay_ms: Option<u64>,
    /// `expect100`: where the head ends in the raw bytes.
    pub cut: Option<usize>,
    /// `expect100`: how long to wait for a 100 or a final status (default 2000).
    pub wait_ms: Option<u64>,
    /// Send FIN after the data.
    #[serde(default)]
    pub half_close: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    All,
    Segments,
    Bytewise,
    Expect100,
}

impl Vector {
    pub fn delivery(&self) -> Delivery {
        self.delivery.clone().unwrap_or_default()
    }

    /// The raw bytes cut at `cuts` (offsets in the raw bytes, out-of-range
    /// ones dropped), as the `segments` mode sends them.
    pub fn segments(&self, cuts: &[usize]) -> Vec<&[u8]> {
        let mut cuts: Vec<usize> = cuts
            .iter()
            .copied()
            .filter(|&c| 0 < c && c < self.raw.len())
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut out = Vec::with_capacity(cuts.len() + 1);
        let mut at = 0;
        for cut in cuts {
            out.push(&self.raw[at..cut]);
            at = cut;
        }
        out.push(&self.raw[at..]);
        out
    }
}

/// Every vector of `path`, in file order. Panics on a malformed line, naming it.
pub fn load(path: &Path) -> Vec<Vector> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read the vectors {}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), n + 1))
        })
        .collect()
}

/// `bytes` with `{{TOKEN}}` replaced by `token` and each `{{UNIQ}}` by a
/// fresh 8-byte `uniq()` (same length, so lengths and cuts stay valid).
pub fn substitute(bytes: &[u8], token: &[u8], uniq: &mut dyn FnMut() -> [u8; 8]) -> Vec<u8> {
    const TOKEN: &[u8] = b"{{TOKEN}}";
    const UNIQ: &[u8] = b"{{UNIQ}}";
    let mut out = Vec::with_capacity(bytes.len() + token.len());
    let mut rest = bytes;
    while let Some(&first) = rest.first() {
        if rest.starts_with(TOKEN) {
            out.extend_from_slice(token);
            rest = &rest[TOKEN.len()..];
        } else if rest.starts_with(UNIQ) {
            out.extend_from_slice(&uniq());
            rest = &rest[UNIQ.len()..];
        } else {
            out.push(first);
            rest = &rest[1..];
        }
    }
    out
}

fn base64_bytes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let text = String::deserialize(d)?;
    decode_base64(&text).ok_or_else(|| serde::de::Error::custom("invalid base64"))
}

/// Standard base64 with padding, as the vector files use it.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let digits: Vec<u8> = text
        .trim_end_matches('=')
        .bytes()
        .map(value)
        .collect::<Option<_>>()?;
    if digits.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for group in digits.chunks(4) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &d)| n | u32::from(d) << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..group.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_base64_and_refuses_garbage() {
        assert_eq!(decode_base64("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(decode_base64("aGVsbG8h").as_deref(), Some(&b"hello!"[..]));
        assert_eq!(decode_base64("aGk").as_deref(), Some(&b"hi"[..]));
        assert_eq!(decode_base64("").as_deref(), Some(&b""[..]));
        assert_eq!(decode_base64("a$==").as_deref(), None);
        assert_eq!(decode_base64("aGVsb").as_deref(), None);
    }

    #[test]
    fn substitutes_placeholders_keeping_uniq_lengths() {
        let mut n = 0u8;
        let mut uniq = || {
            n += 1;
            [b'0' + n; 8]
        };
        let out = substitute(b"a{{TOKEN}}b{{UNIQ}}{{UNIQ}}", b"tk", &mut uniq);
        assert_eq!(out, b"atkb1111111122222222");
    }

    #[test]
    fn the_in_repo_file_loads_with_the_project_s_own_vectors() {
        let vectors = load(&vector_file());
        assert!(vectors.len() >= 70, "{} vectors", vectors.len());
        assert!(vectors.iter().any(|v| v.id == "expect-100-no-token"));
        let cut = vectors.iter().find(|v| v.id == "slow-body-delay").unwrap();
        assert_eq!(cut.segments(&[97, 102, 0, 9999]).len(), 3);
    }
}

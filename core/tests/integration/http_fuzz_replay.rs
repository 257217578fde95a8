//! Replays the committed fuzz corpora through the same harnesses the fuzz
//! targets call, on stable.

use agora_testkit::http_fuzzing;

use crate::support::corpus;
use std::time::Instant;

/// The harnesses take the connection's start time: one for the whole replay.
fn replay(target: &str, harness: fn(&[u8], Instant)) {
    let start = Instant::now();
    corpus::replay(target, |data| harness(data, start));
}

#[test]
fn split_stream_corpus() {
    replay("split_stream", http_fuzzing::split_stream);
}

#[test]
fn roundtrip_corpus() {
    replay("roundtrip", http_fuzzing::roundtrip);
}

#[test]
fn stream_roundtrip_corpus() {
    replay("stream_roundtrip", http_fuzzing::stream_roundtrip);
}

//! Replays the committed fuzz corpora through the same harnesses the fuzz
//! targets call, on stable.

use agora_testkit::http_fuzzing;

use crate::support::corpus;
use std::time::Instant;

fn replay(target: &str, harness: fn(&[u8], Instant)) {
    let inputs = corpus::inputs(target);
    let start = Instant::now();
    for (_, data) in &inputs {
        harness(data, start);
    }
    eprintln!("{target}: {} inputs replayed", inputs.len());
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

//! Replays the committed fuzz corpora through the same harnesses the fuzz
//! targets call, on stable.

use agora_core::http::fuzzing;
use std::path::PathBuf;
use std::time::Instant;

fn replay(target: &str, harness: fn(&[u8], Instant)) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "empty corpus {}", dir.display());
    let start = Instant::now();
    for file in &files {
        let data = std::fs::read(file).expect("a corpus file");
        harness(&data, start);
    }
    eprintln!("{target}: {} inputs replayed", files.len());
}

#[test]
fn split_stream_corpus() {
    replay("split_stream", fuzzing::split_stream);
}

#[test]
fn roundtrip_corpus() {
    replay("roundtrip", fuzzing::roundtrip);
}

//! Replays the committed corpora of the `decode_request` and
//! `command_sequence` fuzz targets through the same harnesses, on stable.

use agora_core::rules::fuzzing;
use std::path::PathBuf;

fn replay(target: &str, harness: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "empty corpus {}", dir.display());
    for file in &files {
        let data = std::fs::read(file).expect("a corpus file");
        // Name the input that fails, so it can be run again alone.
        let result = std::panic::catch_unwind(|| harness(&data));
        assert!(result.is_ok(), "{} fails", file.display());
    }
    eprintln!("{target}: {} inputs replayed", files.len());
}

#[test]
fn decode_request_corpus() {
    replay("decode_request", fuzzing::decode_request);
}

#[test]
fn command_sequence_corpus() {
    replay("command_sequence", fuzzing::command_sequence);
}

//! Replays the committed corpora of the `decode_request` and
//! `command_sequence` fuzz targets through the same harnesses, on stable.

use agora_testkit::rules_fuzzing;

use crate::support::corpus;

fn replay(target: &str, harness: fn(&[u8])) {
    let inputs = corpus::inputs(target);
    for (file, data) in &inputs {
        // Name the input that fails, so it can be run again alone.
        let result = std::panic::catch_unwind(|| harness(data));
        assert!(result.is_ok(), "{} fails", file.display());
    }
    eprintln!("{target}: {} inputs replayed", inputs.len());
}

#[test]
fn decode_request_corpus() {
    replay("decode_request", rules_fuzzing::decode_request);
}

#[test]
fn command_sequence_corpus() {
    replay("command_sequence", rules_fuzzing::command_sequence);
}

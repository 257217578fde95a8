//! Replays the committed corpora of the `decode_request` and
//! `command_sequence` fuzz targets through the same harnesses, on stable.

use agora_testkit::rules_fuzzing;

use crate::support::corpus;

#[test]
fn decode_request_corpus() {
    corpus::replay("decode_request", rules_fuzzing::decode_request);
}

#[test]
fn command_sequence_corpus() {
    corpus::replay("command_sequence", rules_fuzzing::command_sequence);
}

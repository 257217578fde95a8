//! Any command sequence: quota, bans and unread-exactly-once hold on the model.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| agora_testkit::rules_fuzzing::command_sequence(data));

//! Any method, target, `Authorization` and body: a 2xx/4xx of API.md's shape.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| agora_testkit::rules_fuzzing::decode_request(data));

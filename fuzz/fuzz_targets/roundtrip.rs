//! What one role writes, the other reads back equal.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| agora_testkit::http_fuzzing::roundtrip(
    data,
    std::time::Instant::now()
));

//! What one role writes, the other reads back equal.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| agora_core::http::fuzzing::roundtrip(
    data,
    std::time::Instant::now()
));

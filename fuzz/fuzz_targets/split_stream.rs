//! Arbitrary bytes split arbitrarily never panic; whole, split and bytewise agree.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| agora_testkit::http_fuzzing::split_stream(
    data,
    std::time::Instant::now()
));

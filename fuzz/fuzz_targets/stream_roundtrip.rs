//! A streamed answer reads back as its chunks in order, and the connection goes on.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| agora_testkit::http_fuzzing::stream_roundtrip(
    data,
    std::time::Instant::now()
));

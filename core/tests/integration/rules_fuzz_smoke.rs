//! The fuzz entry points under proptest's random bytes, so that they run with
//! every `cargo test` and not only under cargo-fuzz.

use agora_testkit::rules_fuzzing;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn command_sequences_keep_the_invariants(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        rules_fuzzing::command_sequence(&data);
    }

    #[test]
    fn decoding_never_panics(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        rules_fuzzing::decode_request(&data);
    }

    #[test]
    fn decoding_json_like_bodies_never_panics(
        pick in any::<u8>(),
        body in r#"[\{\}\[\]":,a-z0-9 \-.n]{0,80}"#,
    ) {
        let mut data = vec![pick];
        data.extend_from_slice(b"Bearer 0123456789abcdef0123456789abcdef\n");
        data.extend_from_slice(body.as_bytes());
        rules_fuzzing::decode_request(&data);
    }
}

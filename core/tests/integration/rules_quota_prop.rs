//! Specification of the public quota, checked against the rules for random
//! sequences of send times. The specification only looks at the trace of
//! accepted sends: it rebuilds the windows from them and then checks that
//!
//! - no window holds more than `quota` accepted public messages,
//! - a public send is refused only when the window open at that instant is
//!   full, and its `retry_after` is exactly the time left in that window,
//!   rounded up to whole seconds,
//! - private messages are never refused and never counted,
//! - `/status` reports what is left and when the open window ends.

use agora_core::command::{ChatRef, Command, Outcome};
use agora_core::config::Config;
use agora_core::rules;
use agora_core::time::UnixMillis;
use agora_core::token::Token;
use agora_testkit::model::Model;
use proptest::prelude::*;

const T0: i64 = 1_795_939_200_000;

/// A window as the specification sees it: opened by an accepted public send
/// at `start`, holding the accepted sends from `start` to `start + window`.
struct SpecWindow {
    start: i64,
    accepted: u32,
}

fn run(quota: u32, window_ms: u64, sends: &[(u64, bool)]) -> Result<(), TestCaseError> {
    let config = Config {
        quota,
        quota_window_ms: window_ms,
        ..Config::default()
    };
    let mut model = Model::new(UnixMillis(T0));
    let mut now = UnixMillis(T0);
    let (alice, bob) = (Token([1; 16]), Token([2; 16]));
    for (name, token) in [("alice", alice), ("bob", bob)] {
        let command = Command::GetToken {
            user_name: name.into(),
            token,
            client: std::net::Ipv4Addr::LOCALHOST.into(),
        };
        rules::apply(&command, &mut model, now, &config).unwrap();
    }
    let mut windows: Vec<SpecWindow> = Vec::new();
    for &(dt, public) in sends {
        now = now.plus_ms(dt);
        let t = now.0;
        // The window open at `t`, if any: the last one opened, if not over.
        let open = windows
            .last()
            .filter(|w| t < w.start + window_ms as i64)
            .map(|w| (w.start, w.accepted));
        let to = if public {
            ChatRef::Public
        } else {
            ChatRef::Private("bob".into())
        };
        let command = Command::Send {
            caller: alice.hash(),
            to,
            text: "x".into(),
        };
        let outcome = rules::apply(&command, &mut model, now, &config).unwrap();
        match outcome {
            Outcome::MessageSent { .. } => {
                if public {
                    match open {
                        Some(_) => windows.last_mut().unwrap().accepted += 1,
                        None => windows.push(SpecWindow {
                            start: t,
                            accepted: 1,
                        }),
                    }
                    prop_assert!(
                        windows.last().unwrap().accepted <= quota,
                        "window over quota"
                    );
                }
            }
            Outcome::QuotaExceeded { until, now: at } => {
                prop_assert!(public, "a private message was refused");
                prop_assert_eq!(at, now);
                let Some((start, accepted)) = open else {
                    return Err(TestCaseError::fail("refused with no window open"));
                };
                prop_assert_eq!(accepted, quota, "refused before the window was full");
                let end = start + window_ms as i64;
                prop_assert_eq!(until.0, end);
                let expected_seconds = ((end - t) as u64).div_ceil(1000);
                prop_assert_eq!(now.seconds_until(until), expected_seconds);
                let response = agora_core::api::encode(&Outcome::QuotaExceeded { until, now });
                let header = expected_seconds.to_string();
                prop_assert_eq!(response.header("Retry-After"), Some(header.as_str()));
            }
            other => return Err(TestCaseError::fail(format!("unexpected {other:?}"))),
        }
        // What /status says now.
        let status = rules::apply(
            &Command::Status {
                caller: alice.hash(),
            },
            &mut model,
            now,
            &config,
        )
        .unwrap();
        let Outcome::Status(report) = status else {
            return Err(TestCaseError::fail("status failed"));
        };
        match windows.last().filter(|w| t < w.start + window_ms as i64) {
            Some(w) => {
                prop_assert_eq!(report.public_messages_left, quota - w.accepted);
                prop_assert_eq!(
                    report.quota_resets_at,
                    Some(UnixMillis(w.start + window_ms as i64))
                );
            }
            None => {
                prop_assert_eq!(report.public_messages_left, quota);
                prop_assert_eq!(report.quota_resets_at, None);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn quota_follows_the_fixed_window_spec(
        quota in 1u32..5,
        window_ms in 1u64..20_000,
        sends in proptest::collection::vec((0u64..6_000, proptest::bool::weighted(0.8)), 0..60),
    ) {
        run(quota, window_ms, &sends)?;
    }

    #[test]
    fn quota_with_bursts_at_one_instant(
        quota in 1u32..4,
        sends in proptest::collection::vec((prop_oneof![Just(0u64), Just(999), Just(1000), Just(1001)], any::<bool>()), 0..40),
    ) {
        run(quota, 2_000, &sends)?;
    }
}

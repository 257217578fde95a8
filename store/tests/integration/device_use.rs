//! (issue 28) A device token's `last_used` as `/sessions` shows it: written
//! when the token is used a minute or more after the last write, never more
//! often, on a clock the test moves (the store's clock drives it).

use crate::support;

use agora_core::accounts::{AccountCommand, AccountOutcome};
use agora_core::command::{Command, Outcome};
use agora_core::time::UnixMillis;
use agora_core::token::TokenHash;
use agora_store::Handle;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use support::{register, run};

/// 2027-01-15, any instant will do.
const START: i64 = 1_800_000_000_000;
const SECOND: i64 = 1000;

fn last_used(handle: &Handle, caller: TokenHash) -> UnixMillis {
    let sessions = Command::Account(Box::new(AccountCommand::Sessions { caller }));
    match run(handle, sessions) {
        Outcome::Account(AccountOutcome::Sessions { devices, .. }) => devices[0].last_used,
        other => panic!("sessions: {other:?}"),
    }
}

/// `last_used` once it is `expected` (the write is queued beside the
/// command that was due, so a read may come first), within 10 s.
fn wait_for(handle: &Handle, caller: TokenHash, expected: i64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let seen = last_used(handle, caller);
        if seen == UnixMillis(expected) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "last_used {seen:?}, not {expected}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn last_used_is_written_at_most_once_a_minute() {
    let (_dir, path) = support::temp_database();
    let mut config = support::config(&path);
    let clock = support::hand_clock(&mut config, START);
    let handle = Handle::open(config).unwrap();
    let at = |seconds: i64| clock.store(START + seconds * SECOND, Ordering::SeqCst);
    let use_token = |caller| run(&handle, Command::Status { caller });
    let ann = register(&handle, "ann");
    assert_eq!(last_used(&handle, ann), UnixMillis(START), "made at");

    // Used within the minute: not written.
    at(10);
    use_token(ann);
    at(50);
    use_token(ann);
    at(59);
    use_token(ann);
    // Settled: nothing was queued, so nothing can still arrive.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(last_used(&handle, ann), UnixMillis(START));

    // A minute after the first use this node noted: written, at that use.
    at(71);
    use_token(ann);
    wait_for(&handle, ann, START + 71 * SECOND);
    // Then not again within the minute...
    at(100);
    use_token(ann);
    at(130);
    use_token(ann);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(last_used(&handle, ann), UnixMillis(START + 71 * SECOND));
    // ... and again after it.
    at(135);
    use_token(ann);
    wait_for(&handle, ann, START + 135 * SECOND);
    handle.shutdown();
}

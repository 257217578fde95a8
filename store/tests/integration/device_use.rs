//! (issue 28) A device token's `last_used` as `/sessions` shows it: the
//! writer's `Touch` (queued by the store at most once a minute per token
//! and node, see `engine::device_use`'s unit test) writes it only when the
//! stored time is a minute old, so several nodes do not write it more often
//! either. On the store's clock, which the test moves.

use crate::support;

use agora_core::accounts::{AccountCommand, AccountOutcome};
use agora_core::command::{Command, Outcome};
use agora_core::time::UnixMillis;
use agora_core::token::TokenHash;
use agora_store::Handle;
use std::sync::atomic::Ordering;
use support::{register_all, run};

/// 2027-01-15, any instant will do.
const START: i64 = 1_800_000_000_000;
const SECOND: i64 = 1000;

fn account(command: AccountCommand) -> Command {
    Command::Account(Box::new(command))
}

fn last_used(handle: &Handle, caller: TokenHash) -> UnixMillis {
    match run(handle, account(AccountCommand::Sessions { caller })) {
        Outcome::Account(AccountOutcome::Sessions { devices, .. }) => devices[0].last_used,
        other => panic!("sessions: {other:?}"),
    }
}

#[test]
fn last_used_is_written_at_most_once_a_minute() {
    let (_dir, path) = support::temp_database();
    let mut config = support::config(&path);
    let clock = support::hand_clock(&mut config, START);
    let handle = Handle::open(config).unwrap();
    // A touch at `seconds` after the start (as another node would send).
    let touch_at = |caller, seconds: i64| {
        clock.store(START + seconds * SECOND, Ordering::SeqCst);
        let touched = run(&handle, account(AccountCommand::Touch { caller }));
        assert_eq!(touched, Outcome::Account(AccountOutcome::Touched));
    };
    let [ann, bob] = register_all(&handle, ["ann", "bob"]);
    assert_eq!(last_used(&handle, ann), UnixMillis(START), "made at");

    // Within the minute of the stored time: not written.
    touch_at(ann, 30);
    touch_at(ann, 59);
    assert_eq!(last_used(&handle, ann), UnixMillis(START));
    // A minute after it: written, at the touch's time.
    touch_at(ann, 61);
    assert_eq!(last_used(&handle, ann), UnixMillis(START + 61 * SECOND));
    // Then not again within a minute of that...
    touch_at(ann, 100);
    touch_at(ann, 120);
    assert_eq!(last_used(&handle, ann), UnixMillis(START + 61 * SECOND));
    // ... and again after it; another token keeps its own time.
    touch_at(ann, 121);
    assert_eq!(last_used(&handle, ann), UnixMillis(START + 121 * SECOND));
    assert_eq!(last_used(&handle, bob), UnixMillis(START));
    handle.shutdown();
}

//! The store's time is the clock it is given, even when that clock steps
//! back: new messages carry the real time (their ids still increase), and a
//! `Retry-After` given for the quota or a ban is a promise kept, measured on
//! the real clock. Driven through the real chat rules with a clock the test
//! controls.

use crate::support;

use agora_core::api;
use agora_core::command::{ChatType, Command, Outcome};
use agora_core::time::UnixMillis;
use agora_store::Handle;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use support::{config, private_send, public_send, register, register_all, run};

const HOUR: i64 = 3_600_000;
/// 2027-01-15, any instant will do.
const START: i64 = 1_800_000_000_000;

/// A clock the test sets.
struct TestClock(Arc<AtomicI64>);

impl TestClock {
    fn start(
        path: &Path,
        quota: u32,
        configure: impl FnOnce(&mut agora_store::StoreConfig),
    ) -> (TestClock, Handle) {
        let mut store = config(path);
        store.rules.quota = quota;
        let time = support::hand_clock(&mut store, START);
        configure(&mut store);
        (TestClock(time), Handle::open(store).unwrap())
    }

    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }

    fn set(&self, millis: i64) {
        self.0.store(millis, Ordering::SeqCst);
    }

    fn advance_seconds(&self, seconds: u64) {
        self.0.fetch_add(seconds as i64 * 1000, Ordering::SeqCst);
    }
}

/// The `Retry-After` a client is given for `outcome`, in seconds.
fn retry_after(outcome: &Outcome) -> u64 {
    let response = api::encode(outcome);
    response
        .header("Retry-After")
        .unwrap_or_else(|| panic!("no Retry-After for {outcome:?}"))
        .parse()
        .unwrap()
}

fn sent(outcome: Outcome) -> (i64, UnixMillis) {
    match outcome {
        Outcome::MessageSent {
            message_id,
            pub_date,
        } => (message_id, pub_date),
        other => panic!("not sent: {other:?}"),
    }
}

/// An hour ahead, then back: the messages sent after the step carry the real
/// time, earlier than those before it, and their ids keep increasing.
#[test]
fn after_the_clock_steps_back_new_messages_carry_the_real_time() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, handle) = TestClock::start(&dir.path().join("agora.db"), 100, |_| {});
    let alice = register(&handle, "alice");
    register(&handle, "bob");
    clock.set(START + HOUR);
    let (ahead_id, ahead_date) = sent(run(&handle, public_send(alice, "ahead")));
    assert_eq!(ahead_date, UnixMillis(START + HOUR));

    clock.set(START);
    let mut last_id = ahead_id;
    for (i, command) in [
        public_send(alice, "back, public"),
        private_send(alice, "bob", "back, private"),
    ]
    .into_iter()
    .enumerate()
    {
        clock.advance_seconds(1);
        let (id, pub_date) = sent(run(&handle, command));
        assert_eq!(pub_date, UnixMillis(clock.now()), "message {i}");
        assert!(
            id > last_id,
            "ids follow commit order: {id} after {last_id}"
        );
        last_id = id;
    }
}

/// The quota is filled while the clock is an hour ahead, then the clock steps
/// back. The refusal's `Retry-After` counts from the real time, and waiting
/// exactly that long (not a second less) is enough.
#[test]
fn the_quota_retry_after_holds_after_the_clock_steps_back() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, handle) = TestClock::start(&dir.path().join("agora.db"), 2, |store| {
        store.rules.quota_window_ms = 60_000;
    });
    let alice = register(&handle, "alice");
    clock.set(START + HOUR);
    for i in 0..2 {
        sent(run(&handle, public_send(alice, &format!("ahead {i}"))));
    }
    assert!(matches!(
        run(&handle, public_send(alice, "over")),
        Outcome::QuotaExceeded { .. }
    ));

    clock.set(START);
    let refused = run(&handle, public_send(alice, "back"));
    let wait = retry_after(&refused);
    clock.advance_seconds(wait - 1);
    let early = run(&handle, public_send(alice, "a second early"));
    assert!(matches!(early, Outcome::QuotaExceeded { .. }), "{early:?}");
    clock.advance_seconds(1);
    let (_, pub_date) = sent(run(&handle, public_send(alice, "after the wait")));
    assert_eq!(pub_date, UnixMillis(clock.now()));
}

/// The same for a ban given while the clock was ahead.
#[test]
fn the_ban_retry_after_holds_after_the_clock_steps_back() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, handle) = TestClock::start(&dir.path().join("agora.db"), 100, |store| {
        store.rules.ban_threshold = 1;
        store.rules.ban_ms = 60_000;
    });
    let [alice, bob] = register_all(&handle, ["alice", "bob"]);
    clock.set(START + HOUR);
    let report = Command::Report {
        caller: bob,
        target: "alice".to_string(),
        chat_type: ChatType::Public,
    };
    let banned = run(&handle, report);
    assert!(
        !matches!(banned, Outcome::Failed(_)),
        "the report is taken: {banned:?}"
    );

    clock.set(START);
    let refused = run(&handle, public_send(alice, "back"));
    assert!(matches!(refused, Outcome::Banned { .. }), "{refused:?}");
    clock.advance_seconds(retry_after(&refused));
    sent(run(&handle, public_send(alice, "after the ban")));
}

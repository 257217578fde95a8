//! The writer keeps users and private chats between commands (`RowCache`).
//! What a rolled-back command wrote must not survive there: a later command
//! of the same batch, and later batches, see the database as committed.

use crate::support;

use agora_core::command::{Command, Failure, Outcome};
use agora_core::rules;
use agora_core::view::StoreError;
use agora_store::Handle;
use std::sync::mpsc;
use std::time::Duration;
use support::{config, is_sent, outcome, private_send, public_send, register};

/// A store running the real rules, with two texts that do more after the
/// rules ran: `gate` blocks the writer (once) until released, so that what is
/// submitted meanwhile joins its batch; `fail` turns its outcome into a store
/// error, after the rules wrote what it asked.
struct Fixture {
    handle: Handle,
    entered: mpsc::Receiver<()>,
    release: mpsc::Sender<()>,
    _dir: tempfile::TempDir,
}

fn fixture(quota: u32) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut store = config(&dir.path().join("agora.db"));
    store.rules.quota = quota;
    let rules_config = store.rules.clone();
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let mut gated = false;
    let handle = Handle::open_with(store, move |command, view, now| {
        let outcome = rules::apply(command, view, now, &rules_config)?;
        match command {
            Command::Send { text, .. } if text == "gate" && !gated => {
                gated = true;
                entered_tx.send(()).unwrap();
                release_rx.recv_timeout(Duration::from_secs(10)).unwrap();
            }
            Command::Send { text, .. } if text == "fail" => {
                return Err(StoreError("told to fail".into()))
            }
            _ => {}
        }
        Ok(outcome)
    })
    .unwrap();
    Fixture {
        handle,
        entered,
        release,
        _dir: dir,
    }
}

impl Fixture {
    /// Runs `commands` in one batch behind a gate sent by a user of its own;
    /// their outcomes in order.
    fn batch(&self, commands: Vec<Command>) -> Vec<Outcome> {
        let keeper = register(&self.handle, "keeper");
        let gate = self.handle.submit(public_send(keeper, "gate")).unwrap();
        self.entered.recv_timeout(Duration::from_secs(10)).unwrap();
        let pendings: Vec<_> = commands
            .into_iter()
            .map(|c| self.handle.submit(c).unwrap())
            .collect();
        self.release.send(()).unwrap();
        assert!(is_sent(&outcome(gate)));
        pendings.into_iter().map(outcome).collect()
    }

    fn run(&self, command: Command) -> Outcome {
        outcome(self.handle.submit(command).unwrap())
    }
}

const UNAVAILABLE: Outcome = Outcome::Failed(Failure::StoreUnavailable);

/// The failed send took quota, in both passes over its batch (the first
/// without savepoints, the second with one per command): neither may count.
#[test]
fn a_rolled_back_send_does_not_count_against_the_quota() {
    let f = fixture(2);
    let alice = register(&f.handle, "alice");
    let outcomes = f.batch(vec![
        public_send(alice, "fail"),
        public_send(alice, "first"),
    ]);
    assert_eq!(outcomes[0], UNAVAILABLE);
    assert!(is_sent(&outcomes[1]), "{outcomes:?}");
    let second = f.run(public_send(alice, "second"));
    assert!(is_sent(&second), "{second:?}");
    let third = f.run(public_send(alice, "third"));
    assert!(
        matches!(third, Outcome::QuotaExceeded { .. }),
        "quota 2 used by first and second: {third:?}"
    );
    f.handle.shutdown();
}

/// The first pass over the batch created the private chat, then rolled it
/// back when a later command failed: the second pass must create it again,
/// not use the id it had.
#[test]
fn a_rolled_back_private_chat_is_created_again() {
    let f = fixture(20);
    let alice = register(&f.handle, "alice");
    register(&f.handle, "bob");
    let private = |text: &str| private_send(alice, "bob", text);
    let outcomes = f.batch(vec![private("hello"), private("fail")]);
    assert!(is_sent(&outcomes[0]), "{outcomes:?}");
    assert_eq!(outcomes[1], UNAVAILABLE);
    let again = f.run(private("again"));
    assert!(is_sent(&again), "{again:?}");
    let status = f.run(Command::Status { caller: alice });
    let Outcome::Status(report) = status else {
        panic!("{status:?}")
    };
    let private_chats: Vec<_> = report.chats.iter().filter(|c| c.id != 1).collect();
    assert_eq!(private_chats.len(), 1, "{:?}", report.chats);
    assert_eq!(private_chats[0].messages_number, 2);
    f.handle.shutdown();
}

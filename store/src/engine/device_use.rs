//! When a device token's `last_used` is written (issue 28): at most once a
//! minute per token and node, not per request. Every command with a token
//! passes here; the first one a minute after the last noted queues an
//! internal `Touch` for the writer (the rules then write only if the stored time is a minute old
//! too, so several nodes do not write more often either).

use agora_core::accounts::{AccountCommand, TOUCH_EVERY_MS};
use agora_core::command::Command;
use agora_core::token::TokenHash;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Tokens remembered at most; past it the map starts over (a token then
/// gets one early write).
const MAX_TOKENS: usize = 100_000;

#[derive(Default)]
pub(crate) struct DeviceUse {
    noted: Mutex<HashMap<TokenHash, Instant>>,
}

impl DeviceUse {
    /// The `Touch` to queue for `command`'s token, if its last one was a
    /// minute ago or more (or never on this node).
    pub(crate) fn touch(&self, command: &Command, now: Instant) -> Option<Command> {
        let caller = *caller(command)?;
        let every = Duration::from_millis(TOUCH_EVERY_MS as u64);
        let mut noted = crate::locks::lock(&self.noted);
        // A token first seen on this node is only noted: what is stored is
        // at most a minute behind the first use after that.
        let due = match noted.get(&caller) {
            Some(last) => now.saturating_duration_since(*last) >= every,
            None => false,
        };
        if noted.contains_key(&caller) && !due {
            return None;
        }
        if noted.len() >= MAX_TOKENS {
            noted.clear();
        }
        noted.insert(caller, now);
        due.then(|| Command::Account(Box::new(AccountCommand::Touch { caller })))
    }
}

/// Whose use `command` is: its token, except the `Touch` that notes a use.
fn caller(command: &Command) -> Option<&TokenHash> {
    match command {
        Command::Account(account) if matches!(**account, AccountCommand::Touch { .. }) => None,
        command => command.caller(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::sample_commands;

    fn status(n: u8) -> Command {
        Command::Status {
            caller: TokenHash([n; 32]),
        }
    }

    fn is_touch(touch: Option<Command>) -> bool {
        matches!(&touch, Some(Command::Account(a)) if matches!(a.as_ref(), AccountCommand::Touch { .. }))
    }

    #[test]
    fn a_token_is_touched_at_most_once_a_minute_on_a_node() {
        let uses = DeviceUse::default();
        let t0 = Instant::now();
        let at = |seconds: u64| t0 + Duration::from_secs(seconds);
        // First seen: only noted. Within the minute: nothing.
        assert!(uses.touch(&status(1), at(0)).is_none());
        assert!(uses.touch(&status(1), at(30)).is_none());
        assert!(uses.touch(&status(1), at(59)).is_none());
        // Another token is its own.
        assert!(uses.touch(&status(2), at(59)).is_none());
        // A minute after the last noted use: a Touch, then a minute again.
        assert!(is_touch(uses.touch(&status(1), at(60))));
        assert!(uses.touch(&status(1), at(119)).is_none());
        assert!(is_touch(uses.touch(&status(1), at(120))));
        // Commands without a token, and the Touch itself, are never noted.
        assert!(uses.touch(&Command::Health, at(500)).is_none());
        let touch = Command::Account(Box::new(AccountCommand::Touch {
            caller: TokenHash([1; 32]),
        }));
        assert!(uses.touch(&touch, at(500)).is_none());
    }

    #[test]
    fn every_command_with_a_token_is_a_use_of_its_device() {
        let t0 = Instant::now();
        let caller = TokenHash([7; 32]);
        let commands = sample_commands::read_only(caller);
        for command in commands.into_iter().chain(sample_commands::writing(caller)) {
            let uses = DeviceUse::default();
            assert!(uses.touch(&command, t0).is_none(), "{command:?}");
            let later = uses.touch(&command, t0 + Duration::from_secs(60));
            assert!(is_touch(later), "{command:?} is not a use of its device");
        }
    }
}

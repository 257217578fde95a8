//! When a device token's `last_used` is written (issue 28): at most once a
//! minute per token and node, not per request. Every command with a token
//! passes here; the first one a minute after the last noted queues an
//! internal `Touch` for the writer (the rules then write only if the stored time is a minute old
//! too, so several nodes do not write more often either).
//!
//! Time is the store's clock (`StoreConfig::clock`), as for every other
//! stored time: a clock stepped back only delays the next write.

use crate::clock::Clock;
use agora_core::accounts::{AccountCommand, TOUCH_EVERY_MS};
use agora_core::command::Command;
use agora_core::time::UnixMillis;
use agora_core::token::TokenHash;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// Tokens remembered at most; past it the map starts over (a token then
/// gets one early write).
const MAX_TOKENS: usize = 100_000;

pub(crate) struct DeviceUse {
    clock: Clock,
    noted: Mutex<HashMap<TokenHash, UnixMillis>>,
}

impl DeviceUse {
    pub(crate) fn new(clock: Clock) -> DeviceUse {
        DeviceUse {
            clock,
            noted: Mutex::default(),
        }
    }

    /// The `Touch` to queue for `command`'s token, if its last one was a
    /// minute ago or more (or never on this node).
    pub(crate) fn touch(&self, command: &Command) -> Option<Command> {
        let caller = *caller(command)?;
        let now = self.clock.now();
        let mut noted = self.noted.lock().unwrap_or_else(PoisonError::into_inner);
        // A token first seen on this node is only noted: what is stored is
        // at most a minute behind the first use after that.
        let due = match noted.get(&caller) {
            Some(last) => now.0.saturating_sub(last.0) >= TOUCH_EVERY_MS,
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

fn caller(command: &Command) -> Option<&TokenHash> {
    match command {
        Command::Connect { caller, .. }
        | Command::Status { caller }
        | Command::Send { caller, .. }
        | Command::Comment { caller, .. }
        | Command::Report { caller, .. }
        | Command::Events { caller, .. }
        | Command::Read { caller, .. }
        | Command::Comments { caller, .. }
        | Command::Unban { caller, .. } => Some(caller),
        Command::Account(account) => match account.as_ref() {
            AccountCommand::Touch { .. } => None,
            account => account.caller(),
        },
        _ => None,
    }
}

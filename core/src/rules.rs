//! The chat rules as one pure function over a [`View`]. (Being written: see issue 3.)

use crate::command::{Command, Outcome};
use crate::config::Config;
use crate::time::UnixMillis;
use crate::view::{StoreError, View};

/// Applies one command at `now`. A store error aborts the command: the caller
/// rolls back whatever it wrote.
pub fn apply(
    command: &Command,
    view: &mut impl View,
    now: UnixMillis,
    config: &Config,
) -> Result<Outcome, StoreError> {
    let _ = (command, view, now, config);
    todo!("issue 3")
}

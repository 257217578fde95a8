//! `GET /health` through the rules: the store answers it with a read.

use super::Answer;
use crate::command::Outcome;
use crate::view::{View, PUBLIC_CHAT};

/// Available when the view answers one small read (the public chat's latest
/// message id); a store error is the caller's to report as unavailable. The
/// SQLite store answers most health checks without coming here (see
/// `agora_store`'s health module); this is the path of a store without
/// reader threads, and of the model.
pub(super) fn health(view: &mut impl View) -> Answer {
    view.latest_message(PUBLIC_CHAT)?;
    Ok(Outcome::Health { available: true })
}

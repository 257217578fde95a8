//! `GET /status`.

use super::{caller, checked, Answer, QuotaState};
use crate::command::{Outcome, StatusReport};
use crate::config::Config;
use crate::time::UnixMillis;
use crate::token::TokenHash;
use crate::view::{ChatKind, View};
use std::cmp::Reverse;

/// The caller's chats (public first, then private chats by latest message,
/// newest first, ties by chat id, newest first), its cautions (standing
/// reports), `banned_until` only while the ban lasts, and its quota: what is
/// left in the window open at `now` and when it closes (`None`, and the full
/// quota, when no window is open).
pub(super) fn status(
    view: &mut impl View,
    caller_hash: &TokenHash,
    now: UnixMillis,
    config: &Config,
) -> Answer {
    let me = checked!(caller(view, caller_hash)?);
    let mut chats = view.chats_of(me.id)?;
    chats.sort_by_key(|c| {
        (
            !matches!(c.kind, ChatKind::Public),
            Reverse(c.last_message),
            Reverse(c.id),
        )
    });
    let cautions = view.report_count(me.id)?;
    let quota = QuotaState::of(&me, now, config);
    Ok(Outcome::Status(StatusReport {
        banned_until: me.banned_until.filter(|&until| now < until),
        connected_as: me.name,
        chats,
        cautions,
        public_messages_left: quota.left,
        quota_resets_at: quota.resets_at,
    }))
}

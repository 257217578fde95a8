//! `POST /report`: cautions and bans.

use super::{caller, checked, other_user, Answer};
use crate::command::{ChatType, Failure, Outcome};
use crate::config::Config;
use crate::events::EventBody;
use crate::time::UnixMillis;
use crate::token::TokenHash;
use crate::view::{StoreError, User, View};

/// Records a report. Checks, in order: the caller (401), reporting oneself
/// (400 `self_target`), the target (404), the caller trusted as a reporter
/// (403 `reporter_not_trusted`: see [`trusted`]; nothing is recorded), for
/// `private` a chat between the two
/// (403 `no_shared_chat`), a target banned now (200 `AlreadyBanned`, nothing
/// recorded), a standing report by the same caller (409). Cautions are the
/// distinct reporters since the target's last ban; when they reach
/// `ban_threshold` the target is banned for `ban_ms` from `now`, its reports
/// are dropped (cautions restart at zero) and the answer carries
/// `banned_until`. A banned caller may still report.
pub(super) fn report(
    view: &mut impl View,
    caller_hash: &TokenHash,
    target: &str,
    chat_type: &ChatType,
    now: UnixMillis,
    config: &Config,
) -> Answer {
    let me = checked!(caller(view, caller_hash)?);
    let mut target = checked!(other_user(view, &me, target, "report_on")?);
    if !trusted(&me, now, config) {
        return Ok(Outcome::Failed(Failure::ReporterNotTrusted));
    }
    if *chat_type == ChatType::Private && view.private_chat(me.id, target.id)?.is_none() {
        return Ok(Outcome::Failed(Failure::NoSharedChat));
    }
    // (issue 25) A room both are members of; any other room, a private one
    // the caller may not see included, is no shared chat.
    if let ChatType::Room(room) = chat_type {
        if !both_in_room(view, room, &me, &target)? {
            return Ok(Outcome::Failed(Failure::NoSharedChat));
        }
    }
    if let Some(until) = target.banned_until.filter(|&until| now < until) {
        return Ok(Outcome::AlreadyBanned {
            banned_until: until,
        });
    }
    if view.has_reported(target.id, me.id)? {
        return Ok(Outcome::Failed(Failure::AlreadyReported));
    }
    view.add_report(target.id, me.id, now)?;
    let cautions = view.report_count(target.id)?;
    if cautions < config.ban_threshold {
        return Ok(Outcome::ReportAccepted {
            cautions,
            banned_until: None,
        });
    }
    let until = now.plus_ms(config.ban_ms);
    target.banned_until = Some(until);
    view.save_user(&target)?;
    view.clear_reports(target.id)?;
    view.append_event(EventBody::Banned {
        user: target.id,
        until,
    })?;
    Ok(Outcome::ReportAccepted {
        cautions: 0,
        banned_until: Some(until),
    })
}

/// Whether `a` and `b` are both members of the room named `room`.
fn both_in_room(view: &mut impl View, room: &str, a: &User, b: &User) -> Result<bool, StoreError> {
    let Some(room) = view.room_by_name(room)? else {
        return Ok(false);
    };
    Ok(
        view.read_position(room.id, a.id)?.is_some()
            && view.read_position(room.id, b.id)?.is_some(),
    )
}

/// Whether `reporter`'s reports count: with `reporter_min_age_ms` 0 every
/// one does; else an account at least that old that has sent a message
/// (so that fresh accounts made in a burst cannot ban anyone).
fn trusted(reporter: &User, now: UnixMillis, config: &Config) -> bool {
    let min_age = config.reporter_min_age_ms;
    min_age == 0 || (reporter.sent_message && now >= reporter.created.plus_ms(min_age))
}

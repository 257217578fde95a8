//! `/login`, `/password`, `/sessions`, `/logout` (issue 28): the decisions,
//! with every password check and hash already made by the store (see
//! `crate::accounts`).

use super::Answer;
use crate::accounts::{
    AccountCommand, AccountOutcome, Accounts, DeviceId, NewDevice, PasswordCheck,
    LOGIN_FAILURES_PER_ADDRESS, LOGIN_FAILURES_PER_NAME, LOGIN_WINDOW_MS, TOUCH_EVERY_MS,
};
use crate::client_addr::limit_key;
use crate::command::{Failure, Outcome};
use crate::events::EventBody;
use crate::records::name_key;
use crate::time::UnixMillis;
use crate::token::{Token, TokenHash};
use crate::view::{Recent, StoreError, View};
use std::net::IpAddr;

fn answer(outcome: AccountOutcome) -> Answer {
    Ok(Outcome::Account(outcome))
}

pub(super) fn apply(command: &AccountCommand, view: &mut impl View, now: UnixMillis) -> Answer {
    match command {
        AccountCommand::Login {
            user_name,
            device,
            token,
            client,
            check,
            ..
        } => login(view, user_name, device, token, *client, check, now),
        AccountCommand::SetPassword {
            caller,
            old_password,
            check,
            new_hash,
            ..
        } => set_password(view, caller, old_password.is_some(), check, new_hash),
        AccountCommand::Sessions { caller } => sessions(view, caller),
        AccountCommand::Logout { caller, device } => logout(view, caller, *device),
        AccountCommand::Touch { caller } => touch(view, caller, now),
    }
}

/// When `/login` for `user_name` from `client` is throttled at `now`: the
/// time the oldest counted failure leaves the window, else `None`. Read by
/// the store before it hashes too (a throttled login costs no hashing).
pub fn login_throttled(
    view: &mut impl Accounts,
    user_name: &str,
    client: IpAddr,
    now: UnixMillis,
) -> Result<Option<UnixMillis>, StoreError> {
    let since = UnixMillis(now.0.saturating_sub(LOGIN_WINDOW_MS as i64 - 1));
    let by_name = view.login_failures_of_name(Recent {
        key: &name_key(user_name),
        since,
        limit: LOGIN_FAILURES_PER_NAME,
    })?;
    let origin = limit_key(client).to_string();
    let by_address = view.login_failures_from(Recent {
        key: &origin,
        since,
        limit: LOGIN_FAILURES_PER_ADDRESS,
    })?;
    let full = |times: &[UnixMillis], limit: u32| {
        (times.len() >= limit as usize).then(|| {
            let oldest = times.iter().copied().min().unwrap_or(now);
            oldest.plus_ms(LOGIN_WINDOW_MS)
        })
    };
    Ok(
        match (
            full(&by_name, LOGIN_FAILURES_PER_NAME),
            full(&by_address, LOGIN_FAILURES_PER_ADDRESS),
        ) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        },
    )
}

/// Checks, in order: throttling (429, whatever the password), then the
/// name and the password together (the same 401 for either), recording a
/// failure; then a new device for the user, and the name's failures are
/// forgotten: whoever knows the password is not guessing it, so a user
/// who mistyped it nine times gets ten tries again.
///
/// The address's failures on other names stay counted: they are what the
/// per-address limit is for (one address guessing at many names), and an
/// attacker who has an account of its own could otherwise reset its
/// address's count by signing in to it between guesses.
fn login(
    view: &mut impl View,
    user_name: &str,
    device: &str,
    token: &Token,
    client: IpAddr,
    check: &PasswordCheck,
    now: UnixMillis,
) -> Answer {
    if let Some(until) = login_throttled(view, user_name, client, now)? {
        return answer(AccountOutcome::LoginThrottled { until, now });
    }
    let user = view.user_by_name(user_name)?;
    let stored = match &user {
        Some(user) => view.password_of(user.id)?,
        None => None,
    };
    let user = match user {
        Some(user) if check.proves(&stored) => user,
        _ => {
            let origin = limit_key(client).to_string();
            view.record_login_failure(crate::accounts::LoginFailure {
                name_key: &name_key(user_name),
                origin: &origin,
                now,
            })?;
            return answer(AccountOutcome::LoginFailed);
        }
    };
    let hash = token.hash();
    if view.user_by_token(&hash)?.is_some() {
        // Token bytes some device already has (astronomically unlikely).
        return Ok(Outcome::Failed(Failure::StoreUnavailable));
    }
    let device_id = view.add_device(NewDevice {
        user: user.id,
        hash: &hash,
        label: device,
        now,
    })?;
    view.clear_login_failures_of_name(&name_key(user_name))?;
    answer(AccountOutcome::LoggedIn {
        token: *token,
        user_name: user.name,
        device_id,
    })
}

/// 401 for an unknown token; with a password already set, the old one must
/// be proved (403 `wrong_password`, also when it is missing).
fn set_password(
    view: &mut impl View,
    caller: &TokenHash,
    old_given: bool,
    check: &PasswordCheck,
    new_hash: &Option<String>,
) -> Answer {
    let Some(user) = view.user_by_token(caller)? else {
        return Ok(Outcome::Failed(Failure::Unauthorized));
    };
    let stored = view.password_of(user.id)?;
    if stored.is_some() && !(old_given && check.proves(&stored)) {
        return answer(AccountOutcome::WrongPassword);
    }
    let Some(new_hash) = new_hash else {
        // The store did not hash it: nothing is set.
        return Ok(Outcome::Failed(Failure::StoreUnavailable));
    };
    view.set_password(user.id, new_hash)?;
    answer(AccountOutcome::PasswordSet)
}

fn sessions(view: &mut impl View, caller: &TokenHash) -> Answer {
    let Some(current) = view.device_by_token(caller)? else {
        return Ok(Outcome::Failed(Failure::Unauthorized));
    };
    let devices = view.devices_of(current.user)?;
    answer(AccountOutcome::Sessions {
        current: current.id,
        devices,
    })
}

/// Revokes the caller's token or another of its user's, and tells the
/// user's open streams (on every node, through the events) so that they
/// end: those of a token still valid are resumed by their clients.
fn logout(view: &mut impl View, caller: &TokenHash, device: Option<DeviceId>) -> Answer {
    let Some(me) = view.device_by_token(caller)? else {
        return Ok(Outcome::Failed(Failure::Unauthorized));
    };
    let target = device.unwrap_or(me.id);
    if !view.devices_of(me.user)?.iter().any(|d| d.id == target) {
        return answer(AccountOutcome::DeviceNotFound);
    }
    view.revoke_device(target)?;
    view.append_event(EventBody::SignedOut { user: me.user })?;
    answer(AccountOutcome::LoggedOut { device_id: target })
}

/// Writes `last_used` when the stored one is a minute old or more.
fn touch(view: &mut impl View, caller: &TokenHash, now: UnixMillis) -> Answer {
    if let Some(device) = view.device_by_token(caller)? {
        if now.0.saturating_sub(device.last_used.0) >= TOUCH_EVERY_MS {
            view.touch_device(device.id, now)?;
        }
    }
    answer(AccountOutcome::Touched)
}

//! `POST /get-token`: registration.

use super::Answer;
use crate::client_addr::limit_key;
use crate::command::{Failure, Outcome};
use crate::config::Config;
use crate::time::UnixMillis;
use crate::token::Token;
use crate::view::{NewUser, Recent, View, PUBLIC_CHAT};
use std::net::IpAddr;

/// Creates the user (the view keeps only the token's SHA-256 hash) and makes it
/// a member of the public chat, caught up to its latest message. Checks, in
/// order: `register_rate` users created from the client address in the last
/// hour (429 `register_rate_exceeded`, whatever the name, with the time the
/// oldest of them leaves the window); a name taken without regard to ASCII
/// case (409); so is (astronomically unlikely) token bytes some user already
/// has, so that no view ever holds two users with one hash. The count is
/// read in the same transaction as the insert, so it holds across restarts
/// and PostgreSQL nodes.
pub(super) fn get_token(
    view: &mut impl View,
    user_name: &str,
    token: &Token,
    client: IpAddr,
    now: UnixMillis,
    config: &Config,
) -> Answer {
    let origin = limit_key(client).to_string();
    if config.register_rate > 0 {
        let window = Config::REGISTER_WINDOW_MS;
        let since = UnixMillis(now.0.saturating_sub(window as i64 - 1));
        let recent = view.registrations_from(Recent {
            key: &origin,
            since,
            limit: config.register_rate,
        })?;
        if recent.len() >= config.register_rate as usize {
            // The oldest of the newest `register_rate` leaves the window first.
            let oldest = recent.iter().copied().min().unwrap_or(now);
            return Ok(Outcome::RegisterRateExceeded {
                until: oldest.plus_ms(window),
                now,
            });
        }
    }
    let hash = token.hash();
    if view.user_by_name(user_name)?.is_some() || view.user_by_token(&hash)?.is_some() {
        return Ok(Outcome::Failed(Failure::TokenAlreadyIssued));
    }
    let id = view.create_user(NewUser {
        name: user_name,
        hash: &hash,
        origin: &origin,
        now,
    })?;
    let latest = view.latest_message(PUBLIC_CHAT)?;
    view.join(PUBLIC_CHAT, id, latest)?;
    Ok(Outcome::TokenIssued {
        token: *token,
        user_name: user_name.to_owned(),
    })
}

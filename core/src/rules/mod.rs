//! The chat rules as one pure function over a [`View`].
//!
//! Each command family has its own module; this one dispatches and holds the
//! checks they share. The order of checks, for every command that names a
//! caller: unknown token (401) first, then a field naming the caller (400
//! `self_target`), then an unknown user (404), then what the caller may do:
//! the ban (403 `banned`), a reporter not yet trusted (403
//! `reporter_not_trusted`, `/report` only), then the public quota or the
//! comment quota (429). `/unban` checks the caller a moderator (403
//! `not_a_moderator`) before it looks the user up (404); `/get-token` checks
//! `--register-rate` (429) before the name (409). (issue 26) `/edit` and `/react`:
//! the ban, the target (404), the author (403 `not_author`, edits), deleted
//! (409), too many kinds of reaction (409), the activity quota shared with
//! comments (429); `/delete`: the target (404), author or moderator (403),
//! and no ban check. Only the documented semantics of [`View`] are relied on,
//! so the in-memory model and the SQLite view give the same outcomes.

mod budget;
mod comment;
pub mod connect;
mod events;
pub use events::events_page;
mod health;
mod quota;
mod register;
mod report;
pub mod room;
mod send;
mod status;
mod unban;
// (issue 26)
mod edit;
mod mentions;
mod react;
// (issue 27)
pub mod search;

mod accounts;
pub use accounts::login_throttled;
// Issue 25: history and people.
mod history;
mod people;

pub use connect::{advance, Advance};
pub use quota::QuotaState;

use crate::command::{ChatRef, Command, Failure, Outcome};
use crate::config::Config;
use crate::time::UnixMillis;
use crate::token::TokenHash;
use crate::view::{StoreError, User, View};

/// Applies one command at `now`. A store error aborts the command: the caller
/// rolls back whatever it wrote.
pub fn apply(
    command: &Command,
    view: &mut impl View,
    now: UnixMillis,
    config: &Config,
) -> Result<Outcome, StoreError> {
    match command {
        Command::GetToken {
            user_name,
            token,
            client,
        } => register::get_token(view, user_name, token, *client, now, config),
        Command::Unban { caller, user_name } => unban::unban(view, caller, user_name, now, config),
        Command::Connect {
            caller,
            chat,
            messages_number,
        } => connect::connect(view, caller, chat, *messages_number, config),
        Command::Status { caller } => status::status(view, caller, now, config),
        Command::Send { caller, to, text } => send::send(view, caller, to, text, now, config),
        Command::Comment {
            caller,
            message_id,
            text,
        } => comment::comment(view, caller, *message_id, text, now, config),
        Command::Report {
            caller,
            target,
            chat_type,
        } => report::report(view, caller, target, chat_type, now, config),
        Command::Comments {
            caller,
            message_id,
            before,
            limit,
        } => comment::comments(view, caller, *message_id, *before, *limit, config),
        Command::Events { caller, since, .. } => events::events(view, caller, *since, config),
        Command::Read {
            caller,
            chat,
            up_to,
        } => events::read(view, caller, chat, *up_to),
        Command::Health => health::health(view),
        Command::Messages {
            caller,
            chat,
            before,
            limit,
        } => history::messages(view, caller, chat, *before, *limit, config),
        Command::Users {
            caller,
            prefix,
            after,
            limit,
        } => people::users(view, caller, prefix, after.as_deref(), *limit),
        // (issue 25) rooms.
        Command::CreateRoom {
            caller,
            room,
            public,
            topic,
        } => room::create(view, caller, room, *public, topic, now),
        Command::Rooms { caller, prefix } => room::list(view, caller, prefix),
        Command::Join { caller, room } => room::join(view, caller, room),
        Command::Leave { caller, room } => room::leave(view, caller, room),
        Command::Invite {
            caller,
            room,
            user_name,
        } => room::invite(view, caller, room, user_name),
        Command::Edit {
            caller,
            target,
            text,
        } => edit::edit(view, caller, *target, text, now, config),
        Command::Delete { caller, target } => edit::delete(view, caller, *target, config),
        Command::React {
            caller,
            message_id,
            emoji,
            remove,
        } => react::react(view, caller, *message_id, emoji, *remove, now, config),
        Command::Account(account) => accounts::apply(account, view, now),
        Command::Search {
            caller,
            query,
            chat,
            before,
            limit,
        } => search::search(view, caller, query, chat.as_ref(), *before, *limit, config),
    }
}

/// A check passed (`Ok`) or the outcome that ends the command (`Err`, a
/// refusal such as 401 or 403 `banned`).
type Checked<T> = Result<T, Outcome>;

/// What a command's rule gives: its outcome, or the store error that aborts
/// the command.
type Answer = Result<Outcome, StoreError>;

/// The caller, or 401 for a token no user has.
fn caller(view: &mut impl View, hash: &TokenHash) -> Result<Checked<User>, StoreError> {
    Ok(view
        .user_by_token(hash)?
        .ok_or(Outcome::Failed(Failure::Unauthorized)))
}

/// The caller, who must not be banned: 401 for a token no user has, then
/// 403 `banned` (before anything else about the request is looked at).
fn unbanned_caller(
    view: &mut impl View,
    hash: &TokenHash,
    now: UnixMillis,
) -> Result<Checked<User>, StoreError> {
    Ok(caller(view, hash)?.and_then(|me| check_not_banned(&me, now).map(|()| me)))
}

/// The other user a request names: 400 `self_target` when it is the caller
/// (names compare without ASCII case), 404 when nobody has that name.
fn other_user(
    view: &mut impl View,
    me: &User,
    name: &str,
    field: &'static str,
) -> Result<Checked<User>, StoreError> {
    if name.eq_ignore_ascii_case(&me.name) {
        return Ok(Err(Outcome::Failed(Failure::SelfTarget { field })));
    }
    Ok(view
        .user_by_name(name)?
        .ok_or(Outcome::Failed(Failure::UserNotFound)))
}

/// The chat a request names, as the caller reaches it.
enum Target {
    Public,
    /// The other member of a private chat.
    Partner(User),
    /// (issue 25) A room the caller is a member of.
    Room(crate::view::Room),
}

impl Target {
    /// The chat's name as the caller knows it (`public_chat`, the other
    /// user's or the room's name) and its id: `None` for a private chat
    /// that does not exist yet.
    fn name_and_id(
        self,
        view: &mut impl View,
        me: &User,
    ) -> Result<(String, Option<crate::view::ChatId>), StoreError> {
        Ok(match self {
            Target::Public => ("public_chat".to_owned(), Some(crate::view::PUBLIC_CHAT)),
            Target::Partner(other) => {
                let id = view.private_chat(me.id, other.id)?;
                (other.name, id)
            }
            Target::Room(room) => (room.name, Some(room.id)),
        })
    }
}

/// Resolves the chat a request names: for a user, its checks as
/// [`chat_partner`]; for a room, the caller must be a member (404
/// `room_not_found` for a private room it may not see, else 403
/// `not_a_member`).
fn target(
    view: &mut impl View,
    me: &User,
    chat: &ChatRef,
    field: &'static str,
) -> Result<Checked<Target>, StoreError> {
    Ok(match chat {
        ChatRef::Room(name) => room::member_room(view, me, name)?.map(Target::Room),
        _ => {
            chat_partner(view, me, chat, field)?.map(|p| p.map_or(Target::Public, Target::Partner))
        }
    })
}

/// The other member of the chat a request names: `None` for the public chat.
fn chat_partner(
    view: &mut impl View,
    me: &User,
    chat: &ChatRef,
    field: &'static str,
) -> Result<Checked<Option<User>>, StoreError> {
    match chat {
        ChatRef::Public => Ok(Ok(None)),
        ChatRef::Private(name) => Ok(other_user(view, me, name, field)?.map(Some)),
        // Rooms are resolved by `target`; a caller that does not is told.
        ChatRef::Room(_) => Ok(Err(Outcome::Failed(Failure::RoomNotFound))),
    }
}

/// 403 `banned` while `now < banned_until`.
fn check_not_banned(user: &User, now: UnixMillis) -> Checked<()> {
    match user.banned_until {
        Some(until) if now < until => Err(Outcome::Banned { until, now }),
        _ => Ok(()),
    }
}

/// Unwraps a [`Checked`] inside a function returning `Result<Outcome, StoreError>`.
macro_rules! checked {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(outcome) => return Ok(outcome),
        }
    };
}
use checked;

//! Accounts and devices (issue 28): passwords, sign-in on a new device, the
//! sessions a user can see and revoke.
//!
//! A user has one token per device (`/get-token` makes the first; `/login`
//! each further one); every token is stored only as its SHA-256 hash, with an
//! id, a device label, its creation and its last use. A password is stored
//! only as an Argon2id PHC string. Hashing a password is slow by design, so
//! it never happens here nor inside the store's write transaction: the store
//! hashes before it submits the command (see [`PasswordCheck`]) and the rules
//! decide with the result.

use crate::time::UnixMillis;
use crate::token::{Token, TokenHash};
use crate::view::{NewUser, Recent, UserId, ViewResult};
use std::net::IpAddr;

/// A device token's id (`device_id` on the wire, as a string).
pub type DeviceId = i64;

/// Passwords: 8 to 256 characters (Unicode scalar values).
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=256;
/// The longest device label, in characters.
pub const MAX_DEVICE_CHARS: usize = 64;
/// Failed logins are counted over this window.
pub const LOGIN_WINDOW_MS: u64 = 15 * 60 * 1000;
/// Failed logins for one name within the window before `/login` answers
/// 429 `login_throttled` for that name, whatever the password.
pub const LOGIN_FAILURES_PER_NAME: u32 = 10;
/// Failed logins from one client address (`client_addr::limit_key`) within
/// the window before that address is throttled on every name: so that one
/// address can lock at most a few names, never every name.
pub const LOGIN_FAILURES_PER_ADDRESS: u32 = 30;
/// A token's `last_used` is written at most this often.
pub const TOUCH_EVERY_MS: i64 = 60 * 1000;

/// A password as the client sent it: never printed, never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// One device token of a user, as `GET /sessions` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub id: DeviceId,
    pub user: UserId,
    /// The label given at `/login` (empty for `/get-token`'s token).
    pub label: String,
    pub created: UnixMillis,
    pub last_used: UnixMillis,
}

/// What the store found when it checked a password before submitting the
/// command (outside the write transaction, see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasswordCheck {
    /// Nobody checked (the store did not prepare the command): the rules
    /// refuse as for a wrong password.
    Unchecked,
    /// The password was checked against `against` (the stored PHC string,
    /// `None` when there was none: a dummy was hashed instead, so that the
    /// time says nothing); `matches` is the result. The rules accept it only
    /// when `against` is still what is stored.
    Checked {
        against: Option<String>,
        matches: bool,
    },
}

impl PasswordCheck {
    /// Whether it proves the password that `stored` is the hash of.
    pub fn proves(&self, stored: &Option<String>) -> bool {
        matches!(self, PasswordCheck::Checked { against, matches: true }
            if stored.is_some() && against == stored)
    }
}

/// The requests of accounts and devices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountCommand {
    /// `POST /login` (no token): a new device token for `user_name`.
    /// `token` was drawn by the adapter; `client` is the client address.
    Login {
        user_name: String,
        password: Secret,
        device: String,
        token: Token,
        client: IpAddr,
        check: PasswordCheck,
    },
    /// `POST /password`: `new_hash` is the PHC string of `password`, made
    /// with a fresh salt by the store before it submits the command.
    SetPassword {
        caller: TokenHash,
        password: Secret,
        old_password: Option<Secret>,
        check: PasswordCheck,
        new_hash: Option<String>,
    },
    /// `GET /sessions`.
    Sessions { caller: TokenHash },
    /// `POST /logout`: the caller's own token (`None`) or another of its
    /// user's devices.
    Logout {
        caller: TokenHash,
        device: Option<DeviceId>,
    },
    /// Not a request: the store notes that a token was used (at most once
    /// a minute per token).
    Touch { caller: TokenHash },
}

impl AccountCommand {
    /// The token the command authenticates with, if any.
    pub fn caller(&self) -> Option<&TokenHash> {
        match self {
            AccountCommand::Login { .. } => None,
            AccountCommand::SetPassword { caller, .. }
            | AccountCommand::Sessions { caller }
            | AccountCommand::Logout { caller, .. }
            | AccountCommand::Touch { caller } => Some(caller),
        }
    }

    /// Whether a password must be checked or hashed before the rules run.
    pub fn needs_hashing(&self) -> bool {
        matches!(
            self,
            AccountCommand::Login { .. } | AccountCommand::SetPassword { .. }
        )
    }
}

/// The answers of accounts and devices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountOutcome {
    /// 200 `{token, user_name, device_id}`.
    LoggedIn {
        token: Token,
        user_name: String,
        device_id: DeviceId,
    },
    /// 200 `{"info": "password set"}`.
    PasswordSet,
    /// 200 `{"sessions": [...]}`, `current` is the caller's device.
    Sessions {
        current: DeviceId,
        devices: Vec<Device>,
    },
    /// 200 `{"info": "signed out", "device_id"}`.
    LoggedOut { device_id: DeviceId },
    /// The internal `Touch` was applied.
    Touched,
    /// 401 `login_failed`: unknown name or wrong password, alike.
    LoginFailed,
    /// 429 `login_throttled` until `until`.
    LoginThrottled { until: UnixMillis, now: UnixMillis },
    /// 403 `wrong_password`: changing a password without the old one.
    WrongPassword,
    /// 404 `device_not_found`: not one of the caller's devices.
    DeviceNotFound,
}

/// A device token to add ([`Accounts::add_device`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewDevice<'a> {
    pub user: UserId,
    pub hash: &'a TokenHash,
    pub label: &'a str,
    /// Its creation and first use.
    pub now: UnixMillis,
}

impl<'a> NewDevice<'a> {
    /// The first device of user `id`, created as `user`: the token
    /// `/get-token` issued, with no label, created with the user.
    pub fn first(id: UserId, user: &NewUser<'a>) -> NewDevice<'a> {
        NewDevice {
            user: id,
            hash: user.hash,
            label: "",
            now: user.now,
        }
    }
}

/// A failed login to record ([`Accounts::record_login_failure`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginFailure<'a> {
    /// The name's key (`records::name_key`).
    pub name_key: &'a str,
    /// The client address's key (`client_addr::limit_key`).
    pub origin: &'a str,
    pub now: UnixMillis,
}

impl LoginFailure<'_> {
    /// Failed logins before this time are out of every window
    /// ([`LOGIN_WINDOW_MS`]): a store may drop them as it records this one.
    pub fn expired_before(&self) -> UnixMillis {
        UnixMillis(self.now.0.saturating_sub(LOGIN_WINDOW_MS as i64))
    }
}

/// The stored state of accounts and devices, beside [`crate::view::View`]
/// (every view implements both). `View::user_by_token` finds a user by any
/// of its device tokens.
pub trait Accounts {
    /// The device whose token hashes to `hash`.
    fn device_by_token(&mut self, hash: &TokenHash) -> ViewResult<Option<Device>>;
    /// Every device of `user`, by id.
    fn devices_of(&mut self, user: UserId) -> ViewResult<Vec<Device>>;
    /// Adds a device token for `user` (created and last used at `now`).
    /// Called only with a hash no device has.
    fn add_device(&mut self, device: NewDevice<'_>) -> ViewResult<DeviceId>;
    /// Deletes device `id`; its token's hash, `None` if there was no such
    /// device. Its token finds no user from then on.
    fn revoke_device(&mut self, id: DeviceId) -> ViewResult<Option<TokenHash>>;
    /// Sets a device's `last_used`; no-op for an unknown id.
    fn touch_device(&mut self, id: DeviceId, now: UnixMillis) -> ViewResult<()>;
    /// `user`'s password as an Argon2id PHC string, if it has one.
    fn password_of(&mut self, user: UserId) -> ViewResult<Option<String>>;
    /// Sets (or replaces) `user`'s password hash.
    fn set_password(&mut self, user: UserId, phc: &str) -> ViewResult<()>;
    /// The times of the newest `limit` failed logins at or after `since`
    /// for the name whose key (`records::name_key`) is `recent.key`, newest
    /// first.
    fn login_failures_of_name(&mut self, recent: Recent<'_>) -> ViewResult<Vec<UnixMillis>>;
    /// The same for failed logins from the client address key `recent.key`.
    fn login_failures_from(&mut self, recent: Recent<'_>) -> ViewResult<Vec<UnixMillis>>;
    /// Records a failed login.
    fn record_login_failure(&mut self, failure: LoginFailure<'_>) -> ViewResult<()>;
    /// Forgets every failed login for `name_key` (after a successful one),
    /// from whatever address.
    fn clear_login_failures_of_name(&mut self, name_key: &str) -> ViewResult<()>;
}

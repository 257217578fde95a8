//! The model's accounts and devices (issue 28): [`Accounts`] in memory.

use super::Model;
use agora_core::accounts::{Accounts, Device, DeviceId, LoginFailure, NewDevice};
use agora_core::time::UnixMillis;
use agora_core::token::TokenHash;
use agora_core::view::{Recent, UserId, ViewResult};
use std::collections::{BTreeMap, HashMap};

#[derive(Clone, Debug, Default)]
pub(super) struct AccountRecords {
    /// By id; ids are never reused.
    devices: BTreeMap<DeviceId, (Device, TokenHash)>,
    last_device: DeviceId,
    passwords: HashMap<UserId, String>,
    /// (name key, origin, time), oldest first.
    failures: Vec<(String, String, UnixMillis)>,
}

impl Accounts for Model {
    fn device_by_token(&mut self, hash: &TokenHash) -> ViewResult<Option<Device>> {
        Ok(self
            .accounts
            .devices
            .values()
            .find(|(_, h)| h == hash)
            .map(|(d, _)| d.clone()))
    }

    fn devices_of(&mut self, user: UserId) -> ViewResult<Vec<Device>> {
        Ok(self
            .accounts
            .devices
            .values()
            .filter(|(d, _)| d.user == user)
            .map(|(d, _)| d.clone())
            .collect())
    }

    fn add_device(&mut self, new: NewDevice<'_>) -> ViewResult<DeviceId> {
        let records = &mut self.accounts;
        records.last_device += 1;
        let id = records.last_device;
        let device = Device {
            id,
            user: new.user,
            label: new.label.to_owned(),
            created: new.now,
            last_used: new.now,
        };
        records.devices.insert(id, (device, *new.hash));
        self.by_hash.insert(*new.hash, new.user);
        Ok(id)
    }

    fn revoke_device(&mut self, id: DeviceId) -> ViewResult<Option<TokenHash>> {
        let Some((_, hash)) = self.accounts.devices.remove(&id) else {
            return Ok(None);
        };
        self.by_hash.remove(&hash);
        Ok(Some(hash))
    }

    fn touch_device(&mut self, id: DeviceId, now: UnixMillis) -> ViewResult<()> {
        if let Some((device, _)) = self.accounts.devices.get_mut(&id) {
            device.last_used = now;
        }
        Ok(())
    }

    fn password_of(&mut self, user: UserId) -> ViewResult<Option<String>> {
        Ok(self.accounts.passwords.get(&user).cloned())
    }

    fn set_password(&mut self, user: UserId, phc: &str) -> ViewResult<()> {
        self.accounts.passwords.insert(user, phc.to_owned());
        Ok(())
    }

    fn login_failures_of_name(&mut self, recent: Recent<'_>) -> ViewResult<Vec<UnixMillis>> {
        let failures = self.accounts.failures.iter();
        let of_name = failures.filter(|(n, _, _)| n == recent.key);
        Ok(recent.newest(of_name.map(|(_, _, at)| *at)))
    }

    fn login_failures_from(&mut self, recent: Recent<'_>) -> ViewResult<Vec<UnixMillis>> {
        let failures = self.accounts.failures.iter();
        let from = failures.filter(|(_, o, _)| o == recent.key);
        Ok(recent.newest(from.map(|(_, _, at)| *at)))
    }

    fn record_login_failure(&mut self, failure: LoginFailure<'_>) -> ViewResult<()> {
        let origin = failure.origin.to_owned();
        let row = (failure.name_key.to_owned(), origin, failure.now);
        self.accounts.failures.push(row);
        Ok(())
    }

    fn clear_login_failures_of_name(&mut self, name_key: &str) -> ViewResult<()> {
        self.accounts.failures.retain(|(n, _, _)| n != name_key);
        Ok(())
    }
}

/// What the store does before the rules run a `/login` or `/password` (see
/// `agora_store`'s `engine::credentials`), with a stand-in for Argon2id: a
/// password's "hash" is `model:` and the password. For tests and fuzz
/// targets that run the rules over the model.
pub fn prepare(model: &mut Model, command: &mut agora_core::command::Command) {
    use agora_core::accounts::{AccountCommand, PasswordCheck};
    use agora_core::view::{User, View};
    let agora_core::command::Command::Account(account) = command else {
        return;
    };
    let account = account.as_mut();
    let hash = |password: &str| format!("model:{password}");
    let stored_of = |model: &mut Model, user: Option<User>| {
        user.and_then(|u| model.password_of(u.id).ok().flatten())
    };
    // `password` checked against `stored`, as the store checks it.
    let checked = |stored: Option<String>, password: &str| {
        let matches = stored.as_deref() == Some(hash(password).as_str());
        PasswordCheck::Checked {
            against: stored,
            matches,
        }
    };
    match account {
        AccountCommand::Login {
            user_name,
            password,
            check,
            ..
        } => {
            let user = model.user_by_name(user_name).ok().flatten();
            *check = checked(stored_of(model, user), &password.0);
        }
        AccountCommand::SetPassword {
            caller,
            password,
            old_password,
            check,
            new_hash,
        } => {
            let user = model.user_by_token(caller).ok().flatten();
            let stored = stored_of(model, user);
            if let Some(old) = old_password.as_ref().filter(|_| stored.is_some()) {
                *check = checked(stored, &old.0);
            }
            *new_hash = Some(hash(&password.0));
        }
        _ => {}
    }
}

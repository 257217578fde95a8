//! [`Accounts`] for [`MemoView`]: `Status` reads none of it, so every call
//! reads through (and is an error when replaying).

use super::MemoView;
use agora_core::accounts::{Accounts, Device, DeviceId};
use agora_core::time::UnixMillis;
use agora_core::token::TokenHash;
use agora_core::view::{UserId, View, ViewResult};

impl<V: View + ?Sized> Accounts for MemoView<'_, V> {
    fn device_by_token(&mut self, hash: &TokenHash) -> ViewResult<Option<Device>> {
        self.inner()?.device_by_token(hash)
    }
    fn devices_of(&mut self, user: UserId) -> ViewResult<Vec<Device>> {
        self.inner()?.devices_of(user)
    }
    fn add_device(
        &mut self,
        user: UserId,
        hash: &TokenHash,
        label: &str,
        now: UnixMillis,
    ) -> ViewResult<DeviceId> {
        self.inner()?.add_device(user, hash, label, now)
    }
    fn revoke_device(&mut self, id: DeviceId) -> ViewResult<Option<TokenHash>> {
        self.inner()?.revoke_device(id)
    }
    fn touch_device(&mut self, id: DeviceId, now: UnixMillis) -> ViewResult<()> {
        self.inner()?.touch_device(id, now)
    }
    fn password_of(&mut self, user: UserId) -> ViewResult<Option<String>> {
        self.inner()?.password_of(user)
    }
    fn set_password(&mut self, user: UserId, phc: &str) -> ViewResult<()> {
        self.inner()?.set_password(user, phc)
    }
    fn login_failures_of_name(
        &mut self,
        name_key: &str,
        since: UnixMillis,
        limit: u32,
    ) -> ViewResult<Vec<UnixMillis>> {
        self.inner()?.login_failures_of_name(name_key, since, limit)
    }
    fn login_failures_from(
        &mut self,
        origin: &str,
        since: UnixMillis,
        limit: u32,
    ) -> ViewResult<Vec<UnixMillis>> {
        self.inner()?.login_failures_from(origin, since, limit)
    }
    fn record_login_failure(
        &mut self,
        name_key: &str,
        origin: &str,
        now: UnixMillis,
    ) -> ViewResult<()> {
        self.inner()?.record_login_failure(name_key, origin, now)
    }
    fn clear_login_failures_of_name(&mut self, name_key: &str) -> ViewResult<()> {
        self.inner()?.clear_login_failures_of_name(name_key)
    }
}

//! [`Accounts`] for [`OverlayView`] (issue 28): devices, passwords and
//! failed logins are not held in the overlay; every call flushes what is
//! kept and goes through the backend's view (these commands are rare). A
//! revoked token is forgotten by the overlay's `by_token`, so that a later
//! command of the same batch with it gets 401.

use super::view::OverlayView;
use super::BatchRows;
use agora_core::accounts::{Accounts, Device, DeviceId};
use agora_core::time::UnixMillis;
use agora_core::token::TokenHash;
use agora_core::view::{UserId, ViewResult};

impl<B: BatchRows> Accounts for OverlayView<'_, B> {
    fn device_by_token(&mut self, hash: &TokenHash) -> ViewResult<Option<Device>> {
        self.through()?.device_by_token(hash)
    }
    fn devices_of(&mut self, user: UserId) -> ViewResult<Vec<Device>> {
        self.through()?.devices_of(user)
    }
    fn add_device(
        &mut self,
        user: UserId,
        hash: &TokenHash,
        label: &str,
        now: UnixMillis,
    ) -> ViewResult<DeviceId> {
        let id = self.through()?.add_device(user, hash, label, now)?;
        self.forget_token(*hash);
        Ok(id)
    }
    fn revoke_device(&mut self, id: DeviceId) -> ViewResult<Option<TokenHash>> {
        let hash = self.through()?.revoke_device(id)?;
        if let Some(hash) = hash {
            self.forget_token(hash);
        }
        Ok(hash)
    }
    fn touch_device(&mut self, id: DeviceId, now: UnixMillis) -> ViewResult<()> {
        self.through()?.touch_device(id, now)
    }
    fn password_of(&mut self, user: UserId) -> ViewResult<Option<String>> {
        self.through()?.password_of(user)
    }
    fn set_password(&mut self, user: UserId, phc: &str) -> ViewResult<()> {
        self.through()?.set_password(user, phc)
    }
    fn login_failures_of_name(
        &mut self,
        name_key: &str,
        since: UnixMillis,
        limit: u32,
    ) -> ViewResult<Vec<UnixMillis>> {
        self.through()?
            .login_failures_of_name(name_key, since, limit)
    }
    fn login_failures_from(
        &mut self,
        origin: &str,
        since: UnixMillis,
        limit: u32,
    ) -> ViewResult<Vec<UnixMillis>> {
        self.through()?.login_failures_from(origin, since, limit)
    }
    fn record_login_failure(
        &mut self,
        name_key: &str,
        origin: &str,
        now: UnixMillis,
    ) -> ViewResult<()> {
        self.through()?.record_login_failure(name_key, origin, now)
    }
    fn clear_login_failures_of_name(&mut self, name_key: &str) -> ViewResult<()> {
        self.through()?.clear_login_failures_of_name(name_key)
    }
}

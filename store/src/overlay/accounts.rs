//! [`Accounts`] for [`OverlayView`] (issue 28): devices, passwords and
//! failed logins are not held in the overlay; every call flushes what is
//! kept and goes through the backend's view (these commands are rare). A
//! revoked token is forgotten by the overlay's `by_token`, so that a later
//! command of the same batch with it gets 401.

use super::view::OverlayView;
use super::BatchRows;
use agora_core::accounts::{Accounts, DeviceId, NewDevice};
use agora_core::token::TokenHash;
use agora_core::view::ViewResult;

impl<B: BatchRows> Accounts for OverlayView<'_, B> {
    // A token added or revoked is forgotten by the overlay; the rest goes
    // through.
    fn add_device(&mut self, new: NewDevice<'_>) -> ViewResult<DeviceId> {
        let id = self.through()?.add_device(new)?;
        self.forget_token(*new.hash);
        Ok(id)
    }
    fn revoke_device(&mut self, id: DeviceId) -> ViewResult<Option<TokenHash>> {
        let hash = self.through()?.revoke_device(id)?;
        if let Some(hash) = hash {
            self.forget_token(hash);
        }
        Ok(hash)
    }
    crate::forward::forward_accounts!(
        on_backend;
        device_by_token,
        devices_of,
        touch_device,
        password_of,
        set_password,
        login_failures_of_name,
        login_failures_from,
        record_login_failure,
        clear_login_failures_of_name,
    );
}

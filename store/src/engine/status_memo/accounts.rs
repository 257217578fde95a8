//! [`Accounts`] for [`MemoView`]: `Status` reads none of it, so every call
//! reads through (and is an error when replaying).

use super::MemoView;
use agora_core::accounts::Accounts;
use agora_core::view::View;

impl<V: View + ?Sized> Accounts for MemoView<'_, V> {
    crate::forward::forward_accounts!(
        on_inner;
        device_by_token,
        devices_of,
        add_device,
        revoke_device,
        touch_device,
        password_of,
        set_password,
        login_failures_of_name,
        login_failures_from,
        record_login_failure,
        clear_login_failures_of_name,
    );
}

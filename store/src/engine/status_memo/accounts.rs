//! [`Accounts`] for [`MemoView`]: `Status` reads none of it, so every call
//! reads through (and is an error when replaying).

use super::MemoView;
use agora_core::accounts::Accounts;
use agora_core::view::View;

impl<V: View + ?Sized> Accounts for MemoView<'_, V> {
    crate::forward::forward_accounts!(all on_inner);
}

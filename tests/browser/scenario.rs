//! Runs one browser scenario: alone (a lock), on a current-thread runtime,
//! with its own chromedriver, torn down whatever happens.

use crate::chrome::{self, Driver};
use std::future::Future;
use std::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs `body` with a fresh chromedriver; skipped only when the suite is
/// turned off explicitly.
pub fn run<F, Fut>(name: &str, body: F)
where
    F: FnOnce(Driver) -> Fut,
    Fut: Future<Output = ()>,
{
    if chrome::opted_out() {
        eprintln!("{name}: skipped ({}=1)", chrome::OPT_OUT);
        return;
    }
    let _alone = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(body(Driver::start()));
}

//! The web client in a real browser: headless Chromium over WebDriver
//! (chromedriver), driven by fantoccini, against the real agora-server on
//! 127.0.0.1. Each scenario saves screenshots under `target/screenshots/`.
//! Scenarios run one at a time (the machine is small and the live bounds are
//! real). Without Chromium the suite fails, unless AGORA_SKIP_BROWSER=1.

#[allow(dead_code, unused_macros, unused_imports)]
#[path = "../e2e/harness.rs"]
#[macro_use]
mod harness;
#[allow(dead_code)]
#[path = "../e2e/client.rs"]
mod client;
#[allow(dead_code)]
#[path = "../e2e/steps.rs"]
mod steps;

mod account;
mod accounts;
mod axe;
mod chrome;
mod composer;
mod edits;
mod live;
mod look;
mod page;
mod reading;
mod rooms;
mod scenario;
// (issue 27)
mod search;
mod small;
mod status_lines;
mod stream;
mod threads;

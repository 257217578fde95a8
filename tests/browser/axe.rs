//! Accessibility checked by axe-core (the npm package, installed by `.ci/run`
//! or, failing that, here with npm; never served to users): the welcome,
//! chat and settings (token) views on a desktop and a phone, light and dark,
//! have no serious or critical violation and a visible `main` landmark.

use crate::page::{Page, DESKTOP, PHONE};
use crate::scenario;
use crate::steps::{send_public, users};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;

/// The axe-core release the suite runs (`.ci/run` installs the same).
const AXE_VERSION: &str = "4.10.3";

/// Where `.ci/run` puts npm packages for the tests: `$HOME/.cache/agora-npm`.
fn npm_dir() -> PathBuf {
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
    PathBuf::from(home).join(".cache/agora-npm")
}

/// axe-core's script: `$AGORA_AXE`, or the copy in the npm folder (installed
/// there with npm when it is missing).
pub(crate) fn axe_script() -> String {
    let path = std::env::var_os("AGORA_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| npm_dir().join("node_modules/axe-core/axe.min.js"));
    if !path.is_file() && std::env::var_os("AGORA_AXE").is_none() {
        let dir = npm_dir();
        std::fs::create_dir_all(&dir).expect("create the npm folder");
        let status = Command::new("npm")
            .args([
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--silent",
                "--prefix",
            ])
            .arg(&dir)
            .arg(format!("axe-core@{AXE_VERSION}"))
            .status()
            .unwrap_or_else(|e| panic!("npm (Debian's `npm`) is needed to install axe-core: {e}"));
        assert!(
            status.success(),
            "npm install axe-core@{AXE_VERSION} failed"
        );
    }
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("axe-core at {}: {e}", path.display()))
}

/// The serious and critical violations axe finds in the page as it is now.
pub(crate) async fn violations(page: &Page, axe: &str) -> Vec<Value> {
    page.js(axe, vec![]).await;
    let found = page
        .js_async(
            "const done = arguments[arguments.length - 1]; \
             axe.run(document, { resultTypes: ['violations'] }) \
               .then((r) => done(r.violations.filter((v) => ['serious', 'critical'].includes(v.impact)) \
                 .map((v) => ({ id: v.id, impact: v.impact, help: v.help, \
                                nodes: v.nodes.map((n) => n.target.join(' ')) })))) \
               .catch((e) => done([{ id: 'axe failed', help: String(e) }]));",
            vec![],
        )
        .await;
    found.as_array().expect("a list").clone()
}

async fn has_main(page: &Page) -> bool {
    page.eval("const m = [...document.querySelectorAll('main, [role=main]')].filter((e) => e.offsetParent !== null); \
         return m.length === 1;")
    .await
        == json!(true)
}

/// What axe and the landmark check find wrong in `page` as it is now, each
/// said `at` (the view), which also names its screenshot.
async fn audit(page: &Page, axe: &str, at: &str) -> Vec<String> {
    let mut found = Vec::new();
    if !has_main(page).await {
        found.push(format!("{at}: no visible main landmark"));
    }
    for v in violations(page, axe).await {
        found.push(format!("{at}: {v}"));
    }
    page.screenshot(&at.replace(' ', "-")).await;
    found
}

#[test]
fn axe_finds_nothing_serious_in_any_view() {
    let axe = axe_script();
    scenario::with_server("axe", &[], async |scene, server| {
        let (mut api, [bob]) = users(server, ["bob"]);
        send_public(&mut api, &bob, "hello, see https://example.com and `code`");
        let mut found = Vec::new();
        let mut n = 0;
        for (size, device) in [(DESKTOP, "desktop"), (PHONE, "phone")] {
            for dark in [false, true] {
                n += 1;
                let theme = if dark { "dark" } else { "light" };
                let mut page = scene.open_themed(server, size, dark).await;
                let scheme = page
                    .eval("return matchMedia('(prefers-color-scheme: dark)').matches;")
                    .await;
                assert_eq!(scheme, json!(dark), "the {theme} scheme is not in effect");
                let at = |view: &str| format!("{device} {theme} {view}");
                page.wait_welcome().await;
                found.extend(audit(&page, &axe, &at("welcome")).await);
                page.register(&format!("user{n}")).await;
                page.wait_live().await;
                page.wait_shown("#messages [data-message-id]").await;
                found.extend(audit(&page, &axe, &at("chat")).await);
                page.click("#show-token").await;
                found.extend(audit(&page, &axe, &at("settings")).await);
                // (issue 28) the password and devices panel, its list loaded.
                page.click("#show-devices").await;
                page.wait_for(
                    "the sessions list",
                    "return document.querySelectorAll('#sessions li').length > 0;",
                )
                .await;
                found.extend(audit(&page, &axe, &at("devices")).await);
                page.close().await;
            }
        }
        assert!(found.is_empty(), "axe-core:\n{}", found.join("\n"));
    });
}

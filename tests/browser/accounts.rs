//! Accounts and devices (issue 28): a password set from the account panel,
//! sign-in on a second browser with it, two sessions listed, one revoked
//! from the other, which is then signed out.

use crate::page::{Page, DESKTOP};
use crate::scenario;
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

/// Waits until the devices panel lists `count` sessions.
async fn wait_sessions(page: &Page, count: u32) {
    page.wait_for_with(
        &format!("{count} sessions listed"),
        "return document.querySelectorAll('#sessions li').length === arguments[0];",
        vec![json!(count)],
    )
    .await;
}

#[test]
fn password_sign_in_sessions_and_revocation() {
    scenario::with_server("accounts", &[], async |scene, server| {
        let first = scene.signed_up(server, DESKTOP, "alice").await;
        // The account panel: set a password.
        first.click("#show-devices").await;
        first.type_into("#new-password", PASSWORD).await;
        first.click("#set-password").await;
        let said = first
            .wait_for(
                "the password note",
                "return document.getElementById('devices-note').textContent;",
            )
            .await;
        assert!(said.as_str().unwrap().contains("Password set"), "{said}");
        first.screenshot("password-set").await;

        // A second browser signs in with the name and the password.
        let mut second = scene.open(server, DESKTOP).await;
        second.type_into("#login-name", "alice").await;
        second
            .type_into("#login-password", "not the password")
            .await;
        second.click("#login").await;
        let refused = second.welcome_error("the refusal").await;
        assert!(refused.contains("do not match"), "{refused}");
        second.clear_input("login-password").await;
        second.type_into("#login-password", PASSWORD).await;
        second.screenshot("sign-in-with-password").await;
        second.click("#login").await;
        second.signed_in_as("alice").await;
        second.wait_live().await;

        // Two sessions, this one marked.
        second.click("#show-devices").await;
        wait_sessions(&second, 2).await;
        let current = second
            .eval(
                "return document.querySelector('#sessions li[data-current=\"true\"]').textContent;",
            )
            .await;
        assert!(
            current.as_str().unwrap().contains("this browser"),
            "{current}"
        );
        second.screenshot("two-sessions").await;

        // The second browser signs the first one out ("everywhere else").
        first.wait_live().await;
        second.click("#sign-out-others").await;
        wait_sessions(&second, 1).await;
        second.screenshot("signed-out-others").await;

        // The first browser is signed out by itself, with words saying why.
        let welcome = first
            .wait_for(
                "the first browser signed out",
                "return !document.getElementById('welcome').hidden \
                 && document.getElementById('app').hidden \
                 && document.getElementById('welcome-error').textContent;",
            )
            .await;
        assert!(
            welcome.as_str().unwrap().contains("signed out"),
            "{welcome}"
        );
        first.screenshot("revoked").await;
        // Its token is gone from its storage.
        let kept = first
            .eval("return localStorage.getItem('agora.token');")
            .await;
        assert!(kept.is_null(), "{kept}");
        // The second browser is still signed in.
        second.signed_in_as("alice").await;
    });
}

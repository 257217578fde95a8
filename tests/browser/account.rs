//! Signing in, the token, a phone-sized window, text that looks like markup,
//! and refusals said in words.

use crate::page::{Says, DESKTOP, PHONE, STEP};
use crate::scenario;
use crate::steps::{send_public, send_public_all, users};
use serde_json::json;

const INJECTION: &str = "<img src=x onerror=alert(1)>";

#[test]
fn token_is_shown_and_signs_in_elsewhere() {
    scenario::with_server("token", &[], async |scene, server| {
        let mut first = scene.open(server, DESKTOP).await;
        first.screenshot("welcome").await;
        first.register("alice").await;
        first.click("#show-token").await;
        let token = first
            .eval("return document.getElementById('token-value').value;")
            .await;
        let token = token.as_str().unwrap().to_owned();
        assert!(
            token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()),
            "{token}"
        );
        first.click("#copy-token").await;
        first
            .wait_for(
                "the copy note",
                "return document.getElementById('token-note').textContent;",
            )
            .await;
        first.screenshot("token-shown").await;
        // The token stays across a reload: still alice.
        first.reload().await;
        first.signed_in_as("alice").await;

        // Another browser signs in with it.
        let mut second = scene.open(server, DESKTOP).await;
        second.sign_in(&token.to_uppercase(), "alice").await;

        // Signing out asks once, with the token shown; then the welcome screen.
        second.click("#sign-out").await;
        assert!(second.text("#token-note").await.contains("Copy it first"));
        second.click("#sign-out").await;
        second.wait_welcome().await;

        // A user made elsewhere (the CLI) signs in with its token.
        let bob = server.client().token("bob");
        second.sign_in(&bob, "bob").await;
        second.sign_out().await;

        // A token the server does not know, and one that is not a token.
        second.type_into("#token-input", &"0".repeat(32)).await;
        second.click("#signin").await;
        let said = second.welcome_error("the refusal").await;
        assert!(said.contains("does not know this token"), "{said}");
        second.clear_input("token-input").await;
        second.type_into("#token-input", "not a token").await;
        second.click("#signin").await;
        assert!(second
            .text("#welcome-error")
            .await
            .contains("32 characters"));
        // A taken name is said so.
        second.type_into("#name", "alice").await;
        second.click("#register").await;
        let said = second
            .wait_line("welcome-error", Says::Includes("taken"))
            .await;
        assert!(said.contains("alice is taken"), "{said}");
        second.screenshot("refused").await;
    });
}

#[test]
fn markup_in_a_message_shows_as_text() {
    scenario::with_server("injection", &[], async |scene, server| {
        let (mut api, [mallory]) = users(server, ["mallory"]);
        send_public(&mut api, &mallory, INJECTION);
        let page = scene.signed_up(server, DESKTOP, "alice").await;
        let shown = page.wait_for_message(INJECTION, STEP).await;
        assert_eq!(shown.author, "mallory");
        let own = "<b>bold?</b> <script>window.pwned = 1</script> & &amp;";
        page.send(own).await;
        page.wait_for_message(own, STEP).await;
        // A comment that looks like markup too.
        page.message_action(shown.id, "comment").await;
        page.type_into(
            ".comment-form input",
            "<i onmouseover=alert(2)>hi</i>\u{e007}",
        )
        .await;
        page.wait_for("the comment", "return [...document.querySelectorAll('.comment-text')].some((c) => c.textContent.startsWith('<i '));")
            .await;
        let markup = page
            .eval("return document.querySelectorAll('#messages img, #messages script, #messages b, #messages i').length;")
            .await;
        assert_eq!(markup, json!(0), "user text became elements");
        assert_eq!(page.eval("return window.pwned ?? null;").await, json!(null));
        assert_eq!(page.alert_text().await, None, "a script ran");
        page.screenshot("as-text").await;
    });
}

#[test]
fn phone_width_shows_the_composer() {
    scenario::with_server("narrow", &[], async |scene, server| {
        let (mut api, [bob]) = users(server, ["bob"]);
        let long = "a line long enough to wrap on a narrow phone screen, twice or more";
        send_public_all(
            &mut api,
            &bob,
            (1..=15).map(|i| format!("message {i}: {long}")),
        );
        let mut page = scene.open(server, PHONE).await;
        let width = page.eval("return window.innerWidth;").await;
        assert_eq!(width, json!(PHONE.0), "the viewport is a phone's");
        page.screenshot("welcome").await;
        assert_eq!(page.in_view(&["name", "register"]).await, [true, true]);
        page.register("alice").await;
        page.wait_for_message(
            "message 15: a line long enough to wrap on a narrow phone screen, twice or more",
            STEP,
        )
        .await;
        assert_eq!(
            page.in_view(&[
                "compose",
                "send",
                "chats",
                "new-chat",
                "open-chat",
                "sign-out"
            ])
            .await,
            [true; 6]
        );
        let overflow = page
            .eval("return document.documentElement.scrollWidth - window.innerWidth;")
            .await;
        assert_eq!(overflow, json!(0), "the page scrolls sideways");
        page.send("typed on a phone").await;
        page.wait_for_message("typed on a phone", STEP).await;
        page.wait_line("quota", Says::Includes("in this window: 19"))
            .await;
        assert_eq!(page.in_view(&["compose", "send"]).await, [true, true]);
        page.screenshot("chat").await;
    });
}

/// Two public messages and one comment a window: both quotas are spent
/// within a few steps.
const TIGHT_QUOTAS: [&str; 4] = ["--quota", "2", "--comment-quota", "1"];

#[test]
fn refusals_are_said_in_words() {
    scenario::with_server("refusals", &TIGHT_QUOTAS, async |scene, server| {
        let page = scene.signed_up(server, DESKTOP, "alice").await;
        page.wait_line("quota", Says::Includes("left in this window: 2"))
            .await;
        page.send("one").await;
        // Enter sends; Shift+Enter is a new line.
        page.type_into(
            "#compose",
            "two,\u{e008}\u{e007}\u{e008}second line\u{e007}",
        )
        .await;
        page.wait_for_message("two,\nsecond line", STEP).await;
        page.wait_line("quota", Says::StartsWith("No public messages left"))
            .await;
        page.type_into("#compose", "three").await;
        page.click("#send").await;
        let said = page.notice("the refusal").await;
        assert!(
            said.contains("all the public messages") && said.contains("try again at"),
            "{said}"
        );
        let kept = page
            .eval("return document.getElementById('compose').value;")
            .await;
        assert_eq!(
            kept,
            json!("three"),
            "a refused message stays in the composer"
        );
        page.screenshot("quota").await;

        // A private chat with nobody.
        page.open_chat_with("nobody").await;
        page.wait_line("notice", Says::Exactly("There is no user named nobody."))
            .await;
        assert_eq!(page.text("#chat-title").await, "Public chat");

        // The comment quota: one comment, then a refusal in words.
        let first = page.messages().await[0].id;
        page.message_action(first, "comment").await;
        page.type_into(".comment-form input", "first comment\u{e007}")
            .await;
        page.wait_for(
            "the comment",
            "return document.querySelectorAll('.comment').length === 1;",
        )
        .await;
        page.message_action(first, "comment").await;
        page.type_into(".comment-form input", "second comment\u{e007}")
            .await;
        let said = page.wait_line("notice", Says::Includes("comments")).await;
        assert!(said.contains("try again at"), "{said}");
    });
}

//! Small things a new user met: a bad name said in a sentence, the title's
//! unread count gone after signing out, and who is signed in shown on a
//! phone; a name typed in another case opens the one chat with that user.

use crate::page::{DESKTOP, PHONE, STEP};
use crate::scenario;
use crate::steps::{send_to, users};
use serde_json::json;

#[test]
fn a_bad_name_gets_a_sentence_and_sign_out_clears_the_title() {
    scenario::with_server("small", &[], async |scene, server| {
        let (mut api, [bob]) = users(server, ["bob"]);
        let mut page = scene.open(server, DESKTOP).await;
        page.type_into("#name", "bad name!").await;
        page.click("#register").await;
        let said = page.welcome_error("the sentence").await;
        assert!(said.contains("cannot be a user name"), "{said}");
        page.screenshot("bad-name").await;
        page.clear_input("name").await;
        page.register("alice").await;
        page.wait_live().await;
        send_to(&mut api, &bob, "alice", "psst");
        page.wait_for(
            "the title to count",
            "return document.title === '(1) agora';",
        )
        .await;
        page.type_into("#compose", "an unsent draft").await;
        page.sign_out().await;
        assert_eq!(page.eval("return document.title;").await, json!("agora"));
        // Signing out leaves no draft behind in this browser.
        let kept = page
            .eval("return Object.keys(localStorage).filter((k) => k.startsWith('agora.draft.'));")
            .await;
        assert_eq!(kept, json!([]), "drafts stayed after signing out");
    });
}

#[test]
fn a_phone_shows_who_is_signed_in() {
    scenario::with_server("phone-me", &[], async |scene, server| {
        let page = scene.signed_up(server, PHONE, "alice").await;
        assert_eq!(
            page.in_view(&["me", "compose", "send"]).await,
            [true, true, true]
        );
    });
}

#[test]
fn a_name_in_another_case_opens_the_one_chat() {
    scenario::with_server("case", &[], async |scene, server| {
        let (mut api, [kim]) = users(server, ["Kim"]);
        let page = scene.live_user(server, "alice").await;
        page.open_chat_with("KIM").await;
        page.wait_title("Private chat with Kim").await;
        send_to(&mut api, &kim, "alice", "hi alice");
        page.wait_for_message("hi alice", STEP).await;
        page.open_chat_with("kim").await;
        page.wait_title("Private chat with Kim").await;
        let chats = page
            .eval("return [...document.querySelectorAll('#chats [data-chat]')].map((c) => c.dataset.chat);")
            .await;
        assert_eq!(chats, json!(["public_chat", "Kim"]));
    });
}

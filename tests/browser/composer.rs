//! The composer: one draft per chat (kept across switching and reloads), one
//! send per message however often Enter is pressed (with an idempotency key,
//! retried after a network failure or a 503), and texts counted as the
//! server counts them.

use crate::harness::Server;
use crate::page::{Page, Says, DESKTOP, STEP};
use crate::scenario::{self, Scene};
use serde_json::json;
use std::time::Duration;

/// How many messages with exactly `text` the server has in the public chat.
fn on_the_server(server: &Server, token: &str, text: &str) -> usize {
    let body = server
        .client()
        .post("/connect", Some(token), json!({ "messages_number": 100 }))
        .expect(200);
    ["messages", "unread_messages"]
        .iter()
        .flat_map(|list| body[list].as_array().unwrap().clone())
        .filter(|m| m["message_text"] == text)
        .count()
}

/// alice's page, recording its POSTs ([`Page::record_posts`]), and the
/// token of bob, whose reading of the public chat counts what reached the
/// server ([`on_the_server`]).
async fn recording_page(scene: &Scene, server: &Server) -> (Page, String) {
    let bob = server.client().token("bob");
    let page = scene.signed_up(server, DESKTOP, "alice").await;
    page.record_posts().await;
    (page, bob)
}

#[test]
fn each_chat_keeps_its_own_draft() {
    scenario::with_server("drafts", &["--quota", "1"], async |scene, server| {
        server.client().token("bob");
        let mut page = scene.signed_up(server, DESKTOP, "alice").await;
        page.send("one").await;
        // The quota is spent: this one is refused and stays, in the public chat's draft.
        page.type_into("#compose", "two\u{e007}").await;
        page.wait_line("notice", Says::Includes("all the public messages"))
            .await;
        page.open_chat_with("bob").await;
        page.wait_title("Private chat with bob").await;
        assert_eq!(
            page.draft().await,
            "",
            "the public draft followed into the private chat"
        );
        page.type_into("#compose", "private draft").await;
        page.pick_chat("public_chat", "Public chat").await;
        assert_eq!(page.draft().await, "two");
        // A reload keeps both.
        page.reload().await;
        page.signed_in_as("alice").await;
        page.wait_title("Public chat").await;
        assert_eq!(page.draft().await, "two", "a reload threw the draft away");
        // (The chat with bob has no message yet, so it is not listed: open it again.)
        page.open_chat_with("bob").await;
        page.wait_title("Private chat with bob").await;
        assert_eq!(page.draft().await, "private draft");
        // Sent where it was written, and only that chat's draft is gone.
        page.type_into("#compose", "\u{e007}").await;
        page.wait_for_message("private draft", STEP).await;
        assert_eq!(page.draft().await, "");
        page.pick_chat("public_chat", "Public chat").await;
        assert_eq!(page.draft().await, "two");
        let public: Vec<String> = page.messages().await.into_iter().map(|m| m.text).collect();
        assert_eq!(public, ["one"], "a draft went to the wrong chat");
        page.screenshot("public-draft").await;
    });
}

#[test]
fn quick_enters_send_once_with_a_key_and_a_failed_send_is_retried() {
    scenario::with_server("send-once", &[], async |scene, server| {
        let (page, bob) = recording_page(scene, server).await;
        // Three Enters while the first send is still on its way (a slow network).
        page.eval("window.plan = ['slow', 'slow', 'slow'];").await;
        page.type_into("#compose", "only once\u{e007}\u{e007}\u{e007}")
            .await;
        page.wait_for_message("only once", STEP).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            on_the_server(server, &bob, "only once"),
            1,
            "sent more than once"
        );
        page.send("and another").await;
        let sends = page.posts_to("/send").await;
        assert_eq!(sends.len(), 2, "{sends:?}");
        let keys: Vec<&str> = sends
            .iter()
            .map(|p| p["key"].as_str().expect("an Idempotency-Key"))
            .collect();
        for key in &keys {
            assert!(
                key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit()),
                "{key}"
            );
        }
        assert_ne!(keys[0], keys[1], "one key per message");

        // A network failure, then a 503 with Retry-After: 1, then through:
        // sent once, the same key every time, the 503's wait honoured.
        page.eval("window.posts = []; window.plan = ['fail', '503'];")
            .await;
        page.type_into("#compose", "retried\u{e007}").await;
        page.wait_for_message("retried", STEP).await;
        let tries = page.posts_to("/send").await;
        assert_eq!(tries.len(), 3, "{tries:?}");
        assert!(
            tries.iter().all(|t| t["key"] == tries[0]["key"]),
            "{tries:?}"
        );
        let waited = tries[2]["at"].as_f64().unwrap() - tries[1]["at"].as_f64().unwrap();
        assert!(waited >= 900.0, "Retry-After: 1 waited {waited} ms");
        assert_eq!(on_the_server(server, &bob, "retried"), 1);
        // Every other POST the page made carried a key too.
        let all = page.eval("return window.posts;").await;
        assert!(
            all.as_array().unwrap().iter().all(|p| p["key"].is_string()),
            "{all}"
        );
    });
}

#[test]
fn length_is_counted_as_the_server_counts_it() {
    scenario::with_server("length", &[], async |scene, server| {
        let (page, bob) = recording_page(scene, server).await;
        let insert = "const c = document.getElementById('compose'); c.focus(); \
                      document.execCommand('insertText', false, arguments[0]); \
                      return [...c.value].length;";
        // 3,000 emoji are 6,000 UTF-16 units but 3,000 characters: they fit.
        let emoji = "\u{1f600}".repeat(3000);
        let kept = page.js(insert, vec![json!(emoji)]).await;
        assert_eq!(kept, json!(3000), "emoji were cut");
        page.type_into("#compose", "\u{e007}").await;
        page.wait_for_message(&emoji, STEP).await;
        assert_eq!(on_the_server(server, &bob, &emoji), 1);

        // 5,000 characters: all kept, the counter says how much is over, and
        // Enter says so in words instead of sending.
        let kept = page.js(insert, vec![json!("a".repeat(5000))]).await;
        assert_eq!(kept, json!(5000), "the text was cut without a word");
        let count = page.text("#count").await;
        assert!(count.contains("904") && count.contains("over"), "{count}");
        // A paste that goes over the limit is said at once.
        page.eval("document.getElementById('compose').dispatchEvent(new ClipboardEvent('paste', { bubbles: true }));")
        .await;
        page.wait_line("notice", Says::Includes("904 characters too long"))
            .await;
        page.eval("document.getElementById('notice').textContent = '';")
            .await;
        page.type_into("#compose", "\u{e007}").await;
        let said = page.notice("the sentence").await;
        assert!(said.contains("904 characters too long"), "{said}");
        assert_eq!(page.posts_to("/send").await.len(), 1, "sent over the limit");
        page.screenshot("over").await;

        // The server's own refusal (a comment over the limit) reads as a sentence.
        let id = page.messages().await[0].id;
        page.message_action(id, "comment").await;
        page.js(
            "const i = document.querySelector('.comment-form input'); i.value = arguments[0]; \
             i.form.requestSubmit();",
            vec![json!("b".repeat(4097))],
        )
        .await;
        let said = page.wait_line("notice", Says::Includes("characters")).await;
        assert!(
            said.contains("1 to 4,096 characters") && !said.contains('`'),
            "{said}"
        );
    });
}

//! Live delivery in the page (GET /events read as a stream, POST /read):
//! two browsers chat, a private chat starts from the list, a comment and a
//! ban arrive without a reload, and the page reconnects after a restart.

use crate::harness::Server;
use crate::page::{Says, STEP};
use crate::scenario;
use crate::steps::status_chat;
use serde_json::{json, Value};
use std::time::Duration;

/// The bound: what one browser sends shows in another within 2 s.
const LIVE: Duration = Duration::from_secs(2);

/// The unread count of `chat` in `token`'s /status, as the server has it.
fn unread(server: &Server, token: &str, chat: &str) -> u64 {
    status_chat(&mut server.client(), token, chat).map_or(0, |c| c["unread"].as_u64().unwrap())
}

/// Waits (bounded) until the server counts nothing unread in `chat`.
async fn read_on_the_server(server: &Server, token: &str, chat: &str) {
    let deadline = std::time::Instant::now() + STEP;
    while unread(server, token, chat) != 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "{chat} stays unread on the server"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn two_browsers_chat_live() {
    scenario::with_live_users("live", ["alice", "bob"], async |server, [alice, bob]| {
        // Enter sends.
        alice.type_into("#compose", "hello bob\u{e007}").await;
        let shown = bob.wait_for_message("hello bob", LIVE).await;
        assert_eq!(shown.author, "alice");
        bob.send("hi alice, live").await;
        alice.wait_for_message("hi alice, live", LIVE).await;
        // Shown is read: the server counts nothing unread for bob.
        read_on_the_server(server, &bob.token().await, "public_chat").await;
        assert_eq!(alice.messages().await, bob.messages().await);
        // The token travels in a header, never in a URL (URLs end up in logs).
        let urls = bob
            .eval("return [location.href, ...performance.getEntriesByType('resource').map((e) => e.name)];")
            .await;
        let urls: Vec<&str> = urls
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u.as_str().unwrap())
            .collect();
        assert!(urls.iter().any(|u| u.contains("/events")), "{urls:?}");
        let token = bob.token().await;
        assert!(urls.iter().all(|u| !u.contains(&token)), "{urls:?}");
        alice.screenshot("chat").await;
        bob.screenshot("chat").await;
    });
}

#[test]
fn private_chat_started_from_the_list() {
    scenario::with_live_users("private", ["alice", "bob"], async |server, [alice, bob]| {
        alice.open_chat_with("bob").await;
        alice
            .wait_for("the private chat", "return document.getElementById('chat-title').textContent === 'Private chat with bob' \
                 && !!document.querySelector('#chats [data-chat=\"bob\"]');")
            .await;
        alice.send("psst, bob").await;
        // bob's list shows the new chat, one unread, without a reload.
        bob.wait_unread("alice", 1, LIVE).await;
        bob.screenshot("unread").await;
        bob.click("#chats [data-chat=\"alice\"]").await;
        bob.wait_for_message("psst, bob", STEP).await;
        assert_eq!(bob.text("#chat-title").await, "Private chat with alice");
        assert_eq!(bob.text("#chats [data-chat=\"alice\"] .unread").await, "");
        read_on_the_server(server, &bob.token().await, "alice").await;
        bob.send("what is it?").await;
        alice.wait_for_message("what is it?", LIVE).await;
        // The public chat did not get the private messages.
        bob.pick_chat("public_chat", "Public chat").await;
        assert!(bob.messages().await.is_empty());
        alice.screenshot("chat").await;
    });
}

#[test]
fn a_comment_shows_in_the_other_browser() {
    scenario::with_live_users("comment", ["alice", "bob"], async |_, [alice, bob]| {
        alice.send("what do you think?").await;
        let message = bob.wait_for_message("what do you think?", LIVE).await;
        let thread = format!("[data-message-id=\"{}\"]", message.id);
        bob.message_action(message.id, "comment").await;
        bob.type_into(".comment-form input", "looks good\u{e007}")
            .await;
        alice
            .wait_until(
                "bob's comment under the message",
                LIVE,
                &format!(
                    "return [...document.querySelectorAll('{thread} .comment')].some((c) => \
                          c.querySelector('.author').textContent === 'bob' \
                          && c.querySelector('.comment-text').textContent === 'looks good');"
                ),
                vec![],
            )
            .await;
        alice.screenshot("comment").await;
    });
}

#[test]
fn three_reports_ban_a_fourth_who_sees_the_banner() {
    scenario::with_server("ban", &[], async |scene, server| {
        let dave = scene.live_user(server, "dave").await;
        dave.send("buy my stuff").await;
        let mut reporters = Vec::new();
        for name in ["alice", "bob", "carol"] {
            let page = scene.live_user(server, name).await;
            let spam = page.wait_for_message("buy my stuff", STEP).await;
            let report = format!("[data-message-id=\"{}\"] [data-action=report]", spam.id);
            page.message_action(spam.id, "report").await;
            assert_eq!(page.text(&report).await, "Confirm: report dave");
            page.click(&report).await;
            page.wait_for("the report's answer", "const t = document.getElementById('notice').textContent; \
                 return (t.startsWith('You reported dave') || t.startsWith('dave is banned')) && t;")
                .await;
            reporters.push(page);
        }
        assert!(reporters[2]
            .text("#notice")
            .await
            .starts_with("dave is banned until"));
        let banner = dave
            .wait_until("the ban banner", LIVE,
                "const b = document.getElementById('ban-banner'); return !b.hidden && b.textContent;", vec![])
            .await;
        assert!(
            banner.as_str().unwrap().contains("You are banned"),
            "{banner}"
        );
        let countdown = "return document.querySelector('#ban-banner .countdown').textContent;";
        let first: Value = dave.js(countdown, vec![]).await;
        assert!(
            first.as_str().unwrap().starts_with("3:59:") || first == json!("4:00:00"),
            "{first}"
        );
        dave.wait_until(
            "the countdown to tick",
            Duration::from_secs(3),
            "return document.querySelector('#ban-banner .countdown').textContent !== arguments[0];",
            vec![first],
        )
        .await;
        assert_eq!(
            dave.eval("return document.getElementById('send').disabled;")
                .await,
            json!(true)
        );
        // A comment while banned: 403, said in words with when to try again.
        let spam = dave.messages().await[0].id;
        dave.message_action(spam, "comment").await;
        dave.type_into(".comment-form input", "let me explain\u{e007}")
            .await;
        let said = dave.wait_line("notice", Says::Includes("banned")).await;
        assert!(said.contains("try again at"), "{said}");
        dave.screenshot("banned").await;
        reporters[0].screenshot("reported").await;
    });
}

#[test]
fn the_page_reconnects_after_a_server_restart() {
    scenario::run("restart", async |scene| {
        let place = scenario::SamePlace::new();
        let server = place.start();
        let [alice, bob] = scene.live_users(&server, ["alice", "bob"]).await;
        alice.send("before the restart").await;
        bob.wait_for_message("before the restart", LIVE).await;
        let alice_token = alice.token().await;

        server.stop();
        bob.wait_for(
            "the page to notice",
            "return document.getElementById('live').dataset.state !== 'live';",
        )
        .await;
        bob.screenshot("reconnecting").await;
        let server = place.start();
        // Sent at once, maybe before bob's page is back: it resumes from its
        // last event and gets it anyway.
        server
            .client()
            .post(
                "/send",
                Some(&alice_token),
                json!({ "message": "while you were away" }),
            )
            .expect(201);
        bob.wait_live().await;
        alice.wait_live().await;
        alice.send("after the restart").await;
        bob.wait_for_message("while you were away", STEP).await;
        bob.wait_for_message("after the restart", LIVE).await;
        let texts: Vec<String> = bob.messages().await.into_iter().map(|m| m.text).collect();
        assert_eq!(
            texts,
            [
                "before the restart",
                "while you were away",
                "after the restart"
            ],
            "nothing lost, nothing twice"
        );
        bob.screenshot("after").await;
    });
}

//! Reading: a chat opens where the unread begin, a "N new" pill when scrolled
//! up, the tab's title counts what arrives while it is hidden; and for the
//! keyboard and screen readers: focus in the composer after picking a chat,
//! one tab stop per message, a `main` landmark, only new messages announced.

use crate::page::{DESKTOP, STEP};
use crate::scenario;
use crate::steps::{send_public, send_public_all, users};
use serde_json::json;

/// Pretends the tab is hidden (`true`) or shown again, as switching tabs does.
const VISIBILITY: &str = "Object.defineProperty(document, 'visibilityState', \
    { value: arguments[0] ? 'hidden' : 'visible', configurable: true }); \
    document.dispatchEvent(new Event('visibilitychange'));";

#[test]
fn unread_open_at_the_first_with_a_pill_and_a_counting_title() {
    scenario::with_server("unread", &["--quota", "200"], async |scene, server| {
        let (mut api, [alice, bob]) = users(server, ["alice", "bob"]);
        send_public(&mut api, &alice, "read already");
        api.post("/connect", Some(&alice), json!({})).expect(200);
        send_public_all(&mut api, &bob, (1..=120).map(|i| format!("unread {i}")));
        let mut page = scene.open(server, DESKTOP).await;
        page.sign_in(&alice, "alice").await;
        page.wait_live().await;
        // The first unread is on screen, not 10,000 px above.
        let seen = page
            .first_unread_in_view("the first unread on screen")
            .await;
        assert_eq!(seen, json!("unread 1"));
        page.screenshot("first-unread").await;

        // Scrolled up, new messages wait on a pill.
        page.eval("document.getElementById('messages').scrollTop = 0;")
            .await;
        send_public_all(&mut api, &bob, (1..=2).map(|i| format!("later {i}")));
        page.wait_for("the pill", "const p = document.getElementById('new-pill'); return !p.hidden && p.textContent.startsWith('2 new');")
        .await;
        page.screenshot("pill").await;
        page.click("#new-pill").await;
        page.wait_for(
            "the end, the pill gone",
            "const l = document.getElementById('messages'); \
             return document.getElementById('new-pill').hidden \
             && l.scrollHeight - l.scrollTop - l.clientHeight < 40;",
        )
        .await;

        // While the tab is hidden, its title counts what arrives.
        page.js(VISIBILITY, vec![json!(true)]).await;
        send_public_all(&mut api, &bob, (1..=3).map(|i| format!("away {i}")));
        page.wait_for(
            "the title to count",
            "return document.title === '(3) agora';",
        )
        .await;
        page.js(VISIBILITY, vec![json!(false)]).await;
        page.wait_for("the title to be read", "return document.title === 'agora';")
            .await;
    });
}

#[test]
fn keyboard_and_screen_reader_basics() {
    scenario::with_server("keyboard", &[], async |scene, server| {
        let (mut api, [bob]) = users(server, ["bob"]);
        send_public_all(&mut api, &bob, (1..=4).map(|i| format!("hello {i}")));
        let page = scene.live_user(server, "alice").await;
        page.wait_for_message("hello 4", STEP).await;

        // A main landmark holds the chat.
        let main = page
            .eval("const m = document.querySelector('main:not([hidden])'); \
                 return !!m && m.offsetParent !== null && m.contains(document.getElementById('messages'));")
            .await;
        assert_eq!(main, json!(true), "no main landmark when signed in");

        // One tab stop per message at most.
        let stops = page
            .eval("return [...document.querySelectorAll('#messages button, #messages a, #messages input, #messages [tabindex]')] \
                 .filter((e) => !e.disabled && e.tabIndex >= 0 && e.offsetParent !== null).length;")
            .await;
        let shown = page.messages().await.len() as u64;
        assert!(
            stops.as_u64().unwrap() <= shown,
            "{stops} tab stops for {shown} messages"
        );

        // Picking a chat puts the focus in its composer.
        page.open_chat_with("bob").await;
        page.wait_title("Private chat with bob").await;
        page.pick_chat("public_chat", "Public chat").await;
        page.wait_for(
            "the focus in the composer",
            "return document.activeElement && document.activeElement.id === 'compose';",
        )
        .await;

        // The list is not a live region (switching chats would read it all
        // out); a new message is announced by itself.
        let live = page
            .eval("return document.getElementById('messages').getAttribute('aria-live');")
            .await;
        assert_eq!(live, json!(null), "the whole list is a live region");
        send_public(&mut api, &bob, "just now");
        // Any live region but the list itself (the page has several: the
        // connection state, notices, the search's status, the announcer).
        page.wait_for(
            "the announcement",
            "return Array.from(document.querySelectorAll('[aria-live]')) \
               .some((a) => a.id !== 'messages' && a.textContent === 'bob: just now');",
        )
        .await;
    });
}

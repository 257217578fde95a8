//! The search box (issue 27): results under it, newest first, the matching
//! words marked (as elements, the text as text), each opening its chat at
//! the message.

use crate::harness::{Runtime, Server};
use crate::page::{Page, DESKTOP, STEP};
use crate::scenario;
use crate::steps::{send_public, send_to, users};
use serde_json::json;

/// Opens the search result of message `id` and waits until its chat shows
/// the message marked as found (`what` names it in a failure); the marked
/// message's selector.
async fn open_result(page: &Page, id: i64, what: &str) -> String {
    page.click(&format!("#search-results [data-message-id=\"{id}\"]"))
        .await;
    let found = format!("#messages [data-message-id=\"{id}\"].found");
    page.wait_for(
        what,
        &format!("return document.querySelector('{found}') !== null;"),
    )
    .await;
    found
}

#[test]
fn the_search_box_finds_marks_and_opens_the_message() {
    scenario::run("search", async |scene| {
        let server = Server::start(Runtime::Tokio, &["--quota", "100"]);
        let (mut api, [alice, carol]) = users(&server, ["alice", "carol"]);
        let page = scene.signed_up(&server, DESKTOP, "bob").await;
        let public = send_public(&mut api, &alice, "We deployed the Café <b>menu</b>");
        for i in 0..30 {
            send_public(&mut api, &carol, &format!("filler {i}"));
        }
        let private = send_to(&mut api, &alice, "bob", "deploy notes for bob");
        send_to(&mut api, &alice, "carol", "deploy secrets, carol only");
        // A room bob is in, created as `#Ops`.
        let bob = page.token().await;
        api.post("/rooms", Some(&alice), json!({"room": "#Ops"}))
            .expect(201);
        api.post("/join", Some(&bob), json!({"room": "#ops"}))
            .expect(200);
        let room = send_to(&mut api, &alice, "#ops", "deploy plan for the room");
        page.wait_for_message("filler 29", STEP).await;

        page.type_into("#search", "CAFE deplo").await;
        let results = "return [...document.querySelectorAll('#search-results [data-message-id]')]\
                       .map((r) => Number(r.dataset.messageId));";
        page.wait_for(
            "one result",
            &format!("const r = (() => {{ {results} }})(); return r.length === 1;"),
        )
        .await;
        assert_eq!(page.js(results, vec![]).await, json!([public]));
        // The matching words are <mark>s; the rest, tags and all, is text.
        let marks = "return [...document.querySelectorAll('#search-results mark')]\
                     .map((m) => m.textContent);";
        assert_eq!(page.js(marks, vec![]).await, json!(["deployed", "Café"]));
        let said = page.text("#search-results .said").await;
        assert_eq!(said, "We deployed the Café <b>menu</b>");
        let injected = page
            .js(
                "return document.querySelectorAll('#search-results b').length;",
                vec![],
            )
            .await;
        assert_eq!(injected, json!(0));

        // A word: every message bob can see with it, newest first, his
        // room's too; carol's private chat never.
        page.js("document.getElementById('search').value = '';", vec![])
            .await;
        page.type_into("#search", "deplo").await;
        page.wait_for(
            "three results",
            &format!("const r = (() => {{ {results} }})(); return r.length === 3;"),
        )
        .await;
        assert_eq!(
            page.js(results, vec![]).await,
            json!([room, private, public])
        );
        let where_room = page
            .text(&format!(
                "#search-results [data-message-id=\"{room}\"] .where"
            ))
            .await;
        assert!(where_room.contains("in #Ops"), "{where_room}");
        page.screenshot("results").await;

        // A result opens its chat at the message, scrolled to and marked.
        let found = open_result(&page, public, "the message, marked").await;
        let seen = page
            .js(
                &format!(
                    "const r = document.querySelector('{found}').getBoundingClientRect(); \
                     return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;"
                ),
                vec![],
            )
            .await;
        assert_eq!(seen, json!(true), "scrolled into view");
        assert_eq!(page.text("#chat-title").await, "Public chat");
        open_result(&page, private, "the private message, marked").await;
        page.screenshot("opened").await;
        // A room's result opens the room.
        open_result(&page, room, "the room's message, marked").await;
        page.wait_title("Room #Ops").await;
    });
}

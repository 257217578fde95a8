//! Comment threads: the newest comments under their message, older ones paged
//! in with GET /comments.

use crate::harness::{Runtime, Server};
use crate::page::{DESKTOP, STEP};
use crate::scenario;
use crate::steps::{comment, send_public, users};
use serde_json::json;

#[test]
fn older_comments_are_paged_in() {
    scenario::run("threads", async |scene| {
        // A server that keeps fewer messages per page than the page asks
        // for: the page falls back to its default.
        let server = Server::start(Runtime::Tokio, &["--history", "5", "--history-max", "10"]);
        let (mut api, [alice, carol]) = users(&server, ["alice", "carol"]);
        let id = u64::try_from(send_public(&mut api, &alice, "a busy message")).unwrap();
        for i in 1..=25 {
            comment(&mut api, &carol, id, &format!("comment {i}")).expect(201);
        }
        let page = scene.signed_up(&server, DESKTOP, "bob").await;
        page.wait_for_message("a busy message", STEP).await;
        let thread = format!("[data-message-id=\"{id}\"]");
        let comments = format!(
            "return [...document.querySelectorAll('{thread} .comment-text')].map((c) => c.textContent);"
        );
        let shown = page.js(&comments, vec![]).await;
        let expected: Vec<String> = (6..=25).map(|i| format!("comment {i}")).collect();
        assert_eq!(shown, json!(expected), "the 20 newest, oldest first");
        assert_eq!(
            page.text(&format!("{thread} .older")).await,
            "Show 5 older comments"
        );
        page.screenshot("newest").await;

        page.click(&format!("{thread} .older")).await;
        page.wait_for(
            "the older comments",
            &format!("return document.querySelectorAll('{thread} .comment').length === 25;"),
        )
        .await;
        let all: Vec<String> = (1..=25).map(|i| format!("comment {i}")).collect();
        assert_eq!(page.js(&comments, vec![]).await, json!(all));
        let hidden = page
            .js(
                &format!("return document.querySelector('{thread} .older').hidden;"),
                vec![],
            )
            .await;
        assert_eq!(hidden, json!(true));

        // A comment from this page goes under the message, last.
        page.message_action(id, "comment").await;
        page.type_into(".comment-form input", "bob was here\u{e007}")
            .await;
        page.wait_until("bob's comment", STEP,
            &format!("const c = [...document.querySelectorAll('{thread} .comment-text')]; return c.length === 26 && c[25].textContent === 'bob was here';"),
            vec![])
            .await;
        page.screenshot("all").await;
    });
}

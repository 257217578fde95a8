//! How messages look: secondary buttons not filled like Send, one author's
//! messages grouped, date lines, an empty chat that says what to do, long
//! messages collapsed, every text in its own direction (a bidi override
//! reorders nothing outside it), and links and a little formatting built as
//! DOM nodes, where no injection runs.

use crate::page::{DESKTOP, STEP};
use crate::scenario;
use crate::steps::{comment, send_public, send_public_all, users};
use serde_json::json;

const FORMATTED: &str =
    "see https://example.com/a?b=1, `inline code`, **bold**, _italic_\n```\nfn main() {}\n```";

const INJECTIONS: [&str; 9] = [
    "javascript:alert(1)",
    "[click](javascript:window.pwned=1)",
    "**<img src=x onerror=window.pwned=1>**",
    "`<script>window.pwned=1</script>`",
    "https://x.example/\"><img src=x onerror=window.pwned=1>",
    "_<svg onload=window.pwned=1>_",
    "```\n</code><img src=x onerror=window.pwned=1>\n```",
    "https://x.example/<iframe src=javascript:window.pwned=1>",
    "*<a href=javascript:window.pwned=1>x</a>*",
];

#[test]
fn messages_have_a_hierarchy_and_their_own_direction() {
    scenario::with_server("look", &[], async |scene, server| {
        let (mut api, [bob]) = users(server, ["bob"]);
        api.token("carol");
        let ids: Vec<u64> =
            send_public_all(&mut api, &bob, ["first", "second, right after", "third"])
                .into_iter()
                .map(|id| u64::try_from(id).unwrap())
                .collect();
        let long = "a long line of words that goes on ".repeat(120);
        send_public(&mut api, &bob, long.trim());
        let bidi = "\u{202e}gnp.exe";
        comment(&mut api, &bob, ids[0], bidi).expect(201);
        let page = scene.signed_up(server, DESKTOP, "alice").await;
        page.wait_for_message("third", STEP).await;

        // Sign out is not filled like Send.
        let fills = page
            .eval(
                "return ['send', 'sign-out', 'show-token'].map((id) => \
                 getComputedStyle(document.getElementById(id)).backgroundColor);",
            )
            .await;
        assert_ne!(fills[0], fills[1], "Sign out looks like Send");
        assert_ne!(fills[0], fills[2], "Token looks like Send");

        // One author's run is a group; a date line starts the day.
        let grouped = page
            .js(
                "return arguments[0].map((id) => document.querySelector(`[data-message-id=\"${id}\"]`) \
                 .classList.contains('grouped'));",
                vec![json!(ids)],
            )
            .await;
        assert_eq!(grouped, json!([false, true, true]));
        let day = page
            .text("#messages > li:first-child:not([data-message-id])")
            .await;
        assert_eq!(day, "Today");

        // A long message is collapsed, with "Show more".
        let height = "return [...document.querySelectorAll('#messages .text')].pop().getBoundingClientRect().height;";
        let collapsed = page.js(height, vec![]).await.as_f64().unwrap();
        assert!(collapsed < 400.0, "a long message is {collapsed} px tall");
        page.click("#messages [data-action=expand]").await;
        let open = page.js(height, vec![]).await.as_f64().unwrap();
        assert!(open > collapsed * 1.5, "{open} px open");

        // Each text has its own direction; an override reorders nothing outside it.
        let attrs = page
            .eval("const m = document.querySelector('#messages .message'); \
                 return [m.querySelector('.text').getAttribute('dir'), m.querySelector('.author').tagName];")
            .await;
        assert_eq!(attrs, json!(["auto", "BDI"]));
        let order = page
            .eval(
                "const c = document.querySelector('.comment'); \
                 return c.querySelector('time').getBoundingClientRect().left \
                 >= c.querySelector('.comment-text').getBoundingClientRect().right - 1;",
            )
            .await;
        assert_eq!(
            order,
            json!(true),
            "the override in a comment moved its time"
        );
        page.screenshot("grouped").await;

        // An empty chat says what to do.
        page.open_chat_with("carol").await;
        page.wait_title("Private chat with carol").await;
        let empty = page.text("#messages").await;
        assert!(empty.contains("No messages"), "{empty:?}");
        page.screenshot("empty").await;
    });
}

#[test]
fn links_and_formatting_are_nodes_and_nothing_runs() {
    scenario::with_server("format", &[], async |scene, server| {
        let (mut api, [bob]) = users(server, ["bob"]);
        let reversed = "\u{202e} https://example.com/abc";
        let texts = [FORMATTED].into_iter().chain(INJECTIONS).chain([reversed]);
        send_public_all(&mut api, &bob, texts);
        let page = scene.signed_up(server, DESKTOP, "alice").await;
        page.wait_for(
            "the messages",
            "return document.querySelectorAll('#messages [data-message-id]').length === 11;",
        )
        .await;
        let first = page
            .eval("const t = document.querySelector('#messages .text'); const a = t.querySelector('a'); \
                 return [a && a.getAttribute('href'), a && a.textContent, a && a.rel, \
                 t.querySelector(':scope > code')?.textContent, t.querySelector('strong')?.textContent, \
                 t.querySelector('em')?.textContent, t.querySelector('pre > code')?.textContent];")
            .await;
        assert_eq!(
            first,
            json!([
                "https://example.com/a?b=1",
                "https://example.com/a?b=1",
                "noopener noreferrer",
                "inline code",
                "bold",
                "italic",
                "fn main() {}"
            ])
        );
        // Every link shows exactly its target, an http(s) one, isolated from
        // an override around it.
        let links = page
            .eval("return [...document.querySelectorAll('#messages a')].map((a) => \
                 [a.getAttribute('href') === a.textContent, /^https?:\\/\\//.test(a.getAttribute('href')), \
                  getComputedStyle(a).unicodeBidi, getComputedStyle(a).direction]);")
            .await;
        let links = links.as_array().unwrap();
        assert!(links.len() >= 3, "{links:?}");
        for link in links {
            assert_eq!(link, &json!([true, true, "isolate", "ltr"]), "{links:?}");
        }
        let made = page
            .eval(
                "return [...document.querySelectorAll('#messages *')].filter((e) => \
                 ['IMG', 'SCRIPT', 'SVG', 'IFRAME'].includes(e.tagName.toUpperCase()) \
                 || [...e.attributes].some((a) => a.name.startsWith('on'))).length;",
            )
            .await;
        assert_eq!(made, json!(0), "message text became elements");
        assert_eq!(page.eval("return window.pwned ?? null;").await, json!(null));
        assert_eq!(page.alert_text().await, None, "a script ran");
        page.screenshot("formatted").await;
    });
}

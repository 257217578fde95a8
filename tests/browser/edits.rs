//! Contract v3 in the page (issue 26): editing and deleting one's own
//! message and comment in place (tombstones, a moderator's too), reactions
//! toggled from the picker and from their counts, `@` completion and mentions
//! highlighted, and a desktop notification of a mention while the tab is
//! hidden. A second browser sees every change live.

use crate::page::{Page, DESKTOP, PHONE, STEP};
use crate::scenario;
use crate::steps::{send_public, send_to, users};
use serde_json::{json, Value};

const ENTER: &str = "\u{e007}";
const ESCAPE: &str = "\u{e00c}";
const DOWN: &str = "\u{e015}";

/// Waits until `script` (about the message `id`: `m` is its element, or
/// null) is true in `page`.
async fn wait_message(page: &Page, id: u64, what: &str, script: &str) -> Value {
    let body = format!(
        "const m = document.querySelector('[data-message-id=\"{id}\"]'); return !!m && ({script});"
    );
    page.wait_until(what, STEP, &body, vec![]).await
}

/// Empties a field, then types `text` into it.
async fn retype(page: &Page, css: &str, text: &str) {
    page.js(
        "document.querySelector(arguments[0]).value = '';",
        vec![json!(css)],
    )
    .await;
    page.type_into(css, text).await;
}

#[test]
fn edit_and_delete_in_place_seen_live() {
    scenario::with_server("edits", &["--moderator", "mod"], async |scene, server| {
        let (mut api, [moderator]) = users(server, ["mod"]);
        let [alice, bob] = scene.live_users(server, ["alice", "bob"]).await;
        alice.send("hello wrold").await;
        let id = bob.wait_for_message("hello wrold", STEP).await.id;
        let text = format!("[data-message-id=\"{id}\"] .text");
        let field = format!("[data-message-id=\"{id}\"] .edit-form textarea");

        // Escape cancels: the text stays, nothing is sent.
        alice.message_action(id, "edit").await;
        alice.type_into(&field, " and more").await;
        alice.screenshot("edit-box").await;
        alice.type_into(&field, ESCAPE).await;
        wait_message(
            &alice,
            id,
            "the edit cancelled",
            "!m.querySelector('.edit-form') && !m.querySelector('.text').hidden",
        )
        .await;
        assert_eq!(alice.text(&text).await, "hello wrold");
        // The menu's button has the focus back: the keyboard carries on there.
        let focused = alice
            .eval("return document.activeElement.dataset.action ?? '';")
            .await;
        assert_eq!(focused, json!("menu"));

        // Enter saves: both pages show the new text and the marker.
        alice.message_action(id, "edit").await;
        retype(&alice, &field, &format!("hello world{ENTER}")).await;
        for page in [&alice, &bob] {
            wait_message(page, id, "the edit", "m.querySelector('.text').textContent === 'hello world' && !!m.querySelector('.edited')").await;
        }
        alice.screenshot("edited").await;
        bob.screenshot("edited").await;

        // A comment of bob's, edited and deleted in place.
        bob.message_action(id, "comment").await;
        bob.type_into(".comment-form input", &format!("nice tpyo{ENTER}"))
            .await;
        let comment_text = format!("[data-message-id=\"{id}\"] .comment-text");
        wait_message(
            &alice,
            id,
            "bob's comment",
            "m.querySelector('.comment-text')?.textContent === 'nice tpyo'",
        )
        .await;
        bob.click(&format!(
            "[data-message-id=\"{id}\"] .comment [data-action=edit-comment]"
        ))
        .await;
        retype(
            &bob,
            &format!("[data-message-id=\"{id}\"] .comment .edit-form textarea"),
            &format!("nice typo{ENTER}"),
        )
        .await;
        for page in [&alice, &bob] {
            wait_message(page, id, "the comment's edit", "m.querySelector('.comment-text').textContent === 'nice typo' && !!m.querySelector('.comment .edited')").await;
        }
        // Only one's own comments offer Edit and Delete.
        assert_eq!(alice.eval("return document.querySelectorAll('.comment [data-action=edit-comment]').length;").await, json!(0));
        let delete_comment =
            format!("[data-message-id=\"{id}\"] .comment [data-action=delete-comment]");
        bob.click(&delete_comment).await;
        assert_eq!(
            bob.text(&delete_comment).await,
            "Confirm: delete this comment"
        );
        bob.click(&delete_comment).await;
        for page in [&alice, &bob] {
            wait_message(
                page,
                id,
                "the comment's tombstone",
                "m.querySelector('.comment-text').textContent === 'comment deleted'",
            )
            .await;
        }
        assert_eq!(alice.text(&comment_text).await, "comment deleted");

        // Delete asks first; then the message stays as a tombstone.
        alice.message_action(id, "delete").await;
        let delete = format!("[data-message-id=\"{id}\"] [data-action=delete]");
        assert_eq!(alice.text(&delete).await, "Confirm: delete this message");
        assert_eq!(
            alice.text(&text).await,
            "hello world",
            "not deleted on the first press"
        );
        alice.click(&delete).await;
        for page in [&alice, &bob] {
            wait_message(page, id, "the tombstone", "m.querySelector('.text').textContent === 'message deleted' && !m.querySelector('[data-action=edit]')").await;
        }
        alice.screenshot("deleted").await;
        bob.screenshot("deleted").await;
        // Bob's page offers no edit or delete of alice's messages.
        assert_eq!(bob.eval("return document.querySelectorAll('#messages [data-action=edit], #messages [data-action=delete]').length;").await, json!(0));

        // A moderator's deletion says so.
        let bobs = send_public(&mut api, &bob.token().await, "something rude");
        let bobs = u64::try_from(bobs).unwrap();
        alice.wait_for_message("something rude", STEP).await;
        api.post("/delete", Some(&moderator), json!({ "message_id": bobs }))
            .expect(200);
        for page in [&alice, &bob] {
            wait_message(
                page,
                bobs,
                "the moderator's tombstone",
                "m.querySelector('.text').textContent === 'deleted by a moderator'",
            )
            .await;
        }
        alice.screenshot("moderated").await;
    });
}

/// The reaction `emoji` on message `id` as `[count, pressed, title]`, or null.
fn reaction_script(id: u64, emoji: &str) -> String {
    format!(
        "const r = document.querySelector('{}'); \
         return r ? [Number(r.querySelector('.count').textContent), r.getAttribute('aria-pressed'), r.title] : null;",
        reaction(id, emoji)
    )
}

/// The selector of the reaction `emoji` (its count button) on message `id`.
fn reaction(id: u64, emoji: &str) -> String {
    format!("[data-message-id=\"{id}\"] [data-reaction=\"{emoji}\"]")
}

/// Opens message `id`'s reaction picker (from its menu; a screenshot of it
/// open) and picks `emoji`.
async fn pick_reaction(page: &Page, id: u64, emoji: &str) {
    page.message_action(id, "react-pick").await;
    page.screenshot("picker").await;
    page.click(&format!(
        "[data-message-id=\"{id}\"] .picker [data-pick=\"{emoji}\"]"
    ))
    .await;
}

async fn wait_reaction(page: &Page, id: u64, emoji: &str, expected: Value) {
    let script = format!("const got = (() => {{ {} }})(); return JSON.stringify(got) === JSON.stringify(arguments[0]);", reaction_script(id, emoji));
    page.wait_for_with(&format!("{emoji} as {expected}"), &script, vec![expected])
        .await;
}

#[test]
fn react_and_unreact_seen_live() {
    scenario::with_live_users("reactions", ["alice", "bob"], async |_, [alice, bob]| {
        alice.send("lunch at noon?").await;
        let id = bob.wait_for_message("lunch at noon?", STEP).await.id;

        // bob picks 👍 from the picker.
        pick_reaction(&bob, id, "👍").await;
        wait_reaction(&bob, id, "👍", json!([1, "true", "bob"])).await;
        wait_reaction(&alice, id, "👍", json!([1, "false", "bob"])).await;
        // alice adds hers by its count.
        alice.click(&reaction(id, "👍")).await;
        wait_reaction(&alice, id, "👍", json!([2, "true", "bob, alice"])).await;
        wait_reaction(&bob, id, "👍", json!([2, "true", "bob, alice"])).await;
        // Who reacted is in the name a keyboard or screen reader meets.
        let label = alice
            .js_string(
                &format!(
                    "return document.querySelector('{}').getAttribute('aria-label');",
                    reaction(id, "👍")
                ),
                "a label",
            )
            .await;
        assert_eq!(label, "👍 2: bob, alice");
        // A second emoji, then bob takes his 👍 back.
        pick_reaction(&alice, id, "🎉").await;
        wait_reaction(&bob, id, "🎉", json!([1, "false", "alice"])).await;
        alice.screenshot("two").await;
        bob.click(&reaction(id, "👍")).await;
        wait_reaction(&bob, id, "👍", json!([1, "false", "alice"])).await;
        wait_reaction(&alice, id, "👍", json!([1, "true", "alice"])).await;
        // alice takes hers back too: the emoji goes.
        alice.click(&reaction(id, "👍")).await;
        for page in [&alice, &bob] {
            wait_message(page, id, "👍 gone", "!m.querySelector('[data-reaction=\"👍\"]') && !!m.querySelector('[data-reaction=\"🎉\"]')").await;
        }
        bob.screenshot("after").await;
    });
}

/// The mentions in message `id`, once it shows two: each as `[text, is it
/// the reader's own]`.
async fn mentions(page: &Page, id: u64) -> Value {
    wait_message(
        page,
        id,
        "the mentions",
        "m.querySelectorAll('.mention').length === 2",
    )
    .await;
    page.eval(&format!(
        "const m = document.querySelector('[data-message-id=\"{id}\"]'); \
         return [...m.querySelectorAll('.mention')].map((s) => [s.textContent, s.classList.contains('me')]);"
    ))
    .await
}

#[test]
fn at_completion_and_mentions_highlighted() {
    scenario::with_server("mentions", &[], async |scene, server| {
        let (mut api, [bobby, carol]) = users(server, ["bobby", "carol"]);
        send_public(&mut api, &bobby, "bobby here");
        send_public(&mut api, &carol, "carol here");
        let bob = scene.live_user(server, "bob").await;
        bob.send("bob here").await;
        let alice = scene.live_user(server, "alice").await;
        alice.wait_for_message("bob here", STEP).await;

        // "@bo" offers bob and bobby (not carol, not alice herself).
        alice.type_into("#compose", "lunch @bo").await;
        let options = alice
            .wait_for(
                "the @ list",
                "const l = document.getElementById('mention-list'); \
                 const o = [...l.querySelectorAll('[role=option]')].map((o) => o.textContent); \
                 return !l.hidden && o.length === 2 ? o : null;",
            )
            .await;
        assert_eq!(options, json!(["bob", "bobby"]));
        alice.screenshot("completion").await;
        // Down, then Enter takes bobby; Enter again sends.
        alice.type_into("#compose", DOWN).await;
        alice.type_into("#compose", ENTER).await;
        assert_eq!(alice.draft().await, "lunch @bobby ");
        retype(&alice, "#compose", "lunch @bobby and @bob.").await;
        alice.type_into("#compose", ENTER).await;
        let id = bob
            .wait_for_message("lunch @bobby and @bob.", STEP)
            .await
            .id;

        // Both mentions stand out; bob's own more strongly in bob's page.
        for (page, marked) in [(&bob, true), (&alice, false)] {
            assert_eq!(
                mentions(page, id).await,
                json!([["@bobby", false], ["@bob", marked]]),
                "in {}'s page",
                page.who
            );
        }
        bob.screenshot("mentioned").await;

        // Away from the public chat, a mention there is marked in the list
        // (the server's count, /status `mentions`) until it is read.
        bob.type_into("#new-chat", &format!("carol{ENTER}")).await;
        bob.wait_title("Private chat with carol").await;
        send_public(&mut api, &bobby, "@bob again");
        send_public(&mut api, &bobby, "and not you");
        let public = "#chats [data-chat=\"public_chat\"]";
        let marked = bob
            .wait_for("the list's mention mark", &format!("const m = document.querySelector('{public} .mentioned'); \
                 return !!m && document.querySelector('{public} .unread')?.textContent === '2' && m.textContent;"))
            .await;
        assert_eq!(marked, json!("@1 mentioning you"));
        bob.screenshot("list-mark").await;
        bob.click(public).await;
        bob.wait_for_message("@bob again", STEP).await;
        bob.wait_for(
            "the mark gone",
            &format!("return !document.querySelector('{public} .mentioned');"),
        )
        .await;
    });
}

/// Pretends the tab is hidden (`true`) or shown again, as switching tabs does.
const VISIBILITY: &str = "Object.defineProperty(document, 'visibilityState', \
    { value: arguments[0] ? 'hidden' : 'visible', configurable: true }); \
    document.dispatchEvent(new Event('visibilitychange'));";

/// Records every notification the page shows in `window.shown`.
const SPY: &str = "window.shown = []; const Real = window.Notification; \
    window.Notification = class extends Real { \
      constructor(title, options) { window.shown.push([title, options.body]); super(title, options); } };";

#[test]
fn a_mention_notifies_while_the_tab_is_hidden() {
    scenario::with_server("notify", &[], async |scene, server| {
        let (mut api, [alice]) = users(server, ["alice"]);
        let bob = scene.live_user(server, "bob").await;
        // Never asked on load.
        assert_eq!(
            bob.eval("return Notification.permission;").await,
            json!("default")
        );
        bob.grant(scene.driver(), "notifications").await;
        bob.eval(SPY).await;
        bob.click("#notify").await;
        bob.wait_for(
            "the bell on",
            "return document.getElementById('notify').getAttribute('aria-pressed') === 'true';",
        )
        .await;

        bob.screenshot("bell-on").await;
        // Seen: nothing pops up.
        send_public(&mut api, &alice, "@bob while you look");
        bob.wait_for_message("@bob while you look", STEP).await;
        bob.js(VISIBILITY, vec![json!(true)]).await;
        send_public(&mut api, &alice, "nothing for bob");
        send_public(&mut api, &alice, "@bob are you there?");
        send_to(&mut api, &alice, "bob", "psst");
        let shown = bob
            .wait_for(
                "two notifications",
                "return window.shown.length >= 2 ? window.shown : null;",
            )
            .await;
        assert_eq!(
            shown,
            json!([
                ["alice mentioned you", "@bob are you there?"],
                ["alice wrote to you", "psst"]
            ])
        );
        bob.wait_for(
            "the title to count",
            "return document.title === '(3, 2 for you) agora';",
        )
        .await;
        bob.js(VISIBILITY, vec![json!(false)]).await;
        bob.wait_for(
            "the title to be read",
            "return document.title === '(1) agora';",
        )
        .await;
    });
}

#[test]
fn axe_finds_nothing_serious_in_the_edit_views() {
    let axe = crate::axe::axe_script();
    scenario::with_server("edits-axe", &[], async |scene, server| {
        let (mut api, [bob, carol]) = users(server, ["bob", "carol"]);
        let mut found = Vec::new();
        for (n, (size, dark, view)) in [
            (DESKTOP, false, "desktop-light"),
            (DESKTOP, true, "desktop-dark"),
            (PHONE, false, "phone-light"),
        ]
        .into_iter()
        .enumerate()
        {
            let me = format!("user{n}");
            let mut page = scene.open_themed(server, size, dark).await;
            page.register(&me).await;
            page.wait_live().await;
            // Someone else's message: mentions, reactions, an edit, a deleted comment.
            let id = send_public(&mut api, &bob, &format!("hi @{me} and @carol"));
            for (token, emoji) in [(&bob, "👍"), (&carol, "👍"), (&carol, "🎉")] {
                api.post(
                    "/react",
                    Some(token),
                    json!({ "message_id": id, "emoji": emoji }),
                )
                .expect(200);
            }
            api.post(
                "/edit",
                Some(&bob),
                json!({ "message_id": id, "message": format!("hi @{me}, @carol!") }),
            )
            .expect(200);
            let gone = crate::steps::comment(&mut api, &carol, id, "oops").expect(201);
            api.post(
                "/delete",
                Some(&carol),
                json!({ "comment_id": gone["comment_id"] }),
            )
            .expect(200);
            let dead = send_public(&mut api, &carol, "soon gone");
            api.post("/delete", Some(&carol), json!({ "message_id": dead }))
                .expect(200);
            let id = u64::try_from(id).unwrap();
            wait_message(&page, id, "the reactions", "m.querySelectorAll('[data-reaction]').length === 2 && !!m.querySelector('.comment.deleted')").await;
            // One's own message and comment, with the edit box and the picker open.
            page.send(&format!("mine {n}")).await;
            let mine = page.wait_for_message(&format!("mine {n}"), STEP).await.id;
            page.message_action(id, "comment").await;
            page.type_into(".comment-form input", &format!("my comment{ENTER}"))
                .await;
            wait_message(
                &page,
                id,
                "my comment",
                "!!m.querySelector('.comment-actions')",
            )
            .await;
            page.message_action(mine, "edit").await;
            page.message_action(id, "react-pick").await;
            page.type_into("#compose", "@car").await;
            page.wait_for(
                "the @ list",
                "return !document.getElementById('mention-list').hidden;",
            )
            .await;
            for v in crate::axe::violations(&page, &axe).await {
                found.push(format!("{view}: {v}"));
            }
            page.screenshot(view).await;
            page.close().await;
        }
        assert!(found.is_empty(), "axe-core:\n{}", found.join("\n"));
    });
}

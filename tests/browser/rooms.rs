//! Rooms, the user picker and history paging on the page (issue 25): a room
//! joined with one click, created, left, someone invited by picking their
//! name; a private chat started from the type-ahead with the keyboard;
//! "load older" back to a chat's beginning; a room opening at its first
//! unread message. axe checks the rooms views.

use crate::axe;
use crate::page::{DESKTOP, PHONE, STEP};
use crate::scenario;
use crate::steps::{send_public_all, send_to, users};
use serde_json::json;

/// How many messages the page shows of a chat (`li.message`).
const SHOWN: &str = "return document.querySelectorAll('#messages .message').length;";

#[test]
fn rooms_join_with_one_click_create_invite_and_leave() {
    let axe = axe::axe_script();
    scenario::with_server("rooms", &[], async |scene, server| {
        let (mut api, [bob, carol]) = users(server, ["bob", "carol"]);
        let body = json!({"room": "#lobby", "topic": "say hello here"});
        api.post("/rooms", Some(&bob), body).expect(201);
        let page = scene.live_user(server, "alice").await;

        // The public room is listed with its topic and members; one click joins it.
        let entry = "#rooms [data-room=\"#lobby\"]";
        page.wait_for("the room listed", &format!(
            "const r = document.querySelector('{entry}'); \
             return !!r && r.textContent.includes('say hello here') && r.textContent.includes('1 member');"
        ))
        .await;
        page.screenshot("listed").await;
        page.click(&format!("{entry} [data-action=\"join\"]")).await;
        page.wait_title("Room #lobby").await;
        page.wait_chat_listed("#lobby", true).await;
        page.wait_for(
            "the count to follow",
            &format!("return document.querySelector('{entry}').textContent.includes('2 members');"),
        )
        .await;
        send_to(&mut api, &bob, "#lobby", "welcome, alice");
        page.wait_for_message("welcome, alice", STEP).await;

        // A private room of one's own, created from the form.
        page.click("#new-room summary").await;
        page.type_into("#room-name", "studio").await;
        page.type_into("#room-topic", "drafts").await;
        page.click("#room-private").await;
        page.click("#create-room").await;
        page.wait_title("Room #studio").await;
        page.wait_for("the new room listed as private", "const r = document.querySelector('#rooms [data-room=\"#studio\"]'); \
             return !!r && r.textContent.includes('private') && !!document.querySelector('#chats [data-chat=\"#studio\"]');")
        .await;

        // A message in another room is counted there.
        send_to(&mut api, &bob, "#lobby", "are you there?");
        page.wait_unread("#lobby", 1, STEP).await;

        // Invite carol by picking her name from the type-ahead.
        page.click("#invite-room").await;
        page.type_into("#invite-user", "CA").await;
        page.wait_shown("#invite-form [role=option][data-user=\"carol\"]")
            .await;
        page.screenshot("invite-picker").await;
        let found = axe::violations(&page, &axe).await;
        assert!(found.is_empty(), "axe-core with the picker open: {found:?}");
        page.click("#invite-form [data-user=\"carol\"]").await;
        let said = page.notice("the invitation confirmed").await;
        assert_eq!(said, "You invited carol to #studio.");
        let rooms = api.get("/rooms", Some(&carol)).expect(200);
        let studio = crate::steps::entry(&rooms["rooms"], "room", "#studio")
            .expect("carol sees the room she is invited to");
        assert_eq!(studio["membership"], "invited");
        page.screenshot("invited").await;

        // Leaving takes the room out of the chats and back to the public chat.
        page.click("#leave-room").await;
        page.wait_title("Public chat").await;
        page.wait_chat_listed("#studio", false).await;
        let found = axe::violations(&page, &axe).await;
        assert!(found.is_empty(), "axe-core with rooms listed: {found:?}");
        page.screenshot("left").await;
        let token = page.token().await;
        page.close().await;

        // On a phone, in the dark: the rooms section and a room's head.
        let mut phone = scene.open_themed(server, PHONE, true).await;
        phone.sign_in(&token, "alice").await;
        phone
            .click(&format!("{entry} [data-action=\"open\"]"))
            .await;
        phone.wait_title("Room #lobby").await;
        let found = axe::violations(&phone, &axe).await;
        assert!(found.is_empty(), "axe-core on a phone: {found:?}");
        phone.screenshot("phone-dark").await;
    });
}

#[test]
fn the_user_picker_starts_a_private_chat_from_the_keyboard() {
    scenario::with_server("picker", &[], async |scene, server| {
        let mut api = server.client();
        for name in ["bob", "Bobby", "carol"] {
            api.token(name);
        }
        let page = scene.signed_up(server, DESKTOP, "alice").await;
        page.type_into("#new-chat", "bo").await;
        let offered = page
            .wait_for(
                "two names offered",
                "const o = [...document.querySelectorAll('#new-chat-form [role=option]')]; \
                 return o.length === 2 && o.map((e) => e.textContent).join(',');",
            )
            .await;
        assert_eq!(offered, json!("bob,Bobby"));
        page.screenshot("offered").await;
        // Down twice, Enter: the second name.
        page.type_into("#new-chat", "\u{E015}\u{E015}").await;
        let active = page
            .eval(
                "return document.getElementById('new-chat').getAttribute('aria-activedescendant');",
            )
            .await;
        let selected = page
            .eval(
                "return document.querySelector('#new-chat-form [aria-selected=true]').textContent;",
            )
            .await;
        assert!(active.is_string(), "no active option: {active}");
        assert_eq!(selected, json!("Bobby"));
        page.type_into("#new-chat", "\u{E007}").await;
        page.wait_title("Private chat with Bobby").await;
        page.wait_for(
            "the list closed",
            "return document.querySelector('#new-chat-form [role=listbox]').hidden;",
        )
        .await;
    });
}

#[test]
fn load_older_pages_back_to_the_beginning() {
    scenario::with_server("older", &["--quota", "500"], async |scene, server| {
        let (mut api, [bob]) = users(server, ["bob"]);
        send_public_all(&mut api, &bob, (1..=120).map(|i| format!("old {i}")));
        // A new user starts caught up: all 120 are history.
        let page = scene.live_user(server, "alice").await;
        page.wait_for_message("old 120", STEP).await;
        assert_eq!(page.eval(SHOWN).await, json!(50));
        // Scrolled to the top once the page has settled (a late layout
        // change keeps a view that was at the end there).
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        page.eval("document.getElementById('messages').scrollTop = 0;")
            .await;
        page.screenshot("load-older").await;

        // Load older until the beginning: 50, 50, then the last 20; the
        // focus stays on the button for the next page (keyboard users).
        for shown in [100, 120] {
            page.click("#messages [data-action=\"load-older\"]").await;
            page.wait_for_with(
                &format!("{shown} messages"),
                "return document.querySelectorAll('#messages .message').length === arguments[0];",
                vec![json!(shown)],
            )
            .await;
            if shown == 100 {
                let focused = page
                    .eval("return document.activeElement.dataset.action ?? null;")
                    .await;
                assert_eq!(focused, json!("load-older"));
            }
        }
        page.wait_for(
            "the beginning",
            "return !document.querySelector('#messages [data-action=\"load-older\"]') \
             && document.querySelector('#messages .beginning') !== null;",
        )
        .await;
        let shown = page.messages().await;
        assert_eq!(shown[0].text, "old 1");
        let ids: Vec<u64> = shown.iter().map(|m| m.id).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "out of order: {ids:?}");
        page.eval("document.getElementById('messages').scrollTop = 0;")
            .await;
        page.screenshot("beginning").await;
    });
}

#[test]
fn a_room_opens_at_its_first_unread_and_pages_back() {
    scenario::with_server("room-unread", &["--quota", "500"], async |scene, server| {
        let (mut api, [bob, alice]) = users(server, ["bob", "alice"]);
        api.post("/rooms", Some(&bob), json!({"room": "#big"}))
            .expect(201);
        api.post("/join", Some(&alice), json!({"room": "#big"}))
            .expect(200);
        for i in 1..=70 {
            send_to(&mut api, &bob, "#big", &format!("seen {i}"));
        }
        // Alice reads the room up to here; three more come after.
        let chat = json!({"chat_with": "#big", "messages_number": 1});
        api.post("/connect", Some(&alice), chat).expect(200);
        for i in 1..=3 {
            send_to(&mut api, &bob, "#big", &format!("late {i}"));
        }

        let mut page = scene.open(server, DESKTOP).await;
        page.sign_in(&alice, "alice").await;
        page.wait_live().await;
        page.wait_unread("#big", 3, STEP).await;
        page.click("#chats [data-chat=\"#big\"] button").await;
        page.wait_title("Room #big").await;
        let seen = page.first_unread_in_view("the first unread in view").await;
        assert_eq!(seen, json!("late 1"));
        page.screenshot("first-unread").await;
        page.click("#messages [data-action=\"load-older\"]").await;
        page.wait_shown("#messages .beginning").await;
        assert_eq!(page.eval(SHOWN).await, json!(73));
    });
}

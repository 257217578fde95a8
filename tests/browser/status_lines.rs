//! Status lines that stay true: the quota line counts down and comes back
//! when the window resets, a refusal's "try again at" goes away then,
//! "cannot reach the server" goes away when the page is live again,
//! "reconnecting in N s" counts down, and a ban hides the quota line (and
//! Enter sends nothing while it lasts).

use crate::page::{Says, DESKTOP};
use crate::scenario;
use serde_json::json;
use std::time::Duration;

/// One public message a window of 6 s: the window resets while the
/// scenario watches.
const SHORT_WINDOW: [&str; 4] = ["--quota", "1", "--quota-window", "6s"];

#[test]
fn quota_line_and_refusal_follow_the_window() {
    scenario::with_server("quota-window", &SHORT_WINDOW, async |scene, server| {
        let page = scene.signed_up(server, DESKTOP, "alice").await;
        page.send("one").await;
        let first = page
            .wait_line("quota", Says::StartsWith("No public messages left"))
            .await;
        page.type_into("#compose", "two\u{e007}").await;
        page.wait_line("notice", Says::Includes("try again at"))
            .await;
        // The wait counts down...
        page.wait_until(
            "the quota line to count down",
            Duration::from_secs(3),
            "const t = document.getElementById('quota').textContent; \
             return t.startsWith('No public messages left') && t !== arguments[0];",
            vec![json!(first)],
        )
        .await;
        page.screenshot("spent").await;
        // ... and when the window resets, both lines say what is true now.
        let back = Says::Includes("left in this window: 1");
        page.wait_line_within("quota", back, Duration::from_secs(12))
            .await;
        page.wait_line("notice", Says::Nothing).await;
        assert_eq!(page.draft().await, "two", "the refused text stays");
    });
}

#[test]
fn connection_lines_count_down_and_go_away() {
    scenario::run("reconnect-lines", async |scene| {
        let place = scenario::SamePlace::new();
        let server = place.start();
        let page = scene.live_user(&server, "alice").await;
        server.stop();
        // "reconnecting in N s…" counts down to the next try (N of 2 or more
        // comes within a few failed tries; a new try only ever waits longer).
        let read = "const m = /reconnecting in (\\d+) s/.exec(document.getElementById('live').textContent); \
                    return m ? Number(m[1]) : 0;";
        let n = page
            .wait_until(
                "a wait of 2 s or more",
                Duration::from_secs(20),
                &format!("const n = (() => {{ {read} }})(); return n >= 2 && n;"),
                vec![],
            )
            .await;
        let n = n.as_u64().unwrap();
        page.wait_until(
            "the countdown",
            Duration::from_millis(1500),
            &format!("const n = (() => {{ {read} }})(); return n > 0 && n < arguments[0];"),
            vec![json!(n)],
        )
        .await;
        page.screenshot("counting-down").await;
        // A send while the server is away: said so, and kept.
        page.type_into("#compose", "while away\u{e007}").await;
        let away = Says::StartsWith("Cannot reach the server");
        page.wait_line_within("notice", away, Duration::from_secs(15))
            .await;
        let _server = place.start();
        page.wait_live().await;
        page.wait_line("notice", Says::Nothing).await;
        assert_eq!(page.draft().await, "while away");
    });
}

#[test]
fn a_ban_hides_the_quota_line_and_enter_sends_nothing() {
    scenario::with_server("banned", &[], async |scene, server| {
        let page = scene.signed_up(server, DESKTOP, "alice").await;
        page.send("something to report").await;
        page.wait_line("quota", Says::Includes("left")).await;
        let mut api = server.client();
        for reporter in ["carol", "dave", "erin"] {
            let token = api.token(reporter);
            api.post(
                "/report",
                Some(&token),
                json!({ "report_on": "alice", "chat_type": "public" }),
            )
            .expect(201);
        }
        page.wait_for(
            "the ban banner",
            "return !document.getElementById('ban-banner').hidden;",
        )
        .await;
        page.wait_line("quota", Says::Nothing).await;
        page.record_posts().await;
        page.type_into("#compose", "while banned\u{e007}").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            page.posts_to("/send").await.len(),
            0,
            "Enter tried to send while banned"
        );
        assert_eq!(page.draft().await, "while banned");
        page.screenshot("banned").await;
    });
}

/// The page's /status refresh answers every ask, however they overlap: an
/// ask made while an earlier one waits shares its call, and neither waits
/// forever (a room just created stayed unopened when its own `member`
/// event asked for /status while the creation awaited its own ask). Runs
/// the page's own module in a real browser.
#[test]
fn every_status_ask_is_answered_by_one_call() {
    scenario::with_server("status-asks", &[], async |scene, server| {
        let page = scene.open(server, DESKTOP).await;
        let script = "const done = arguments[arguments.length - 1]; \
            import('/assets/js/status.js').then(async ({ StatusRefresh }) => { \
              let calls = 0; \
              const refresh = new StatusRefresh(async () => { calls += 1; }); \
              const answered = []; \
              const soon = refresh.ask(0).then(() => answered.push('soon')); \
              const later = refresh.ask(300).then(() => answered.push('later')); \
              const timeout = new Promise((resolve) => setTimeout(resolve, 3000)); \
              await Promise.race([Promise.all([soon, later]), timeout]); \
              const callsForBoth = calls; \
              await refresh.ask(0); \
              done({ answered: answered.sort(), callsForBoth, callsAfter: calls }); \
            }, (e) => done({ error: String(e) }));";
        let seen = page.js_async(script, vec![]).await;
        assert_eq!(
            seen,
            json!({"answered": ["later", "soon"], "callsForBoth": 1, "callsAfter": 2}),
            "each ask answered, overlapping asks sharing one call"
        );
    })
}

//! One person at the web client: a Chromium window on the server's page, with
//! the steps a person takes (through the page's stable hooks: `#name`,
//! `#register`, `#compose`, `#send`, `#messages`, `#chats`) and what they see.

use crate::chrome::Driver;
use crate::harness::Server;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long any step may take before the scenario fails.
pub const STEP: Duration = Duration::from_secs(10);

/// A phone's width and height, in CSS pixels.
pub const PHONE: (u32, u32) = (390, 844);
pub const DESKTOP: (u32, u32) = (1100, 720);

/// A message as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub id: u64,
    pub author: String,
    pub text: String,
}

/// What a line of the page (an element's text: the notice, the quota line)
/// is waited for to say, in [`Page::wait_line`].
#[derive(Debug, Clone, Copy)]
pub enum Says<'a> {
    /// Nothing: the line is empty.
    Nothing,
    Exactly(&'a str),
    Includes(&'a str),
    StartsWith(&'a str),
}

impl<'a> Says<'a> {
    /// The JavaScript test of the line's text `t` against the words `w`,
    /// and those words.
    fn script(self) -> (&'static str, &'a str) {
        match self {
            Says::Nothing => ("t === w", ""),
            Says::Exactly(words) => ("t === w", words),
            Says::Includes(words) => ("t.includes(w)", words),
            Says::StartsWith(words) => ("t.startsWith(w)", words),
        }
    }
}

pub struct Page {
    client: Client,
    scenario: &'static str,
    /// Who is signed in (for file names and messages).
    pub who: String,
}

/// Where screenshots go: `target/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| agora_tests::workspace_root().join("target"));
    target.join("screenshots")
}

impl Page {
    /// The page of `server` loaded in `client`, a fresh browser
    /// ([`crate::scenario::Scene`] opens them).
    pub async fn load(client: Client, server: &Server, scenario: &'static str) -> Page {
        let base = format!("http://{}/", server.addr);
        client.goto(&base).await.expect("load the page");
        Page {
            client,
            scenario,
            who: "nobody".to_owned(),
        }
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script in {}'s page failed: {e}", self.who))
    }

    /// [`Page::js`] without arguments: the common case, said in one call.
    pub async fn eval(&self, script: &str) -> Value {
        self.js(script, vec![]).await
    }

    /// Waits until `script` returns something truthy, and returns it; fails
    /// (with a screenshot) after `within`.
    pub async fn wait_until(
        &self,
        what: &str,
        within: Duration,
        script: &str,
        args: Vec<Value>,
    ) -> Value {
        let started = Instant::now();
        loop {
            let value = self.js(script, args.clone()).await;
            let truthy = !matches!(&value, Value::Null | Value::Bool(false))
                && value != json!("")
                && value != json!(0);
            if truthy {
                return value;
            }
            if started.elapsed() > within {
                self.screenshot("failure").await;
                panic!(
                    "{}'s page: {what} did not happen within {within:?}",
                    self.who
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// [`Page::wait_until`] with the usual bound ([`STEP`]) and no arguments:
    /// the common case, said in one line.
    pub async fn wait_for(&self, what: &str, script: &str) -> Value {
        self.wait_until(what, STEP, script, vec![]).await
    }

    /// [`Page::wait_until`] with the usual bound ([`STEP`]): `script` is
    /// given `args`.
    pub async fn wait_for_with(&self, what: &str, script: &str, args: Vec<Value>) -> Value {
        self.wait_until(what, STEP, script, args).await
    }

    /// The welcome screen's error line, once it says something (`what`
    /// names the wait in a failure).
    pub async fn welcome_error(&self, what: &str) -> String {
        self.said_in("welcome-error", what).await
    }

    /// The text of the element with the id `id`, once it says something
    /// (`what` names the wait in a failure).
    async fn said_in(&self, id: &str, what: &str) -> String {
        let said = self
            .wait_for_with(
                what,
                "return document.getElementById(arguments[0]).textContent;",
                vec![json!(id)],
            )
            .await;
        said.as_str().expect("an element's text").to_owned()
    }

    /// Empties the input with the id `id`.
    pub async fn clear_input(&self, id: &str) {
        self.js(
            "document.getElementById(arguments[0]).value = '';",
            vec![json!(id)],
        )
        .await;
    }

    /// The text of the message marked first unread, once it is within the
    /// message list's box (the list scrolled to it, not left above).
    pub async fn first_unread_in_view(&self, what: &str) -> Value {
        self.wait_for(
            what,
            "const m = document.querySelector('#messages [data-first-unread]'); \
             const box = document.getElementById('messages').getBoundingClientRect(); \
             if (!m) return false; const r = m.getBoundingClientRect(); \
             return r.top >= box.top && r.top < box.bottom && m.querySelector('.text').textContent;",
        )
        .await
    }

    /// Clicks the element; found again when the page replaced it between
    /// finding and clicking (the chat list is rebuilt on every /status).
    pub async fn click(&self, css: &str) {
        for attempt in 1.. {
            match self.find(css).await.click().await {
                Ok(_) => return,
                Err(e) if attempt < 5 && e.to_string().contains("stale element") => continue,
                Err(e) => panic!("click {css}: {e}"),
            }
        }
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        let shown = format!("{css} is shown");
        let script = "const e = document.querySelector(arguments[0]); return !!e && e.offsetParent !== null;";
        self.wait_until(&shown, STEP, script, vec![json!(css)])
            .await;
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"))
    }

    /// The text of the first element matching `css` ("" when there is none).
    pub async fn text(&self, css: &str) -> String {
        let script =
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';";
        self.js(script, vec![json!(css)])
            .await
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    /// Creates a user from the welcome screen and waits for the public chat.
    pub async fn register(&mut self, name: &str) {
        self.type_into("#name", name).await;
        self.click("#register").await;
        self.signed_in_as(name).await;
    }

    /// Signs in from the welcome screen with `token`, `name`'s, and waits
    /// for the chat.
    pub async fn sign_in(&mut self, token: &str, name: &str) {
        self.type_into("#token-input", token).await;
        self.click("#signin").await;
        self.signed_in_as(name).await;
    }

    /// Waits for the page to show the chat as `name`.
    pub async fn signed_in_as(&mut self, name: &str) {
        let script = "return document.getElementById('me').textContent === arguments[0] \
                      && !document.getElementById('app').hidden \
                      && document.getElementById('chat-title').textContent !== '';";
        self.wait_for_with(&format!("signing in as {name}"), script, vec![json!(name)])
            .await;
        self.who = name.to_owned();
    }

    /// Waits until the page's notice line says something (`what`, in a
    /// failure), and returns what it says.
    pub async fn notice(&self, what: &str) -> String {
        self.said_in("notice", what).await
    }

    /// Types a message and presses Send.
    pub async fn send(&self, text: &str) {
        self.type_into("#compose", text).await;
        self.click("#send").await;
        self.wait_for(
            "the composer to empty",
            "return document.getElementById('compose').value === '';",
        )
        .await;
    }

    /// The messages of the open chat, in order.
    pub async fn messages(&self) -> Vec<Shown> {
        let script =
            "return [...document.querySelectorAll('#messages [data-message-id]')].map((m) => \
                      [Number(m.dataset.messageId), m.querySelector('.author').textContent, \
                       m.querySelector('.text').textContent]);";
        let rows = self.js(script, vec![]).await;
        rows.as_array()
            .expect("a list")
            .iter()
            .map(|row| Shown {
                id: row[0].as_u64().expect("an id"),
                author: row[1].as_str().unwrap().to_owned(),
                text: row[2].as_str().unwrap().to_owned(),
            })
            .collect()
    }

    /// Waits until the open chat shows a message with exactly this text.
    pub async fn wait_for_message(&self, text: &str, within: Duration) -> Shown {
        let script = "return [...document.querySelectorAll('#messages [data-message-id]')] \
                      .some((m) => m.querySelector('.text').textContent === arguments[0]);";
        self.wait_until(
            &format!("message {text:?} shown"),
            within,
            script,
            vec![json!(text)],
        )
        .await;
        self.messages()
            .await
            .into_iter()
            .find(|m| m.text == text)
            .expect("shown")
    }

    /// Saves what the window shows as `target/screenshots/<scenario>-<who>-<label>.png`.
    pub async fn screenshot(&self, label: &str) {
        let png = match self.client.screenshot().await {
            Ok(png) => png,
            Err(e) => {
                eprintln!("no screenshot of {}'s page: {e}", self.who);
                return;
            }
        };
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("create target/screenshots");
        let path = dir.join(format!("{}-{}-{label}.png", self.scenario, self.who));
        std::fs::write(&path, png).expect("write a screenshot");
    }

    /// Reloads the page (as a person pressing F5).
    pub async fn reload(&self) {
        self.client.refresh().await.expect("reload");
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

impl Page {
    /// The text of an open alert, if a script opened one.
    pub async fn alert_text(&self) -> Option<String> {
        self.client.get_alert_text().await.ok()
    }

    /// Whether each element is wholly inside the viewport.
    pub async fn in_view(&self, ids: &[&str]) -> Vec<bool> {
        let script = "return arguments[0].map((id) => { \
                      const r = document.getElementById(id).getBoundingClientRect(); \
                      return r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 \
                      && r.right <= window.innerWidth && r.bottom <= window.innerHeight; });";
        let value = self.js(script, vec![json!(ids)]).await;
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v == &json!(true))
            .collect()
    }
}

impl Page {
    /// Runs an asynchronous `script`: its last argument is the callback
    /// that ends it with a value.
    pub async fn js_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute_async(script, args)
            .await
            .unwrap_or_else(|e| panic!("async script in {}'s page failed: {e}", self.who))
    }
}

impl Page {
    /// Waits until the page's event stream is connected.
    pub async fn wait_live(&self) {
        let script = "return document.getElementById('live').dataset.state === 'live';";
        self.wait_until(
            "the live connection",
            Duration::from_secs(20),
            script,
            vec![],
        )
        .await;
    }

    /// The token the page keeps.
    pub async fn token(&self) -> String {
        self.js_string(
            "return localStorage.getItem('agora.token');",
            "a kept token",
        )
        .await
    }

    /// The string `script` returns; fails, saying `what` was expected,
    /// when it returns anything else.
    pub async fn js_string(&self, script: &str, what: &str) -> String {
        let value = self.eval(script).await;
        value.as_str().expect(what).to_owned()
    }
}

impl Page {
    /// Clicks a message's action (`comment`, `report`), opening the message's
    /// "…" menu first when it is closed.
    pub async fn message_action(&self, id: u64, action: &str) {
        let menu = format!("[data-message-id=\"{id}\"] [data-action=menu]");
        let open = self
            .js(
                "const b = document.querySelector(arguments[0]); return !!b && b.getAttribute('aria-expanded') === 'true';",
                vec![json!(menu)],
            )
            .await;
        if open != json!(true) {
            self.click(&menu).await;
        }
        self.click(&format!(
            "[data-message-id=\"{id}\"] [data-action={action}]"
        ))
        .await;
    }

    /// The composer's text.
    pub async fn draft(&self) -> String {
        self.js_string("return document.getElementById('compose').value;", "a text")
            .await
    }

    /// Waits until the element `#id` says what `says` says, and returns its
    /// text.
    pub async fn wait_line(&self, id: &str, says: Says<'_>) -> String {
        self.wait_line_within(id, says, STEP).await
    }

    /// [`Page::wait_line`] up to `within` (a line that changes with time).
    pub async fn wait_line_within(&self, id: &str, says: Says<'_>, within: Duration) -> String {
        let (test, words) = says.script();
        // An array, so that an empty line that is waited for is truthy.
        let script = format!(
            "const t = document.getElementById(arguments[0]).textContent; \
             const w = arguments[1]; return ({test}) && [t];"
        );
        let seen = self
            .wait_until(
                &format!("#{id} to say {says:?}"),
                within,
                &script,
                vec![json!(id), json!(words)],
            )
            .await;
        seen[0].as_str().expect("the line's text").to_owned()
    }

    /// Waits until something on the page matches `css`.
    pub async fn wait_shown(&self, css: &str) {
        self.wait_for_with(
            &format!("{css} to be shown"),
            "return !!document.querySelector(arguments[0]);",
            vec![json!(css)],
        )
        .await;
    }

    /// Waits until the open chat's title is `title`.
    pub async fn wait_title(&self, title: &str) {
        self.wait_line("chat-title", Says::Exactly(title)).await;
    }

    /// Types `typed` into the new-chat field and presses Open: the private
    /// chat with that user, or a refusal.
    pub async fn open_chat_with(&self, typed: &str) {
        self.type_into("#new-chat", typed).await;
        self.click("#open-chat").await;
    }

    /// Picks the chat `chat` from the list and waits for its title.
    pub async fn pick_chat(&self, chat: &str, title: &str) {
        self.click(&format!("#chats [data-chat=\"{chat}\"]")).await;
        self.wait_title(title).await;
    }

    /// Waits until the chat list has `chat` in it (`listed`) or no longer
    /// has it.
    pub async fn wait_chat_listed(&self, chat: &str, listed: bool) {
        let state = if listed { "among" } else { "gone from" };
        self.wait_for_with(
            &format!("{chat} {state} the chats"),
            "return !!document.querySelector(`#chats [data-chat=\"${arguments[0]}\"]`) === arguments[1];",
            vec![json!(chat), json!(listed)],
        )
        .await;
    }

    /// Waits (up to `within`) until the list shows `count` unread on `chat`.
    pub async fn wait_unread(&self, chat: &str, count: u32, within: Duration) {
        self.wait_until(
            &format!("{count} unread on {chat}"),
            within,
            "const u = document.querySelector(`#chats [data-chat=\"${arguments[0]}\"] .unread`); \
             return !!u && u.textContent === String(arguments[1]);",
            vec![json!(chat), json!(count)],
        )
        .await;
    }

    /// Signs out (the second press confirms) and waits for the welcome screen.
    pub async fn sign_out(&self) {
        self.click("#sign-out").await;
        self.click("#sign-out").await;
        self.wait_welcome().await;
    }

    /// Waits until the welcome screen is shown.
    pub async fn wait_welcome(&self) {
        self.wait_for(
            "the welcome screen",
            "return !document.getElementById('welcome').hidden;",
        )
        .await;
    }

    /// Records every POST the page makes in `window.posts` (`url`, the
    /// `Idempotency-Key` it carried, when), and lets a test plan what the
    /// next `/send` requests meet: `window.plan` = ["fail" (a network
    /// error), "503" (with Retry-After: 1), "slow" (400 ms more), ...].
    pub async fn record_posts(&self) {
        let script = r#"
            window.posts = [];
            window.plan = [];
            const real = window.fetch;
            window.fetch = async (url, init = {}) => {
              if (init.method === 'POST') {
                window.posts.push({ url: String(url), key: (init.headers || {})['Idempotency-Key'] ?? null,
                                    at: performance.now() });
              }
              if (init.method === 'POST' && String(url).endsWith('/send')) {
                const next = window.plan.shift();
                if (next === 'fail') throw new TypeError('Failed to fetch');
                if (next === '503') {
                  return new Response('{"error":"busy","code":"overloaded"}',
                    { status: 503, headers: { 'Retry-After': '1', 'Content-Type': 'application/json' } });
                }
                if (next === 'slow') await new Promise((resolve) => { setTimeout(resolve, 400); });
              }
              return real(url, init);
            };"#;
        self.js(script, vec![]).await;
    }

    /// The POSTs recorded since `record_posts` to paths ending in `path`.
    pub async fn posts_to(&self, path: &str) -> Vec<Value> {
        let posts = self
            .js(
                "return window.posts.filter((p) => p.url.endsWith(arguments[0]));",
                vec![json!(path)],
            )
            .await;
        posts.as_array().expect("a list").clone()
    }
}

impl Page {
    /// Grants this browser a permission (`notifications`, ...) for the page,
    /// as a person answering "Allow" would: WebDriver's Set Permission.
    pub async fn grant(&self, driver: &Driver, permission: &str) {
        let session = self.client.session_id().await.expect("a session id");
        let session = session.expect("a session");
        let mut chromedriver = crate::client::Client::connect(driver.addr());
        chromedriver
            .post(
                &format!("/session/{session}/permissions"),
                None,
                json!({ "descriptor": { "name": permission }, "state": "granted" }),
            )
            .expect(200);
    }
}

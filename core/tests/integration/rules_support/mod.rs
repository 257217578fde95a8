//! A server in a test: `api::decode` -> `rules::apply` over the model ->
//! `api::encode`, with a clock the test moves and deterministic tokens.
#![allow(dead_code)]

use agora_core::api;
use agora_core::config::Config;
use agora_core::http::{Request, Response, Version};
use agora_core::rules;
use agora_core::time::UnixMillis;
use agora_core::token::Token;
use agora_testkit::model::Model;
use serde_json::Value;

mod world;
pub use world::World;

/// 2026-11-29T08:00:00.000Z
pub const T0: i64 = 1_795_939_200_000;

pub struct Server {
    pub model: Model,
    pub config: Config,
    pub now: UnixMillis,
    /// The client address requests come from.
    pub client: std::net::IpAddr,
    tokens_drawn: u64,
}

pub fn request(method: &str, target: &str, auth: Option<&str>, body: &str) -> Request {
    let mut headers = vec![("Host".to_owned(), b"localhost".to_vec())];
    if let Some(token) = auth {
        headers.push((
            "Authorization".to_owned(),
            format!("Bearer {token}").into_bytes(),
        ));
    }
    Request {
        method: method.to_owned(),
        target: target.to_owned(),
        version: Version::Http11,
        headers: headers.into_iter().collect(),
        body: body.as_bytes().to_vec(),
    }
}

pub fn body(response: &Response) -> Value {
    serde_json::from_slice(&response.body).expect("response body is JSON")
}

/// The default rules without the limits on new accounts
/// (`--register-rate 0 --reporter-min-age 0s`): what most rules tests
/// need, as they register many users from one address and report at once.
pub fn seed_config() -> Config {
    Config {
        register_rate: 0,
        reporter_min_age_ms: 0,
        ..Config::default()
    }
}

impl Server {
    /// A server with [`seed_config`].
    pub fn new() -> Server {
        Server::with_config(seed_config())
    }

    /// A server with [`seed_config`] as `change` leaves it: the one or two
    /// limits a test is about, said in one line.
    pub fn seeded(change: impl FnOnce(&mut Config)) -> Server {
        let mut config = seed_config();
        change(&mut config);
        Server::with_config(config)
    }

    pub fn with_config(config: Config) -> Server {
        Server {
            model: Model::new(UnixMillis(T0)),
            config,
            now: UnixMillis(T0),
            client: std::net::Ipv4Addr::LOCALHOST.into(),
            tokens_drawn: 0,
        }
    }

    pub fn advance(&mut self, ms: u64) {
        self.now = self.now.plus_ms(ms);
    }

    pub fn handle(&mut self, request: &Request) -> Response {
        let drawn = &mut self.tokens_drawn;
        let mut fresh = || {
            *drawn += 1;
            let mut bytes = [0u8; 16];
            bytes[..8].copy_from_slice(&drawn.to_be_bytes());
            bytes[8] = 0x5a;
            Token(bytes)
        };
        match api::decode(request, &self.config, self.client, &mut fresh) {
            Err(response) => response,
            Ok(command) => {
                let outcome = rules::apply(&command, &mut self.model, self.now, &self.config)
                    .expect("the model never fails");
                api::encode(&outcome)
            }
        }
    }

    pub fn call(&mut self, method: &str, path: &str, token: Option<&str>, json: &str) -> Response {
        self.handle(&request(method, path, token, json))
    }

    /// Registers `name` and returns its token.
    pub fn register(&mut self, name: &str) -> String {
        let r = self.call(
            "POST",
            "/get-token",
            None,
            &format!(r#"{{"user_name":"{name}"}}"#),
        );
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        body(&r)["token"].as_str().unwrap().to_owned()
    }

    /// Registers each name, in order, and returns their tokens.
    pub fn register_all<const N: usize>(&mut self, names: [&str; N]) -> [String; N] {
        names.map(|name| self.register(name))
    }

    pub fn send(&mut self, token: &str, to: Option<&str>, text: &str) -> Response {
        let json = match to {
            Some(to) => serde_json::json!({"message": text, "send_to": to}),
            None => serde_json::json!({"message": text}),
        };
        self.call("POST", "/send", Some(token), &json.to_string())
    }

    pub fn connect(&mut self, token: &str, with: Option<&str>, n: Option<u32>) -> Response {
        let mut json = serde_json::Map::new();
        if let Some(with) = with {
            json.insert("chat_with".into(), with.into());
        }
        if let Some(n) = n {
            json.insert("messages_number".into(), n.into());
        }
        self.call(
            "POST",
            "/connect",
            Some(token),
            &Value::Object(json).to_string(),
        )
    }

    pub fn status(&mut self, token: &str) -> Response {
        self.call("GET", "/status", Some(token), "")
    }

    pub fn report(&mut self, token: &str, on: &str, chat_type: &str) -> Response {
        let json = serde_json::json!({"report_on": on, "chat_type": chat_type});
        self.call("POST", "/report", Some(token), &json.to_string())
    }

    pub fn comment(&mut self, token: &str, message_id: i64, text: &str) -> Response {
        let json = serde_json::json!({"message_id": message_id, "comment": text});
        self.call("POST", "/comment", Some(token), &json.to_string())
    }
}

/// Asserts an error response: status, `code` and (if given) `field`.
#[track_caller]
pub fn assert_error(r: &Response, status: u16, code: &str, field: Option<&str>) {
    let b = body(r);
    assert_eq!(r.status, status, "{b}");
    assert_eq!(b["code"], code, "{b}");
    assert!(b["error"].as_str().is_some_and(|e| !e.is_empty()), "{b}");
    match field {
        Some(f) => assert_eq!(b["field"], f, "{b}"),
        None => assert!(b.get("field").is_none(), "{b}"),
    }
}

/// Ids of a list of message objects.
pub fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

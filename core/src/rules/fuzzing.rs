//! Entry points for the fuzz targets (`fuzz/`), kept here so that they are
//! one-liners there. Each panics only when an invariant breaks.

use crate::api;
use crate::command::{ChatRef, ChatType, Command, Outcome};
use crate::config::Config;
use crate::http::{Request, Version};
use crate::model::Model;
use crate::time::UnixMillis;
use crate::token::Token;

const NAMES: [&str; 4] = ["ann", "Bob", "cy", "Dee"];

/// Reads `data` as a sequence of commands among four users and applies them
/// to a fresh [`Model`] with small limits, encoding every outcome. Checks that
/// nothing panics, the model never fails, message ids increase and no
/// response is a 500.
pub fn command_sequence(data: &[u8]) {
    let config = Config {
        history_max: 5,
        quota: 3,
        quota_window_ms: 5_000,
        ban_threshold: 2,
        ban_ms: 10_000,
        max_text_chars: 8,
        unread_max: 3,
        ..Config::default()
    };
    let mut model = Model::new(UnixMillis(0));
    let mut now = UnixMillis(0);
    let mut last_message = 0;
    let token = |i: u8| Token([i % 4 + 1; 16]);
    let name = |i: u8| NAMES[usize::from(i % 4)].to_owned();
    for op in data.chunks_exact(3) {
        let (kind, a, b) = (op[0], op[1], op[2]);
        let caller = token(a).hash();
        let command = match kind % 8 {
            0 => Command::GetToken {
                user_name: name(a).to_uppercase(),
                token: token(a),
            },
            1 => Command::Connect {
                caller,
                chat: chat(b, name(b)),
                messages_number: u32::from(b % 5) + 1,
            },
            2 => Command::Status { caller },
            3 => Command::Send {
                caller,
                to: chat(b, name(b)),
                text: "m".into(),
            },
            4 => Command::Comment {
                caller,
                message_id: i64::from(b % 16),
                text: "c".into(),
            },
            5 => Command::Report {
                caller,
                target: name(b),
                chat_type: if b & 4 == 0 {
                    ChatType::Public
                } else {
                    ChatType::Private
                },
            },
            _ => {
                now = now.plus_ms(u64::from(a) * u64::from(b) * 10);
                continue;
            }
        };
        let outcome =
            crate::rules::apply(&command, &mut model, now, &config).expect("the model never fails");
        if let Outcome::MessageSent { message_id, .. } = outcome {
            assert!(message_id > last_message, "message ids must increase");
            last_message = message_id;
        }
        let response = api::encode(&outcome);
        assert!(response.status != 500, "{outcome:?}");
        assert!(serde_json::from_slice::<serde_json::Value>(&response.body).is_ok());
    }
}

fn chat(b: u8, name: String) -> ChatRef {
    if b & 8 == 0 {
        ChatRef::Public
    } else {
        ChatRef::Private(name)
    }
}

/// Reads `data` as a request (first byte picks the method and path, the rest
/// is split into an `Authorization` value and a body at the first `\n`) and
/// decodes it. Checks that nothing panics and that every refusal is an error
/// object with a 4xx/5xx status.
pub fn decode_request(data: &[u8]) {
    const ROUTES: [(&str, &str); 8] = [
        ("POST", "/get-token"),
        ("POST", "/connect"),
        ("GET", "/status"),
        ("POST", "/send"),
        ("POST", "/comment"),
        ("POST", "/report"),
        ("PUT", "/send"),
        ("POST", "/nope"),
    ];
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (method, path) = ROUTES[usize::from(pick % 8)];
    let (auth, body) = match rest.iter().position(|&c| c == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&b"Bearer 0123456789abcdef0123456789abcdef"[..], rest),
    };
    let request = Request {
        method: method.into(),
        target: path.into(),
        version: Version::Http11,
        headers: vec![("Authorization".into(), auth.to_vec())],
        body: body.to_vec(),
    };
    if let Err(response) = api::decode(&request, &Config::default(), &mut || Token([9; 16])) {
        assert!((400..600).contains(&response.status));
        let value: serde_json::Value = serde_json::from_slice(&response.body).expect("JSON error");
        assert!(value["code"].is_string() && value["error"].is_string());
    }
}

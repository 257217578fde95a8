//! One request through the core's chat path: `api::decode`, `rules::apply` on
//! the in-memory model, `api::encode`. The model stands in for the store, so
//! this measures the codec and the rules, not SQLite.

use agora_core::api;
use agora_core::command::{ChatRef, Command};
use agora_core::config::Config;
use agora_core::http::{Request, Version};
use agora_core::rules;
use agora_core::time::UnixMillis;
use agora_core::token::Token;
use agora_testkit::model::Model;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

const T0: i64 = 1_795_939_200_000;

fn token(i: u32) -> Token {
    let mut bytes = [0x42; 16];
    bytes[..4].copy_from_slice(&i.to_be_bytes());
    Token(bytes)
}

/// 100 users, 1 000 public messages, 10 private chats for user 0.
fn populated(config: &Config) -> Model {
    let mut model = Model::new(UnixMillis(T0));
    let now = UnixMillis(T0);
    for i in 0..100 {
        let c = Command::GetToken {
            user_name: format!("user{i}"),
            token: token(i),
            client: std::net::Ipv4Addr::LOCALHOST.into(),
        };
        rules::apply(&c, &mut model, now, config).unwrap();
    }
    for i in 0..1000u32 {
        let c = Command::Send {
            caller: token(i % 100).hash(),
            to: ChatRef::Public,
            text: format!("public message number {i}"),
        };
        rules::apply(&c, &mut model, now, config).unwrap();
    }
    for i in 1..=10 {
        let c = Command::Send {
            caller: token(i).hash(),
            to: ChatRef::Private("user0".into()),
            text: "hello there".into(),
        };
        rules::apply(&c, &mut model, now, config).unwrap();
    }
    model
}

fn request(method: &str, target: &str, body: &str) -> Request {
    Request {
        method: method.into(),
        target: target.into(),
        version: Version::Http11,
        headers: [
            ("Host", "localhost:8000".to_owned()),
            ("Authorization", format!("Bearer {}", token(0).to_hex())),
            ("Content-Type", "application/json".to_owned()),
        ]
        .into_iter()
        .collect(),
        body: body.as_bytes().to_vec(),
    }
}

fn round_trip(request: &Request, model: &mut Model, config: &Config) -> usize {
    let mut fresh = || Token([0; 16]);
    let response = match api::decode(
        request,
        config,
        std::net::Ipv4Addr::LOCALHOST.into(),
        &mut fresh,
    ) {
        Ok(command) => {
            let outcome = rules::apply(&command, model, UnixMillis(T0), config).unwrap();
            api::encode(&outcome)
        }
        Err(response) => response,
    };
    assert!(response.status < 300);
    response.body.len()
}

fn bench(c: &mut Criterion) {
    let config = Config {
        quota: u32::MAX,
        // A hundred users from one address.
        register_rate: 0,
        ..Config::default()
    };
    let mut model = populated(&config);
    let status = request("GET", "/status", "");
    c.bench_function("status: decode + apply + encode", |b| {
        b.iter(|| round_trip(black_box(&status), &mut model, &config))
    });
    let mut model = populated(&config);
    let send = request(
        "POST",
        "/send",
        r#"{"message": "hello, world: a typical short chat line"}"#,
    );
    c.bench_function("send: decode + apply + encode", |b| {
        b.iter(|| round_trip(black_box(&send), &mut model, &config))
    });
    let mut model = populated(&config);
    round_trip(&request("POST", "/connect", "{}"), &mut model, &config);
    let connect = request("POST", "/connect", r#"{"messages_number": 20}"#);
    c.bench_function("connect (20 history): decode + apply + encode", |b| {
        b.iter(|| round_trip(black_box(&connect), &mut model, &config))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Parsing a typical keep-alive `POST /send` and writing its response.

use agora_core::http::{Conn, Input, Limits, Now, Output, Response};
use agora_core::time::UnixMillis;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use std::time::Instant;

const BODY: &str = r#"{"channel":"general","text":"hello, world!"}"#;

fn request() -> Vec<u8> {
    format!(
        "POST /send HTTP/1.1\r\n\
         Host: chat.example:8080\r\n\
         User-Agent: agora-cli/0.1\r\n\
         Accept: application/json\r\n\
         Authorization: Bearer 0123456789abcdef0123456789abcdef\r\n\
         Content-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{BODY}",
        BODY.len()
    )
    .into_bytes()
}

fn bench(c: &mut Criterion) {
    let now = Now {
        mono: Instant::now(),
        wall: UnixMillis(1_795_939_565_123),
    };
    let request = request();
    let mut conn = Conn::new(Limits::default(), now);
    let body = br#"{"id":12345,"at":"2026-11-29T08:06:05.123Z"}"#.to_vec();
    let mut group = c.benchmark_group("http");
    group.throughput(Throughput::Bytes(request.len() as u64));
    group.bench_function("post_send_keepalive_roundtrip", |b| {
        b.iter(|| {
            conn.handle_input(Input::Bytes(black_box(&request)), now);
            let Output::Request(id, request) = conn.poll_output() else {
                panic!("no request")
            };
            black_box(&request);
            conn.handle_input(Input::Response(id, Response::json(201, body.clone())), now);
            let Output::Send(bytes) = conn.poll_output() else {
                panic!("no response")
            };
            black_box(bytes);
            let Output::Timeout(_) = conn.poll_output() else {
                panic!("not idle")
            };
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

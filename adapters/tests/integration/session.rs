//! The drive logic without sockets: a `SessionIo` over the real `Conn` and a real
//! store in a temporary directory, fed scripted bytes.

use agora_adapters::clock::wall_clock;
use agora_adapters::drive::overloaded_response;
use agora_adapters::session_io::{SessionIo as Session, Step};
use agora_adapters::{ServerConfig, Shared, Shutdown};
use agora_store::{Handle, StoreConfig};
use std::sync::Arc;

fn shared(dir: &tempfile::TempDir) -> Arc<Shared> {
    let store = Handle::open(StoreConfig::sqlite(dir.path().join("agora.db"))).expect("open store");
    Shared::new(store, ServerConfig::default(), Arc::new(Shutdown::new()))
}

fn status_of(bytes: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(bytes);
    assert!(text.starts_with("HTTP/1.1 "), "{text}");
    text[9..12].parse().unwrap()
}

/// Runs steps until the session waits for input; returns what it wrote and how
/// many commands went to the store.
fn run_until_wait(session: &mut Session) -> (Vec<u8>, usize, Step) {
    let mut written = Vec::new();
    let mut submitted = 0;
    loop {
        let step = session.next_step();
        written.extend(session.take_output());
        match step {
            Step::Submit => {
                submitted += 1;
                futures_lite::future::block_on(session.complete());
            }
            other => return (written, submitted, other),
        }
    }
}

#[test]
fn pipelined_requests_go_through_the_store_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let shared = shared(&dir);
    let mut session = Session::new(shared.clone(), std::net::Ipv4Addr::LOCALHOST.into());
    let body = r#"{"user_name":"pipe"}"#;
    let script = format!(
        "POST /get-token HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\nPOST /get-token HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
        body.len(),
        body.len()
    );
    session.bytes(script.as_bytes());
    let (written, submitted, step) = run_until_wait(&mut session);
    // The 404 never reaches the store; the second get-token is refused by it.
    assert_eq!(submitted, 2);
    assert!(matches!(step, Step::Wait(Some(_))));
    let text = String::from_utf8_lossy(&written);
    let statuses: Vec<u16> = text
        .match_indices("HTTP/1.1 ")
        .map(|(i, _)| text[i + 9..i + 12].parse().unwrap())
        .collect();
    assert_eq!(statuses, [200, 404, 409]);
    shared.store.shutdown();
}

#[test]
fn a_store_that_is_gone_gives_503_store_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let shared = shared(&dir);
    shared.store.shutdown();
    let mut session = Session::new(shared, std::net::Ipv4Addr::LOCALHOST.into());
    let body = r#"{"user_name":"late"}"#;
    session.bytes(
        format!(
            "POST /get-token HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    let (written, _, _) = run_until_wait(&mut session);
    assert_eq!(status_of(&written), 503);
    assert!(String::from_utf8_lossy(&written).contains("store_unavailable"));
}

#[test]
fn eof_and_protocol_errors_close() {
    let dir = tempfile::tempdir().unwrap();
    let shared = shared(&dir);
    let mut session = Session::new(shared.clone(), std::net::Ipv4Addr::LOCALHOST.into());
    session.bytes(b"GARBAGE\r\n\r\n");
    let (written, submitted, step) = run_until_wait(&mut session);
    assert_eq!((status_of(&written), submitted), (400, 0));
    assert!(matches!(step, Step::Close));

    let mut idle = Session::new(shared, std::net::Ipv4Addr::LOCALHOST.into());
    idle.eof();
    let (written, _, step) = run_until_wait(&mut idle);
    assert!(written.is_empty());
    assert!(matches!(step, Step::Close));
}

#[test]
fn the_overload_answer_is_a_complete_response() {
    let bytes = overloaded_response(wall_clock());
    let text = String::from_utf8(bytes).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 503 "), "{head}");
    let lower = head.to_ascii_lowercase();
    for needed in [
        "\r\ndate: ",
        "\r\ncontent-type: application/json",
        "\r\nconnection: close",
        "\r\nretry-after: ",
    ] {
        assert!(lower.contains(needed), "{needed:?} missing in {head}");
    }
    assert!(
        lower.contains(&format!("\r\ncontent-length: {}", body.len())),
        "{head}"
    );
    assert!(body.contains(r#""code":"overloaded""#), "{body}");
}

//! Runs one HTTP vector against a server and judges what came back, with the
//! semantics of the shared runner (`run_vectors.py`): the delivery modes
//! (`all`, `segments`, `bytewise`, `expect100`, `half_close`), the pipelined
//! responses, a wait after them for extra responses and for the close, and
//! every field of `expect` (see `agora_tests::vectors`).

use super::wire::{Response, Wire};
use agora_tests::vectors::{self, Mode, Vector, NO_RESPONSE, UNPARSEABLE};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long to wait for each expected response.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to look for extra responses and for the close after them.
const CLOSE_WAIT: Duration = Duration::from_millis(500);

/// What happened on one vector's connection.
#[derive(Default)]
pub struct Run {
    interim: Vec<u16>,
    /// Final responses in order; `None` for bytes that were not one.
    finals: Vec<Option<Response>>,
    closed: bool,
    errors: Vec<String>,
    /// A final status came before the body was sent (`expect100`).
    body_withheld: bool,
    extra_garbage: bool,
}

/// Sends `v` on a new connection to `addr` and records the answers.
pub fn run(v: &Vector, addr: SocketAddr, token: &str) -> Run {
    let mut run = Run::default();
    let mut wire = match Wire::connect(addr) {
        Ok(wire) => wire,
        Err(e) => {
            run.errors.push(format!("connect failed: {e}"));
            return run;
        }
    };
    let fill = |bytes: &[u8]| vectors::substitute(bytes, token.as_bytes(), &mut uniq);
    let delivery = v.delivery();
    match delivery.mode {
        Mode::All => {
            wire.send(&fill(&v.raw));
        }
        Mode::Segments => {
            let pause = Duration::from_millis(delivery.delay_ms.unwrap_or(100));
            let segments = v.segments(&delivery.cuts);
            for (i, segment) in segments.iter().enumerate() {
                if !wire.send(&fill(segment)) {
                    break;
                }
                if i + 1 < segments.len() {
                    std::thread::sleep(pause);
                }
            }
        }
        Mode::Bytewise => {
            let pause = Duration::from_millis(delivery.delay_ms.unwrap_or(10));
            for byte in fill(&v.raw).chunks(1) {
                if !wire.send(byte) {
                    break;
                }
                std::thread::sleep(pause);
            }
        }
        Mode::Expect100 => {
            let cut = delivery.cut.expect("an expect100 vector has a cut");
            wire.send(&fill(&v.raw[..cut]));
            let wait = Duration::from_millis(delivery.wait_ms.unwrap_or(2000));
            let deadline = Instant::now() + wait;
            loop {
                match wire.read_response(deadline, false) {
                    Ok(Some(r)) if is_interim(r.status) => {
                        run.interim.push(r.status);
                        if r.status == 100 {
                            break;
                        }
                    }
                    Ok(Some(r)) => {
                        run.finals.push(Some(r));
                        run.body_withheld = true;
                        break;
                    }
                    Ok(None) => break,
                    Err(e) => {
                        run.errors.push(e);
                        break;
                    }
                }
            }
            if !run.body_withheld && !wire.eof {
                wire.send(&fill(&v.raw[cut..]));
            }
        }
    }
    if delivery.half_close {
        wire.half_close();
    }
    if let Some(e) = &wire.send_error {
        run.errors.push(e.clone());
    }

    let expected = v.expect.responses.as_ref().map_or(1, Vec::len);
    let to_head = v.raw.starts_with(b"HEAD ");
    while run.finals.len() < expected {
        let first = run.finals.is_empty();
        match wire.read_response(Instant::now() + RESPONSE_TIMEOUT, to_head && first) {
            Ok(Some(r)) if is_interim(r.status) => run.interim.push(r.status),
            Ok(Some(r)) => run.finals.push(Some(r)),
            Ok(None) => break,
            Err(e) => {
                run.errors.push(e);
                run.finals.push(None);
                break;
            }
        }
    }
    // Extra responses (a desync) and the close.
    let deadline = Instant::now() + CLOSE_WAIT;
    while !matches!(run.finals.last(), Some(None)) {
        match wire.read_response(deadline, false) {
            Ok(Some(r)) if is_interim(r.status) => run.interim.push(r.status),
            Ok(Some(r)) => {
                run.finals.push(Some(r));
                if run.finals.len() > expected + 50 {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                run.errors
                    .push(format!("after the expected responses: {e}"));
                run.extra_garbage = true;
                break;
            }
        }
    }
    wire.settle(Instant::now() + Duration::from_millis(50));
    run.closed = wire.eof;
    run
}

fn is_interim(status: u16) -> bool {
    (100..200).contains(&status) && status != 101
}

/// 8 fresh `[a-z0-9]` bytes for `{{UNIQ}}`: a counter and the start time, so
/// that names differ within a run and across runs on one database.
fn uniq() -> [u8; 8] {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut n = NEXT.fetch_add(1, Ordering::Relaxed) ^ (seed << 20);
    let mut out = [0u8; 8];
    for byte in &mut out {
        *byte = b"abcdefghijklmnopqrstuvwxyz0123456789"[(n % 36) as usize];
        n /= 36;
    }
    out
}

fn status_of(response: &Option<Response>) -> i32 {
    response
        .as_ref()
        .map_or(UNPARSEABLE, |r| i32::from(r.status))
}

/// Why `run` does not meet `v`'s expectations; empty if it does.
pub fn judge(v: &Vector, run: &Run) -> Vec<String> {
    let expect = &v.expect;
    if let Some(e) = run.errors.iter().find(|e| e.starts_with("connect failed")) {
        return vec![e.clone()];
    }
    let mut reasons = Vec::new();
    let statuses: Vec<i32> = run.finals.iter().map(status_of).collect();
    let first = statuses.first().copied().unwrap_or(NO_RESPONSE);
    if let Some(allowed) = &expect.status {
        if !allowed.contains(&first) {
            reasons.push(format!("status {first} not in {allowed:?}"));
        }
    }
    if !expect.not_status.is_empty() {
        if first == NO_RESPONSE {
            reasons.push("no response".into());
        } else if expect.not_status.contains(&first) {
            reasons.push(format!("status {first} is forbidden"));
        }
    }
    if let Some(want) = &expect.responses {
        for (i, allowed) in want.iter().enumerate() {
            let got = statuses.get(i).copied().unwrap_or(NO_RESPONSE);
            if !allowed.contains(&got) {
                reasons.push(format!("response #{}: {got} not in {allowed:?}", i + 1));
            }
        }
        if statuses.len() > want.len() {
            reasons.push(format!(
                "{} responses, expected at most {}",
                statuses.len(),
                want.len()
            ));
        }
    }
    if let Some(max) = expect.max_responses {
        if statuses.len() > max {
            reasons.push(format!("{} responses > max {max} (desync)", statuses.len()));
        }
    }
    if let Some(close) = expect.close {
        if run.closed != close {
            let got = if run.closed { "closed" } else { "kept open" };
            reasons.push(format!("connection {got}, expected close={close}"));
        }
    }
    if let Some(want) = &expect.interim {
        if want.is_empty() && !run.interim.is_empty() {
            reasons.push(format!("unexpected interim {:?}", run.interim));
        }
        for status in want {
            if !run.interim.contains(status) {
                reasons.push(format!("missing interim {status}"));
            }
        }
    }
    if expect.final_before_body && !run.body_withheld {
        reasons.push("no final status before the body was sent".into());
    }
    let first_response = run.finals.first().and_then(Option::as_ref);
    for name in &expect.headers {
        if first_response.and_then(|r| r.header(name)).is_none() {
            reasons.push(format!("missing header {name}"));
        }
    }
    if run.extra_garbage {
        reasons.push("unparseable bytes after the expected responses".into());
    }
    if statuses.contains(&UNPARSEABLE) {
        reasons.push(format!("unparseable response: {}", run.errors.join("; ")));
    }
    reasons
}

/// One line for a report: what came back.
pub fn describe(run: &Run) -> String {
    let statuses: Vec<String> = run
        .finals
        .iter()
        .map(|r| status_of(r).to_string())
        .collect();
    let mut text = if statuses.is_empty() {
        "none".to_owned()
    } else {
        statuses.join(",")
    };
    text.push_str(if run.closed { " closed" } else { " open" });
    if !run.interim.is_empty() {
        text.push_str(&format!(" 1xx={:?}", run.interim));
    }
    if !run.errors.is_empty() {
        text.push_str(&format!(" errors={:?}", run.errors));
    }
    text
}

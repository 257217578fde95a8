//! Helpers shared by the HTTP tests: drive a `Conn` with virtual time.
#![allow(dead_code)]

/// The committed fuzz corpora, for the replay tests.
pub mod corpus;

use agora_core::http::{Limits, Now, Precheck};
use agora_core::time::UnixMillis;
use agora_testkit::http_fuzzing::{self, Transcript};
use std::time::Instant;

pub fn now0() -> Now {
    Now {
        mono: Instant::now(),
        wall: UnixMillis(1_795_939_565_123),
    }
}

/// Feeds `chunks` (then EOF) with default limits, answering each request 200.
pub fn drive(chunks: &[&[u8]], eof: bool) -> Transcript {
    http_fuzzing::run(&Limits::default(), chunks, eof, Instant::now())
}

/// [`drive`] on a connection with the application's `precheck`.
pub fn drive_with(precheck: Precheck, chunks: &[&[u8]], eof: bool) -> Transcript {
    http_fuzzing::run_with(
        &Limits::default(),
        Some(precheck),
        chunks,
        eof,
        Instant::now(),
    )
}

/// The final statuses in the bytes sent, in order (1xx skipped).
pub fn statuses(t: &Transcript) -> Vec<u16> {
    http_fuzzing::sent_statuses(&t.sent)
}

/// Whether a 100 Continue was sent first.
pub fn sent_continue(t: &Transcript) -> bool {
    t.sent.starts_with(b"HTTP/1.1 100 Continue\r\n\r\n")
}

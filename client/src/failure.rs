//! Why a command did not succeed, and the exit code each reason maps to.

use crate::wire::Refusal;
use std::process::ExitCode;

/// Everything that ends a command unsuccessfully.
#[derive(Debug)]
pub enum Failure {
    /// The server answered 4xx/5xx. Exit code 1.
    Refused(Box<Refusal>),
    /// Bad command line, bad `--server`, no saved token, unreadable token
    /// file. Exit code 2.
    Usage(String),
    /// Could not connect, the connection broke, timed out, or the answer
    /// was not the HTTP/JSON the contract promises. Exit code 3.
    Unreachable(String),
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Failure::Refused(_) => 1,
            Failure::Usage(_) => 2,
            Failure::Unreachable(_) => 3,
        })
    }

    /// Adds what to do next to a refusal with this `code`; anything else is
    /// returned as it is.
    pub fn with_hint(mut self, code: &str, hint: impl FnOnce() -> String) -> Failure {
        if let Failure::Refused(refusal) = &mut self {
            if refusal.code.as_deref() == Some(code) {
                refusal.hint = Some(hint());
            }
        }
        self
    }
}

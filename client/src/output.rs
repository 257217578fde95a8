//! Where results go: stdout gets answers (the server's JSON with `--json`,
//! human text otherwise), stderr gets refusals and errors. A closed stdout
//! (`agora read | head -1`) is not worth a panic, so write errors are ignored.

use crate::failure::Failure;
use crate::localtime::Zone;
use crate::render;
use std::io::Write;

#[derive(Clone, Copy, Debug)]
pub struct Printer {
    pub json: bool,
    pub zone: Zone,
}

impl Printer {
    /// An answer: `raw` (the server's body) with `--json`, else `human()`.
    pub fn answer(&self, raw: &[u8], human: impl FnOnce() -> String) {
        let mut stdout = std::io::stdout().lock();
        if self.json {
            // One line per value, whether or not the server ended its body
            // with a newline (it does since JSON bodies end with one).
            let _ = stdout.write_all(raw.strip_suffix(b"\n").unwrap_or(raw));
            let _ = stdout.write_all(b"\n");
        } else {
            let _ = stdout.write_all(human().as_bytes());
        }
        let _ = stdout.flush();
    }

    /// Text for a person that is not a server answer (`agora chat` notes);
    /// silent with `--json`, so stdout stays one JSON value per line.
    pub fn note(&self, text: &str) {
        if !self.json {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{text}");
            let _ = stdout.flush();
        }
    }

    /// A failed command: the refusal body on stdout with `--json`, and a
    /// sentence on stderr in any case.
    pub fn failure(&self, failure: &Failure) {
        let line = match failure {
            Failure::Refused(refusal) => {
                if self.json {
                    self.answer(&refusal.raw, String::new);
                }
                render::refusal(refusal, jiff::Timestamp::now(), self.zone)
            }
            Failure::Usage(why) | Failure::Unreachable(why) => format!("agora: {why}\n"),
        };
        let _ = std::io::stderr().write_all(line.as_bytes());
    }
}

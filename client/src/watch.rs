//! `agora watch`: prints the user's events as they arrive, one line each (the
//! server's event JSON with `--json`), until interrupted. Once the server has
//! answered, a broken connection is resumed (see [`crate::resume`]) for as
//! long as it takes; a refusal (401: the token is not the server's) ends it.

use crate::api::Api;
use crate::failure::Failure;
use crate::feed::{Delivered, Feed};
use crate::output::Printer;
use crate::render;
use crate::resume::Resuming;
use std::io::{self, Write};
use std::thread;

/// Runs until Ctrl-C (or SIGTERM), which exits 0, or until stdout is closed
/// (`agora watch | head -3`), which ends it with success as well.
pub fn run(
    api: &Api,
    user: &str,
    server: &str,
    since: Option<u64>,
    printer: Printer,
) -> Result<(), Failure> {
    exit_when_interrupted()?;
    let mut feed = Feed::new(api, since);
    // The first contact decides whether there is anything to watch: a server
    // that cannot be reached or refuses now ends the command.
    let start = feed.start()?;
    eprintln!("agora: watching {server} as {user} after event {start}; Ctrl-C stops");
    let mut events = Resuming::new(feed, None, printer.zone);
    loop {
        if print(&events.next()?, printer).is_err() {
            return Ok(()); // no one reads any more
        }
    }
}

/// Ctrl-C and SIGTERM end the watch with exit code 0, once no line is half
/// written (the lock on stdout is taken first).
fn exit_when_interrupted() -> Result<(), Failure> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .map_err(|e| Failure::Usage(format!("cannot handle Ctrl-C: {e}")))?;
    thread::spawn(move || {
        if signals.forever().next().is_some() {
            let _no_half_lines = io::stdout().lock();
            std::process::exit(0);
        }
    });
    Ok(())
}

/// Writes each event as one line; an error means stdout is gone.
fn print(events: &[Delivered], printer: Printer) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    for delivered in events {
        if printer.json {
            writeln!(stdout, "{}", delivered.raw.get())?;
        } else {
            stdout.write_all(render::events::line(&delivered.event, printer.zone).as_bytes())?;
        }
    }
    stdout.flush()
}

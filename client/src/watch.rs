//! `agora watch`: prints the user's events as they arrive, one line each (the
//! server's event JSON with `--json`), until interrupted. Once the server has
//! answered, a broken connection is resumed (see [`crate::resume`]) for as
//! long as it takes; a refusal (401: the token is not the server's) ends it.
//!
//! Messages are shown as everywhere else, `#17` being message 17. Event ids
//! are a different count (server-wide, of messages, comments and bans), needed only to
//! start again where a watch stopped: they appear, named "event cursor" and
//! never with `#`, in the line that starts the watch and the line that ends
//! it, both on stderr (`--json` shows them as the event objects' `id`). Those
//! lines do not start with `agora:`, which is kept for errors.

use crate::api::Api;
use crate::failure::Failure;
use crate::feed::{Delivered, Feed};
use crate::output::Printer;
use crate::render;
use crate::resume::Resuming;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
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
    let cursor = Arc::new(AtomicU64::new(0));
    exit_when_interrupted(Arc::clone(&cursor))?;
    let mut feed = Feed::new(api, since);
    // The first contact decides whether there is anything to watch: a server
    // that cannot be reached or refuses now ends the command.
    let start = feed.start()?;
    cursor.store(start, Ordering::SeqCst);
    eprintln!(
        "watching {server} as {user} from event cursor {start} on \
         (`agora watch --since {start}` starts here again); Ctrl-C stops"
    );
    let mut events = Resuming::new(feed, None, printer.zone);
    loop {
        if print(&events.next()?, printer, &cursor, user).is_err() {
            return Ok(()); // no one reads any more
        }
    }
}

/// The line that ends a watch: where to start the next one so that it misses
/// nothing and repeats nothing.
fn stopped_line(cursor: u64) -> String {
    format!("stopped at event cursor {cursor}: `agora watch --since {cursor}` goes on from here\n")
}

/// Ctrl-C and SIGTERM end the watch with exit code 0, once no line is half
/// written (the lock on stdout is taken first), saying the event cursor of
/// the last event printed.
fn exit_when_interrupted(cursor: Arc<AtomicU64>) -> Result<(), Failure> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .map_err(|e| Failure::Usage(format!("cannot handle Ctrl-C: {e}")))?;
    thread::spawn(move || {
        if signals.forever().next().is_some() {
            let _no_half_lines = io::stdout().lock();
            let line = stopped_line(cursor.load(Ordering::SeqCst));
            let _ = io::stderr().write_all(line.as_bytes());
            std::process::exit(0);
        }
    });
    Ok(())
}

/// Writes each event as one line and moves `cursor` past it; an error means
/// stdout is gone.
fn print(events: &[Delivered], printer: Printer, cursor: &AtomicU64, me: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    for delivered in events {
        if printer.json {
            writeln!(stdout, "{}", delivered.raw.get())?;
        } else {
            stdout
                .write_all(render::events::line(&delivered.event, printer.zone, me).as_bytes())?;
        }
        cursor.store(delivered.event.id, Ordering::SeqCst);
    }
    stdout.flush()
}

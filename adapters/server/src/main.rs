//! `agora-server`: reads its flags (each also from an `AGORA_*` variable), opens
//! the store, binds, and serves on the chosen runtime until SIGINT or SIGTERM.

mod cli;

use agora_adapters::{serve, Shared, Shutdown};
use agora_store::Handle;
use clap::Parser;
use cli::Args;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use std::io::IsTerminal;
use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::Arc;
use tracing::{error, info};

fn main() -> ExitCode {
    let args = Args::parse();
    ignore_file_size_signal();
    init_logging(&args.log);
    std::panic::set_hook(Box::new(|info| error!("panic: {info}")));
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            error!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// A write past `RLIMIT_FSIZE` raises SIGXFSZ, whose default action kills the
/// process: the whole server would die for what is only a store fault. Ignored,
/// the write fails with EFBIG instead, SQLite reports an I/O error, and the
/// affected requests get 503 `store_unavailable` until the limit is lifted.
fn ignore_file_size_signal() {
    // SAFETY: setting a signal's disposition to SIG_IGN at start-up, before any
    // thread exists; no handler code runs.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
}

/// `--log` takes a level, which applies to agora's own crates (dependencies log
/// warnings only), or a full tracing filter such as `debug,polling=trace`.
fn init_logging(level: &str) {
    const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
    let directives = if LEVELS.contains(&level.to_ascii_lowercase().as_str()) {
        let level = level.to_ascii_lowercase();
        format!(
            "warn,agora_server={level},agora_adapters={level},agora_store={level},agora_core={level}"
        )
    } else {
        level.to_owned()
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&directives).unwrap_or_else(|e| {
        eprintln!("bad --log value {level:?} ({e}); using info");
        tracing_subscriber::EnvFilter::new("info")
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        // A log that cannot be written (stderr sent to a file on a full disk)
        // must not take the server down: by default a failed write is reported
        // with `eprintln!`, which panics when stderr fails, in whichever thread
        // logged, the store's writer included.
        .log_internal_errors(false)
        .init();
}

fn run(args: Args) -> Result<(), String> {
    let shutdown = Arc::new(Shutdown::new());
    watch_signals(shutdown.clone())?;

    let store_config = args.store_config();
    let store = Handle::open(store_config).map_err(|e| e.to_string())?;
    let address = (args.host.as_str(), args.port);
    let listener = TcpListener::bind(address)
        .map_err(|e| format!("cannot listen on {}:{}: {e}", args.host, args.port))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    info!(
        "agora listening on http://{local} (runtime {}, database {})",
        args.runtime_kind(),
        args.db.display()
    );

    let shared = Shared::new(store.clone(), args.server_config(), shutdown);
    let served = serve(args.runtime_kind(), listener, shared);
    info!("flushing the store");
    store.shutdown();
    served.map_err(|e| format!("serving failed: {e}"))?;
    info!("stopped");
    Ok(())
}

/// A thread that turns the first SIGINT/SIGTERM into a graceful shutdown and a
/// second one into an immediate exit.
fn watch_signals(shutdown: Arc<Shutdown>) -> Result<(), String> {
    let mut signals =
        Signals::new([SIGINT, SIGTERM]).map_err(|e| format!("cannot watch signals: {e}"))?;
    std::thread::Builder::new()
        .name("agora-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if shutdown.is_triggered() {
                    error!("second signal {signal}: exiting now");
                    std::process::exit(1);
                }
                let name = if signal == SIGINT {
                    "SIGINT"
                } else {
                    "SIGTERM"
                };
                info!("{name}: stopping (finishing in-flight requests)");
                shutdown.trigger();
            }
        })
        .map_err(|e| format!("cannot start the signal thread: {e}"))?;
    Ok(())
}
